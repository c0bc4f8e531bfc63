"""Sandboxes: containers a program creates, drives and throws away (Sandbox.create). Each is a
function of its own that is never scaled: one container, placed by the scheduler like any other,
never restarted, and its end is the sandbox's.

    SandboxCreate ─▶ create: a FunctionState (id = the sandbox's) ─▶ placement: one container, its
        StartContainer carrying the command (SandboxStart) ─▶ READY: running
    its command's output ─ExecOutput(exec_id = sandbox id)─▶ its process's streams ─▶ ProcessRead
    SandboxExec ─▶ a process (ex-…) ─StartExec─▶ the worker ─ExecOutput─▶ its streams
    ProcessWrite ─▶ ExecInput(data, eof) to the worker, each byte once (by offset)
    the container ends ─▶ ended: exit code, and why (terminated, timeout, idle timeout, exited)
    each second ─▶ tick: past its timeout or idle past its idle_timeout ─▶ terminate

A *process* is the sandbox's own command (its id the sandbox's) or a command exec'd in it. Its
output is held here per stream, from the offset of its first byte kept: a reader asks from an offset
and gets what follows, so a client that reconnects (or another, Sandbox.from_id) goes on where it
was. What is read is let go of and acknowledged to the worker, which sends at most WINDOW bytes
beyond (its pipes are not read meanwhile): a process that prints faster than anyone reads waits, and
what the server holds for it stays under WINDOW (plus the last pipe buffers once it ended).
"""

from __future__ import annotations

import asyncio
import dataclasses
from typing import TYPE_CHECKING

from .errors import AlreadyExists, Invalid, NotFound
from .._shared.ids import new_id
from .model import ContainerEvent, ContainerState, ExecInput, ExecOutput, FunctionSpec, MountImage, MountDone, \
    SandboxStart, SignalExec, \
    SnapshotContainer, SnapshotDone, StartExec
from .process_streams import STDIN_WINDOW, ProcessRec
from .store import Store

if TYPE_CHECKING:
    from .dispatch import Dispatcher
    from .state import ContainerRec, FunctionState, WorkerConn

WINDOW = 16 * 1024 * 1024    # output of one process held here unread, at most (about)
DONE_KEPT_S = 3600.0         # a finished sandbox is still found (its exit code, its unread output) this long
READ_EXEC_KEPT_S = 300.0     # an ended exec whose output was all read is still found (its exit code) this long
MAX_TIMEOUT_S = 24 * 3600.0
DEFAULT_IMAGE = [{"op": "debian_slim", "python_version": ""}]   # what a definition's image "" means to workers


@dataclasses.dataclass(eq=False)
class SandboxRec:
    sandbox_id: str
    app_id: str
    name: str
    tags: dict
    start: SandboxStart
    fn: "FunctionState"
    created_at: float
    timeout_s: float
    idle_timeout_s: float
    process: ProcessRec = None           # its own command
    execs: dict = dataclasses.field(default_factory=dict)   # exec_id -> ProcessRec
    container: "ContainerRec | None" = None
    container_id: str = ""               # its container's, kept once it ended (its logs are under it)
    state: str = "pending"               # pending | running | done
    active_at: float = 0.0               # its last activity (idle_timeout counts from it)
    detached: bool = False               # outlives its app's stop
    ended_at: float = 0.0
    stopping_reason: str = ""            # why it is being terminated
    stopping_by: str = ""                # terminated | timeout
    probe: tuple | None = None           # (tcp port, argv, interval ms): run until it passes (ready)
    ready: asyncio.Event = dataclasses.field(default_factory=asyncio.Event)   # set once ready, or done
    probing: asyncio.Task | None = None
    ports: tuple = ()                    # ((port, with a raw TCP port too), ...) exposed through the gateway
    tunnels: dict = dataclasses.field(default_factory=dict)   # port -> (tunnel id, url, tcp host, tcp port)
    published: dict = dataclasses.field(default_factory=dict)   # port -> its worker host's port for it (once running)
    inbound: tuple | None = None                               # CIDRs whose clients its ports answer (None: any)
    mounted: dict = dataclasses.field(default_factory=dict)    # path -> the image mount_image put there (its worker
                                                               # may read that image's blobs)
    tunneled: asyncio.Event = dataclasses.field(default_factory=asyncio.Event)   # its tunnels are open (or it ended)

    @property
    def worker_id(self) -> str:
        return self.container.worker.worker_id if self.container is not None else ""


