"""One container's life on a worker: code, socket, start, relay inputs and outputs, stop.

    assignment ─▶ fetch code ─▶ listen on socket ─▶ runtime.start ─▶ bootstrap connects (Hello)
               ─▶ READY ─▶ inputs ⇄ outputs / log lines ─▶ stop (grace, then kill) ─▶ STOPPED
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import signal
import time
from typing import TYPE_CHECKING

from .._shared.containers import ContainerState
from .._shared.ids import new_id
from .._shared.status import OutputStatus
from ..container import preimport, protocol
from . import bootstrap_link, port_publish, reattach, sandbox_runner
from .container_end import container_end
from .container_log import STDERR, STDOUT, ContainerLog
from .container_spec import code_on_disk, container_spec
from ..container.calls import FAILED
from .model import Assignment, CallRefused, Definition, Input, Results
from .payloads import PayloadRelay
from .timeouts import InputTimer
from .images.builder import BuildError
from .runtime import RuntimeStartError
from .volumes import VolumeError
from .buckets import BucketError

if TYPE_CHECKING:
    from .agent import Agent

STARTUP_TIMEOUT_S = 120.0     # from start to the bootstrap's hello, the function's imports included
PIPE_DRAIN_S = 1.0

log = logging.getLogger("leveret.worker")

INTERNAL_FAILURE = int(OutputStatus.INTERNAL_FAILURE)
CANCELLED = int(OutputStatus.CANCELLED)


class ContainerTask:
    def __init__(self, agent: "Agent", assignment: Assignment | None, *, image: str = "",
                 preimport: tuple[str, ...] = (), warm_sandbox: Definition | None = None):
        """``assignment`` None starts a warm container: running, no function yet (what loading one
        imports is imported, and ``preimport``), on ``image`` ("": the default); ``assign`` gives it
        one (its code travels over the socket), which skips the cold start. With ``warm_sandbox``, a
        warm sandbox of that definition instead (sandbox_warm.py)."""
        self.agent = agent
        self.a = assignment
        self.warm_image = warm_sandbox.image if warm_sandbox is not None else image
        self.preimport, self.warm_sandbox = preimport, warm_sandbox
        self.imported: tuple[str, ...] = ()   # what it had imported from its image's packages, when it ended
        self.tunnels: dict[str, list] = {}    # its forwarded ports' listeners on the host, by tunnel (port_publish.py)
        self.container_id = assignment.container_id if assignment else new_id("ct")
        self.dir = os.path.join(agent.workdir, "containers", self.container_id)
        # Each container gets a directory of its own holding only its socket; that directory is
        # what is mounted into the container.
        self.socket_dir = os.path.join(agent.socket_dir, self.container_id)
        self.socket_path = os.path.join(self.socket_dir, "sock")
        self.handle = None
        self.adopted = None   # the handle of a container an earlier worker here started (reattach.py)
        self._server = None   # its socket's listener
        self.held: dict[str, int] = {}   # the inputs sent to it (or to send) and not finished: id -> attempt
        self.writer: asyncio.StreamWriter | None = None
        self.pending_inputs: list[tuple] = []
        self.relay = PayloadRelay(lambda: agent.server)   # payloads over the inline limit (payloads.py)
        self.connected = asyncio.Event()
        self.stop_requested: str | None = None
        self.logs = ContainerLog(agent, self.container_id)   # what it prints (container_log.py)
        self.task: asyncio.Task | None = None
        self.timer = None
        self.timed_out = ""   # the input whose timeout stopped this container
        self.gpus: list = []   # the host's GPUs it holds (gpus.Gpu)
        self.assigned = asyncio.Event()
        self.warm_at = 0.0    # when a warm container was ready for a function
        self.failure = ""     # why the worker ended it: its code could not be loaded, it sent what cannot be read
        self._calls = None    # (the server's calls it was made on, rpc.ContainerCalls): calls()
        self.process: sandbox_runner.SandboxProcess | None = None   # a sandbox's: its command's streams (sandbox_runner.py)
        if assignment is not None:
            self._bind(assignment)

    def _bind(self, assignment: Assignment) -> None:
        self.a = assignment
        # its lines are its function's from now on; a warm one still starting says what it did so far
        self.logs.bind((assignment.app_id, assignment.definition.name, self.container_id), starting=self.writer is None)
        timeout = assignment.definition.timeout_s
        self.timer = (InputTimer(timeout, self._on_timeout, concurrent=assignment.definition.max_inputs > 1)
                      if timeout > 0 and assignment.sandbox is None else None)
        if assignment.sandbox is not None:
            self.process = sandbox_runner.SandboxProcess(assignment.sandbox, self._send_output, self.logs.pipe_text)
        self.assigned.set()

    @staticmethod
    def can_be_warm(definition: Definition, image: str = "") -> bool:
        """Whether a warm container on ``image`` can run the function: one on that image without
        limits, volumes or GPUs (others are made for their function)."""
        return definition.image == image and not (definition.cpu or definition.memory_mb or definition.block_network
                    or definition.gpu_count or definition.ephemeral_disk_mb or definition.volume_mounts
                    or definition.bucket_mounts)

    def assign(self, assignment: Assignment) -> None:
        """Give this warm container its function; from now on it goes by the server's container id."""
        self.container_id = assignment.container_id
        self._bind(assignment)

    def start(self) -> None:
        self.task = asyncio.get_running_loop().create_task(self._run())

    # ------------------------------------------------------------------ messages from the server

    def send_inputs(self, items: list[Input]) -> None:
        self.held.update((item[0], item[1]) for item in items)
        if self.writer is None:
            self.pending_inputs.extend(items)
            return
        self._send(items)

    def feed(self, input_id: str, data: bytes, end: bool) -> None:
        """More of a running input's request (a web request's body, a WebSocket's message), as it comes."""
        self._write(protocol.Body(input_id, data, end))

    def cancel_inputs(self, input_ids: list) -> None:
        """Their calls were cancelled: a Cancel frame each, which interrupts the code running one (or
        skips one not started); inputs still held here for a container not connected yet end now."""
        wanted = set(input_ids)
        held = {item[0]: item for item in self.pending_inputs if item[0] in wanted}
        if held:
            self.pending_inputs = [item for item in self.pending_inputs if item[0] not in held]
            for input_id, attempt, *_ in held.values():
                self._result(input_id, attempt, CANCELLED, "cancelled before its container started")
        cancels = [protocol.Cancel(input_id) for input_id in input_ids if input_id not in held]
        if self.relay.busy():   # after the inputs whose arguments are streaming
            self.relay.after(lambda: [self._write(c) for c in cancels])
        else:
            for c in cancels:
                self._write(c)

    def _send(self, items: list[tuple]) -> None:
        """Inputs (input_id, attempt, args, args_blob, call_id) to the bootstrap: those whose arguments are a
        blob have them streamed first (payloads.py), and batches keep their order."""
        if self.relay.busy() or any(item[3] for item in items):
            self.relay.feed(items, self._send_args, self._write_inputs, self._fail_input)
        else:
            self._write_inputs(items)

    def _write_inputs(self, items: list[tuple]) -> None:
        ids, attempts, args, blobs, calls = zip(*items) if items else ((), (), (), (), ())
        if any(blobs):   # args None: the bootstrap has them from the Blob frames sent just before
            args = [None if blob else a for a, blob in zip(args, blobs)]
        if not self._write(protocol.Inputs(ids, attempts, args, calls)):
            return   # its socket closed: the container is ending, and its end tells the server what it held
        if self.timer is not None:
            self.timer.sent(list(zip(ids, attempts)))

    async def _send_args(self, input_id: str, blob_id: str) -> bool:
        """Stream an input's arguments from the server's blob to the bootstrap; False if its socket closed."""
        sent = False
        try:
            async for data in self.agent.server.blob_chunks(blob_id):
                sent = True
                if not self._write(protocol.Blob(input_id, data)):
                    return False
                await self.writer.drain()
        except Exception:
            if sent:   # what it has of them is of no use
                self._write(protocol.BlobAbort(input_id))
            raise
        return True

    def _fail_input(self, input_id: str, attempt: int, message: str) -> None:
        self._result(input_id, attempt, INTERNAL_FAILURE, message)

    def _result(self, input_id: str, attempt: int, status: int, message: str) -> None:
        """One output of the worker's own (no data): an input it could not run to its end."""
        self.held.pop(input_id, None)
        self.agent.results(Results(self.container_id, [input_id], [attempt], [status], [b""], [0], [message]))

    def _on_timeout(self, input_id: str, attempt: int) -> None:
        """The input ran past its timeout: it fails as such, and its container is stopped at once
        (SIGTERM, then SIGKILL after the grace); the inputs queued behind it go to other containers."""
        timeout = self.a.definition.timeout_s
        self.timed_out = input_id
        self._result(input_id, attempt, int(OutputStatus.TIMEOUT),
                     f"the input ran past its timeout of {timeout:g} s and its container was stopped;"
                     " allow more with @app.function(timeout=...)")
        self.stop_requested = self.stop_requested or "an input timed out"
        self._signal(signal.SIGTERM)
        asyncio.get_running_loop().call_later(self.agent.stop_grace_s, self._signal, signal.SIGKILL)

    def stop(self, reason: str) -> None:
        """Ask the bootstrap to finish; a container still running after the stop grace gets SIGTERM,
        and SIGKILL after as long again (it may be busy in an input that will never end)."""
        if self.stop_requested is not None:
            return
        self.stop_requested = reason
        self.assigned.set()   # a warm container waiting for a function waits no more
        if self.writer is not None:
            self._write(protocol.Stop())
        elif self.handle is not None:   # a sandbox's command is asked to end, as `docker stop` asks
            self.handle.kill(signal.SIGTERM if self.process is not None else signal.SIGKILL)
        loop, grace = asyncio.get_running_loop(), self.agent.stop_grace_s
        loop.call_later(grace, self._signal, signal.SIGTERM)
        loop.call_later(2 * grace, self._signal, signal.SIGKILL)

    def _signal(self, sig: int) -> None:
        if self.handle is not None and self.task is not None and not self.task.done():
            self.handle.kill(sig)

    def _write(self, msg: protocol.Message) -> bool:
        """Send a frame to the bootstrap; False if its socket is closed or closing (the container
        is ending at any moment: a crash, a signal, a timeout's kill)."""
        writer = self.writer
        if writer is None or writer.is_closing():
            return False
        try:
            writer.write(protocol.encode(msg))
        except (RuntimeError, OSError):   # closed between the check and the write
            return False
        return True

    # ------------------------------------------------------------------ life

    async def _run(self) -> None:
        phases: dict[str, float] = {}
        t0 = time.time()
        exit_code, message, failed = 0, "", False
        helpers: list[asyncio.Future] = []   # what it waits on: cancelled when it ends, never left pending
        try:
            if self.adopted is not None:   # one an earlier worker here started (reattach.py)
                exit_code, message, pipes = await reattach.run(self, helpers)
            else:
                exit_code, message, failed, pipes = await self._start(phases, t0, helpers)
            # Processes the function left behind die with the container and release its pipes.
            self.handle.kill(signal.SIGKILL)
            if self.process is not None:
                self.process.drain()
            _, unread = await asyncio.wait(pipes, timeout=PIPE_DRAIN_S)
            for p in unread:
                p.cancel()
            self.logs.close()
        except RuntimeStartError as exc:
            exit_code, message, failed = -1, f"container could not start: {exc}", True
        except BuildError as exc:
            exit_code, message, failed = -1, str(exc), True
        except Exception as exc:  # a bug here must not take the worker down
            exit_code, message, failed = -1, f"worker error while running the container: {type(exc).__name__}: {exc}", True
            if self.handle is not None:
                self.handle.kill(signal.SIGKILL)
        finally:
            for helper in helpers:   # cancelled mid-wait (the worker stopping): none is left pending
                helper.cancel()
            if self._server is not None:
                self._server.close()
            for servers in self.tunnels.values():
                port_publish.close(servers)
            self.tunnels.clear()
            running = self._running_input()   # before its socket directory (and marker) goes
            self.imported = preimport.read(self.socket_dir)
            if self.a is not None and self.a.definition.volume_mounts:
                await self.agent.volumes.release(self.container_id, self._calls_or_none())
            await self._release()
            if self.a is not None and self.a.definition.bucket_mounts:   # once the runtime let go of them
                await self.agent.buckets.release(self.container_id)
        oom = self.handle is not None and self.handle.oom_killed
        state, message = container_end(exit_code, message, failed, stopping=self.stop_requested is not None,
                                       oom_killed=oom, memory_mb=self.a.definition.memory_mb if self.a else 0,
                                       stderr_tail=self.logs.stderr_tail)
        if self.timer is not None:
            self.timer.cancel()
        if self.a is not None:   # the server never heard of a warm container that got no function
            self.agent.event(self.container_id, state, exit_code=exit_code, message=message, oom_killed=oom,
                             timed_out_input=self.timed_out, running_input=running)
        self.agent.gpu_pool.release(self.gpus)
        self.gpus = []
        self.agent.forget(self)

    async def _start(self, phases: dict, t0: float, helpers: list) -> tuple[int, str, bool, list]:
        """Start the container and serve it until it ends: (exit code, message, failed, its pipes' readers)."""
        exit_code, message, failed = 0, "", False
        os.makedirs(self.dir, exist_ok=True)
        os.makedirs(self.socket_dir, exist_ok=True)
        if self.a and self.a.definition.gpu_count:
            self.gpus = self.agent.gpu_pool.take(self.a.definition.gpu_count)
        sandbox = self.a.sandbox if self.a else None
        spec_env = await code_on_disk(self.agent, self.a.definition, self.dir) if self.a and not sandbox else None
        phases["code"] = time.time() - t0
        volume_mounts = await self._mount(phases, "volumes") + await self._mount(phases, "buckets")
        image = None
        if self.agent.runtime.needs_rootfs:
            t_image = time.time()
            image = await self.agent.image(self.a.definition.image if self.a else self.warm_image,
                                           self.logs.build_log)
            phases["image"] = time.time() - t_image
        elif self.a and self.a.definition.image:
            raise RuntimeStartError("this worker runs containers without isolation (process runtime) and cannot"
                                    " run them on an image=; run the worker as root with --runtime crun")
        if sandbox is not None or self.warm_sandbox is not None:
            exit_code, message, pipes = await sandbox_runner.run(self, image, volume_mounts, phases, helpers)
        else:
            self._server = await asyncio.start_unix_server(self._on_connect, path=self.socket_path)
            t1 = time.time()
            self.handle = await self.agent.runtime.start(container_spec(
                self.container_id, self.a.definition if self.a else None,
                bootstrap=self.agent.runtime.bootstrap_command(), directory=self.dir, socket_path=self.socket_path,
                fn_spec=spec_env, image=image, gpu=self.agent.gpu_pool.edits(self.gpus), pids_limit=self.agent.pids_limit, volumes=volume_mounts,
                preimport=() if self.a else self.preimport, private=self.agent.private_networks,
                userns=self.agent.user_namespaces, rejoin_s=reattach.REJOIN_S if self.agent.runtime.reattaches else 0))
            t2 = time.time()
            phases["runtime_start"] = t2 - t1
            pipes = [asyncio.ensure_future(self.logs.read_pipe(self.handle.stdout, STDOUT)),
                     asyncio.ensure_future(self.logs.read_pipe(self.handle.stderr, STDERR))]
            waiter = asyncio.ensure_future(self.handle.wait())
            helpers += [*pipes, waiter]
            if self.a is None:   # warm: wait, without a deadline, for a function (or the end)
                assigned = asyncio.ensure_future(self.assigned.wait())
                helpers.append(assigned)
                await asyncio.wait({waiter, assigned}, return_when=asyncio.FIRST_COMPLETED)
                assigned.cancel()
            connected = asyncio.ensure_future(self.connected.wait())
            helpers.append(connected)
            startup_timeout = self.a.definition.startup_timeout_s or STARTUP_TIMEOUT_S
            done, _ = await asyncio.wait({waiter, connected}, timeout=startup_timeout, return_when=asyncio.FIRST_COMPLETED)
            if connected not in done:
                connected.cancel()
                message = self.failure
                if waiter not in done:
                    self.handle.kill(signal.SIGKILL)
                    message = (f"container did not start within {startup_timeout:g} s (this includes importing"
                               " the function's module: move slow set-up out of module scope, or allow more"
                               " with @app.function(startup_timeout=...))")
                exit_code = await waiter
                failed = True
            else:
                hello = self.hello
                if self.warm_at:   # its start was paid before the function came: only loading counts
                    phases = {"code": self._load_s}
                else:
                    phases["interpreter_start"] = max(0.0, hello.started_at - t2)
                phases["imports"] = hello.ready_at - hello.import_started_at
                self.agent.event(self.container_id, ContainerState.READY, phases=phases)
                reattach.record(self)   # for a worker that takes it over if this one is killed
                exit_code = await waiter
                message = self.failure
        return exit_code, message, failed, pipes

    def _send_output(self, **fields) -> None:
        """A piece of a sandbox's output, as the output of the exec named by its id."""
        self.agent.exec_output(self.a.sandbox.sandbox_id, fields)

    def feed_process(self, given) -> None:
        """Stdin for a sandbox's command, or how much of its output was taken."""
        if self.process is not None:
            self.process.feed(given)

    async def _mount(self, phases: dict, kind: str) -> list:
        """Its function's volumes (``kind`` "volumes": each filled into a directory of the worker's) or
        cloud buckets ("buckets": each mounted by s3fs on one): their Mounts."""
        mounts = getattr(self.a.definition, kind[:-1] + "_mounts") if self.a else ()
        if not mounts:
            return []
        if not self.agent.runtime.needs_rootfs:
            raise RuntimeStartError("this worker runs containers without isolation (process runtime) and cannot"
                                    f" mount {'volumes' if kind == 'volumes' else 'cloud buckets'}; run the worker"
                                    " as root with --runtime crun")
        t = time.time()
        try:
            if kind == "volumes":
                made = await self.agent.volumes.prepare(self.container_id, mounts, self.calls())
            else:
                made = await self.agent.buckets.prepare(self.container_id, mounts)
        except (CallRefused, VolumeError) as exc:
            raise RuntimeStartError(f"could not mount its volumes: {getattr(exc, 'message', None) or exc}") from None
        except BucketError as exc:
            raise RuntimeStartError(str(exc)) from None
        phases[kind] = time.time() - t
        return made

    def _calls_or_none(self):
        try:
            return self.calls()
        except CallRefused:
            return None

    def _running_input(self) -> str:
        """The input the container was running when it ended: from the marker a one-at-a-time
        bootstrap keeps, else (a @concurrent container) the oldest still timed, if it is timed."""
        marker = protocol.read_running(self.socket_dir)
        if marker is not None:
            return marker
        return self.timer.running() if self.timer is not None else ""

    async def _release(self) -> None:
        """Free what the container held; a failure here is logged, never raised: the container's end
        must still reach the server, or the inputs it held would wait forever."""
        try:
            if self.handle is not None:
                await self.agent.runtime.remove(self.handle)
        except Exception:
            log.exception("container %s: could not release what it held (the worker's next start removes"
                          " what is left)", self.container_id)
        if self._calls is not None:
            await self._calls[1].close()
        reattach.forget(self)
        shutil.rmtree(self.socket_dir, ignore_errors=True)
        shutil.rmtree(self.dir, ignore_errors=True)

    # ------------------------------------------------------------------ the bootstrap's socket

    async def _on_connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await bootstrap_link.serve(self, reader, writer)

    def calls(self):
        """What makes this container's calls on the server (rpc.ContainerCalls, with its token):
        one per link to the server, made at the first call. CallRefused while there is none."""
        server = self.agent.server
        if self.a is None or not self.a.token or server is None:
            raise CallRefused(FAILED, "this container cannot make calls yet: its worker has no link to"
                                      " the server, or the container no function")
        if self._calls is None or self._calls[0] is not server:
            self._calls = (server, server.for_container(self.a.token))
        return self._calls[1]

    def _end(self, writer: asyncio.StreamWriter, failure: str) -> None:
        """End the container at once, saying why (the message of its end event)."""
        self.failure = self.failure or failure
        if self.handle is not None:
            self.handle.kill(signal.SIGKILL)
        writer.close()
