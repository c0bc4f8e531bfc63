"""One container's life on a worker: code, socket, start, relay inputs and outputs, stop.

    assignment ─▶ fetch code ─▶ listen on socket ─▶ runtime.start ─▶ bootstrap connects (Hello)
               ─▶ READY ─▶ inputs ⇄ outputs / log lines ─▶ stop (grace, then kill) ─▶ STOPPED
"""

from __future__ import annotations

import asyncio
import codecs
import logging
import os
import shutil
import signal
import time
from typing import TYPE_CHECKING

from .._ids import new_id
from .._wire import api_pb2 as pb
from .._wire import blobs
from ..container import protocol
from .logbuf import LineSplitter
from .logflow import REASON_BACKLOG, RateGate, Run, drop_marker
from .payloads import PayloadRelay, StoredBlob
from .timeouts import InputTimer
from .images.builder import BuildError
from .runtime import ContainerSpec, Mount, NetworkSpec, RuntimeStartError

if TYPE_CHECKING:
    from .agent import Agent

STARTUP_TIMEOUT_S = 120.0     # from start to the bootstrap's hello, the function's imports included
PIPE_DRAIN_S = 1.0
STDERR_TAIL_LINES = 20
DROP_REPORT_S = 1.0           # while a container's lines are being dropped, say how many this often

log = logging.getLogger("leveret.worker")

STATUS = {
    protocol.STATUS_SUCCESS: pb.OUTPUT_STATUS_SUCCESS,
    protocol.STATUS_FAILURE: pb.OUTPUT_STATUS_FAILURE,
    protocol.STATUS_GENERATOR_ITEM: pb.OUTPUT_STATUS_GENERATOR_ITEM,
    protocol.STATUS_GENERATOR_DONE: pb.OUTPUT_STATUS_GENERATOR_DONE,
    protocol.STATUS_INTERNAL_FAILURE: pb.OUTPUT_STATUS_INTERNAL_FAILURE,
}