class Sandboxes:
    def __init__(self, dispatcher: "Dispatcher"):
        self.d = dispatcher
        self.by_id: dict[str, SandboxRec] = {}
        self.processes: dict[str, ProcessRec] = {}   # process id (a sandbox's, an exec's) -> its record
        self._asked: dict[str, tuple[asyncio.Future, "WorkerConn"]] = {}   # snapshot / mount id -> (its answer, worker)

    # ------------------------------------------------------------------ life

    def create(self, app_id: str, sandbox_id: str, spec: FunctionSpec, start: SandboxStart, *, name: str = "",
               tags: dict | None = None, timeout_s: float, idle_timeout_s: float = 0.0,
               probe: tuple | None = None, ports: tuple = (), inbound: tuple | None = None) -> SandboxRec:
        """A new sandbox of app ``app_id``, placed now (or pending, saying why). One with this id
        already (a create sent again) is returned as it is."""
        from .state import FunctionState

        found = self.by_id.get(sandbox_id)
        if found is not None:
            return found
        app = self.d.apps.get(app_id)
        if app is None:
            raise NotFound(f"app {app_id} is not running: run it (`with app.run():`) or look up a deployed one"
                           " (leveret.App.lookup(name, create_if_missing=True)) before creating sandboxes in it")
        if not 0 < timeout_s <= MAX_TIMEOUT_S:
            raise Invalid(f"timeout={timeout_s:g} is not between 0 and {MAX_TIMEOUT_S:g} s (24 h)")
        if idle_timeout_s < 0:
            raise Invalid(f"idle_timeout={idle_timeout_s:g} is negative: give seconds, or None for none")
        if name and self.find_name(app_id, name) is not None:
            raise AlreadyExists(f"app {app.name!r} already has a running sandbox named {name!r}: terminate it, or"
                                " pick another name (Sandbox.from_name finds the running one)")
        spec = dataclasses.replace(spec, max_containers=1, min_containers=0, buffer_containers=0)
        now = self.d.clock.time()
        fn = FunctionState(sandbox_id, app_id, spec)
        rec = SandboxRec(sandbox_id, app_id, name, dict(tags or {}), start, fn, now, timeout_s, idle_timeout_s,
                         active_at=now, probe=probe, ports=tuple(ports), inbound=inbound)
        rec.process = ProcessRec(sandbox_id, rec)
        fn.sandbox = rec
        self.by_id[sandbox_id] = rec
        self.processes[sandbox_id] = rec.process
        self.d.functions[sandbox_id] = fn
        self.d.logs.system(app_id, spec.name, "", f"sandbox {sandbox_id} created", verbose=True)
        self.place(fn, now)
        return rec

    def place(self, fn: "FunctionState", now: float) -> None:
        """Its container, if it has none yet (called again each second while it is pending)."""
        rec = fn.sandbox
        if rec.state == "pending" and not fn.containers and not rec.stopping_reason:
            self.d.placement.place(fn, 1, "sandbox created", now)

    def placed(self, rec: SandboxRec, ct: "ContainerRec") -> None:
        rec.container, rec.container_id = ct, ct.container_id
        rec.process.worker = ct.worker

    def ready(self, rec: SandboxRec, published: dict) -> None:
        """Its container runs; ``published``: where its worker's host publishes its ports (a private network's)."""
        rec.state = "running"
        rec.published = dict(published)
        rec.active_at = self.d.clock.time()
        if rec.probe is None:
            rec.ready.set()
        else:
            rec.probing = asyncio.ensure_future(self._probe(rec))
        asyncio.ensure_future(self._open_tunnels(rec))

    async def _open_tunnels(self, rec: SandboxRec) -> None:
        """Its ports through the gateway, now that it runs (raw TCP ports too for unencrypted ones)."""
        routes, ct = self.d.routes, rec.container
        try:
            for port, raw in rec.ports:
                if rec.state != "running" or ct is None:
                    return
                tunnel_id, url = routes.open_tunnel(ct.container_id, ct.worker.address or "127.0.0.1",
                                                    rec.published.get(port, port), rec.inbound)
                tcp_host, tcp_port = "", 0
                if raw:
                    tcp_host, tcp_port = routes.tcp.advertised, await routes.tcp.open(tunnel_id)
                rec.tunnels[port] = (tunnel_id, url, tcp_host, tcp_port)
                self.d.logs.system(rec.app_id, rec.fn.name, ct.container_id, f"tunnel {tunnel_id} to port {port}: {url}"
                                   + (f", raw TCP at {tcp_host}:{tcp_port}" if tcp_port else ""))
        except OSError as exc:
            self.d.logs.system(rec.app_id, rec.fn.name, rec.container_id, f"no raw TCP port for a tunnel: {exc}")
        finally:
            rec.tunneled.set()

    def _close_tunnels(self, rec: SandboxRec) -> None:
        for tunnel_id, *_ in rec.tunnels.values():
            self.d.routes.tunnels.pop(tunnel_id, None)
            self.d.routes.tcp.close(tunnel_id)

    async def _probe(self, rec: SandboxRec) -> None:
        """Its readiness probe, every interval, until it passes (or the sandbox ends)."""
        port, argv, interval_ms = rec.probe
        if port:   # something listens on it: a LISTEN (0A) socket of that port in its /proc/net
            argv, tool = ["sh", "-c", f"cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | grep -q ':{port:04X} [0-9A-F:]* 0A '"], True
        else:
            tool = False
        n = 0
        while rec.state == "running" and not rec.stopping_reason:
            n += 1
            exec_id = f"{rec.sandbox_id.replace('sb-', 'ex-', 1)}p{n}"
            proc = self.exec(rec, exec_id, list(argv), timeout_s=max(1.0, interval_ms / 1000 * 10), tool=tool,
                             internal=True)
            await proc.finished.wait()
            self.processes.pop(exec_id, None)
            rec.execs.pop(exec_id, None)
            if proc.exit_code == 0 and proc.ended_by == "exit":
                rec.ready.set()
                self.d.logs.system(rec.app_id, rec.fn.name, rec.container_id, "ready: its readiness probe passed",
                                   verbose=True)
                return
            await asyncio.sleep(interval_ms / 1000)

    async def wait_ready(self, rec: SandboxRec, timeout_s: float) -> None:
        try:
            await asyncio.wait_for(rec.ready.wait(), None if timeout_s < 0 else timeout_s)
        except asyncio.TimeoutError:
            pass

    def unplaceable(self, fn: "FunctionState", message: str) -> None:
        """No worker could ever hold it: it ends now, saying why."""
        self._end(fn.sandbox, -1, message, "failed")

    def terminate(self, rec: SandboxRec, reason: str, by: str = "terminated") -> None:
        if rec.state == "done":
            return
        if not rec.stopping_reason:
            rec.stopping_reason, rec.stopping_by = reason, by
        if rec.container is not None:
            self.d.placement.stop(rec.container, reason)
        else:   # still pending: it ends at once
            self._end(rec, -1, reason, by)

    def container_ended(self, ct: "ContainerRec", ev: ContainerEvent, worker_lost: bool) -> None:
        """Its container ended (the worker said so, or was lost): the sandbox ends with it."""
        rec = ct.function.sandbox
        by = "failed"
        if worker_lost:
            reason = f"its worker {ct.worker.worker_id} was lost"
        elif rec.stopping_reason:
            reason, by = rec.stopping_reason, rec.stopping_by
        elif ev.state is ContainerState.FAILED and not ct.ready:
            reason = ev.message or "its container could not start"
        elif ev.oom_killed:
            reason = ev.message or "it ran out of memory"
        else:
            reason, by = f"its command exited with code {ev.exit_code}", "exit"
        self._end(rec, ev.exit_code if ct.ready else -1, reason, by)

    def _end(self, rec: SandboxRec, exit_code: int, reason: str, by: str) -> None:
        if rec.state == "done":
            return
        rec.state, rec.ended_at, rec.container = "done", self.d.clock.time(), None
        rec.ready.set()   # whoever waits for it to be ready learns it ended
        rec.tunneled.set()
        self._close_tunnels(rec)
        if rec.probing is not None:
            rec.probing.cancel()
        rec.process.finish(exit_code, reason, by, rec.ended_at)
        for proc in rec.execs.values():
            proc.finish(-1, f"its sandbox ended: {reason}", "terminated", rec.ended_at)
        if self.d.functions.get(rec.sandbox_id) is rec.fn:
            del self.d.functions[rec.sandbox_id]
        self.d.logs.system(rec.app_id, rec.fn.name, "", f"sandbox {rec.sandbox_id} ended: {reason}")

    def app_stopped(self, app_id: str, reason: str) -> None:
        """Its app stopped: its sandboxes are terminated, but detached ones."""
        for rec in list(self.by_id.values()):
            if rec.app_id == app_id and not rec.detached:
                self.terminate(rec, f"its app stopped ({reason})")

    def tick(self, now: float) -> None:
        """Each second: timeouts, idle timeouts, places for pending ones, and forgetting old ones."""
        for rec in list(self.by_id.values()):
            if rec.state == "done":
                if now - rec.ended_at > DONE_KEPT_S:
                    self._forget(rec)
                continue
            if now - rec.created_at > rec.timeout_s:
                self.terminate(rec, f"it reached its timeout of {rec.timeout_s:g} s (Sandbox.create(timeout=...))",
                               "timeout")
            elif rec.idle_timeout_s and now - self._active_at(rec) > rec.idle_timeout_s:
                self.terminate(rec, f"it was idle for its idle_timeout of {rec.idle_timeout_s:g} s", "timeout")
            elif rec.state == "pending":
                self.place(rec.fn, now)
            self._forget_read_execs(rec)

    def _forget_read_execs(self, rec: SandboxRec) -> None:
        """A running sandbox's ended commands whose output was all read go after a while (an agent
        may run thousands in one sandbox); their exit codes are found until then."""
        now = self.d.clock.time()
        for exec_id, proc in list(rec.execs.items()):
            if proc.done and now - proc.ended_at > READ_EXEC_KEPT_S and \
                    all(s.eof and not s.data for s in proc.streams.values()):
                del rec.execs[exec_id]
                self.processes.pop(exec_id, None)

    def _active_at(self, rec: SandboxRec) -> float:
        if any(not p.done and not p.internal for p in rec.execs.values()):   # a command running in it is activity
            return self.d.clock.time()
        return rec.active_at

    def _forget(self, rec: SandboxRec) -> None:
        self.by_id.pop(rec.sandbox_id, None)
        for pid in (rec.sandbox_id, *rec.execs):
            self.processes.pop(pid, None)

    # ------------------------------------------------------------------ finding

    def get(self, sandbox_id: str) -> SandboxRec:
        rec = self.by_id.get(sandbox_id)
        if rec is None:
            raise NotFound(f"no sandbox {sandbox_id} (it ended more than {DONE_KEPT_S / 3600:g} h ago, or the id is"
                           " wrong): Sandbox.list() shows the running ones")
        return rec

    def find_name(self, app_id: str, name: str) -> SandboxRec | None:
        return next((r for r in self.by_id.values() if r.app_id == app_id and r.name == name and r.state != "done"),
                    None)

    def list(self, app_id: str = "", tags: dict | None = None, include_done: bool = False) -> list[SandboxRec]:
        tags = tags or {}
        return [r for r in self.by_id.values()
                if (not app_id or r.app_id == app_id) and (include_done or r.state != "done")
                and all(r.tags.get(k) == v for k, v in tags.items())]

    def process(self, process_id: str) -> ProcessRec:
        proc = self.processes.get(process_id)
        if proc is None:
            raise NotFound(f"no process {process_id}: its sandbox ended over {DONE_KEPT_S / 3600:g} h ago,"
                           " or the id is wrong")
        return proc

    # ------------------------------------------------------------------ processes

    def exec(self, rec: SandboxRec, exec_id: str, argv: list[str], *, workdir: str = "", env: dict | None = None,
             timeout_s: float = 0.0, pty: bool = False, tool: bool = False, internal: bool = False,
             size: tuple[int, int] = (0, 0)) -> ProcessRec:
        """Run ``argv`` in the running sandbox: a process of its own (found again by ``exec_id``);
        with ``pty``, on a terminal of ``size`` (rows, columns), its output all on stdout."""
        found = self.processes.get(exec_id)
        if found is not None:   # sent again
            return found
        if rec.state != "running" or rec.container is None or rec.stopping_reason:
            why = rec.process.reason if rec.state == "done" else (rec.stopping_reason or "it is still starting")
            raise NotFound(f"sandbox {rec.sandbox_id} is not running ({why}): wait_until_ready() first, or create"
                           " another")
        if not argv:
            raise Invalid("exec() needs a command, e.g. sandbox.exec(\"ls\", \"-l\")")
        ct = rec.container
        proc = ProcessRec(exec_id, rec, worker=ct.worker, internal=internal)
        rec.execs[exec_id] = self.processes[exec_id] = proc
        if not internal:
            rec.active_at = self.d.clock.time()
        ct.worker.outbox.put_nowait(StartExec(exec_id, ct.container_id, list(argv), True, pty, dict(env or {}),
                                              *size, workdir=workdir, timeout_s=timeout_s, window=WINDOW, tool=tool))
        return proc

    def output(self, exec_id: str, out: ExecOutput, worker: "WorkerConn") -> bool:
        """A piece of a process's output from its worker (False: not a sandbox's process)."""
        proc = self.processes.get(exec_id)
        if proc is None:
            return False
        if proc.worker is not worker or proc.done:
            return True
        if out.stdin_taken:
            proc.stdin_unread = max(0, proc.stdin_unread - out.stdin_taken)
            if proc.stdin_unread < STDIN_WINDOW:
                proc.stdin_room.set()
        if out.data:
            proc.streams[out.stream or 1].add(out.data)
            if not proc.internal:
                proc.sandbox.active_at = self.d.clock.time()
        if out.done and proc is not proc.sandbox.process:   # (the sandbox's own ends with its container)
            proc.finish(out.exit_code, out.error or f"it exited with code {out.exit_code}",
                        "timeout" if out.timed_out else "failed" if out.error else "exit", self.d.clock.time())
        return True

    def taken(self, proc: ProcessRec, stream: int, upto: int) -> None:
        """A reader has what comes before ``upto``: let it go, and let the worker send as much more."""
        freed = proc.streams[stream].let_go(upto)
        if freed and proc.worker is not None and not proc.done:
            proc.worker.outbox.put_nowait(ExecInput(proc.process_id, ack=freed))

    async def write(self, proc: ProcessRec, data: bytes, offset: int, eof: bool) -> None:
        """Stdin for a process: the bytes from ``offset`` on that were not passed on yet, once what was
        passed on before is under STDIN_WINDOW (its writer waits meanwhile, as on a full pipe). Its
        end after the process's is nothing (closing a pipe nobody reads); bytes are refused, as a
        broken pipe."""
        while proc.stdin_unread >= STDIN_WINDOW and not proc.done:
            proc.stdin_room.clear()
            await proc.stdin_room.wait()
        if proc.done:
            if not data:
                return
            raise Invalid(f"process {proc.process_id} has ended: its stdin takes nothing more")
        if proc.stdin_closed and (data or not eof):
            raise Invalid(f"the stdin of process {proc.process_id} was closed (write_eof): it takes nothing more")
        if offset > proc.stdin_at:
            raise Invalid(f"stdin bytes from {proc.stdin_at} to {offset} of process {proc.process_id} never came:"
                          " write them in order")
        data = data[proc.stdin_at - offset:]
        if not data and not (eof and not proc.stdin_closed):
            return
        proc.stdin_at += len(data)
        proc.stdin_unread += len(data)
        proc.stdin_closed = proc.stdin_closed or eof
        proc.sandbox.active_at = self.d.clock.time()
        if proc.worker is not None:
            proc.worker.outbox.put_nowait(ExecInput(proc.process_id, data=bytes(data), eof=eof))

    def kill(self, proc: ProcessRec, signal: int) -> None:
        if proc is proc.sandbox.process:
            self.terminate(proc.sandbox, f"its command was sent signal {signal} (terminated)")
        elif not proc.done and proc.worker is not None:
            proc.worker.outbox.put_nowait(SignalExec(proc.process_id, signal))

    async def wait(self, proc: ProcessRec, timeout_s: float) -> bool:
        """Whether it ended within ``timeout_s`` (< 0: without limit)."""
        if not proc.done:
            try:
                await asyncio.wait_for(proc.finished.wait(), None if timeout_s < 0 else timeout_s)
            except asyncio.TimeoutError:
                pass
        return proc.done

    # ------------------------------------------------------------------ snapshots

    async def snapshot(self, rec: SandboxRec, timeout_s: float, path: str = "") -> str:
        """An image (its steps as JSON) of the sandbox's image with what it changed on top, as one
        layer: the container's writes, tarred by its worker into a blob kept under the sandbox.
        With ``path``: an image of that directory's files alone (to mount, not to run)."""
        import json

        ct = self._running(rec, "snapshotted")
        snapshot_id = new_id("sn")
        result: SnapshotDone = await self._ask(rec, snapshot_id, SnapshotContainer(ct.container_id, snapshot_id, path),
                                               timeout_s, "snapshot_filesystem" if not path else "snapshot_directory")
        if result.error:
            raise Invalid(f"sandbox {rec.sandbox_id} could not be snapshotted: {result.error}")
        self.d.writes.add(Store.attach_blobs, f"snapshot:{rec.sandbox_id}", [result.blob_id])   # kept, not abandoned
        layer = {"blob": result.blob_id, "sha256": result.sha256, "size": result.size}
        if path:
            steps = [{"op": "directory", **layer}]
        else:
            steps = json.loads(rec.fn.spec.image) if rec.fn.spec.image else list(DEFAULT_IMAGE)
            steps.append({"op": "snapshot", **layer})
        return json.dumps(steps, sort_keys=True, separators=(",", ":"))

    async def mount(self, rec: SandboxRec, path: str, image: str, unmount: bool = False) -> None:
        """An image's files, read-only, at ``path`` of the running sandbox (or no more)."""
        ct = self._running(rec, "given a mount")
        if unmount and path not in rec.mounted:
            raise NotFound(f"nothing was mounted at {path} with mount_image: unmount_image takes what it mounted"
                           f" ({', '.join(sorted(rec.mounted)) or 'nothing yet'})")
        request_id = new_id("mn")
        before = rec.mounted.get(path)
        if not unmount:
            rec.mounted[path] = image
        result: MountDone = await self._ask(rec, request_id, MountImage(ct.container_id, request_id, path, image,
                                                                            unmount), 120.0, "mount_image")
        if result.error:
            if not unmount:
                rec.mounted.pop(path) if before is None else rec.mounted.update({path: before})
            raise Invalid(f"sandbox {rec.sandbox_id}: {result.error}")
        if unmount:
            rec.mounted.pop(path, None)

    def _running(self, rec: SandboxRec, what: str):
        if rec.state != "running" or rec.container is None or rec.stopping_reason:
            raise NotFound(f"sandbox {rec.sandbox_id} is not running: only a running sandbox can be {what}")
        return rec.container

    async def _ask(self, rec: SandboxRec, ask_id: str, message, timeout_s: float, what: str):
        """Its worker's answer to ``message`` (SnapshotDone, MountDone), within ``timeout_s``."""
        done = asyncio.get_running_loop().create_future()
        self._asked[ask_id] = (done, rec.container.worker)
        rec.container.worker.outbox.put_nowait(message)
        try:
            return await asyncio.wait_for(done, timeout_s if timeout_s > 0 else None)
        except asyncio.TimeoutError:
            raise Invalid(f"{what} of sandbox {rec.sandbox_id} took more than {timeout_s:g} s: give it more"
                          f" ({what}(timeout=...))") from None
        finally:
            self._asked.pop(ask_id, None)

    def snapshot_done(self, result: SnapshotDone, worker: "WorkerConn") -> None:
        self._answered(result.snapshot_id, result, worker)

    def mount_done(self, result: MountDone, worker: "WorkerConn") -> None:
        self._answered(result.request_id, result, worker)

    def _answered(self, ask_id: str, result, worker: "WorkerConn") -> None:
        entry = self._asked.get(ask_id)
        if entry is not None and entry[1] is worker and not entry[0].done():
            entry[0].set_result(result)

    def worker_lost(self, worker: "WorkerConn") -> None:
        """Its commands' processes end (its containers' sandboxes end with their containers)."""
        for done, w in list(self._asked.values()):
            if w is worker and not done.done():   # (SnapshotDone's and MountDone's error)
                done.set_result(SnapshotDone("", error=f"its worker {worker.worker_id} was lost"))
        for proc in list(self.processes.values()):
            if proc.worker is worker and proc is not proc.sandbox.process:
                proc.finish(-1, f"its worker {worker.worker_id} was lost", "failed", self.d.clock.time())
