"""The server's live state and the hot path: inputs in, containers placed, outputs out.

Flow::

    client ─inputs─▶ Dispatcher.submit ─store─▶ function queue ─pump─▶ container (via its worker)
    worker ─results─▶ Dispatcher.on_results ─store─▶ CallState ─▶ client streams
    autoscaler.decide(load) ─▶ place / stop containers        (on every change, and each second)

The in-memory queues are the dispatching view; nothing here polls per input, and nothing here
waits for the store: writes are queued to its writer thread (writes.py) and committed right
after the step that made them, reads go to its reader thread (reads.py). A handler that
acknowledges a write awaits ``writes.durable()``.
"""

from __future__ import annotations

import logging
import random

from .._shared.containers import LogSource
from .._shared.ids import new_id
from .policy import Cause
from .._shared.status import FINAL, RETRYABLE
from .calls import CallState, Children
from .apps import AppsAndFunctions
from .attempts import Attempts
from .clock import SystemClock
from .execs import ExecSessions
from .sandboxes import Sandboxes
from .expiry import Expiry
from .placement import Placement
from .routes import Routes
from .web_links import WebLinks
from .workers import WorkerRegistry
from .logs import LogHub
from .metrics import Recorder
from .model import CANCELLED, GENERATOR_ITEM, FeedInput, FunctionSpec, Input, Output, Results, SendInputs
from .objects import NamedObjects
from . import dicts, queues, volumes  # noqa: F401  (register their kinds)
from .secrets import Secrets, default_key_dir
from .series import Series
from .state import AppState, ContainerRec, FunctionState, InputRec, WorkerConn
from .reads import Reads
from .store import Store
from .writes import WriteBehind
from .errors import NotFound

BATCH_BYTES = 8 * 1024 * 1024  # arguments per batch to a container (each is at most the inline limit)
TICK_S = 1.0                   # periodic autoscaler pass (scale-down, slow backlogs)
APP_HEARTBEAT_TIMEOUT_S = 60.0  # an ephemeral app whose client went silent this long is stopped
REATTACH_GRACE_S = 60.0       # a call whose client's stream ended waits this long for the client to come back
USAGE_EVERY_S = 30.0          # the use counted is added to the store's daily sums this often (and at the end)
DEPLOY_TIMEOUT_S = 600.0      # a deploy that created no function and was not published for this long is dropped
WORKER_HEARTBEAT_S = 5.0      # workers send a heartbeat this often...
WORKER_LEASE_S = 30.0         # ...and one silent this long is marked down: its inputs run elsewhere
NO_WORKER = ("no worker is connected to this server, so inputs wait: start one with"
             " `leveret worker --server URL --token TOKEN`")

STDERR = int(LogSource.STDERR)
log = logging.getLogger("leveret.server")


def _no_container_token(container_id: str) -> str:
    return ""


def _cannot_read_spec(encoded: bytes) -> FunctionSpec:
    raise RuntimeError("this Dispatcher reads no stored functions: make it with read_spec=api.convert.read_spec")


