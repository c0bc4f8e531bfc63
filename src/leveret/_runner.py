"""An ephemeral run of an App: create it on the server, ship its functions, follow its logs, stop it.

    RunContext.__enter__ ─▶ AppCreate ─▶ per function: mount (content-addressed) + FunctionCreate
                        ─▶ logs follower + heartbeat tasks
    RunContext.__exit__  ─▶ AppStop (cancels what is outstanding, says how much) ─▶ drain logs
"""

from __future__ import annotations

import asyncio
import json
import os
import sys

from . import _serialization as ser
from ._client import Client
from ._shared.mounts import code_source, sha256
from ._output import LogPrinter
from ._shared.aio import run_async, run_sync
from ._traceback import install_excepthook
from .exception import InvalidError

HEARTBEAT_S = 15.0
LOG_DRAIN_S = 2.0


class RunContext:
    def __init__(self, app, *, show_logs: bool = True, description: str | None = None, printer: LogPrinter | None = None,
                 detach: bool = False, environment: str | None = None):
        self.app = app
        self.detach = detach   # the app outlives this client (`leveret run --detach`)
        self.environment = environment   # None: LEVERET_ENVIRONMENT's, the profile's, or the default
        from ._output import output_enabled

        self.show_logs = show_logs or output_enabled()
        self.description = description or " ".join(sys.argv)
        self.printer = printer or LogPrinter()
        self.app_id: str | None = None
        self.cancelled_inputs = 0
        self.stop_reason = ""
        self._client: Client | None = None
        self._logs_task: asyncio.Task | None = None
        self._heartbeat_task: asyncio.Task | None = None
        self._logs_following = None

    # sync and async context manager, one implementation
    def __enter__(self):
        install_excepthook()   # (a script's remote exception: one traceback, its own frames)
        run_sync(self._start())
        return self.app

    def __exit__(self, exc_type, exc, tb):
        run_sync(self._stop(exc_type))
        return False

    async def __aenter__(self):
        await run_async(self._start())
        return self.app

    async def __aexit__(self, exc_type, exc, tb):
        await run_async(self._stop(exc_type))
        return False

    async def _start(self) -> None:
        from ._wire import api_pb2 as pb

        if self.app._running is not None:
            raise InvalidError(f"app {self.app.name!r} is already running: `with app.run()` cannot be nested")
        self._client = client = await Client.get()
        name = self.app.name or _default_name()
        from . import config

        resp = await client.call("AppCreate", pb.AppCreateRequest(name=name, description=self.description,
                                                                  detach=self.detach,
                                                                  environment=self.environment or config.environment()))
        self.app_id = resp.app_id
        self.app._running = self
        try:
            if self.show_logs:
                self._logs_following = asyncio.get_running_loop().create_future()
                self._logs_task = asyncio.ensure_future(self._follow_logs())
                await asyncio.wait_for(asyncio.shield(self._logs_following), 5)
            self._heartbeat_task = asyncio.ensure_future(self._heartbeat())
            for fn in self.app.registered_functions.values():
                definition = await function_definition(client, fn)
                r = await client.call("FunctionCreate", pb.FunctionCreateRequest(app_id=self.app_id, definition=definition))
                _hydrated(fn, r, client)
            from . import _progress

            if _progress.current is not None:
                functions = self.app.registered_functions.values()
                urls = {what: url for f in functions for what, url in f._named_web_urls().items()}
                _progress.current.created(name, self.app_id, [(f._name, f._function_id) for f in functions], urls)
        except BaseException:
            await self._stop(BaseException)
            raise

    async def _follow_logs(self) -> None:
        """Print the app's log lines as they come; after a reconnect, follow on from the last one."""
        import grpc

        from ._wire import api_pb2 as pb

        last_seq = 0
        try:
            while True:
                generation = self._client.generation
                stream = self._client.stub.LogsStream(pb.LogsStreamRequest(
                    app_id=self.app_id, follow=True, history=True, after_seq=last_seq))
                try:
                    async for resp in stream:
                        if not self._logs_following.done():
                            self._logs_following.set_result(None)
                        if resp.lines:
                            last_seq = resp.lines[-1].seq or last_seq
                            self.printer.print_lines(resp.lines)
                        if resp.app_done:
                            return
                    return
                except grpc.aio.AioRpcError as err:
                    if not self._client.gone(err):
                        raise self._client.translate(err) from None
                except asyncio.CancelledError:
                    stream.cancel()
                    raise
                await self._client.reconnect(generation)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # logs are best effort; results still arrive
            print(f"leveret: stopped following logs: {exc}", file=sys.stderr)
        finally:
            if not self._logs_following.done():
                self._logs_following.set_result(None)

    async def _heartbeat(self) -> None:
        from ._wire import api_pb2 as pb

        while True:
            await asyncio.sleep(HEARTBEAT_S)
            try:
                await self._client.call("AppHeartbeat", pb.AppHeartbeatRequest(app_id=self.app_id))
            except Exception:
                pass

    async def _stop(self, exc_type) -> None:
        from ._wire import api_pb2 as pb

        for fn in self.app.registered_functions.values():
            fn._forget()
        self.app._running = None
        if self.app_id is None:
            return
        if exc_type is KeyboardInterrupt:
            reason = "interrupted (Ctrl-C)"
        elif exc_type is not None:
            reason = "its client raised an exception"
        else:
            reason = "the run finished"
        self.stop_reason = reason
        try:
            if self.detach and exc_type is None:   # it runs on: the server stops it once its calls are done
                print(f"leveret: app {name_of(self.app)} ({self.app_id}) runs on detached: `leveret app logs"
                      f" {self.app_id}` follows it, `leveret app stop {self.app_id}` stops it", file=sys.stderr)
            else:
                resp = await self._client.call("AppStop", pb.AppStopRequest(app_id=self.app_id, reason=reason))
                self.cancelled_inputs = resp.cancelled_inputs
        finally:
            if self._heartbeat_task is not None:
                self._heartbeat_task.cancel()
            if self._logs_task is not None:  # the server ends the stream once the app stopped
                _, pending = await asyncio.wait({self._logs_task}, timeout=LOG_DRAIN_S)
                for t in pending:
                    t.cancel()
            self._heartbeat_task = self._logs_task = None


