"""``Function`` (a handle on a deployed or running function) and ``FunctionCall`` (a spawned call).

Every remote method is written once, async, and exposed both ways by ``@synchronize``:
``f.remote(x)`` blocks, ``await f.remote.aio(x)`` does not.
"""

from __future__ import annotations

from . import _serialization as ser
from ._shared.ids import check_id
from ._utils.kinds import is_generator_function
from ._utils.synchronize import synchronize
from .exception import InvalidError, TimeoutError

TYPE_CHECKING = False   # typing costs milliseconds to import, and containers import this module
if TYPE_CHECKING:
    from typing import Any, AsyncIterator, Callable, Iterable

SPINNER_AFTER_S = 0.3          # under `leveret run` on a terminal, a .remote() slower than this shows a spinner


class Function:
    """A function registered on an App. Call it with ``.remote``, ``.map``, ``.spawn``, ``.local``."""

    def __init__(self, raw_f: Callable, *, app, name: str, options):
        self._raw_f = raw_f
        self._app = app
        self._name = name
        self._options = options
        self._function_id: str | None = None
        self._client = None
        self._is_generator = is_generator_function(raw_f)
        self._lookup: tuple | None = None   # (app name, function name, environment, version) of from_name
        self._class_methods: dict | None = None   # an @app.cls's function: its methods (name -> a generator)
        self._web_url: str | None = None   # a web function's URL, once its app runs or is deployed (web.py)
        self._web_methods: dict = {}         # an @app.cls's web methods: name -> WebConfig
        self._web_urls: dict[str, str] = {}  # and their URLs, once its app runs
        self.__doc__ = raw_f.__doc__
        self.__wrapped__ = raw_f

    def __repr__(self) -> str:
        state = self._function_id or "not running"
        return f"<leveret.Function {self._name} ({state})>"

    @property
    def object_id(self) -> str | None:
        return self._function_id

    @property
    def is_generator(self) -> bool:
        return self._is_generator

    def get_raw_f(self) -> Callable:
        return self._raw_f

    def get_web_url(self) -> str | None:
        """A web function's URL on the gateway (web.py) once its app runs or is deployed (looked up
        now for ``Function.from_name``); None for other functions."""
        if self._web_url is None and self._lookup is not None and self._function_id is None:
            from ._shared.aio import run_sync

            run_sync(self._live())
        return self._web_url

    def _named_web_urls(self) -> dict[str, str]:
        """Its web URL, or an @app.cls's web methods' ("Class.method" -> URL), as the CLI shows them."""
        urls = {self._name: self._web_url} if self._web_url else {}
        return {**urls, **{f"{self._name}.{m}": url for m, url in sorted(self._web_urls.items())}}

    @synchronize
    async def hydrate(self) -> "Function":
        """Look the function up now (by name, or in its running app) rather than at its first call."""
        await self._live()
        return self

    @synchronize
    async def get_current_stats(self) -> "FunctionStats":
        """Its backlog (inputs queued) and its containers, now."""
        from ._wire import api_pb2 as pb

        client = await self._live()
        if not hasattr(client, "call"):
            raise InvalidError("get_current_stats() is not available from inside a container yet; call it from a client")
        stats = await client.call("FunctionStats", pb.FunctionStatsRequest(function_id=self._function_id))
        return FunctionStats(backlog=stats.queued, num_total_runners=stats.containers)

    @synchronize
    async def update_autoscaler(self, *, min_containers: int | None = None, max_containers: int | None = None,
                                buffer_containers: int | None = None, scaledown_window: int | None = None) -> None:
        """Change a running (or deployed) function's autoscaling now, without a redeploy; it holds
        until the app is deployed again. What is not given stays."""
        from ._wire import api_pb2 as pb

        for option, value in (("min_containers", min_containers), ("max_containers", max_containers),
                              ("buffer_containers", buffer_containers), ("scaledown_window", scaledown_window)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0
                                      or (value == 0 and option in ("max_containers", "scaledown_window"))):
                raise InvalidError(f"{self._name}.update_autoscaler({option}={value!r}) must be a whole number"
                                   f" of at least {1 if option in ('max_containers', 'scaledown_window') else 0}")
        client = await self._live()
        if not hasattr(client, "call"):
            raise InvalidError("update_autoscaler() is not available from inside a container yet; call it from a client")
        request = pb.FunctionUpdateAutoscalerRequest(function_id=self._function_id)
        for field, value in (("min_containers", min_containers), ("max_containers", max_containers),
                             ("buffer_containers", buffer_containers), ("scaledown_window_s", scaledown_window)):
            if value is not None:
                setattr(request, field, value)
        await client.call("FunctionUpdateAutoscaler", request)

    def with_options(self, *, cpu=None, memory=None, gpu=None, env=None, secrets=None, volumes=None, retries=None,
                     max_containers=None, buffer_containers=None, min_containers=None, scaledown_window=None,
                     timeout=None, region=None, cloud=None, routing_region=None) -> "Function":
        """This function with other options: a function of its own on the server, with containers of
        its own, made at its first call (_with_options.py)."""
        from ._with_options import option_changes

        return _WithOptions(self, option_changes(
            self._name, cpu=cpu, memory=memory, gpu=gpu, env=env, secrets=secrets, volumes=volumes, retries=retries,
            max_containers=max_containers, buffer_containers=buffer_containers, min_containers=min_containers,
            scaledown_window=scaledown_window, timeout=timeout, region=region, cloud=cloud,
            routing_region=routing_region))

    def with_concurrency(self, *, max_inputs: int, target_inputs: int | None = None) -> "Function":
        """This function with each container running up to ``max_inputs`` inputs at once (as @concurrent)."""
        from ._with_options import concurrency_changes

        return _WithOptions(self, concurrency_changes(max_inputs, target_inputs))

    def with_batching(self, *, max_batch_size: int, wait_ms: int) -> "Function":
        """This function with its inputs gathered into batches (as @batched: it must take lists)."""
        from ._with_options import batching_changes

        return _WithOptions(self, batching_changes(max_batch_size, wait_ms))

    def _call_args(self, args: tuple) -> tuple:
        """The positional arguments an input carries (an @app.cls method's name its first: cls.py)."""
        return args

    def _hydrate(self, function_id: str, client) -> None:
        self._function_id = function_id
        self._client = client

    def _forget(self) -> None:
        self._function_id = None
        self._client = None

    @classmethod
    def from_name(cls, app_name: str, name: str, *, environment_name: str | None = None,
                  version: int | None = None) -> "Function":
        """A deployed function, by its app's name and its own: looked up at its first call, which
        goes to the app's live version (``leveret deploy`` makes one; ``version=``: that version,
        which must be the live one). ``environment_name``: the app's (default: LEVERET_ENVIRONMENT, the
        profile's, else "main")."""
        for what, value in (("app_name", app_name), ("name", name)):
            if not isinstance(value, str) or not value:
                raise InvalidError(f"Function.from_name: {what} must be a non-empty string, not {value!r}")
        if version is not None and (isinstance(version, bool) or not isinstance(version, int) or version < 1):
            raise InvalidError(f"Function.from_name: version must be a deployed version number (1, 2, …), not {version!r}")
        fn = cls.__new__(cls)
        fn._raw_f = None
        fn._app = None
        fn._name = name
        fn._options = None
        fn._function_id = None
        fn._client = None
        fn._is_generator = False
        from . import config

        fn._lookup = (app_name, name, environment_name or config.environment(), version or 0)
        fn._class_methods = None
        fn._web_url = None
        fn._web_methods, fn._web_urls = {}, {}
        fn.__doc__ = None
        return fn

    async def _live(self):
        if self._function_id is None:
            from ._client import Client
            from ._container_client import socket_path

            if self._lookup is not None:
                client = await Client.get()
                function_id, self._is_generator, web_url = await client.lookup(*self._lookup)
                self._hydrate(function_id, client)
                self._web_url = web_url or None
            elif self._app is not None and socket_path() is not None:   # its app's, called from inside a container
                client = await Client.get()
                function_id, self._is_generator, _ = await client.lookup("", self._name, "")
                self._hydrate(function_id, client)
        if self._function_id is None:
            raise InvalidError(
                f"function {self._name!r} is not running: call it from inside `with app.run():`,"
                f" or from a function decorated with @app.local_entrypoint() and run with `leveret run FILE`"
            )
        return self._client

    def local(self, *args, **kwargs):
        """Run the function here, in this process."""
        return self._local_f()(*args, **kwargs)

    def __call__(self, *args, **kwargs):
        return self._local_f()(*args, **kwargs)

    def _local_f(self) -> Callable:
        if self._raw_f is None:
            raise InvalidError(f"{self._name} was looked up by name and its code is not here: call .remote(),"
                               " .map() or .spawn()")
        return self._raw_f

    # ------------------------------------------------------------------ remote

    @synchronize
    async def remote(self, *args, **kwargs) -> Any:
        """Run the function in a container and return its result (or raise its exception)."""
        client = await self._live()
        if self._is_generator:
            raise InvalidError(f"{self._name} is a generator function: iterate `{self._name}.remote_gen(...)` instead of calling .remote()")
        from . import _progress

        args_blob = ser.serialize_args(self._call_args(args), kwargs)
        pending = client.remote(self._function_id, await client.input(0, args_blob))
        if _progress.current is not None:   # `leveret run`: a spinner once it takes a moment
            import asyncio

            pending = asyncio.ensure_future(pending)
            try:
                done, _ = await asyncio.wait({pending}, timeout=SPINNER_AFTER_S)
                if not done:
                    with _progress.current.waiting(self._name):
                        await asyncio.wait({pending})
            except BaseException:   # cancelled (Ctrl-C): so is the call
                pending.cancel()
                raise
        return await client.value(await pending)

    @synchronize
    async def remote_gen(self, *args, **kwargs) -> AsyncIterator[Any]:
        """Run a generator function in a container and yield its values as they are produced."""
        client = await self._live()
        if self._is_generator is False:
            raise InvalidError(f"{self._name} is not a generator function: use .remote() instead of .remote_gen()")
        async for o in self._stream_outputs(iter([(self._call_args(args), kwargs)])):
            if o.status == ser.GENERATOR_DONE:
                return
            yield await client.value(o)

    @synchronize
    async def spawn(self, *args, **kwargs) -> "FunctionCall":
        """Start the function in a container without waiting; ``.get()`` the returned call later."""
        client = await self._live()
        if self._is_generator:
            raise InvalidError(f"{self._name} is a generator function: generators cannot be spawned; use .remote_gen()")
        args_blob = ser.serialize_args(self._call_args(args), kwargs)
        call_id = await client.spawn(self._function_id, await client.input(0, args_blob))
        return FunctionCall(call_id, client)

    @synchronize
    async def map(self, *input_iterators: Iterable, kwargs: dict | None = None, order_outputs: bool = True,
                  return_exceptions: bool = False) -> AsyncIterator[Any]:
        """Run the function over each input (zipped across iterators), in parallel containers."""
        if not input_iterators:
            raise InvalidError(f"{self._name}.map() needs at least one iterable of inputs")
        kw = kwargs or {}
        async for v in self._map(((self._call_args(args), kw) for args in zip(*input_iterators)), order_outputs,
                                 return_exceptions):
            yield v

    @synchronize
    async def spawn_map(self, *input_iterators: Iterable, kwargs: dict | None = None) -> None:
        """Start the function over each input (zipped across iterators) without waiting for results:
        returns once the server has stored every input, and the call runs on (its results are
        not read back; have the function store what it makes)."""
        if not input_iterators:
            raise InvalidError(f"{self._name}.spawn_map() needs at least one iterable of inputs")
        client = await self._live()
        if self._is_generator:
            raise InvalidError(f"{self._name} is a generator function: it cannot be spawned")
        kw = kwargs or {}
        async for _ in client.map_outputs(self._function_id, ((self._call_args(args), kw)
                                                              for args in zip(*input_iterators)), spawn=True):
            pass

    @synchronize
    async def starmap(self, input_iterator: Iterable, kwargs: dict | None = None, order_outputs: bool = True,
                      return_exceptions: bool = False) -> AsyncIterator[Any]:
        """Like map, but each input is a tuple of positional arguments."""
        kw = kwargs or {}
        async for v in self._map(((self._call_args(tuple(args)), kw) for args in input_iterator), order_outputs,
                                 return_exceptions):
            yield v

    @synchronize
    async def for_each(self, *input_iterators: Iterable, kwargs: dict | None = None, ignore_exceptions: bool = False) -> None:
        """Run map for its side effects and discard the results."""
        kw = kwargs or {}
        async for _ in self._map(((self._call_args(args), kw) for args in zip(*input_iterators)), False,
                                 ignore_exceptions):
            pass

    async def _map(self, arg_iter, order_outputs: bool, return_exceptions: bool):
        client = await self._live()
        if self._is_generator:
            raise InvalidError(f"{self._name} is a generator function: .map() needs a function that returns")
        buffered: dict[int, Any] = {}
        next_idx = 0
        from . import _progress

        progress = _progress.current.map_started(self._name) if _progress.current is not None else None
        async for o in self._stream_outputs(arg_iter, on_total=progress.set_total if progress is not None else None):
            idx = o.idx
            if progress is not None:
                progress.advance()
            try:
                value = await client.value(o)
            except Exception as exc:
                if not return_exceptions:
                    raise
                value = exc
            if not order_outputs:
                yield value
                continue
            buffered[idx] = value
            while next_idx in buffered:
                yield buffered.pop(next_idx)
                next_idx += 1
        if progress is not None:
            progress.finish()

    async def _stream_outputs(self, arg_iter, on_total=None):
        """Send inputs in batches on one FunctionMap stream; yield the outputs as they come (a map
        resumes where it was if the server goes away and comes back: _map.py)."""
        client = await self._live()
        async for o in client.map_outputs(self._function_id, arg_iter, on_total):
            yield o


