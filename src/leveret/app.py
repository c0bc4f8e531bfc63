"""``App``: a set of functions run (or, later, deployed) together, and its local entrypoints."""

from __future__ import annotations

from . import _concurrency, _function_options
from . import web as _web
from .exception import InvalidError
from .function import Function

TYPE_CHECKING = False   # typing costs milliseconds to import, and containers import this module
if TYPE_CHECKING:
    from typing import Callable


class LocalEntrypoint:
    """A function that runs on your machine and drives remote functions (``leveret run FILE``)."""

    def __init__(self, raw_f: Callable, app: "App"):
        self.raw_f = raw_f
        self.app = app
        self.name = raw_f.__name__

    def __call__(self, *args, **kwargs):
        return self.raw_f(*args, **kwargs)


class App:
    """A set of functions run together: ``leveret run`` makes an ephemeral copy that stops when the run ends."""

    def __init__(self, name: str | None = None, *, image=None, secrets=None, volumes=None, include_source: bool | None = None):
        if name is not None and (not isinstance(name, str) or not name.strip()):
            raise InvalidError(f"App name must be a non-empty string, e.g. App('etl'), not {name!r}")
        from .image import Image

        if image is not None and not isinstance(image, Image):
            raise InvalidError(f"App(image=...) takes a leveret.Image, e.g. leveret.Image.debian_slim(), not {image!r}")
        self.image = image   # the default image of the app's functions
        from .secret import check_secrets

        check_secrets(secrets)   # refuses what is not a Secret, here rather than at the first function
        self.secrets = list(secrets or [])   # every function of the app gets these
        _function_options.check_volumes("App", volumes)
        self.volumes = dict(volumes or {})   # every function of the app mounts these (its own volumes= win)
        if include_source:
            raise _function_options.NotImplementedOptionError("App(include_source=...) is not supported yet; remove"
                                                               " `include_source=`")
        self.name = name
        self.registered_functions: dict[str, Function] = {}
        self.registered_entrypoints: dict[str, LocalEntrypoint] = {}
        self._running = None

    def __repr__(self) -> str:
        return f"<leveret.App {self.name!r}>"

    @property
    def app_id(self) -> str | None:
        return self._running.app_id if self._running else None

    def function(self, _warn_parentheses_missing=None, *, image=None, schedule=None, secrets=None, gpu=None,
                 serialized: bool = False, network_file_systems=None, volumes=None, cpu=None, memory=None,
                 ephemeral_disk=None, min_containers=None, max_containers=None, buffer_containers=None,
                 scaledown_window=None, proxy=None, retries=None, timeout=None, startup_timeout=None,
                 cloud=None, region=None, enable_memory_snapshot: bool = False, block_network: bool = False,
                 i6pn=None, single_use_containers: bool = False, max_inputs=None, name: str | None = None):
        """Register a function to run in containers: ``@app.function()``."""
        if _warn_parentheses_missing is not None:
            raise InvalidError("use @app.function() with parentheses, not @app.function")
        unset = dict(network_file_systems=network_file_systems, proxy=proxy, cloud=cloud,
                     enable_memory_snapshot=enable_memory_snapshot, i6pn=i6pn,
                     single_use_containers=single_use_containers, max_inputs=max_inputs)

        def wrapper(f: Callable) -> Function:
            if isinstance(f, Function):
                raise InvalidError(f"{f._name} is already a leveret Function: decorate it once")
            if not callable(f):
                raise InvalidError(f"@app.function() decorates a function, not {f!r}")
            fname = name or f.__qualname__
            if "<locals>" in fname and not serialized:
                raise InvalidError(
                    f"{fname} is defined inside another function, so a container cannot import it:"
                    " define it at module level, or pass serialized=True")
            options = _function_options.validate(fname, serialized=serialized, scaledown_window=scaledown_window,
                                                 max_containers=max_containers, cpu=cpu, memory=memory,
                                                 block_network=block_network, image=image or self.image,
                                                 timeout=timeout, secrets=[*self.secrets, *(secrets or [])],
                                                 retries=retries, startup_timeout=startup_timeout,
                                                 min_containers=min_containers, buffer_containers=buffer_containers,
                                                 concurrency=_concurrency.of(f), batching=_concurrency.batching_of(f),
                                                 web=_web.of(f),
                                                 region=region, schedule=schedule,
                                                 gpu=gpu, ephemeral_disk=ephemeral_disk,
                                                 volumes={**self.volumes, **volumes} if isinstance(volumes, dict)
                                                 else volumes or self.volumes,
                                                 unset=unset)
            if fname in self.registered_functions:
                raise InvalidError(f"app {self.name!r} already has a function named {fname!r}: rename one of them")
            fn = Function(f, app=self, name=fname, options=options)
            self.registered_functions[fname] = fn
            return fn

        return wrapper

    def cls(self, _warn_parentheses_missing=None, *, image=None, secrets=None, gpu=None, serialized: bool = False,
            network_file_systems=None, volumes=None, cpu=None, memory=None, ephemeral_disk=None,
            min_containers=None, max_containers=None, buffer_containers=None, scaledown_window=None, proxy=None,
            retries=None, timeout=None, startup_timeout=None, cloud=None, region=None,
            enable_memory_snapshot: bool = False, block_network: bool = False, i6pn=None,
            single_use_containers: bool = False, max_inputs=None):
        """Register a class whose containers each hold one instance: ``@app.cls()`` (cls.py)."""
        if _warn_parentheses_missing is not None:
            raise InvalidError("use @app.cls() with parentheses, not @app.cls")
        options = {k: v for k, v in locals().items() if k not in ("self", "_warn_parentheses_missing")}

        def wrapper(user_cls):
            from .cls import Cls, methods_of, web_methods_of

            if not isinstance(user_cls, type):
                raise InvalidError(f"@app.cls() decorates a class, not {user_cls!r}")
            if not methods_of(user_cls) and not web_methods_of(user_cls):
                raise InvalidError(f"{user_cls.__qualname__} has no @leveret.method(): mark the methods to call remotely"
                                   " (or make one a web endpoint: @leveret.fastapi_endpoint(), @leveret.asgi_app(), ...)")
            if _concurrency.batching_of(user_cls)[0] and len(methods_of(user_cls)) > 1:
                raise InvalidError(f"{user_cls.__qualname__} has a @leveret.batched method beside others: a class"
                                   " with a batched method has that one method only (its containers run batches)")
            fn = self.function(**options)(user_cls)
            fn._class_methods = methods_of(user_cls)
            fn._web_methods = web_methods_of(user_cls)
            return Cls(user_cls, fn)

        return wrapper

    def local_entrypoint(self, _warn_parentheses_missing=None, *, name: str | None = None):
        """Register a function that runs locally and calls remote ones: ``@app.local_entrypoint()``."""
        if _warn_parentheses_missing is not None:
            raise InvalidError("use @app.local_entrypoint() with parentheses, not @app.local_entrypoint")

        def wrapper(f: Callable) -> LocalEntrypoint:
            if not callable(f):
                raise InvalidError(f"@app.local_entrypoint() decorates a function, not {f!r}")
            ep = LocalEntrypoint(f, self)
            self.registered_entrypoints[name or f.__name__] = ep
            return ep

        return wrapper

    @classmethod
    def lookup(cls, name: str, *, create_if_missing: bool = False, environment_name: str | None = None) -> "App":
        """A deployed app, by its name (``create_if_missing``: deployed empty if there is none): its
        ``app_id`` set, to hand to what takes an app."""
        if not isinstance(name, str) or not name.strip():
            raise InvalidError(f"App.lookup takes an app's name, not {name!r}")
        from ._shared.aio import run_sync

        return run_sync(_lookup(cls, name, create_if_missing, environment_name))

    def include(self, other: "App", inherit_tags: bool = True) -> "App":
        """Add ``other``'s functions and local entrypoints to this app (run or deployed with it)."""
        if not isinstance(other, App):
            raise InvalidError(f"app.include() takes a leveret.App, not {other!r}")
        for fname, fn in other.registered_functions.items():
            mine = self.registered_functions.get(fname)
            if mine is not None and mine is not fn:
                raise InvalidError(f"app {self.name!r} already has a function named {fname!r}, and so does"
                                   f" {other.name!r}: rename one of them")
            self.registered_functions[fname] = fn
            fn._app = self
        self.registered_entrypoints.update(other.registered_entrypoints)
        return self

    def deploy(self, *, name: str | None = None, environment_name: str | None = None):
        """Deploy the app: the next version of the named app ``name`` (default: the app's name), live
        until stopped or replaced, in ``environment_name`` (default: LEVERET_ENVIRONMENT, the
        profile's, else "main"). Its functions can then be called from anywhere with
        ``leveret.Function.from_name(name, function_name, environment_name=...)``; schedules fire."""
        from ._deploy import deploy

        return deploy(self, name, environment_name)

    def run(self, *, show_logs: bool = True, description: str | None = None, detach: bool = False,
            interactive: bool = False, client=None, environment_name: str | None = None):
        """Run the app ephemerally for the ``with`` block: ``with app.run(): f.remote(1)``.
        ``detach``: the app runs on after the block (and this process) ends, until its calls are
        done or it is stopped. ``interactive`` is accepted (output goes to this terminal either way)."""
        from ._runner import RunContext

        if client is not None:
            raise _function_options.NotImplementedOptionError(
                "app.run(client=...) is not supported yet: runs use this process's server")
        return RunContext(self, show_logs=show_logs, description=description, detach=detach,
                          environment=environment_name)