async def replace_functions(app, app_id: str) -> None:
    """Send ``app``'s functions, as its code now defines them, to the running app ``app_id`` in place
    of those of their names (`leveret serve` reloading); each is hydrated with its id there (the one
    it had if its definition did not change) and its web URL."""
    from ._wire import api_pb2 as pb

    client = await Client.get()
    for fn in app.registered_functions.values():
        definition = await function_definition(client, fn)
        r = await client.call("FunctionCreate", pb.FunctionCreateRequest(app_id=app_id, definition=definition,
                                                                         replace=True))
        _hydrated(fn, r, client)


async def container_definition(client: Client, opts):
    """What a container of these options runs on and with (a function's or a sandbox's): image,
    resources, secrets (by id), volumes (looked up, or made, now: a missing one fails before
    anything starts)."""
    from ._wire import api_pb2 as pb
    from .cloud_bucket_mount import CloudBucketMount
    from .secret import secret_ids

    d = pb.FunctionDefinition(
        cpu=opts.cpu, memory_mb=opts.memory_mb, block_network=opts.block_network,
        secret_ids=await secret_ids(opts.secrets, client), cpu_request=opts.cpu_request,
        memory_request_mb=opts.memory_request_mb, selector={"region": opts.region} if opts.region else {},
        gpu_type=opts.gpu_type, gpu_count=opts.gpu_count, ephemeral_disk_mb=opts.ephemeral_disk_mb,
        image=await _image_json(client, opts.image) if opts.image is not None else "")
    for path, vol in opts.volumes:
        if isinstance(vol, CloudBucketMount):   # its secret by id: the server gives its values to the worker only
            d.bucket_mounts.add(path=path, bucket_name=vol.bucket_name, endpoint_url=vol.bucket_endpoint_url or "",
                                key_prefix=vol.key_prefix or "", read_only=vol.read_only,
                                secret_id=await vol._secret_id(client), force_path_style=vol.force_path_style)
            continue
        await vol._live(client)
        d.volume_mounts.add(path=path, volume_id=vol.object_id, read_only=vol._read_only, sub_path=vol._sub_path)
    return d