class Dispatcher(AppsAndFunctions):
    def __init__(self, writes: WriteBehind, reads: Reads, logs: LogHub, *, worker_lease_s: float = WORKER_LEASE_S,
                 blobs=None, chunks=None, clock=None, read_spec=None, secret_key_dir: str = ""):
        self.clock = clock or SystemClock()   # what now is (tests give a fake one: leveret.testing.FakeClock)
        # A stored function's definition (the wire's bytes) as a FunctionSpec: api/convert.read_spec
        self.read_spec = read_spec or _cannot_read_spec
        self.blobs = blobs   # payloads over the inline limit (server/blobs.py)
        self.chunks = chunks   # Volumes' chunks (chunks.py)
        self.container_token = _no_container_token   # a container's token for its calls (auth.py sets it)
        self.worker_lease_s = worker_lease_s
        self.heartbeat_s = min(WORKER_HEARTBEAT_S, worker_lease_s / 3)
        self.no_worker = NO_WORKER   # why inputs wait while no worker is connected (the embedded daemon says its own)
        self.ended: dict[str, str] = {}   # worker id -> why its stream was ended (it is told when it reconnects)
        self.writes = writes   # the store's writer thread: every write, in order (writes.py)
        self.reads = reads     # the store's reader thread (reads.py)
        self.objects = NamedObjects(self.clock)   # things with a name: deployed apps' names, … (objects/)
        self.expiry = Expiry(writes, self.clock)   # Dict entries idle 7 days, Queue partitions past their ttl
        self.routes = Routes(self)   # web functions' URLs (routes.py); main.py sets the gateway's address
        self.web_links = WebLinks(self)   # web functions' containers the gateway reaches directly (web_links.py)
        self.queue_waiters = queues.Waiters()   # gets and puts waiting on queues' partitions (queues.py)
        self.secrets = Secrets(self.objects, secret_key_dir or default_key_dir(":memory:"))   # values sealed in the store (secrets.py)
        self.logs = logs
        self.apps: dict[str, AppState] = {}
        self.functions: dict[str, FunctionState] = {}
        self.calls: dict[str, CallState] = {}
        self.detached: dict[str, CallState] = {}   # calls whose client's stream ended without their result
        self.children = Children()   # the calls inputs made from inside their containers (calls.py)
        self.inputs: dict[str, InputRec] = {}
        self.workers: dict[str, WorkerConn] = {}
        self.containers: dict[str, ContainerRec] = {}
        self.rng = random.Random()
        self.execs = ExecSessions()   # commands run in containers (execs.py)
        self.sandboxes = Sandboxes(self)   # containers programs create and drive (sandboxes.py)
        self.series = Series()   # queue depth and containers over time, for the dashboard
        self.metrics = Recorder(self)   # counted events for /metrics (server/metrics.py)
        self._tick_handle = None   # the next periodic pass, on the clock
        self._usage_stored_at = 0.0
        from .deploy import Deployments

        self.deployments = Deployments(self)
        self.placement = Placement(self)        # containers: autoscaling, placement, starts and ends
        self.registry = WorkerRegistry(self)    # workers joining, marked down, leaving
        self.attempts = Attempts(self)          # inputs whose attempt ended: again, retry or fail

    def start(self) -> None:
        """Run the periodic pass each TICK_S on the clock (on a FakeClock: at each second a test jumps over)."""
        self._tick_handle = self.clock.call_later(TICK_S, self._tick_and_again)

    async def close(self) -> None:
        """Stop the containers. Deployed apps stay deployed and runs stay running in the store: the
        next server restores them with their unfinished inputs (a run waits for its client to come
        back); a deploy in progress is dropped. The store is closed after (``close_store``), once
        nothing else can write."""
        if self._tick_handle is not None:
            self._tick_handle.cancel()
        for app in list(self.apps.values()):
            if app.state == "deploying":
                self.stop_app(app.app_id, "server shutting down")
                continue
            for fn in app.functions:
                for ct in list(fn.containers.values()):
                    self.placement.stop(ct, "server shutting down")

    async def close_store(self) -> None:
        """Commit the writes queued (the use counted since the last sums too), stop the store's
        threads and close it."""
        self._store_usage(self.clock.time())
        await self.reads.close()
        await self.writes.close()

    def _tick_and_again(self) -> None:
        try:
            self.tick(self.clock.time())
        except Exception:  # one bad pass must not end scale-down and liveness checks for good
            log.exception("periodic pass failed")
        self._tick_handle = self.clock.call_later(TICK_S, self._tick_and_again)

    def tick(self, now: float) -> None:
        for app in list(self.apps.values()):
            if app.state == "ephemeral" and not app.stopped and now - app.last_heartbeat > APP_HEARTBEAT_TIMEOUT_S:
                if not app.detached:
                    self.stop_app(app.app_id, f"its client sent no heartbeat for {APP_HEARTBEAT_TIMEOUT_S:.0f} s")
                elif not any(not c.done for c in app.calls.values()):
                    self.stop_app(app.app_id, "its detached run finished: its client is gone and its calls are done")
            elif app.state == "deploying" and now - app.last_heartbeat > DEPLOY_TIMEOUT_S:
                self.stop_app(app.app_id, f"its deploy was not finished within {DEPLOY_TIMEOUT_S:.0f} s")
        for worker in list(self.workers.values()):
            if now - worker.last_seen > self.worker_lease_s:
                self.registry.mark_down(worker, f"it sent nothing for {now - worker.last_seen:.0f} s (lease {self.worker_lease_s:g} s)")
        for call in [c for c in self.detached.values() if now - c.detached_at > REATTACH_GRACE_S]:
            self.detached.pop(call.call_id, None)
            self.cancel_call(call, f"its client went away and did not come back within {REATTACH_GRACE_S:.0f} s")
        self.deployments.fire_due(now)
        self.sandboxes.tick(now)
        for fn in list(self.functions.values()):
            self.placement.autoscale(fn, now)
        self.series.sample(now, self.functions.values())
        if now - self._usage_stored_at >= USAGE_EVERY_S:
            self._store_usage(now)

    def _store_usage(self, now: float) -> None:
        self._usage_stored_at = now
        rows = self.metrics.take_usage(now)
        if rows:
            self.writes.add(Store.add_usage, rows)

    # ------------------------------------------------------------------ calls and inputs

    def function(self, function_id: str) -> FunctionState:
        fn = self.functions.get(function_id)
        if fn is None:
            raise NotFound(f"function {function_id} is not running (its app stopped, or the id is wrong)")
        return fn

    async def find_function(self, function_id: str) -> FunctionState:
        """A running function; for one of a deployed version that has stopped since (a caller looked
        it up before a redeploy), the live version's function of the same name, from the store."""
        fn = self.functions.get(function_id) or await self.deployments.successor_of(function_id)
        return fn or self.function(function_id)   # NotFound

    def new_call(self, function_id: str, kind: str, inputs: list[Input], total: int | None,
                 call_id: str = "", *, stored: bool = False, parent_input: str = "") -> CallState:
        """A call and its first inputs, queued; stored by the write-behind (``stored``: already).
        ``parent_input``: the input whose code made it from inside its container (cancelled with it)."""
        fn = self.deployments.current(self.function(function_id))
        function_id = fn.function_id
        call = CallState(call_id or new_id("fc"), function_id, fn.app_id, kind, total, parent_input)
        recs = self._make_inputs(call, inputs)
        self.children.add(call)
        self.calls[call.call_id] = call
        self.apps[fn.app_id].calls[call.call_id] = call
        self._enqueue(fn, recs)  # first: the dispatch is sent before the write-behind commits
        if not stored:
            self.writes.add(Store.create_call, call.call_id, function_id, kind, total,
                            [(r.input_id, r.idx, r.args, r.args_blob) for r in recs], parent_input)
        return call

    def restore_call(self, fn: FunctionState, call_id: str, kind: str, total: int | None,
                     outputs: list[Output], inputs: list[Input], parent_input: str = "") -> CallState:
        """A stored call that had not finished when the server stopped: its outputs so far, and its
        inputs without a final output queued again; made from inside by ``parent_input`` (cancelled with it)."""
        call = CallState(call_id, fn.function_id, fn.app_id, kind, total, parent_input)
        self.children.add(call)
        call.outputs.extend(outputs)
        call.finals = sum(1 for o in outputs if o.status in FINAL)
        recs = self._make_inputs(call, inputs)
        call.sent = total if total is not None else len(inputs) + call.finals   # a final output per input
        self.calls[call_id] = call
        self.apps[fn.app_id].calls[call_id] = call
        self._enqueue(fn, recs)
        return call

    def add_inputs(self, call: CallState, inputs: list[Input]) -> None:
        if call.cancelled:
            return
        fn = self.function(call.function_id)
        recs = self._make_inputs(call, inputs)
        self._enqueue(fn, recs)
        self.writes.add(Store.add_inputs, call.call_id, [(r.input_id, r.idx, r.args, r.args_blob) for r in recs])

    def finish_inputs(self, call: CallState, total: int) -> None:
        self.writes.add(Store.set_call_total, call.call_id, total)
        call.set_total(total)
        self._forget_if_done(call)

    def _make_inputs(self, call: CallState, inputs: list[Input]) -> list[InputRec]:
        now = self.clock.time()
        prefix = "in-" + call.call_id[3:]
        recs = [InputRec(f"{prefix}-{idx}", call, idx, args, now, blob) for idx, args, blob in inputs]
        call.sent += len(recs)
        call.pending.update((r.input_id, r) for r in recs)
        return recs

    def _enqueue(self, fn: FunctionState, recs: list[InputRec]) -> None:
        for r in recs:
            self.inputs[r.input_id] = r
        fn.queue.extend(recs)
        self.pump(fn)
        if fn.queued:  # what warm containers took needs no scaling decision
            self.placement.autoscale(fn, self.clock.time())

    def detach(self, call: CallState) -> None:
        """Its client's stream ended before its result: it goes on, and is cancelled if the client does
        not come back (a request naming it again, after a reconnect) within REATTACH_GRACE_S."""
        if call.kind == "spawn_map" and call.total is not None:
            return   # its client sent every input and let go on purpose (Function.spawn_map)
        app = self.apps.get(call.app_id)
        if app is not None and app.detached:
            return   # a detached run's calls go on without their client
        if not call.done and not call.cancelled and call.call_id in self.calls:
            call.detached_at = self.clock.time()
            self.detached[call.call_id] = call

    def reattach(self, call: CallState) -> None:
        call.detached_at = None
        self.detached.pop(call.call_id, None)

    def feed_input(self, call: CallState, data: bytes, end: bool, container_id: str = "") -> str:
        """More of a one-input call's request, to the container running its input (gateway.py: a web
        request's body, a WebSocket's messages): that container's id; "" if it runs nowhere now, or
        (``container_id``: where the rest went) elsewhere — a new attempt, which cannot be given
        what the ended one took, so the call is cancelled."""
        for r in call.pending.values():
            ct = r.container
            if ct is not None and not ct.stopping:
                if container_id and ct.container_id != container_id:
                    self.cancel_call(call, f"container {container_id}, which was reading its request, ended: a"
                                           " streamed request cannot be sent again")
                    return ""
                ct.worker.outbox.put_nowait(FeedInput(ct.container_id, r.input_id, data, end))
                return ct.container_id
        return ""

    def cancel_call(self, call: CallState, reason: str, *, terminate_containers: bool = False) -> int:
        """Cancel what is left of a call, and of the calls its inputs made; return how many inputs
        were cancelled.

        Queued inputs are skipped when they reach the head of the queue; running ones are told to
        stop (placement.cancel_running: their code is interrupted; ``terminate_containers``: their
        containers are stopped, and the other inputs there run again elsewhere). A running one
        keeps its container's window until its result (dropped) or the container's end frees it."""
        if call.cancelled or call.done:
            return 0
        call.cancelled = True
        left = list(call.pending.values())
        fn = self.functions.get(call.function_id)
        running: dict = {}   # container -> its inputs of this call
        for r in left:
            r.cancelled = True
            if r.retry_handle is not None:   # waiting out a retry delay: neither queued nor running
                r.retry_handle.cancel()
                r.retry_handle = None
                self.inputs.pop(r.input_id, None)
                if fn is not None:
                    fn.retry_waiting -= 1
            elif r.container is None:
                self.inputs.pop(r.input_id, None)
                if fn is not None:
                    fn.cancelled_in_queue += 1
            else:
                running.setdefault(r.container, []).append(r)
        message = f"cancelled: {reason}"
        self._publish([(r, Output(r.idx, CANCELLED, message=message), "") for r in left])
        self._forget(call)
        if running:
            self.placement.cancel_running(running, f"call {call.call_id} was cancelled ({reason})", terminate_containers)
        for r in left:   # what their code started from inside its container goes with them
            for child in self.children.take(r.input_id):
                self.cancel_call(child, f"the call that made it was cancelled ({reason})",
                                 terminate_containers=terminate_containers)
        app = self.apps.get(call.app_id)
        if app is not None:
            app.cancelled_inputs += len(left)
        return len(left)

    def _forget_if_done(self, call: CallState) -> None:
        """Drop a finished call from memory. An ephemeral app's spawned calls stay until it stops (their
        outputs are read from memory); a deployed app's are read from the store once done."""
        if not call.done:
            return
        if call.kind not in ("spawn", "schedule", "spawn_map"):
            self._forget(call)
        elif self.apps.get(call.app_id, AppState("", "")).deployed:
            # once its outputs are stored, so a reader that no longer finds the call in memory finds
            # them in the store
            self.writes.settled().add_done_callback(lambda _: self._forget(call))

    def _forget(self, call: CallState) -> None:
        self.children.drop(call)
        self.calls.pop(call.call_id, None)
        self.detached.pop(call.call_id, None)
        app = self.apps.get(call.app_id)
        if app is not None:
            app.calls.pop(call.call_id, None)
            if app.state == "draining" and not app.calls:
                self.deployments.drained(app)

    def _release(self, r: InputRec) -> None:
        """The input is no longer queued or running anywhere."""
        self.inputs.pop(r.input_id, None)
        if r.container is not None:
            r.container.outstanding.pop(r.input_id, None)

    def _publish(self, items: list[tuple[InputRec, Output, str]]) -> None:
        """Record outputs ``(input, output, container_id)``, grouped by call; forget finished calls."""
        by_call: dict[str, list] = {}
        for r, out, container_id in items:
            if out.status in FINAL:
                r.call.pending.pop(r.input_id, None)
            by_call.setdefault(r.call.call_id, [r.call]).append((r, out, container_id))
        for call, *results in by_call.values():
            self._record(call, results)
            self._forget_if_done(call)
        self.metrics.finished(items, self.clock.time())

    def _record(self, call: CallState, results: list[tuple[InputRec, Output, str]]) -> None:
        """Store and publish outputs ``(input, output, container_id)`` of one call, with the
        attempt and when it was sent. A web call's answer's pieces are not stored: its gateway
        passes them on once (its last output is)."""
        seq = call.taken + len(call.outputs)
        call.add([o for _, o, _ in results])
        self.writes.add(Store.add_outputs, [
            (r.input_id, call.call_id, seq + i, o.idx, o.status, o.data, o.gen_index, o.message, ct, o.data_blob_id,
             r.attempt, r.sent_at or None, o.traceback)
            for i, (r, o, ct) in enumerate(results) if call.kind != "web" or o.status != GENERATOR_ITEM
        ])

    # ------------------------------------------------------------------ dispatching

    def pump(self, fn: FunctionState) -> None:
        """Send queued inputs to ready containers with room in their window."""
        if not fn.queue:
            return
        window = fn.window
        for ct in fn.containers.values():
            if not fn.queue:
                break
            if not ct.ready or ct.stopping or ct.worker.away_since is not None:
                continue
            room = window - len(ct.outstanding) - ct.direct
            if room <= 0:
                continue
            if fn.spec.max_inputs <= 1 and ct.outstanding and self.waiting(ct):
                continue   # its input waits on a call it made or on a Queue: what is sent ahead would wait behind it
            batch, size, now = [], 0, self.clock.time()
            while fn.queue and len(batch) < room and size < BATCH_BYTES:
                r = fn.queue[0]
                if r.cancelled:
                    fn.queue.popleft()
                    fn.cancelled_in_queue -= 1
                    continue
                if r.alone and (batch or ct.outstanding or ct.direct):
                    break   # an input from a crashed container runs by itself (on an idle container)
                fn.queue.popleft()
                r.container = ct
                r.sent_at = now
                ct.outstanding[r.input_id] = r
                batch.append((r.input_id, r.attempt, r.args, r.args_blob, r.call.call_id))
                size += len(r.args)
                if r.alone:
                    break
            if not batch:
                continue   # the head waits for an idle container: try the next one
            ct.idle_since = None
            ct.worker.outbox.put_nowait(SendInputs(ct.container_id, batch))

    def waiting(self, ct) -> bool:
        """The input a container runs waits on something that may take long: a call it made, or a
        Queue get blocked on the server. It takes nothing more meanwhile (``pump``), and counts as
        busy to the autoscaler, which starts others for what is queued."""
        return (bool(self.children) and self.children.any_started_by(ct.outstanding)) \
            or self.queue_waiters.blocked(ct.container_id)

    def on_results(self, batch: Results, worker: WorkerConn | None = None) -> None:
        """Results from a container (``worker``: the one that sent them, which must run it)."""
        ct = self.containers.get(batch.container_id)
        if ct is None or (worker is not None and ct.worker is not worker):
            return   # from a container given up on (its inputs were requeued or failed), or not the sender's
        now = self.clock.time()
        items = []
        tracebacks, retried = [], []   # log lines of failures' tracebacks: final ones, attempts retried
        finals = 0
        for input_id, attempt, out in batch.results:
            r = self.inputs.get(input_id)
            if r is None or r.attempt != attempt or r.container is None or r.container.container_id != batch.container_id:
                continue  # a duplicate, or from an attempt given up on (its container or worker was lost)
            out.idx = r.idx
            if out.traceback:   # in the app's logs, each attempt's, as the function's own stderr
                tracebacks.append((ct.function.app_id, ct.function.name, batch.container_id, input_id, STDERR, now,
                                   out.traceback.rstrip("\n")))
            if out.status == GENERATOR_ITEM:
                r.yielded = True
            if out.status in FINAL:
                finals += 1
                self._release(r)
                if out.status in RETRYABLE:
                    if self.attempts.ended(r, Cause.FAILED, out.message or "it failed", now, status=out.status,
                                           traceback=out.traceback) is not None:
                        if out.traceback:   # it runs again: its caller sees this attempt's traceback only here
                            retried.append(tracebacks.pop())
                        continue
                    out.message = self.attempts.final_message(r, out.message)
                else:
                    r.ends = 0
            if not r.cancelled:
                items.append((r, out, batch.container_id))
        if retried:
            self.logs.add(retried)
        if tracebacks:   # (its caller is given the exception: a live `leveret run` shows it once, with -v here too)
            self.logs.add(tracebacks, verbose=True)
        self._publish(items)
        if ct.function.crash_streak and any(o.status not in RETRYABLE for _, o, _ in items):
            ct.function.crash_streak = 0   # it serves: crashes before this were not a loop
        if ct.phases and items:
            self.placement.report_cold_start(ct, now)
        fn = ct.function
        if finals:
            sample = batch.busy_s / finals
            fn.seconds_per_input = sample if fn.seconds_per_input is None else 0.7 * fn.seconds_per_input + 0.3 * sample
        if not ct.outstanding and not ct.direct:
            ct.idle_since = now
        self.pump(fn)
        if fn.queued:
            self.placement.autoscale(fn, now)

    # ------------------------------------------------------------------ containers and workers