class _LookedUp:
    """What App.lookup hands to App: the deployed app's id (as a run's would be)."""

    def __init__(self, app_id: str):
        self.app_id = app_id


async def _lookup(cls, name: str, create_if_missing: bool, environment_name: str | None = None) -> App:
    from ._client import Client
    from ._wire import api_pb2 as pb
    from .exception import NotFoundError

    client = await Client.get()
    if not isinstance(client, Client):
        from .exception import NotImplementedOptionError

        raise NotImplementedOptionError("App.lookup from inside a function's container is not supported yet (nor are"
                                        " sandboxes there): look the app up, and create its sandboxes, in the program"
                                        " that runs this one")
    try:
        from . import config
        from ._shared.names import qualified

        found = await client.call("AppLookup", pb.AppLookupRequest(
            name_or_id=qualified(name, environment_name or config.environment())))
        if found.state != pb.APP_STATE_DEPLOYED:
            raise NotFoundError(name)
        app_id = found.app_id
    except NotFoundError:
        if not create_if_missing:
            raise NotFoundError(f"no deployed app named {name!r}: deploy one (`leveret deploy`), or"
                                " App.lookup(name, create_if_missing=True)") from None
        from ._deploy import deploy_app

        app_id = (await deploy_app(cls(name), name, description="App.lookup(create_if_missing=True)",
                                   environment=environment_name)).app_id
    app = cls(name)
    app._running = _LookedUp(app_id)
    return app