def _web_endpoint(w):
    from ._wire import api_pb2 as pb

    return pb.WebEndpoint(kind=w.kind, method=w.method, label=w.label, docs=w.docs,
                          requires_proxy_auth=w.requires_proxy_auth, port=w.port, startup_timeout_s=w.startup_timeout)


def _hydrated(fn, r, client) -> None:
    """``fn`` as FunctionCreate made it: its id, its web URL(s)."""
    fn._hydrate(r.function_id, client)
    fn._web_url = r.web_url or None
    fn._web_urls = dict(r.web_urls)


async def function_definition(client: Client, fn):
    """What the server needs to run ``fn``: its options, and its code uploaded as a mount."""
    from ._wire import api_pb2 as pb

    raw = fn.get_raw_f()
    opts = fn._options
    d = await container_definition(client, opts)
    d.MergeFrom(pb.FunctionDefinition(
        name=fn._name, is_generator=fn.is_generator, is_async=asyncio.iscoroutinefunction(raw),
        scaledown_window_s=opts.scaledown_window, max_containers=opts.max_containers or 0, timeout_s=opts.timeout,
        startup_timeout_s=opts.startup_timeout, min_containers=opts.min_containers,
        buffer_containers=opts.buffer_containers, max_inputs=opts.max_inputs, target_inputs=opts.target_inputs,
        batch_max_size=opts.batch_max_size, batch_wait_ms=opts.batch_wait_ms,
        schedule=json.dumps(opts.schedule.to_spec(), sort_keys=True) if opts.schedule is not None else ""))
    if opts.web is not None:
        d.web.CopyFrom(_web_endpoint(opts.web))
    for name, config in fn._web_methods.items():
        d.web_methods[name].CopyFrom(_web_endpoint(config))
    if fn._class_methods is not None:   # an @app.cls: its containers run the methods an input names
        d.class_name = raw.__qualname__
        d.methods.update(fn._class_methods)
    if opts.retries is not None:
        r = opts.retries
        d.retries.CopyFrom(pb.RetryPolicy(max_retries=r.max_retries, backoff_coefficient=r.backoff_coefficient,
                                          initial_delay_s=r.initial_delay, max_delay_s=r.max_delay))
    if opts.serialized:
        d.module = raw.__module__
        try:
            d.serialized_function = ser.serialize(raw)
        except Exception as exc:
            raise InvalidError(f"{fn._name} could not be serialized with cloudpickle: {exc}") from exc
        return d
    src = code_source(raw)
    d.module = src.module
    d.mount_id = await _mount(client, src.files)
    return d


async def _image_json(client: Client, image) -> str:
    """The image as workers get it: local files uploaded (content-addressed) as add_files steps."""
    from .image import steps_for_workers
    from .secret import secret_ids

    async def secret_id(secret) -> str:
        return (await secret_ids([secret], client))[0]

    steps = await steps_for_workers(image, lambda files: _mount(client, files), secret_id)
    return json.dumps(steps, sort_keys=True, separators=(",", ":"))


async def _mount(client: Client, files) -> str:
    from ._wire import api_pb2 as pb

    shas = [sha256(content) for _, content, _ in files]
    missing = set((await client.call("MountGetMissing", pb.MountGetMissingRequest(sha256=shas))).missing)
    req = pb.MountCreateRequest(files=[
        pb.MountFile(path=path, sha256=sha, mode=mode, content=content if sha in missing else b"")
        for (path, content, mode), sha in zip(files, shas)])
    return (await client.call("MountCreate", req)).mount_id


def _default_name() -> str:
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    return os.path.splitext(os.path.basename(path))[0] if path else "app"


def name_of(app) -> str:
    return app.name or _default_name()
