"""The server's live state and the hot path: inputs in, containers placed, outputs out.

Flow::

    client ─inputs─▶ Dispatcher.submit ─store─▶ function queue ─pump─▶ container (via its worker)
    worker ─results─▶ Dispatcher.on_results ─store─▶ CallState ─▶ client streams
    autoscaler.decide(load) ─▶ place / stop containers        (on every change, and each second)

Inputs are durable in the store before ``submit`` returns. The in-memory queues are the
dispatching view; nothing here polls per input.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time

from .._ids import new_id
from .._wire import api_pb2 as pb
from . import autoscaler, reconcile
from . import scheduler as sched
from .policy import Action, Cause, after_attempt
from .calls import FINAL, CallState
from .execs import ExecSessions
from .logs import LogHub
from .metrics import Recorder
from .series import Series
from .state import DEFAULT_MAX_CONTAINERS, AppState, ContainerRec, FunctionState, InputRec, WorkerConn
from .store import Store
from .writes import WriteBehind

BATCH_BYTES = 8 * 1024 * 1024  # arguments per batch to a container (each is at most the inline limit)
TICK_S = 1.0                   # periodic autoscaler pass (scale-down, slow backlogs)
APP_HEARTBEAT_TIMEOUT_S = 60.0  # an ephemeral app whose client went silent this long is stopped
REATTACH_GRACE_S = 60.0       # a call whose client's stream ended waits this long for the client to come back
DEPLOY_TIMEOUT_S = 600.0      # a deploy that created no function and was not published for this long is dropped
WORKER_HEARTBEAT_S = 5.0      # workers send a heartbeat this often...
WORKER_LEASE_S = 30.0         # ...and one silent this long is marked down: its inputs run elsewhere
CRASH_BACKOFF_S = (0.0, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0)   # hold-off before the next start, by crashes in a row
RETRYABLE = frozenset({pb.OUTPUT_STATUS_FAILURE, pb.OUTPUT_STATUS_TIMEOUT, pb.OUTPUT_STATUS_INTERNAL_FAILURE,
                       pb.OUTPUT_STATUS_OUT_OF_MEMORY})
NO_WORKER = ("no worker is connected to this server, so inputs wait: start one with"
             " `leveret worker --server URL --token TOKEN`")

log = logging.getLogger("leveret.server")


def _first_line(why: str) -> str:
    return why.strip().splitlines()[0] if why.strip() else "it failed"


class Dispatcher:
    def __init__(self, store: Store, logs: LogHub, *, worker_lease_s: float = WORKER_LEASE_S, blobs=None):
        self.blobs = blobs   # payloads over the inline limit (server/blobs.py)
        self.worker_lease_s = worker_lease_s
        self.heartbeat_s = min(WORKER_HEARTBEAT_S, worker_lease_s / 3)
        self.no_worker = NO_WORKER   # why inputs wait while no worker is connected (the embedded daemon says its own)
        self.ended: dict[str, str] = {}   # worker id -> why its stream was ended (it is told when it reconnects)
        self.store = store
        self.writes = WriteBehind(store)
        self.logs = logs
        self.apps: dict[str, AppState] = {}
        self.functions: dict[str, FunctionState] = {}
        self.calls: dict[str, CallState] = {}
        self.detached: dict[str, CallState] = {}   # calls whose client's stream ended without their result
        self.inputs: dict[str, InputRec] = {}
        self.workers: dict[str, WorkerConn] = {}
        self.containers: dict[str, ContainerRec] = {}
        self.rng = random.Random()
        self.execs = ExecSessions()   # commands run in containers (execs.py)
        self.series = Series()   # queue depth and containers over time, for the dashboard
        self.metrics = Recorder(self)   # counted events for /metrics (server/metrics.py)
        self._tick_task: asyncio.Task | None = None
        from .deploy import Deployments

        self.deployments = Deployments(self)

    def start(self) -> None:
        self._tick_task = asyncio.get_running_loop().create_task(self._tick_forever())

    async def close(self) -> None:
        """Stop the containers. Deployed apps stay deployed and runs stay running in the store: the
        next server restores them with their unfinished inputs (a run waits for its client to come
        back); a deploy in progress is dropped."""
        if self._tick_task:
            self._tick_task.cancel()
        for app in list(self.apps.values()):
            if app.state == "deploying":
                self.stop_app(app.app_id, "server shutting down")
                continue
            for fn in app.functions:
                for ct in list(fn.containers.values()):
                    self._stop_container(ct, "server shutting down")
        self.writes.flush()

    async def _tick_forever(self) -> None:
        while True:
            await asyncio.sleep(TICK_S)
            try:
                self.tick(time.time())
            except Exception:  # one bad pass must not end scale-down and liveness checks for good
                log.exception("periodic pass failed")

    def tick(self, now: float) -> None:
        for app in list(self.apps.values()):
            if app.state == "ephemeral" and not app.stopped and now - app.last_heartbeat > APP_HEARTBEAT_TIMEOUT_S:
                self.stop_app(app.app_id, f"its client sent no heartbeat for {APP_HEARTBEAT_TIMEOUT_S:.0f} s")
            elif app.state == "deploying" and now - app.last_heartbeat > DEPLOY_TIMEOUT_S:
                self.stop_app(app.app_id, f"its deploy was not finished within {DEPLOY_TIMEOUT_S:.0f} s")
        for worker in list(self.workers.values()):
            if now - worker.last_seen > self.worker_lease_s:
                self.mark_down(worker, f"it sent nothing for {now - worker.last_seen:.0f} s (lease {self.worker_lease_s:g} s)")
        for call in [c for c in self.detached.values() if now - c.detached_at > REATTACH_GRACE_S]:
            self.detached.pop(call.call_id, None)
            self.cancel_call(call, f"its client went away and did not come back within {REATTACH_GRACE_S:.0f} s")
        self.deployments.fire_due(now)
        for fn in list(self.functions.values()):
            self.autoscale(fn, now)
        self.series.sample(now, self.functions.values())

    # ------------------------------------------------------------------ apps and functions

    def create_app(self, name: str, description: str, *, deploy: bool = False) -> tuple[str, int]:
        """A new app: ephemeral, or (``deploy``) the next version of the deployed app ``name``,
        live once published. Returns (app_id, version)."""
        app_id = new_id("ap")
        version = self.store.create_app(app_id, name, description, deploy=deploy)
        self.apps[app_id] = AppState(app_id, name, last_heartbeat=time.time(),
                                     state="deploying" if deploy else "ephemeral", version=version)
        return app_id, version

    def heartbeat(self, app_id: str) -> None:
        self._live_app(app_id).last_heartbeat = time.time()

    def _live_app(self, app_id: str) -> AppState:
        app = self.apps.get(app_id)
        if app is None or app.stopped:
            raise KeyError(f"app {app_id} is not running")
        return app

    def create_function(self, app_id: str, definition: pb.FunctionDefinition, function_id: str = "") -> str:
        """Add a function to a running app (``function_id``: one restored from the store)."""
        app = self._live_app(app_id)
        if definition.schedule:
            if app.state != "deploying":
                raise ValueError(f"{definition.name} has a schedule, which only deployed apps run:"
                                 " `leveret deploy FILE` instead of `leveret run`, or remove schedule=")
            from ..schedule import from_spec

            try:   # checked here too: a spec the server cannot run would fail at every tick
                from_spec(json.loads(definition.schedule))
            except Exception as exc:
                raise ValueError(f"{definition.name}: its schedule cannot run on this server: {exc}") from None
        if not function_id:
            function_id = new_id("fu")
            self.store.create_function(function_id, app_id, definition.name, definition.SerializeToString())
        fn = FunctionState(function_id, app_id, definition,
                           schedule=json.loads(definition.schedule) if definition.schedule else None)
        self.functions[function_id] = fn
        app.functions.append(fn)
        app.last_heartbeat = time.time()   # a deploy in progress shows it is alive by its functions
        return function_id

    def stop_app(self, app_id: str, reason: str) -> int:
        """Stop an app: cancel its queued and running inputs, stop its containers.

        Returns how many of the app's inputs were cancelled over its life, these included."""
        app = self.apps.get(app_id)
        if app is None or app.stopped:
            return 0
        app.stopped = True
        for call in list(app.calls.values()):
            self.cancel_call(call, reason)
        for fn in app.functions:
            for ct in list(fn.containers.values()):
                self._stop_container(ct, reason)
            del self.functions[fn.function_id]
        for call_id in app.calls:
            self.calls.pop(call_id, None)
        self.store.stop_app(app_id, reason)
        self.logs.app_done(app_id)
        del self.apps[app_id]
        return app.cancelled_inputs

    def find_live_app(self, name_or_id: str) -> AppState | None:
        """A running app by id, else the live deployed version of that name, else its newest run."""
        if name_or_id in self.apps:
            return self.apps[name_or_id]
        live = self.deployments.live(name_or_id)
        if live is not None:
            return live
        named = [a for a in self.apps.values() if a.name == name_or_id and a.state == "ephemeral"]
        return named[-1] if named else None

    def on_usage(self, batch: pb.ContainerUsageBatch, worker: WorkerConn, now: float) -> None:
        """What a worker's containers use: memory as is, CPU as cores over the time since the last report."""
        for u in batch.containers:
            ct = self.containers.get(u.container_id)
            if ct is None or ct.worker is not worker:
                continue
            _, _, cpu_before = ct.usage
            cores = -1.0
            if u.cpu_seconds >= 0 and cpu_before >= 0 and now > ct.usage_at:
                cores = max(0.0, (u.cpu_seconds - cpu_before) / (now - ct.usage_at))
            ct.usage, ct.usage_at = (cores, u.memory_bytes, u.cpu_seconds), now

    def stop_container_by_user(self, container_id: str) -> int:
        """Stop a container on request; the inputs it runs go back to the queue. Returns how many."""
        ct = self.containers.get(container_id)
        if ct is None:
            raise KeyError(f"no running container {container_id}: `leveret container list` shows them")
        n = len(ct.outstanding)
        self._stop_container(ct, "stopped with `leveret container stop`")
        return n

    # ------------------------------------------------------------------ calls and inputs

    def function(self, function_id: str) -> FunctionState:
        fn = self.functions.get(function_id) or self.deployments.successor_of(function_id)
        if fn is None:
            raise KeyError(f"function {function_id} is not running (its app stopped, or the id is wrong)")
        return fn

    def new_call(self, function_id: str, kind: str, inputs: list[pb.Input], total: int | None,
                 call_id: str = "", *, stored: bool = False) -> CallState:
        """A call and its first inputs, queued; stored by the write-behind (``stored``: already)."""
        fn = self.deployments.current(self.function(function_id))
        function_id = fn.function_id
        call = CallState(call_id or new_id("fc"), function_id, fn.app_id, kind, total)
        recs = self._make_inputs(call, inputs)
        self.calls[call.call_id] = call
        self.apps[fn.app_id].calls[call.call_id] = call
        self._enqueue(fn, recs)  # first: the dispatch is sent before the write-behind commits
        if not stored:
            self.writes.add(self.store.create_call, call.call_id, function_id, kind, total,
                            [(r.input_id, r.idx, r.args, r.args_blob) for r in recs])
        return call

    def restore_call(self, fn: FunctionState, call_id: str, kind: str, total: int | None,
                     outputs: list[pb.Output], inputs: list[pb.Input]) -> CallState:
        """A stored call that had not finished when the server stopped: its outputs so far, and its
        inputs without a final output queued again."""
        call = CallState(call_id, fn.function_id, fn.app_id, kind, total)
        call.outputs.extend(outputs)
        call.finals = sum(1 for o in outputs if o.status in FINAL)
        recs = self._make_inputs(call, inputs)
        call.sent = total if total is not None else len(inputs) + call.finals   # a final output per input
        self.calls[call_id] = call
        self.apps[fn.app_id].calls[call_id] = call
        self._enqueue(fn, recs)
        return call

    def add_inputs(self, call: CallState, inputs: list[pb.Input]) -> None:
        if call.cancelled:
            return
        fn = self.function(call.function_id)
        recs = self._make_inputs(call, inputs)
        self._enqueue(fn, recs)
        self.writes.add(self.store.add_inputs, call.call_id, [(r.input_id, r.idx, r.args, r.args_blob) for r in recs])

    def finish_inputs(self, call: CallState, total: int) -> None:
        self.writes.add(self.store.set_call_total, call.call_id, total)
        call.set_total(total)
        self._forget_if_done(call)

    def _make_inputs(self, call: CallState, inputs: list[pb.Input]) -> list[InputRec]:
        now = time.time()
        prefix = "in-" + call.call_id[3:]
        recs = [InputRec(f"{prefix}-{i.idx}", call, i.idx, i.args, now, i.args_blob_id) for i in inputs]
        call.sent += len(recs)
        call.pending.update((r.input_id, r) for r in recs)
        return recs

    def _enqueue(self, fn: FunctionState, recs: list[InputRec]) -> None:
        for r in recs:
            self.inputs[r.input_id] = r
        fn.queue.extend(recs)
        self.pump(fn)
        if fn.queued:  # what warm containers took needs no scaling decision
            self.autoscale(fn, time.time())

    def detach(self, call: CallState) -> None:
        """Its client's stream ended before its result: it goes on, and is cancelled if the client does
        not come back (a request naming it again, after a reconnect) within REATTACH_GRACE_S."""
        if not call.done and not call.cancelled and call.call_id in self.calls:
            call.detached_at = time.time()
            self.detached[call.call_id] = call

    def reattach(self, call: CallState) -> None:
        call.detached_at = None
        self.detached.pop(call.call_id, None)

    def cancel_call(self, call: CallState, reason: str) -> int:
        """Cancel what is left of a call; return how many inputs were cancelled.

        Queued inputs are skipped when they reach the head of the queue; running ones keep their
        container's window until their result (dropped) or the container's end frees it."""
        if call.cancelled or call.done:
            return 0
        call.cancelled = True
        left = list(call.pending.values())
        fn = self.functions.get(call.function_id)
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
        message = f"cancelled: {reason}"
        self._publish([(r, pb.Output(idx=r.idx, status=pb.OUTPUT_STATUS_CANCELLED, message=message), "") for r in left])
        self._forget(call)
        app = self.apps.get(call.app_id)
        if app is not None:
            app.cancelled_inputs += len(left)
        return len(left)

    def _forget_if_done(self, call: CallState) -> None:
        """Drop a finished call from memory. An ephemeral app's spawned calls stay until it stops (their
        outputs are read from memory); a deployed app's are read from the store once done."""
        if not call.done:
            return
        if call.kind not in ("spawn", "schedule"):
            self._forget(call)
        elif self.apps.get(call.app_id, AppState("", "")).deployed:
            # after the write-behind (scheduled before this) has stored its outputs, so a reader
            # that no longer finds the call in memory finds them in the store
            asyncio.get_running_loop().call_soon(self._forget, call)

    def _forget(self, call: CallState) -> None:
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

    def _publish(self, items: list[tuple[InputRec, pb.Output, str]]) -> None:
        """Record outputs ``(input, output, container_id)``, grouped by call; forget finished calls."""
        by_call: dict[str, list] = {}
        for r, out, container_id in items:
            if out.status in FINAL:
                r.call.pending.pop(r.input_id, None)
            by_call.setdefault(r.call.call_id, [r.call]).append((r.input_id, out, container_id))
        for call, *results in by_call.values():
            self._record(call, results)
            self._forget_if_done(call)
        self.metrics.finished(items, time.time())

    def _record(self, call: CallState, results: list[tuple[str, pb.Output, str]]) -> None:
        """Store and publish outputs ``(input_id, output, container_id)`` of one call."""
        seq = len(call.outputs)
        call.add([o for _, o, _ in results])
        self.writes.add(self.store.add_outputs, [
            (iid, call.call_id, seq + i, o.idx, o.status, o.data, o.gen_index, o.message, ct, o.data_blob_id)
            for i, (iid, o, ct) in enumerate(results)
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
            if not ct.ready or ct.stopping:
                continue
            room = window - len(ct.outstanding)
            if room <= 0:
                continue
            batch, size = [], 0
            while fn.queue and len(batch) < room and size < BATCH_BYTES:
                r = fn.queue[0]
                if r.cancelled:
                    fn.queue.popleft()
                    fn.cancelled_in_queue -= 1
                    continue
                if r.alone and (batch or ct.outstanding):
                    break   # an input from a crashed container runs by itself (on an idle container)
                fn.queue.popleft()
                r.container = ct
                ct.outstanding[r.input_id] = r
                batch.append(pb.DispatchedInput(input_id=r.input_id, attempt=r.attempt, args=r.args,
                                                args_blob_id=r.args_blob))
                size += len(r.args)
                if r.alone:
                    break
            if not batch:
                continue   # the head waits for an idle container: try the next one
            ct.idle_since = None
            ct.worker.outbox.put_nowait(pb.ServerToWorker(inputs=pb.InputBatch(container_id=ct.container_id, inputs=batch)))

    def on_results(self, batch: pb.ResultBatch, worker: WorkerConn | None = None) -> None:
        """Results from a container (``worker``: the one that sent them, which must run it)."""
        ct = self.containers.get(batch.container_id)
        if ct is None or (worker is not None and ct.worker is not worker):
            return   # from a container given up on (its inputs were requeued or failed), or not the sender's
        now = time.time()
        items = []
        finals = 0
        for res in batch.results:
            r = self.inputs.get(res.input_id)
            if r is None or r.attempt != res.attempt or r.container is None or r.container.container_id != batch.container_id:
                continue  # a duplicate, or from an attempt given up on (its container or worker was lost)
            out = res.output
            out.idx = r.idx
            if out.status == pb.OUTPUT_STATUS_GENERATOR_ITEM:
                r.yielded = True
            if out.status in FINAL:
                finals += 1
                self._release(r)
                if out.status in RETRYABLE:
                    if self._attempt_ended(r, Cause.FAILED, out.message or "it failed", now) is not None:
                        continue
                    out.message = self._final_message(r, out.message)
                else:
                    r.ends = 0
            if not r.cancelled:
                items.append((r, out, batch.container_id))
        self._publish(items)
        if ct.function.crash_streak and any(o.status not in RETRYABLE for _, o, _ in items):
            ct.function.crash_streak = 0   # it serves: crashes before this were not a loop
        if ct.phases and items:
            self._report_cold_start(ct, now)
        fn = ct.function
        if finals:
            sample = batch.busy_s / finals
            fn.seconds_per_input = sample if fn.seconds_per_input is None else 0.7 * fn.seconds_per_input + 0.3 * sample
        if not ct.outstanding:
            ct.idle_since = now
        self.pump(fn)
        if fn.queued:
            self.autoscale(fn, now)

    # ------------------------------------------------------------------ containers and workers

    def autoscale(self, fn: FunctionState, now: float) -> None:
        if fn.function_id not in self.functions or self.apps[fn.app_id].state == "deploying":
            return   # gone, or not live yet (min_containers start when it is published)
        d = fn.definition
        load = autoscaler.FunctionLoad(
            queued=fn.queued,
            oldest_queued_at=fn.queue[0].queued_at if fn.queue else None,
            seconds_per_input=fn.seconds_per_input,
            containers=tuple(
                autoscaler.ContainerLoad(c.container_id, c.ready, len(c.outstanding), c.idle_since)
                for c in fn.containers.values() if not c.stopping
            ),
            max_containers=d.max_containers or DEFAULT_MAX_CONTAINERS,
            scaledown_window=d.scaledown_window_s,
            min_containers=d.min_containers,
            buffer_containers=d.buffer_containers,
            target_inputs=(d.target_inputs or d.max_inputs) if d.max_inputs > 1 else 1,
        )
        decision = autoscaler.decide(load, now)
        if not decision.start and not decision.stop:
            if not fn.queued and fn.pending:
                fn.pending = ""
            return
        if decision.start:
            self._place(fn, decision.start, decision.reason, now)
        if decision.stop:
            self._event(fn, now, decision.reason if not decision.start else f"stop {len(decision.stop)}: idle")
        for container_id in decision.stop:
            self._stop_container(self.containers[container_id], "idle past its scaledown window")

    def _event(self, fn: FunctionState, now: float, text: str) -> None:
        """A scale decision or placement problem: kept for `leveret function describe`, and a verbose log line."""
        fn.events.append((now, text))
        self.logs.system(fn.app_id, fn.name, "", text, verbose=True)

    def snapshot(self) -> sched.Snapshot:
        return sched.Snapshot(tuple(w.node() for w in self.workers.values()))

    def _place(self, fn: FunctionState, n: int, why: str, now: float) -> None:
        """Ask the scheduler for ``n`` containers of ``fn``; start what it places, say why the rest wait."""
        if now < fn.hold_until:
            fn.pending = (f"starts are held back for {fn.hold_until - now:.1f} s more after {fn.crash_streak}"
                          " container crash(es) in a row")
            return
        if not self.workers:
            fn.pending = self.no_worker
            if not fn.told_no_worker:
                fn.told_no_worker = True
                self.logs.system(fn.app_id, fn.name, "", self.no_worker)
            return
        d = fn.definition
        gpu_family = d.gpu_type.upper().split("-")[0]   # "A100-80GB" runs on a worker offering "A100"
        requests = [sched.Request(f"{fn.function_id}#{i}", fn.request, gpu_type=gpu_family,
                                  selector=tuple(sorted(d.selector.items()))) for i in range(n)]
        plan = sched.schedule(self.snapshot(), requests, rng=self.rng)
        applied = sched.apply(plan, self.snapshot(), {r.request_id: r for r in requests})
        for p in applied.accepted:
            self._start_container(fn, self.workers[p.node_id], now)
        placed = len(applied.accepted)
        if placed:
            self._event(fn, now, why if placed == n else f"{why} (placed {placed})")
        if not plan.unschedulable and not applied.rejected:
            fn.pending = ""
            return
        if plan.unschedulable and not plan.unschedulable[0].ever:
            self._fail_unplaceable(fn, plan.unschedulable[0].describe())
            return
        reason = plan.unschedulable[0].describe() if plan.unschedulable else applied.rejected[0][1]
        if reason != fn.pending:
            self._event(fn, now, f"{n - placed} container(s) pending: {reason}")
        fn.pending = reason
        if fn.queued:   # work waits: idle containers of others make room (a floor or buffer does not evict)
            self._evict_idle(n - placed, fn)

    def _fail_unplaceable(self, fn: FunctionState, reasons: str) -> None:
        """No node could ever hold a container of ``fn``: its queued inputs fail now, with the reasons."""
        message = (f"{fn.name} {reasons} — ask for less (cpu=, memory=, gpu=, region=) or add a worker that has it"
                   " (leveret worker --server URL --token TOKEN)")
        if fn.pending != message:
            fn.pending = message
            self._event(fn, time.time(), message)
        queued = [r for r in fn.queue if not r.cancelled]
        fn.queue.clear()
        fn.cancelled_in_queue = 0
        self._fail_inputs(queued, "", message)

    def _start_container(self, fn: FunctionState, worker: WorkerConn, now: float) -> None:
        ct = ContainerRec(new_id("ct"), fn, worker, resources=fn.request, placed_at=now,
                          waiting_since=fn.queue[0].queued_at if fn.queue else now)
        self.store.add_container(ct.container_id, fn.function_id, fn.app_id, worker.worker_id)
        self.containers[ct.container_id] = ct
        fn.containers[ct.container_id] = ct
        worker.containers.add(ct)
        worker.allocated = worker.allocated + ct.resources
        worker.outbox.put_nowait(pb.ServerToWorker(start=pb.ContainerAssignment(
            container_id=ct.container_id, function_id=fn.function_id, app_id=fn.app_id, definition=fn.definition)))

    def _report_cold_start(self, ct: ContainerRec, now: float) -> None:
        """On a container's first output: its cold start, phase by phase (stored, and a verbose log line)."""
        phases, ct.phases = ct.phases, {}
        phases["first_input"] = now - ct.ready_at
        total = now - ct.waiting_since
        self.store.update_container(ct.container_id, "ready", phases={**phases, "total": total})
        self.metrics.cold_started(phases, total)
        order = ["schedule", "code", "image", "runtime_start", "interpreter_start", "imports", "first_input"]
        parts = " + ".join(f"{name.replace('_', ' ')} {phases[name] * 1000:.1f}" for name in order if name in phases)
        fn = ct.function
        self.logs.system(fn.app_id, fn.name, ct.container_id, f"cold start {total * 1000:.1f} ms = {parts} ms", verbose=True)

    def _evict_idle(self, wanted: int, fn: FunctionState) -> None:
        """Free slots for ``fn`` by stopping other functions' idle containers, longest idle first.

        Idle containers are a cache: work that waits for a slot comes first. Containers already
        stopping count towards ``wanted``; ``fn`` is placed when their exits free the slots.
        """
        stopping = sum(1 for c in self.containers.values() if c.stopping)
        idle = sorted(
            (c for c in self.containers.values()
             if c.ready and not c.stopping and not c.outstanding and c.function is not fn and c.idle_since is not None),
            key=lambda c: c.idle_since,
        )
        kept = {f.function_id: sum(1 for c in f.containers.values() if not c.stopping) for f in self.functions.values()}
        for ct in idle:
            if wanted - stopping <= 0:
                break
            other = ct.function
            if kept.get(other.function_id, 0) <= other.definition.min_containers:
                continue   # its min_containers are not a cache
            kept[other.function_id] -= 1
            self._stop_container(ct, f"its room was needed by {fn.name}")
            wanted -= 1

    def _stop_container(self, ct: ContainerRec, reason: str) -> None:
        if ct.stopping:
            return
        ct.stopping = True
        ct.stop_reason = reason
        ct.worker.outbox.put_nowait(pb.ServerToWorker(stop=pb.ContainerStop(container_id=ct.container_id, reason=reason)))

    def on_container_event(self, ev: pb.ContainerEvent, *, worker_lost: bool = False,
                           worker: WorkerConn | None = None) -> None:
        ct = self.containers.get(ev.container_id)
        if ct is None or (worker is not None and ct.worker is not worker):
            return
        fn = ct.function
        if ev.state == pb.CONTAINER_STATE_READY:
            ct.ready = True
            ct.ready_at = ct.idle_since = time.time()
            ct.phases = {"schedule": ct.placed_at - ct.waiting_since, **ev.phases}
            self.store.update_container(ct.container_id, "ready", phases=ct.phases)
            self.pump(fn)
            return
        if ev.state not in (pb.CONTAINER_STATE_STOPPED, pb.CONTAINER_STATE_FAILED):
            return
        self._forget_container(ct)
        state = "failed" if ev.state == pb.CONTAINER_STATE_FAILED else "stopped"
        self.store.update_container(ct.container_id, state, exit_code=ev.exit_code, message=ev.message)
        why = ev.message or f"container {ct.container_id} exited with code {ev.exit_code}"
        charged = self._inputs_after_end(ct, ev, worker_lost, why)
        if (ev.state == pb.CONTAINER_STATE_FAILED and not ct.ready and not ct.stopping and not worker_lost
                and not any(c.ready for c in fn.containers.values())):
            # No container of this function ever started and another would fail the same way:
            # the queue fails now, with the reason, instead of a crash loop.
            queued = [r for r in fn.queue if not r.cancelled]
            fn.queue.clear()
            fn.cancelled_in_queue = 0
            self._fail_inputs(queued, ct.container_id, why)
        now = time.time()
        if ev.state == pb.CONTAINER_STATE_FAILED or (not ct.stopping and ev.exit_code != 0):
            self.logs.system(fn.app_id, fn.name, ct.container_id, ev.message or f"container exited with code {ev.exit_code}")
            # A crash loop: containers that end by themselves, not under an input that is to blame
            # (that input pays with its retries; a timeout's stop and a lost worker are no crash).
            if not worker_lost and not ev.timed_out_input and not charged:
                fn.crash_streak += 1
                hold = CRASH_BACKOFF_S[min(fn.crash_streak, len(CRASH_BACKOFF_S)) - 1]
                fn.hold_until = now + hold
                if hold:
                    self._event(fn, now, f"{fn.crash_streak} container crash(es) in a row: the next start waits {hold:g} s")
        else:   # an ordinary end, recorded (shown by `leveret run --verbose` and the dashboard)
            self.logs.system(fn.app_id, fn.name, ct.container_id,
                             f"container stopped ({ct.stop_reason or 'it exited'}; exit code {ev.exit_code})", verbose=True)
        for other in list(self.functions.values()):  # a freed slot may be what another function waits for
            if other is fn or other.queued:
                self.autoscale(other, now)
                self.pump(other)

    def _forget_container(self, ct: ContainerRec) -> None:
        self.containers.pop(ct.container_id, None)
        ct.function.containers.pop(ct.container_id, None)
        if ct in ct.worker.containers:
            ct.worker.containers.discard(ct)
            ct.worker.allocated = ct.worker.allocated - ct.resources

    def _requeue(self, recs: list[InputRec]) -> None:
        """Put inputs that never started back at the head of their function's queue, in order."""
        for r in reversed(recs):
            self._release(r)
            fn = self.functions.get(r.call.function_id)
            if r.cancelled or fn is None:
                continue
            self.inputs[r.input_id] = r
            r.container = None
            r.attempt += 1       # a late result of the earlier attempt is dropped
            fn.queue.appendleft(r)

    def _inputs_after_end(self, ct: ContainerRec, ev: pb.ContainerEvent, worker_lost: bool, why: str) -> bool:
        """What becomes of the inputs a container held when it ended (policy.py decides); True if
        one of them was to blame (it ran when the container crashed or its worker was lost)."""
        held = list(ct.outstanding.values())
        if not held:
            return False
        concurrent = ct.function.definition.max_inputs > 1
        if worker_lost:   # the worker says nothing now: what it was running is what was sent first
            cause, suspects = Cause.WORKER_LOST, held if concurrent else held[:1]
        elif ev.timed_out_input or ct.stopping:
            cause, suspects = Cause.NOT_STARTED, []   # stopped on purpose: not these inputs' doing
        else:
            cause = Cause.OUT_OF_MEMORY if ev.oom_killed else Cause.CRASHED
            running = ct.outstanding.get(ev.running_input)
            # The worker names the input that ran; a @concurrent container that ran several cannot
            # say which one was to blame: each of them runs again alone, so the next end names it.
            suspects = [running] if running is not None else held if concurrent else []
        if cause is not Cause.WORKER_LOST and len(suspects) > 1:
            for r in suspects:
                r.alone = True
            cause, suspects = Cause.NOT_STARTED, []
        status = pb.OUTPUT_STATUS_OUT_OF_MEMORY if cause is Cause.OUT_OF_MEMORY else pb.OUTPUT_STATUS_INTERNAL_FAILURE
        now = time.time()
        requeue, failed = [], []
        for r in held:
            self._release(r)
            message = f"{why} while running this input"
            step = self._attempt_ended(r, cause if r in suspects else Cause.NOT_STARTED, message, now)
            if step is Action.REQUEUE:
                requeue.append(r)
            elif step is None:
                failed.append((r, pb.Output(idx=r.idx, status=status, message=self._final_message(r, message)),
                               ct.container_id))
        self._requeue(requeue)
        self._publish([item for item in failed if not item[0].cancelled])
        return bool(suspects)

    def _attempt_ended(self, r: InputRec, cause: Cause, why: str, now: float) -> Action | None:
        """Apply the policy to an input whose attempt ended: REQUEUE (the caller puts it back),
        RETRY (scheduled here), or None: it fails, with ``why`` and the reason the policy adds."""
        fn = self.functions.get(r.call.function_id)
        retries = fn.definition.retries if fn is not None and fn.definition.HasField("retries") else None
        step = after_attempt(cause, retries_used=r.retries, max_retries=retries.max_retries if retries else 0,
                             ends=r.ends, yielded=r.yielded)
        r.ends = step.ends
        r.fail_why = step.why
        if r.cancelled or fn is None:
            return None
        if step.action is Action.REQUEUE:
            r.alone = r.alone or step.ends > 0
            return Action.REQUEUE
        if step.action is Action.RETRY:
            self._retry_later(fn, r, why, now)
            return Action.RETRY
        if retries is not None and cause is not Cause.NOT_STARTED:   # the last attempt, counted as the others
            self.logs.system(fn.app_id, fn.name, "", f"input {r.input_id} failed (attempt {r.retries + 1} of"
                             f" {retries.max_retries + 1}): {_first_line(why)}; {step.why or 'no retries left'}")
        return None

    def _final_message(self, r: InputRec, message: str) -> str:
        """A final failure's message, with what ended the input beyond its own error."""
        return f"{message} ({r.fail_why})" if r.fail_why else message

    def _fail_inputs(self, recs: list[InputRec], container_id: str, message: str) -> None:
        """Fail inputs that will never run (no container can hold them)."""
        for r in recs:
            self._release(r)
        self._publish([(r, pb.Output(idx=r.idx, status=pb.OUTPUT_STATUS_INTERNAL_FAILURE, message=message), container_id)
                       for r in recs if not r.cancelled])

    # ------------------------------------------------------------------ retries

    def _retry_later(self, fn: FunctionState, r: InputRec, why: str, now: float) -> None:
        """Another attempt of a failed input after its function's retry delay (one retry used)."""
        policy = fn.definition.retries
        r.retries += 1
        r.attempt += 1          # a late result of the failed attempt is dropped
        r.container = None
        r.alone = r.alone or r.ends > 0
        delay = min(policy.max_delay_s, policy.initial_delay_s * policy.backoff_coefficient ** (r.retries - 1))
        self.inputs[r.input_id] = r
        fn.retry_waiting += 1
        r.retry_handle = asyncio.get_running_loop().call_later(delay, self._retry_now, fn, r)
        self.logs.system(fn.app_id, fn.name, "", f"input {r.input_id} failed (attempt {r.retries} of"
                         f" {policy.max_retries + 1}): {_first_line(why)}; retrying in {delay:g} s")

    def _retry_now(self, fn: FunctionState, r: InputRec) -> None:
        r.retry_handle = None
        fn.retry_waiting -= 1
        if r.cancelled or fn.function_id not in self.functions:
            return
        r.queued_at = time.time()
        fn.queue.append(r)
        self.pump(fn)
        if fn.queued:
            self.autoscale(fn, time.time())

    def add_worker(self, info: pb.WorkerInfo, outbox: asyncio.Queue, *, token_id: str = "",
                   worker_id: str = "") -> WorkerConn:
        """A worker joins (``worker_id``: one reconnecting under its earlier id); the containers it
        says it still runs are kept or stopped (reconcile.py) before anything is placed on it."""
        worker = WorkerConn(worker_id or new_id("wk"), info, outbox, token_id=token_id, last_seen=time.time())
        self.store.add_worker(worker.worker_id, info.hostname, info.runtime,
                              {"cpu": info.cpu, "memory_mb": info.memory_mb, "max_containers": info.max_containers})
        self.workers[worker.worker_id] = worker
        reconcile.adopt(self, worker, info.containers)
        for fn in list(self.functions.values()):
            self.autoscale(fn, time.time())
        return worker

    def worker_with_token(self, token_id: str) -> WorkerConn | None:
        return next((w for w in self.workers.values() if w.token_id == token_id), None)

    def worker_may_read_blob(self, token_id: str, blob_id: str) -> bool:
        """Whether ``blob_id`` holds the arguments of an input sent to a container of the worker holding ``token_id``."""
        worker = self.worker_with_token(token_id)
        return worker is not None and any(
            r.args_blob == blob_id for ct in worker.containers for r in ct.outstanding.values())

    def worker_may_read_mount(self, token_id: str, mount_id: str) -> bool:
        """Whether a container assigned to the worker holding ``token_id`` runs code from ``mount_id``."""
        worker = self.worker_with_token(token_id)
        return worker is not None and any(
            mount_id == ct.function.definition.mount_id or mount_id in ct.function.definition.image
            for ct in worker.containers)

    def mark_down(self, worker: WorkerConn, why: str) -> None:
        """A worker that went silent (or lost its token): its containers count as lost and their inputs
        run elsewhere; its stream is ended, and any result it still sends is dropped."""
        if worker.down:
            return
        worker.down = True
        log.warning("worker %s marked down: %s", worker.worker_id, why)
        for app_id in {ct.function.app_id for ct in worker.containers}:
            self.logs.system(app_id, "", "", f"worker {worker.worker_id} marked down: {why}; its inputs run elsewhere")
        reconcile.note_end(self.ended, worker.worker_id, f"marked down: {why}")
        worker.outbox.put_nowait(pb.ServerToWorker(disconnect=self.ended[worker.worker_id]))
        worker.outbox.put_nowait(None)
        self.remove_worker(worker)

    def remove_worker(self, worker: WorkerConn) -> None:
        """A worker disconnected: its containers are gone with it."""
        if self.workers.get(worker.worker_id) is not worker:
            return
        worker.down = True
        self.workers.pop(worker.worker_id, None)
        self.execs.worker_lost(worker)
        self.store.worker_disconnected(worker.worker_id)
        for ct in list(worker.containers):
            self.on_container_event(pb.ContainerEvent(
                container_id=ct.container_id, state=pb.CONTAINER_STATE_FAILED, exit_code=-1,
                message=f"worker {worker.worker_id} disconnected"), worker_lost=True)