class _WithOptions(Function):
    """A function with other options (``with_options`` and its kin): repeated calls merge."""

    def __init__(self, base: Function, changes: dict):
        root = base._root if isinstance(base, _WithOptions) else base
        self.__dict__.update(root.__dict__)
        self._function_id = None
        self._client = None
        self._root = root
        self._changes = {**base._changes, **changes} if isinstance(base, _WithOptions) else dict(changes)
        self._bound: tuple[str, str] | None = None   # (its function's id, the bound copy's)

    def __repr__(self) -> str:
        return f"<leveret.Function {self._name} with options {self._changes}>"

    async def _live(self):
        from ._with_options import text

        client = await self._root._live()
        base = self._root._function_id
        if self._bound is None or self._bound[0] != base:
            self._bound = (base, await client.bind(base, "", await text(self._changes, client)))
        self._function_id, self._client = self._bound[1], client
        return client


class FunctionStats:
    """A function's load now (Modal's names): ``backlog`` inputs queued, ``num_total_runners`` containers."""

    def __init__(self, backlog: int, num_total_runners: int):
        self.backlog, self.num_total_runners = backlog, num_total_runners

    def __repr__(self) -> str:
        return f"FunctionStats(backlog={self.backlog}, num_total_runners={self.num_total_runners})"

    def __eq__(self, other) -> bool:
        return isinstance(other, FunctionStats) and (self.backlog, self.num_total_runners) == (
            other.backlog, other.num_total_runners)


