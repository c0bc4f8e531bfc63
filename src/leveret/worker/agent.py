"""The worker agent: one stream to the server carries everything both ways (link.py keeps it up,
reconnecting whenever it breaks).

    server ─ServerToWorker─▶ link.py, convert.py ─▶ Assignment │ Inputs │ Stop │ CancelInputs │ FeedInput ─▶ ContainerTask
    ContainerTask ─▶ Results │ ContainerEvent │ log lines (batched) ─▶ convert.py ─WorkerToServer─▶ server

It works on its own types (model.py); protobuf stays in link.py, convert.py and rpc.py.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import shutil
import socket
import tempfile

from . import model as m
from . import reattach
from .execs import ExecSession
from .gpus import Inventory, Pool
from .logflow import LogBuffer, Run
from .runtime import ContainerRuntime
from .sandbox_warm import WarmSandboxes
from .task_runner import ContainerTask
from .workdir import fresh_socket_dir, socket_dir_for
from .volumes import VolumeMounts
from .buckets import BucketMounts

log = logging.getLogger("leveret.worker")

LOG_FLUSH_S = 0.005
LOG_BATCH_MAX = 2000
LOG_BATCH_BYTES = 1024 * 1024   # of text per batch: long lines make fewer lines a batch
LOG_IN_FLIGHT = 2               # log batches sent and not yet stored by the server; the rest wait here
HEARTBEAT_S = 10.0
WARM_CONTAINERS = 1  # started ahead of need, on the default image: a new function skips the cold start
WARM_SANDBOXES = 2   # started ahead for sandboxes like the last one (sandbox_warm.py), on isolating runtimes
WARM_IMAGES = 2      # images whose function's container ended that keep a warm container (its imports made)
POOL_RETRY_S = 5.0   # a warm container that died is replaced after this long (no crash loop)
PIDS_LIMIT = 4096    # processes per container (a fork bomb stops there)
STOP_GRACE_S = 5.0   # a stopping container gets this long, then SIGTERM, then as long again, then SIGKILL
METRICS_AFTER_S = 1.0   # --metrics starts once registered, or after this long (its server may be away)


class Agent:
    def __init__(self, server_url: str, token: str, runtime: ContainerRuntime, workdir: str,
                 *, max_containers: int | None = None, stop_grace_s: float = STOP_GRACE_S,
                 warm_containers: int = WARM_CONTAINERS, warm_sandboxes: int = WARM_SANDBOXES, labels: dict | None = None,
                 gpus: "int | Inventory" = 0, gpu_type: str = "", cdi_dirs=None, metrics_listen: str = "",
                 cpu: float = 0.0, chunks_over_rpc: bool = False,
                 host_network: bool = False, user_namespaces: bool = True, ca: str | None = None):
        self.server_url = server_url
        self.ca = ca   # the CA file it trusts an https:// server by (--ca; else LEVERET_CA, else the system's)
        self._publish_address = ""   # where its containers' published ports listen (port_publish.toward)
        self.token = token
        self.runtime = runtime
        if runtime.networks is not None:   # what a container's egress allowlist refused: for its logs
            runtime.networks.on_denied = self._network_denied
        self.workdir = workdir
        self.max_containers = max_containers or max(8, 4 * (os.cpu_count() or 1))
        self.stop_grace_s = stop_grace_s
        self.warm_containers = warm_containers
        self.labels = dict(labels or {})   # what functions may select (region=...)
        # its GPUs: NVML's inventory (gpus.discover), or N of a type as told (--gpus, --gpu-type)
        inventory = gpus if isinstance(gpus, Inventory) else Inventory.told(gpus, gpu_type)
        self.gpu_pool = Pool(inventory, runtime, cdi_dirs)
        self.gpus = self.gpu_pool.count
        self.gpu_type = gpu_type.upper() or inventory.type
        self.cpu = cpu or float(os.cpu_count() or 1)   # cores it offers the scheduler (default: the host's)
        self.pool: list[ContainerTask] = []   # warm containers waiting for a function
        self.warm_sandboxes = WarmSandboxes(self, warm_sandboxes if runtime.isolated else 0)
        self._stopping = False
        self.pids_limit = PIDS_LIMIT
        # Functions' containers get networks of their own where the runtime isolates (runtime/network.py),
        # unless the worker was told to keep them on its host's (--host-network)
        self.private_networks = runtime.isolated and runtime.networks is not None and not host_network
        # and user namespaces (root inside an unprivileged uid outside), unless told not to (--no-user-namespace)
        self.user_namespaces = runtime.supports_userns and user_namespaces
        self._images = None
        self.tasks: dict[str, ContainerTask] = {}
        self.worker_id = ""
        self._outbox: asyncio.Queue = asyncio.Queue()
        self.log_buffer = LogBuffer()
        self._logs_in_flight = 0
        self._log_flush: asyncio.TimerHandle | None = None
        self._mounts: dict[str, asyncio.Future] = {}
        self.socket_dir = socket_dir_for(workdir)   # emptied at start: a killed worker leaves its sockets
        self.volumes = VolumeMounts(workdir, over_rpc=chunks_over_rpc)   # containers' volume mounts, and the chunks they came from (volumes.py)
        self.buckets = BucketMounts(workdir)   # containers' cloud buckets, each mounted by s3fs (buckets.py)
        self.server = None   # the server's calls beside the stream (rpc.ServerCalls), set by the link
        self.direct_addresses: list = []   # where the server's direct port is, once told (direct_handover.py)
        self.registered = asyncio.Event()
        self.heartbeat_s = HEARTBEAT_S   # the server says how often, below its lease
        self._execs: dict[str, ExecSession] = {}   # commands run in containers (leveret container exec)
        self.metrics_listen = metrics_listen   # HOST:PORT of its /metrics ("": none; port 0: a free one)
        self.metrics_url = ""                  # where it listens, once running
        self.metrics_started = asyncio.Event()   # set when its /metrics serves (after registering)

    def info(self, **reconnect) -> m.WorkerInfo:
        """What it offers; ``reconnect``: the containers it runs and its earlier id, when reconnecting."""
        mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // (1024 * 1024)
        return m.WorkerInfo(hostname=socket.gethostname(), runtime=self.runtime.describe(),
                             cpu=self.cpu, memory_mb=mem, max_containers=self.max_containers,
                             labels=self.labels, gpus=self.gpus, gpu_type=self.gpu_type,
                             gpu_devices=self.gpu_pool.inventory.gpus, gpu_driver=self.gpu_pool.inventory.driver,
                             cuda_version=self.gpu_pool.inventory.cuda,
                             reattach=self.runtime.reattaches, **reconnect)

    async def run(self) -> None:
        """Serve the server, reconnecting whenever the link breaks, until cancelled (or the server
        refuses the token: AuthError); containers are stopped on the way out."""
        from .link import Link

        os.makedirs(os.path.join(self.workdir, "containers"), exist_ok=True)
        if self.runtime.reattaches:   # what a killed worker here left running is taken over (reattach.py)
            self.worker_id = reattach.saved_worker_id(self.workdir)
            fresh_socket_dir(self.socket_dir, keep=reattach.socket_dirs(self.workdir))
        adopted = await reattach.restore(self)
        left = await self.runtime.remove_leftovers(keep=tuple(t.handle.container_id for t in adopted))
        if left:
            log.info("removed %d container(s) left by an earlier worker here: %s", len(left), ", ".join(left))
        for container_id in left:   # what they did not commit is lost with them
            shutil.rmtree(os.path.join(self.volumes.root, container_id), ignore_errors=True)
        await self.buckets.remove_leftovers()
        fresh_socket_dir(self.socket_dir, keep=[os.path.basename(t.socket_dir) for t in adopted])
        self.runtime.prepare()
        loop = asyncio.get_running_loop()
        heartbeat = loop.create_task(self._heartbeat())
        link = loop.create_task(Link(self).run())
        metrics = None
        try:
            if self.metrics_listen:   # after registering, which is what a server starting beside it waits for
                registered = loop.create_task(self.registered.wait())
                try:
                    await asyncio.wait({link, registered}, timeout=METRICS_AFTER_S,
                                       return_when=asyncio.FIRST_COMPLETED)
                finally:
                    registered.cancel()
                if not link.done():
                    metrics = await self._serve_metrics()
            await link
        finally:
            heartbeat.cancel()
            link.cancel()
            await asyncio.gather(link, return_exceptions=True)
            await self.shutdown()
            if metrics is not None:
                await metrics.stop()

    async def _serve_metrics(self):
        from .metrics import serve

        try:
            metrics = await serve(self, self.metrics_listen)
        except OSError as exc:
            raise OSError(f"could not listen on {self.metrics_listen} for metrics ({exc.strerror or exc}):"
                          " pick another with --metrics HOST:PORT") from None
        self.metrics_url = metrics.url
        self.metrics_started.set()
        log.info("metrics at %s/metrics", self.metrics_url)
        return metrics

    # ------------------------------------------------------------------ the link (link.py)

    def new_stream(self, outbox: asyncio.Queue) -> None:
        """A new stream to the server begins: what is sent from now on goes on it."""
        self._outbox = outbox
        self._logs_in_flight = 0
        self.registered.clear()

    def lost_server(self) -> None:
        """The stream ended: commands run for its clients stop (the server told them the worker was
        lost); what is sent until the next stream is dropped (the server gave up on it already)."""
        self._outbox = asyncio.Queue()
        for session in self._execs.values():
            session.task.cancel()

    def reconcile_report(self) -> tuple[m.Reported, ...]:
        """The containers it runs for functions, for the server to keep or stop (warm ones stay its own)."""
        return tuple(m.Reported(t.container_id, t.a.function_id, t.a.app_id, t.connected.is_set(), tuple(t.held))
                     for t in self.tasks.values()
                     if t.a is not None and t.stop_requested is None and t.task is not None and not t.task.done())

    def handle(self, cmd) -> None:
        """Do what the server said (a model.py command)."""
        kind = type(cmd)
        if kind is m.Inputs:
            task = self.tasks.get(cmd.container_id)
            if task is not None:
                task.send_inputs(cmd.items)
        elif kind is m.Assignment:
            self._start_container(cmd)
        elif kind is m.Stop:
            task = self.tasks.get(cmd.container_id)
            if task is not None:
                task.stop(cmd.reason)
        elif kind is m.FeedInput:
            task = self.tasks.get(cmd.container_id)
            if task is not None:
                task.feed(cmd.input_id, cmd.data, cmd.end)
        elif kind is m.CancelInputs:
            task = self.tasks.get(cmd.container_id)
            if task is not None:
                task.cancel_inputs(cmd.input_ids)
        elif kind is m.Exec:
            self._start_exec(cmd)
        elif kind is m.ExecInput:
            session = self._execs.get(cmd.exec_id)
            if session is not None:
                session.feed(cmd)
            elif cmd.exec_id.startswith("sb-"):   # a sandbox's own command
                task = next((t for t in self.tasks.values() if t.process is not None
                             and t.process.start.sandbox_id == cmd.exec_id), None)
                if task is not None:
                    task.feed_process(cmd)
        elif kind is m.Snapshot:
            from .snapshots import take

            asyncio.ensure_future(take(self, self.tasks.get(cmd.container_id), cmd.snapshot_id, cmd.path))
        elif kind is m.MountImage:
            from .image_mounts import mount

            asyncio.ensure_future(mount(self, self.tasks.get(cmd.container_id), cmd))
        elif kind is m.SignalExec:
            session = self._execs.get(cmd.exec_id)
            if session is not None:
                session.signal(cmd.signal)
        elif kind is m.CancelExec:
            session = self._execs.pop(cmd.exec_id, None)
            if session is not None:
                session.task.cancel()
        elif kind is m.LogsStored:   # each stored batch lets the next one go
            self._logs_in_flight = max(0, self._logs_in_flight - cmd.batches)
            if self.log_buffer.count:
                self.flush_logs()
        elif kind is m.HeartbeatEvery:
            self.heartbeat_s = cmd.seconds
        elif kind is m.Registered:
            if self.runtime.reattaches and cmd.worker_id != self.worker_id:   # a restarted worker rejoins under it
                reattach.save_worker_id(self.workdir, cmd.worker_id)
            self.worker_id = cmd.worker_id
            if self.runtime.disks is not None:   # it names the worker when it refuses a container
                self.runtime.disks.owner = f"worker {self.worker_id}"
            self.registered.set()
            self._fill_pool()
            if self.log_buffer.count:   # lines kept while the server was away
                self.flush_logs()
        elif kind is m.DirectPortAt:   # its unix socket first (the same host's), then its TCP port
            self.direct_addresses = ([f"\0{cmd.local_socket}"] if cmd.local_socket else []) + \
                ([(_server_host(self.server_url), cmd.port)] if cmd.port else [])   # none over TLS
        elif kind is m.ChunkStoreAt:
            self.volumes.use_store(cmd.directory, cmd.store_id)
        elif kind is m.PreviousEnd:
            log.info("the server had ended this worker's last stream: %s", cmd.reason)
        elif kind is m.Reconciled:
            log.info("the server kept %d of this worker's containers%s and stops %d%s", len(cmd.kept),
                     f" ({', '.join(cmd.kept)})" if cmd.kept else "", len(cmd.stopped),
                     f" ({', '.join(cmd.stopped)})" if cmd.stopped else "")

    @property
    def stopping(self) -> bool:
        return self._stopping

    def _start_container(self, assignment: m.Assignment) -> None:
        """Run an assigned container: on a warm one when one fits, else on a new one."""
        if assignment.sandbox is not None:
            task = self.warm_sandboxes.take(assignment)
            self.warm_sandboxes.keep(assignment.definition)
            if task is not None:
                self.tasks[assignment.container_id] = task
                return
        image = assignment.definition.image
        alive = [t for t in self.pool if t.task is not None and not t.task.done() and t.stop_requested is None
                 and getattr(getattr(t.handle, "proc", None), "returncode", None) is None and t.warm_image == image]
        warm = next((t for t in alive if t.writer is not None), None) or (alive[0] if alive else None)
        if warm is not None and assignment.sandbox is None and ContainerTask.can_be_warm(assignment.definition, image):
            self.pool.remove(warm)
            warm.assign(assignment)
            self.tasks[assignment.container_id] = warm
            self._fill_pool()
            return
        task = ContainerTask(self, assignment)
        self.tasks[task.container_id] = task
        task.start()

    def _fill_pool(self) -> None:
        while sum(not t.warm_image for t in self.pool) < self.warm_containers and not self._stopping:
            task = ContainerTask(self, None)
            self.pool.append(task)
            task.start()

    def _keep_image_warm(self, ended: ContainerTask) -> None:
        """A function's container on an image of its own ended: a warm container on that image takes
        its place, with what it imported from the image's packages imported (preimport.py), so the
        function's next cold start (or another's on the image) is a Load. WARM_IMAGES images at most:
        the oldest one's goes; none while the worker keeps no warm containers."""
        d = ended.a.definition
        if (not d.image or not ended.imported or self._stopping or not self.warm_containers
                or not ContainerTask.can_be_warm(d, d.image) or any(t.warm_image == d.image for t in self.pool)):
            return
        kept = [t for t in self.pool if t.warm_image]
        for old in kept[:max(0, len(kept) - WARM_IMAGES + 1)]:
            self.pool.remove(old)
            old.stop("a warm container on a more recently used image takes its place")
        task = ContainerTask(self, None, image=d.image, preimport=ended.imported)
        self.pool.append(task)
        task.start()

    async def shutdown(self) -> None:
        self._stopping = True
        for task in [*self.tasks.values(), *self.pool, *self.warm_sandboxes.tasks]:
            try:
                task.stop("the worker is shutting down")
            except Exception:   # one container's trouble must not keep the others running
                log.exception("could not stop container %s", task.container_id)
        pending = [t.task for t in [*self.tasks.values(), *self.pool, *self.warm_sandboxes.tasks] if t.task is not None]
        if pending:
            await asyncio.wait(pending, timeout=5)
        await self.runtime.close()
        shutil.rmtree(self.socket_dir, ignore_errors=True)

    async def _heartbeat(self) -> None:
        while True:   # often until the server has said how often (its lease may be short)
            await asyncio.sleep(self.heartbeat_s if self.registered.is_set() else min(self.heartbeat_s, 1.0))
            self._outbox.put_nowait(m.HEARTBEAT)
            usage = self.usage()
            if usage:
                self._outbox.put_nowait(m.UsageReport(usage))

    def usage(self) -> list[m.Usage]:
        """What the assigned containers use now, as the runtime can tell (-1: it cannot)."""
        out = []
        for task in list(self.tasks.values()):
            if task.handle is None:
                continue
            try:
                stats = self.runtime.stats(task.handle)
            except OSError:   # it ended between the listing and the read
                continue
            if stats is not None:
                out.append(m.Usage(task.container_id, -1.0 if stats.cpu_seconds is None else stats.cpu_seconds,
                                   -1 if stats.memory_bytes is None else stats.memory_bytes))
        return out

    # ------------------------------------------------------------------ called by ContainerTask

    def results(self, results: m.Results) -> None:
        self.flush_logs(results.container_id)  # a function's log lines go out before its result
        self._outbox.put_nowait(results)

    def event(self, container_id: str, state: m.ContainerState, *, exit_code: int = 0, message: str = "", phases=None,
              oom_killed: bool = False, timed_out_input: str = "", running_input: str = "", ports=None) -> None:
        self.flush_logs(container_id)
        self._outbox.put_nowait(m.ContainerEvent(container_id, state, exit_code, message, phases or {}, oom_killed,
                                                 timed_out_input, running_input, ports or {}))

    def _network_denied(self, container_id: str, what: str) -> None:
        """``container_id``: the runtime's (a warm sandbox's own, not the server's it goes by now)."""
        task = self.tasks.get(container_id) or next(
            (t for t in self.tasks.values() if getattr(t.handle, "container_id", None) == container_id), None)
        if task is not None:
            task.logs.system(f"network: refused {what}")

    @property
    def publish_address(self) -> str:
        """Where its containers' published ports listen: its address towards the server (port_publish.py)."""
        if not self._publish_address:
            from .port_publish import toward

            self._publish_address = toward(_server_host(self.server_url))
        return self._publish_address

    def report(self, message) -> None:
        """A report of the worker's for the server (model.py), on the stream."""
        self._outbox.put_nowait(message)

    def exec_output(self, exec_id: str, fields: dict) -> None:
        self._outbox.put_nowait(m.ExecReport(exec_id, m.ExecOutput(**fields)))

    def _start_exec(self, start: m.Exec) -> None:
        """Run a command in one of this worker's containers (execs.py)."""
        def send(**fields) -> None:
            self.exec_output(start.exec_id, fields)

        task = self.tasks.get(start.container_id)
        if task is not None and task.a is not None:   # what its function sees: its secrets (a warm container got them late)
            start = start._replace(env={**task.a.definition.secret_env, **start.env})
        session = self._execs[start.exec_id] = ExecSession(start, send)
        session.task = asyncio.ensure_future(session.run(self.runtime, task.handle if task is not None else None))
        session.task.add_done_callback(lambda _: self._execs.pop(start.exec_id, None))

    def log(self, run: Run, nbytes: int, *, force: bool = False) -> int:
        """Queue a container's lines for the server; return how many were queued: fewer when its
        container has too many waiting (the server takes them slower than it prints) and the rest
        are dropped, unless ``force``."""
        n = self.log_buffer.add(run.head[2], run, nbytes, force=force)
        if self.log_buffer.count >= LOG_BATCH_MAX:
            self.flush_logs()
        elif self._log_flush is None and self.log_buffer.count:
            self._log_flush = asyncio.get_running_loop().call_later(LOG_FLUSH_S, self.flush_logs)
        return n

    def flush_logs(self, container_id: str | None = None) -> None:
        """Send waiting lines while few batches are in flight; with ``container_id``, send all of that
        container's lines now (they must precede its result or event)."""
        if self._log_flush is not None:
            self._log_flush.cancel()
            self._log_flush = None
        if container_id is not None:
            while lines := self.log_buffer.take(LOG_BATCH_MAX, LOG_BATCH_BYTES, container_id):
                self._send_logs(lines)
        while self.log_buffer.count and self._logs_in_flight < LOG_IN_FLIGHT:
            self._send_logs(self.log_buffer.take(LOG_BATCH_MAX, LOG_BATCH_BYTES))

    def _send_logs(self, runs: list[Run]) -> None:
        self._logs_in_flight += 1
        self._outbox.put_nowait(m.Logs(runs))

    def forget(self, task: ContainerTask) -> None:
        if self.tasks.get(task.container_id) is task:
            del self.tasks[task.container_id]
        self.warm_sandboxes.forget(task)
        if task in self.pool:   # a warm container that ended without a function: replace it
            self.pool.remove(task)
            if not self._stopping and task.stop_requested is None and not task.warm_image:
                asyncio.get_running_loop().call_later(POOL_RETRY_S, self._fill_pool)
        elif task.a is not None and task.a.definition.image:
            self._keep_image_warm(task)

    async def image(self, image_json: str, log):
        """The layers (built or cached) of a function's image, a BuiltImage; "" is the default image."""
        from .images.base import cache_dir
        from .images.builder import ImageBuilder

        if self._images is None:
            self._images = ImageBuilder(cache_dir(), self.runtime)
        if not image_json:
            image_json = '[{"op":"debian_slim","python_version":""}]'
        return await self._images.build(json.loads(image_json), log, self.mount_dir, self.server.blob_chunks)

    async def mount_dir(self, mount_id: str) -> str:
        """The local directory holding a mount's files, fetched once per worker."""
        fut = self._mounts.get(mount_id)
        if fut is None:
            fut = self._mounts[mount_id] = asyncio.ensure_future(self._fetch_mount(mount_id))
        try:
            return await asyncio.shield(fut)
        except Exception:
            self._mounts.pop(mount_id, None)
            raise

    async def _fetch_mount(self, mount_id: str) -> str:
        target = os.path.join(self.workdir, "mounts", mount_id)
        if os.path.isdir(target):
            return target
        files = await self.server.mount_files(mount_id)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        tmp = tempfile.mkdtemp(dir=os.path.dirname(target))
        try:
            for f in files:
                if hashlib.sha256(f.content).hexdigest() != f.sha256:
                    raise ValueError(f"mount {mount_id}: {f.path} does not match its sha256")
                if f.path.startswith("/") or ".." in f.path.split("/"):
                    raise ValueError(f"mount {mount_id}: {f.path!r} leaves the mount")
                path = os.path.join(tmp, *f.path.split("/"))
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, "wb") as out:
                    out.write(f.content)
                os.chmod(path, (f.mode & 0o777) or 0o644)   # no setuid bits from a client
            os.rename(tmp, target)
        except (OSError, ValueError):
            shutil.rmtree(tmp, ignore_errors=True)
            if not os.path.isdir(target):
                raise
        return target



def _server_host(url: str) -> str:
    """The host of ``http://host:port`` (``[v6]`` unbracketed)."""
    return url.split("://", 1)[-1].rstrip("/").rpartition(":")[0].strip("[]")