class ContainerTask:
    def __init__(self, agent: "Agent", assignment: pb.ContainerAssignment | None):
        """``assignment`` None starts a warm container: running, no function yet (what loading one
        imports is imported); ``assign`` gives it one (its code travels over the socket), which
        skips the cold start."""
        self.agent = agent
        self.a = assignment
        self.container_id = assignment.container_id if assignment else new_id("ct")
        self.dir = os.path.join(agent.workdir, "containers", self.container_id)
        # Each container gets a directory of its own holding only its socket; that directory is
        # what is mounted into the container.
        self.socket_dir = os.path.join(agent.socket_dir, self.container_id)
        self.socket_path = os.path.join(self.socket_dir, "sock")
        self.handle = None
        self.writer: asyncio.StreamWriter | None = None
        self.pending_inputs: list[tuple] = []
        self.relay = PayloadRelay(lambda: agent.stub)   # payloads over the inline limit (payloads.py)
        self.connected = asyncio.Event()
        self.stop_requested: str | None = None
        self.stderr_tail: list[str] = []
        self.lines = LineSplitter(self._emit_lines)
        self.gate = RateGate()
        self._drop_report: asyncio.TimerHandle | None = None
        self.current_input = ""
        self.task: asyncio.Task | None = None
        self.timer = None
        self.timed_out = ""   # the input whose timeout stopped this container
        self.gpus: list[int] = []   # indices of the host GPUs it holds
        self.assigned = asyncio.Event()
        self.warm_at = 0.0    # when a warm container was ready for a function
        self._early_lines: list[str] = []
        self.failure = ""     # why the worker ended it: its code could not be loaded, it sent what cannot be read
        if assignment is not None:
            self._bind(assignment)

    def _bind(self, assignment: pb.ContainerAssignment) -> None:
        self.a = assignment
        self._head = (assignment.app_id, assignment.definition.name, self.container_id)   # shared by its lines
        timeout = assignment.definition.timeout_s
        self.timer = (InputTimer(timeout, self._on_timeout, concurrent=assignment.definition.max_inputs > 1)
                      if timeout > 0 else None)
        self.assigned.set()

    @staticmethod
    def can_be_warm(definition: pb.FunctionDefinition) -> bool:
        """Warm containers run the default image without limits: others are made for their function."""
        return not (definition.image or definition.cpu or definition.memory_mb or definition.block_network
                    or definition.gpu_count or definition.ephemeral_disk_mb)

    def assign(self, assignment: pb.ContainerAssignment) -> None:
        """Give this warm container its function; from now on it goes by the server's container id."""
        self.container_id = assignment.container_id
        self._bind(assignment)
        if self.writer is None:   # still starting (e.g. its image is being built): say what it was doing
            for text in self._early_lines:
                self._build_log(text)
        self._early_lines.clear()

    def start(self) -> None:
        self.task = asyncio.get_running_loop().create_task(self._run())

    # ------------------------------------------------------------------ messages from the server

    def send_inputs(self, batch: pb.InputBatch) -> None:
        items = [(i.input_id, i.attempt, i.args, i.args_blob_id) for i in batch.inputs]
        if self.writer is None:
            self.pending_inputs.extend(items)
            return
        self._send(items)

    def _send(self, items: list[tuple]) -> None:
        """Inputs (input_id, attempt, args, args_blob) to the bootstrap: those whose arguments are a
        blob have them streamed first (payloads.py), and batches keep their order."""
        if self.relay.busy() or any(item[3] for item in items):
            self.relay.feed(items, self._send_args, self._write_inputs, self._fail_input)
        else:
            self._write_inputs(items)

    def _write_inputs(self, items: list[tuple]) -> None:
        ids, attempts, args, blobs = zip(*items) if items else ((), (), (), ())
        if any(blobs):   # args None: the bootstrap has them from the Blob frames sent just before
            args = [None if blob else a for a, blob in zip(args, blobs)]
        if not self._write(protocol.Inputs(ids, attempts, args)):
            return   # its socket closed: the container is ending, and its end tells the server what it held
        if self.timer is not None:
            self.timer.sent(list(zip(ids, attempts)))

    async def _send_args(self, input_id: str, blob_id: str) -> bool:
        """Stream an input's arguments from the server's blob to the bootstrap; False if its socket closed."""
        sent = False
        try:
            async for data in blobs.chunks(self.agent.stub, blob_id):
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
        self.agent.results(pb.ResultBatch(container_id=self.container_id, results=[pb.ContainerResult(
            input_id=input_id, attempt=attempt,
            output=pb.Output(status=pb.OUTPUT_STATUS_INTERNAL_FAILURE, message=message))]))

    def _on_timeout(self, input_id: str, attempt: int) -> None:
        """The input ran past its timeout: it fails as such, and its container is stopped at once
        (SIGTERM, then SIGKILL after the grace); the inputs queued behind it go to other containers."""
        timeout = self.a.definition.timeout_s
        self.timed_out = input_id
        self.agent.results(pb.ResultBatch(container_id=self.container_id, results=[pb.ContainerResult(
            input_id=input_id, attempt=attempt, output=pb.Output(
                status=pb.OUTPUT_STATUS_TIMEOUT,
                message=f"the input ran past its timeout of {timeout:g} s and its container was stopped;"
                        " allow more with @app.function(timeout=...)"))]))
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
        elif self.handle is not None:
            self.handle.kill(signal.SIGKILL)
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
        server = None
        exit_code, message, failed = 0, "", False
        try:
            os.makedirs(self.dir, exist_ok=True)
            os.makedirs(self.socket_dir, exist_ok=True)
            if self.a and self.a.definition.gpu_count:
                self.gpus = self.agent.take_gpus(self.a.definition.gpu_count)
            spec_env = await self._prepare_code() if self.a else None
            phases["code"] = time.time() - t0
            image = None
            if self.agent.runtime.needs_rootfs:
                t_image = time.time()
                image = await self.agent.image(self.a.definition.image if self.a else "", self._build_log)
                phases["image"] = time.time() - t_image
            elif self.a and self.a.definition.image:
                raise RuntimeStartError("this worker runs containers without isolation (process runtime) and cannot"
                                        " run them on an image=; run the worker as root with --runtime crun")
            server = await asyncio.start_unix_server(self._on_connect, path=self.socket_path)
            t1 = time.time()
            self.handle = await self.agent.runtime.start(self._spec(spec_env, image))
            t2 = time.time()
            phases["runtime_start"] = t2 - t1
            pipes = [asyncio.ensure_future(self._read_pipe(self.handle.stdout, pb.LOG_SOURCE_STDOUT)),
                     asyncio.ensure_future(self._read_pipe(self.handle.stderr, pb.LOG_SOURCE_STDERR))]
            waiter = asyncio.ensure_future(self.handle.wait())
            if self.a is None:   # warm: wait, without a deadline, for a function (or the end)
                assigned = asyncio.ensure_future(self.assigned.wait())
                await asyncio.wait({waiter, assigned}, return_when=asyncio.FIRST_COMPLETED)
                assigned.cancel()
            connected = asyncio.ensure_future(self.connected.wait())
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
                self.agent.event(self.container_id, pb.CONTAINER_STATE_READY, phases=phases)
                exit_code = await waiter
                message = self.failure
            # Processes the function left behind die with the container and release its pipes.
            self.handle.kill(signal.SIGKILL)
            _, unread = await asyncio.wait(pipes, timeout=PIPE_DRAIN_S)
            for p in unread:
                p.cancel()
            self.lines.flush_all()
            self._report_drops()
        except RuntimeStartError as exc:
            exit_code, message, failed = -1, f"container could not start: {exc}", True
        except BuildError as exc:
            exit_code, message, failed = -1, str(exc), True
        except Exception as exc:  # a bug here must not take the worker down
            exit_code, message, failed = -1, f"worker error while running the container: {type(exc).__name__}: {exc}", True
            if self.handle is not None:
                self.handle.kill(signal.SIGKILL)
        finally:
            if server is not None:
                server.close()
            running = self._running_input()   # before its socket directory (and marker) goes
            await self._release()
        oom = self.handle is not None and self.handle.oom_killed
        if oom:
            message = (f"container ran out of memory: it is limited to memory={self.a.definition.memory_mb} MiB;"
                       " ask for more with @app.function(memory=...)")
        if not message and exit_code != 0 and self.stop_requested is None:
            message = _describe_exit(exit_code)
            if self.stderr_tail:
                message += "; last lines of its stderr:\n" + "\n".join(self.stderr_tail)
        if exit_code != 0 and self.stop_requested is None:
            failed = True
        state = pb.CONTAINER_STATE_FAILED if failed else pb.CONTAINER_STATE_STOPPED
        if self.timer is not None:
            self.timer.cancel()
        if self.a is not None:   # the server never heard of a warm container that got no function
            self.agent.event(self.container_id, state, exit_code=exit_code, message=message, oom_killed=oom,
                             timed_out_input=self.timed_out, running_input=running)
        self.agent.release_gpus(self.gpus)
        self.gpus = []
        self.agent.forget(self)

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
        shutil.rmtree(self.socket_dir, ignore_errors=True)
        shutil.rmtree(self.dir, ignore_errors=True)

    async def _code_for_warm(self) -> tuple[dict, list[tuple[str, bytes]]]:
        """The function's spec and code files, for a warm container to write where it likes."""
        d = self.a.definition
        spec = _spec_of(d)
        if d.serialized_function:
            spec["serialized"] = "1"
            return spec, [("function.pkl", d.serialized_function)]
        root = await self.agent.mount_dir(d.mount_id)
        files = []
        for dirpath, _, names in os.walk(root):
            for n in names:
                with open(os.path.join(dirpath, n), "rb") as f:
                    files.append((os.path.relpath(os.path.join(dirpath, n), root), f.read()))
        return spec, files

    async def _prepare_code(self) -> dict:
        d = self.a.definition
        spec = _spec_of(d)
        if d.serialized_function:
            path = os.path.join(self.dir, "function.pkl")
            with open(path, "wb") as f:
                f.write(d.serialized_function)
            spec["serialized_path"] = path
        if d.mount_id:
            spec["mount_dir"] = await self.agent.mount_dir(d.mount_id)
        return spec

    def _build_log(self, text: str) -> None:
        if self.a is None:   # kept for the function this warm container will get, if it is still starting
            log.info("warm container %s: %s", self.container_id, text)
            self._early_lines.append(text)
            return
        text = _utf8(f"image: {text}")
        self.agent.log(Run(self._head, pb.LOG_SOURCE_SYSTEM, "", time.time(), [text]), len(text), force=True)

    def _spec(self, fn_spec: dict | None, image) -> ContainerSpec:
        """What to start: ``fn_spec`` None for a warm container (its function comes later)."""
        argv, env = self.agent.runtime.bootstrap_command()
        if self.a is not None:
            env = {**self.a.definition.secret_env, **env}
        if image is not None:
            paths = [p for p in (env.get("PYTHONPATH"), image.env.get("PYTHONPATH")) if p]
            env = {**image.env, **env, **({"PYTHONPATH": ":".join(paths)} if paths else {})}
        env.update({
            protocol.ENV_SOCKET: self.socket_path,
            protocol.ENV_CONTAINER_ID: self.container_id,
            "PYTHONUNBUFFERED": "1",
        })
        if fn_spec is not None:
            env[protocol.ENV_FUNCTION] = protocol.format_spec(fn_spec)
        if self.gpus:   # the GPUs this container got: CUDA sees only these
            env["CUDA_VISIBLE_DEVICES"] = env["NVIDIA_VISIBLE_DEVICES"] = ",".join(map(str, self.gpus))
        # Host paths appear at the same paths inside the container, so the spec's paths hold there too.
        mounts = [Mount(self.socket_dir, self.socket_dir, read_only=False), Mount(self.dir, self.dir)]
        if fn_spec and fn_spec.get("mount_dir"):
            mounts.append(Mount(fn_spec["mount_dir"], fn_spec["mount_dir"]))
        d = self.a.definition if self.a else pb.FunctionDefinition()
        return ContainerSpec(self.container_id, argv, env, self.dir, mounts, cpu=d.cpu, memory_mb=d.memory_mb,
                             network=NetworkSpec("none" if d.block_network else "host"), pids_limit=self.agent.pids_limit,
                             disk_mb=d.ephemeral_disk_mb, rootfs=image.lowerdir if image else "",
                             cwd=image.workdir if image else "/")

    # ------------------------------------------------------------------ the bootstrap's socket

    async def _on_connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.writer is not None:
            writer.close()
            return
        try:
            self.hello = await protocol.read_message(reader)
            if isinstance(self.hello, protocol.Warm):
                self.writer = writer
                self.warm_at = time.time()
                await self.assigned.wait()
                if self.a is None:   # stopped before it got a function
                    writer.close()
                    return
                t_load = time.time()
                try:
                    spec, files = await self._code_for_warm()
                except Exception as exc:   # e.g. the code's mount could not be fetched
                    self._end(writer, f"could not load the function's code into a warm container: {exc}")
                    return
                self._write(protocol.Load(spec, files, self.container_id, dict(self.a.definition.secret_env)))
                self.hello = await protocol.read_message(reader)
                self._load_s = time.time() - t_load
            if not isinstance(self.hello, protocol.Hello):
                raise protocol.ProtocolError(f"its first frame is {type(self.hello).__name__}, not Hello")
        except protocol.ProtocolError as exc:
            self._end(writer, f"container could not start: {exc}")
            return
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            writer.close()
            return
        self.writer = writer
        if self.stop_requested is not None:
            self._write(protocol.Stop())
        elif self.pending_inputs:
            self._send(self.pending_inputs)
            self.pending_inputs = []
        self.connected.set()
        try:
            while True:
                msg = await protocol.read_message(reader)
                if isinstance(msg, protocol.Outputs):
                    if None in msg.data:   # data streamed as a blob: its id instead
                        await self._streamed(msg)
                    self._forward_outputs(msg)
                elif isinstance(msg, protocol.Log):
                    self.current_input = msg.input_id
                    self._feed(msg.fd, _utf8(msg.text), msg.input_id)
                elif isinstance(msg, protocol.Blob):
                    await self.relay.chunk(msg.input_id, msg.data)
                elif isinstance(msg, protocol.BlobAbort):
                    self.relay.abort(msg.input_id)
                elif type(msg) not in protocol.FROM_CONTAINER:
                    raise protocol.ProtocolError(f"it sent {type(msg).__name__}, which only a worker sends")
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        except protocol.ProtocolError as exc:   # it ends, never the worker
            log.warning("container %s sent a frame the worker cannot read: %s", self.container_id, exc)
            self._end(writer, f"container sent a frame its worker cannot read: {exc}")
        except Exception:  # a bug handling a frame ends this container, never the worker
            log.exception("container %s sent a frame the worker could not handle", self.container_id)
            self._end(writer, "")
        finally:
            writer.close()
            self.relay.close()

    def _end(self, writer: asyncio.StreamWriter, failure: str) -> None:
        """End the container at once, saying why (the message of its end event)."""
        self.failure = self.failure or failure
        if self.handle is not None:
            self.handle.kill(signal.SIGKILL)
        writer.close()

    async def _streamed(self, outputs: protocol.Outputs) -> None:
        """Outputs whose data the bootstrap streamed: with their blob's id, or failed saying why."""
        data, statuses, messages = list(outputs.data), list(outputs.statuses), list(outputs.messages)
        for i, iid in enumerate(outputs.input_ids):
            if data[i] is None:
                blob_id, error = await self.relay.finish(iid)
                if error:
                    data[i], statuses[i] = b"", protocol.STATUS_INTERNAL_FAILURE
                    messages[i] = f"its result could not be stored: {error}"
                else:
                    data[i] = StoredBlob(blob_id)
        outputs.data, outputs.statuses, outputs.messages = data, statuses, messages

    def _forward_outputs(self, outputs: protocol.Outputs) -> None:
        self.lines.flush_all()
        if self._drop_report is not None:   # say what was dropped now, not a second later: before the result,
            self._report_drops()            # as its lines are, so the run's live logs have it before they end
        if self.timer is not None:
            for iid, status in zip(outputs.input_ids, outputs.statuses):
                if status != protocol.STATUS_GENERATOR_ITEM:
                    self.timer.finished(iid)
        results = [
            pb.ContainerResult(input_id=iid, attempt=attempt, output=pb.Output(
                status=STATUS.get(status, pb.OUTPUT_STATUS_INTERNAL_FAILURE), gen_index=gen_index, message=message,
                **({"data_blob_id": data} if isinstance(data, StoredBlob) else {"data": data})))
            for iid, attempt, status, data, gen_index, message in zip(
                outputs.input_ids, outputs.attempts, outputs.statuses, outputs.data, outputs.gen_indexes,
                outputs.messages)
        ]
        self.agent.results(pb.ResultBatch(container_id=self.container_id, results=results, busy_s=outputs.busy_s))

    # ------------------------------------------------------------------ fd-level output

    async def _read_pipe(self, stream: asyncio.StreamReader, source: int) -> None:
        """Bytes written to fd 1 or 2 (by subprocesses, C code): decoded as UTF-8 across reads,
        so a character cut by a read stays whole; what is not UTF-8 becomes U+FFFD."""
        fd = 1 if source == pb.LOG_SOURCE_STDOUT else 2
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        while True:
            chunk = await stream.read(65536)
            text = decoder.decode(chunk, final=not chunk)
            if text:
                self._feed(fd + 10, text, self.current_input)
            if not chunk:
                return

    def _feed(self, fd: int, text: str, input_id: str) -> None:
        """Pass output to the line splitter; while the container is over its rate, the whole lines
        inside a chunk are dropped at once (counted, not split): a flood costs the worker little."""
        if self.gate.exhausted() and self.a is not None:
            first, last = text.find("\n"), text.rfind("\n")
            if first != last:
                self.lines.feed(fd, text[:first + 1], input_id)   # ends the line in progress
                self.gate.drop(text.count("\n", first + 1, last + 1))
                self._dropped()
                text = text[last + 1:]
        self.lines.feed(fd, text, input_id)

    def _emit_lines(self, fd: int, texts: list[str], input_id: str) -> None:
        if self.a is None:   # a warm container has nobody to show its output to yet
            for text in texts:
                log.info("warm container %s: %s", self.container_id, text)
            return
        source = pb.LOG_SOURCE_STDOUT if fd % 10 == 1 else pb.LOG_SOURCE_STDERR
        if source == pb.LOG_SOURCE_STDERR:
            self.stderr_tail.extend(texts[-STDERR_TAIL_LINES:])
            del self.stderr_tail[:-STDERR_TAIL_LINES]
        n, nbytes = self.gate.admit(texts)
        if n < len(texts):
            self._dropped()
            if not n:
                return
            texts = texts[:n]
        if self.agent.log(Run(self._head, source, input_id, time.time(), texts), nbytes) < n:
            self._dropped()

    def _dropped(self) -> None:
        if self._drop_report is None:
            self._drop_report = asyncio.get_running_loop().call_later(DROP_REPORT_S, self._report_drops)

    def _report_drops(self) -> None:
        """Say how many lines were dropped since the last report, and why, in a line of their own."""
        if self._drop_report is not None:
            self._drop_report.cancel()
            self._drop_report = None
        dropped = self.gate.take_dropped()
        backlog = self.agent.log_buffer.take_dropped(self.container_id)
        if backlog:
            dropped[REASON_BACKLOG] = backlog
        for reason, count in dropped.items():
            self.agent.log(Run(self._head, pb.LOG_SOURCE_STDERR, "", time.time(), [drop_marker(count, reason)]), 0,
                           force=True)


def _utf8(text: str) -> str:
    """Text protobuf can carry: lone surrogates (undecodable bytes) become U+FFFD."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        pass
    try:  # bytes decoded with surrogateescape: back to bytes, then decoded with replacements
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace").decode("utf-8")


def _describe_exit(code: int) -> str:
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"container was killed by {name}"
    return f"container exited with code {code}"


def _spec_of(d: pb.FunctionDefinition) -> dict:
    """What the bootstrap needs to know of a function besides its code."""
    spec = {"module": d.module, "name": d.name}
    if d.max_inputs > 1:
        spec["max_inputs"] = str(d.max_inputs)
    return spec