class FunctionCall:
    """A call started with ``Function.spawn``; ``get()`` waits for its result."""

    def __init__(self, call_id: str, client=None):
        self.object_id = check_id(call_id, "fc")
        self._client = client

    def __repr__(self) -> str:
        return f"<leveret.FunctionCall {self.object_id}>"

    @staticmethod
    def from_id(call_id: str) -> "FunctionCall":
        """A handle on an existing call, e.g. one spawned by another process."""
        return FunctionCall(call_id)

    async def _get_client(self):
        if self._client is None:
            from ._client import Client

            self._client = await Client.get()
        return self._client

    @synchronize
    async def get(self, timeout: float | None = None) -> Any:
        """Wait for the result (at most ``timeout`` seconds: then raise TimeoutError)."""
        client = await self._get_client()
        output = await client.call_get(self.object_id, timeout)
        if output is None:
            raise TimeoutError(f"{self.object_id} did not finish within {timeout} s; call .get() again to keep waiting")
        return await client.value(output)

    @synchronize
    async def cancel(self, terminate_containers: bool = False) -> None:
        """Cancel the call: inputs not started never run, running ones have their code interrupted
        (``leveret.exception.InputCancellation`` is raised in it) and their containers go on with
        other inputs, and ``get()`` raises InputCancellation; the calls its inputs made from inside
        their containers are cancelled too. ``terminate_containers=True`` also stops the containers
        running its inputs: their other inputs run again in new containers."""
        client = await self._get_client()
        await client.call_cancel(self.object_id, terminate_containers=terminate_containers)

    @synchronize
    async def get_call_graph(self) -> list:
        """The tree of calls made under this one: an ``InputInfo`` per input of the call, whose
        ``children`` are the inputs of the calls its code made from inside its container (and so on
        down), each with its status (PENDING until it has a result)."""
        from .call_graph import reconstruct

        client = await self._get_client()
        return reconstruct(await client.call_graph(self.object_id))

    @staticmethod
    def gather(*calls: "FunctionCall") -> list:
        """Wait for all of these calls; their results in order (the first failure is raised, and
        the calls not done are cancelled)."""
        return gather(*calls)


async def _gather(calls) -> list:
    import asyncio

    tasks = [asyncio.ensure_future(c.get.aio()) for c in calls]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for t in tasks:
            t.cancel()
        for c, t in zip(calls, tasks):
            if not t.done() or t.cancelled():
                try:
                    await c.cancel.aio()
                except Exception:   # best effort: the first failure is what the caller gets
                    pass
        raise


def gather(*calls: FunctionCall) -> list:
    """Wait for all of these spawned calls; their results in order (``await gather.aio(...)`` too)."""
    for c in calls:
        if not isinstance(c, FunctionCall):
            raise InvalidError(f"gather() takes FunctionCalls (from .spawn()), not {c!r}")
    from ._shared.aio import run_sync

    return run_sync(_gather(calls))


async def _gather_aio(*calls: FunctionCall) -> list:
    from ._shared.aio import run_async

    return await run_async(_gather(calls))


gather.aio = _gather_aio
