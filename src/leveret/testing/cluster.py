"""An in-process cluster: the real gRPC server on port 0 over a temporary SQLite store (or the
store at ``db``, e.g. ``postgresql://...``), and a real worker agent, both on the SDK's background
event loop. Containers are real processes (or a fake runtime). The SDK in the same process is
pointed at it through LEVERET_SERVER_URL / LEVERET_TOKEN.

    with Cluster(tmp_path) as cluster:
        with app.run():
            assert f.remote(2) == 4

The server runs on ``clock`` (default: the system's). On a ``FakeClock`` its time moves only with
``cluster.jump(seconds)``: scale-down windows, leases, schedules, crash-loop hold-offs and the
retention pass without a test waiting for them. Start one at the real time,
``FakeClock(time.time())``: workers stamp their log lines with theirs.
"""

from __future__ import annotations

import asyncio
import os
import secrets

from .. import _client
from .._shared.aio import run_sync
from ..worker.runtime import ContainerRuntime, get_runtime


class Cluster:
    def __init__(self, directory: str, *, runtime: ContainerRuntime | str = "process", max_containers: int = 4,
                 warm_containers: int = 0, warm_sandboxes: int = 0, db: str | None = None, worker_lease_s: float | None = None,
                 start_worker: bool = True, gpus=0, gpu_type: str = "", cdi_dirs=None, worker_metrics: bool = False,
                 call_retention_s: float | None = None, container_disk_mb: int = 0,
                 disk_reserve_mb: int | None = None, clock=None, cpu: float = 0.0,
                 gateway_listen: str = "127.0.0.1:0", gateway_tls: tuple[str, str] | None = None,
                 host_network: bool = False, user_namespaces: bool = True, tls: tuple[str, str] | None = None,
                 ca: str | None = None):
        self.directory = str(directory)
        self.tls = tls   # as leveret server --tls-cert/--tls-key: every side over TLS, its URL https://
        self.ca = ca     # the CA its clients (LEVERET_CA, while it runs) and its worker (--ca) trust it by
        self.clock = clock   # the server's time; None: the system's (server/clock.py)
        self.db = db or os.path.join(self.directory, "state.db")
        # For a runtime named here: a container's default disk (as --container-disk) and what the
        # worker keeps free of its own disk (as --disk-reserve).
        self.runtime = (get_runtime(runtime, os.path.join(self.directory, "worker"), disk_mb=container_disk_mb,
                                    disk_reserve_mb=disk_reserve_mb)
                        if isinstance(runtime, str) else runtime)
        if isinstance(runtime, str) and self.runtime.disks is not None and not container_disk_mb:
            self.runtime.disks.fit_default(max_containers + warm_containers)   # as `leveret worker` does
        self.max_containers = max_containers
        self.warm_containers = warm_containers
        self.warm_sandboxes = warm_sandboxes   # as --warm-sandboxes (leveret worker's default: 2)
        self.worker_lease_s = worker_lease_s
        self.call_retention_s = call_retention_s   # as leveret server --call-retention (default 7d)
        self.start_worker = start_worker
        # what the worker offers: N of a type (as --gpus / --gpu-type), or a gpus.Inventory (NVML's,
        # a fake's); where it finds their CDI spec (as --cdi-dir)
        self.gpus, self.gpu_type, self.cdi_dirs = gpus, gpu_type, cdi_dirs
        self.cpu = cpu   # cores the worker offers the scheduler (0: the host's)
        self.worker_metrics = worker_metrics   # the worker serves /metrics on a free port (as --metrics)
        self.gateway_listen, self.gateway_tls = gateway_listen, gateway_tls   # as --gateway-listen, --gateway-tls
        self.host_network = host_network   # as leveret worker --host-network
        self.user_namespaces = user_namespaces   # False: as leveret worker --no-user-namespace
        self.token = secrets.token_urlsafe(16)
        self.server = None
        self.agent = None
        self._agent_task: asyncio.Task | None = None
        self._saved_env: dict[str, str | None] = {}

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def http_url(self) -> str:
        """The server's HTTP side: /metrics (the cluster's token), /healthz."""
        return self.server.http_url

    @property
    def worker_metrics_url(self) -> str:
        """The worker's /metrics, with ``worker_metrics=True``."""
        return self.agent.metrics_url

    @property
    def dispatcher(self):
        return self.server.dispatcher

    def __enter__(self) -> "Cluster":
        run_sync(self._start())
        for key, value in (("LEVERET_SERVER_URL", self.url), ("LEVERET_TOKEN", self.token)) + \
                ((("LEVERET_CA", self.ca),) if self.ca else ()):
            self._saved_env[key] = os.environ.get(key)
            os.environ[key] = value
        _client.reset()
        return self

    def __exit__(self, *exc) -> None:
        run_sync(self._stop())
        for key, value in self._saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        _client.reset()

    async def _start(self, port: int = 0) -> None:
        from ..server.main import Server

        os.makedirs(self.directory, exist_ok=True)
        extra = {"worker_lease_s": self.worker_lease_s} if self.worker_lease_s else {}
        if self.clock is not None:
            extra["clock"] = self.clock
        if self.call_retention_s is not None:
            extra["call_retention_s"] = self.call_retention_s
        self.server = await Server.start(listen=f"127.0.0.1:{port}", db=self.db, token=self.token,
                                         gateway_listen=self.gateway_listen, gateway_tls=self.gateway_tls, tls=self.tls,
                                         **extra)
        if self.start_worker:
            await self._start_agent()

    def restart_server(self) -> None:
        """Stop the server (and the worker) and start them again on the same port and store, as an
        operator's restart would."""

        async def restart() -> None:
            port = self.server.port
            await self._stop()
            await self._start(port)

        run_sync(restart())

    def add_worker(self, token: str | None = None) -> None:
        """Start the cluster's worker now (for a cluster made with ``start_worker=False``), with the
        server's token or ``token`` (a worker's own, from ``run_sync(server.tokens.create(name))``)."""
        run_sync(self._start_agent(token))

    async def _start_agent(self, token: str | None = None) -> None:
        from ..worker.agent import Agent

        self.agent = Agent(self.server.url, token or self.token, self.runtime, os.path.join(self.directory, "worker"),
                           max_containers=self.max_containers, stop_grace_s=0.5,
                           warm_containers=self.warm_containers, warm_sandboxes=self.warm_sandboxes, gpus=self.gpus, gpu_type=self.gpu_type,
                           cdi_dirs=self.cdi_dirs, metrics_listen="127.0.0.1:0" if self.worker_metrics else "", cpu=self.cpu,
                           host_network=self.host_network, user_namespaces=self.user_namespaces, ca=self.ca)
        self._agent_task = asyncio.ensure_future(self.agent.run())
        # Registered, and serving its /metrics if asked (which it starts after registering).
        up = self.agent.metrics_started if self.worker_metrics else self.agent.registered
        ready = asyncio.ensure_future(up.wait())
        await asyncio.wait({ready, self._agent_task}, timeout=30, return_when=asyncio.FIRST_COMPLETED)
        if not ready.done():
            ready.cancel()
            if self._agent_task.done():
                self._agent_task.result()   # why it ended
            raise RuntimeError("the in-process worker did not register with the in-process server")

    async def _stop(self) -> None:
        if self._agent_task is not None:
            self._agent_task.cancel()
            await asyncio.gather(self._agent_task, return_exceptions=True)
            await self.agent.shutdown()
            self._agent_task = None
        if self.server is not None:
            await self.server.stop(grace=0.1)

    def stop_container(self, container_id: str) -> None:
        """Stop a container as `leveret container stop` does (its running inputs go elsewhere)."""
        from .._wire import api_pb2 as pb
        from .._wire.channel import open_channel

        async def stop() -> None:
            channel, stub = open_channel(self.url, self.token)
            try:
                await stub.ContainerStop(pb.ContainerStopRequest(container_id=container_id))
            finally:
                await channel.close()

        run_sync(stop())

    def stop_app(self, app_id: str, reason: str = "stopped by a test") -> None:
        """Stop an app as `leveret app stop` does (a deployed one's containers run @exit, then end)."""
        from .._wire import api_pb2 as pb
        from .._wire.channel import open_channel

        async def stop() -> None:
            channel, stub = open_channel(self.url, self.token)
            try:
                await stub.AppStop(pb.AppStopRequest(app_id=app_id, reason=reason))
            finally:
                await channel.close()

        run_sync(stop())

    def jump(self, seconds: float) -> None:
        """Move the server's clock (a FakeClock) ``seconds`` on, on the server's loop: the periodic
        pass runs at each second on the way, as it would have, and what it wrote is stored before
        the next (as a second is plenty for the store's writer), as is what was written before the
        jump; what the jump woke (the retention pass) runs after it, so wait for what it does with
        ``wait_for`` or ``wait_stored``. Workers and clients send their heartbeats in real time: a
        jump past a worker's lease (30 s) or a run's heartbeat timeout (60 s) lets them go, as that
        much silence would."""
        if not hasattr(self.clock, "jump"):
            raise TypeError("Cluster.jump moves a fake clock: make the cluster with"
                            " Cluster(..., clock=FakeClock(time.time()))")
        from ..server.dispatch import TICK_S

        async def jump():
            writes = self.dispatcher.writes
            await writes.settled()   # stamped with the time before the jump
            left = seconds
            while left > 0:
                step = min(left, TICK_S)
                self.clock.jump(step)
                left -= step
                await writes.settled()   # a pass's writes (a tick claimed), and what their answers start
            await asyncio.sleep(0)

        run_sync(jump())

    # What the server holds, as its read views (server/views.py) say: what tests check.

    def containers(self, app: str = "") -> list:
        """The running containers (of ``app``, a name or id), oldest first: views.ContainerView."""
        from ..server import views

        return views.containers(self.dispatcher, app, self.dispatcher.clock.time())

    def function(self, app: str, name: str):
        """A running function, as `leveret function describe` sees it: views.FunctionView."""
        from ..server import views

        return views.describe(self.dispatcher, app, name, self.dispatcher.clock.time())

    def workers(self) -> list:
        """The connected workers: views.WorkerView."""
        from ..server import views

        return views.workers(self.dispatcher, self.dispatcher.clock.time())

    def totals(self):
        """How many apps, calls, containers and workers the server holds: views.Totals."""
        from ..server import views

        return views.totals(self.dispatcher)

    def stored(self, op, *args, **kwargs):
        """What the store holds: ``op(store, *args, **kwargs)`` on the server's store reader, after
        the writes queued so far, e.g. ``cluster.stored(Store.get_logs, app_id)``."""
        return run_sync(self.dispatcher.reads.run(op, *args, **kwargs))

    def wait_stored(self, predicate, op, *args, timeout: float = 10.0):
        """Wait until ``predicate(found)`` is true of what ``stored(op, *args)`` finds; return that."""

        async def wait():
            loop = asyncio.get_running_loop()
            deadline = loop.time() + timeout
            while not predicate(found := await self.dispatcher.reads.run(op, *args)):
                if loop.time() > deadline:
                    raise TimeoutError(f"the store did not hold what was expected within {timeout} s: {found!r}"[:2000])
                await asyncio.sleep(0.01)
            return found

        return run_sync(wait())

    def wait_for(self, predicate, timeout: float = 10.0) -> None:
        """Wait until ``predicate(dispatcher)`` is true, checked on the loop after each change."""

        async def wait():
            loop = asyncio.get_running_loop()
            deadline = loop.time() + timeout
            while not predicate(self.dispatcher):
                if loop.time() > deadline:
                    raise TimeoutError(f"condition not met within {timeout} s")
                await asyncio.sleep(0.01)

        run_sync(wait())
