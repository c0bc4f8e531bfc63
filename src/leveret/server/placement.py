"""Containers: how many each function wants (the autoscaler), where they go (the scheduler), their
start, stop and end, and what they use.

    autoscale(fn) ─▶ autoscaler.decide(load) ─▶ place: scheduler.schedule(snapshot of workers)
        ─▶ start what is placed (a StartContainer to its worker); say why the rest wait, or
        fail the queue if no worker could ever hold one; evict others' idle containers for queued work
    on_event(ready) ─▶ the Dispatcher pumps inputs to it
    cancel_running ─▶ CancelInputs to the worker (or, terminate_containers, a stop); a cancelled
        input still running CANCEL_GRACE_S later has its container stopped
    on_event(stopped | failed) ─▶ what it held goes by the policy (attempts.py),
        a crash loop holds back the next start, freed room goes to who waits

Decisions are in the pure autoscaler and scheduler; this module applies them to the Dispatcher's
records (state.py).
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from .._shared import gpus
from .._shared.ids import new_id
from . import autoscaler
from . import scheduler as sched
from .model import CancelInputs, ContainerEvent, ContainerState, StartContainer, StopContainer, Usage
from .store import Store
from .state import DEFAULT_MAX_CONTAINERS, ContainerRec, FunctionState, WorkerConn
from .errors import NotFound

if TYPE_CHECKING:
    from .dispatch import Dispatcher

CRASH_BACKOFF_S = (0.0, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0)   # hold-off before the next start, by crashes in a row
# A cancelled input whose code has not stopped this long after its Cancel (stuck in C code that
# never returns to Python, or catching the cancellation and going on) has its container stopped.
CANCEL_GRACE_S = 10.0


class Placement:
    def __init__(self, dispatcher: "Dispatcher"):
        self.d = dispatcher

    def on_usage(self, usage: list[Usage], worker: WorkerConn, now: float) -> None:
        """What a worker's containers use: memory as is, CPU as cores over the time since the last report."""
        for u in usage:
            ct = self.d.containers.get(u.container_id)
            if ct is None or ct.worker is not worker:
                continue
            _, memory_before, cpu_before = ct.usage
            cores = -1.0
            if u.cpu_seconds >= 0 and cpu_before >= 0 and now > ct.usage_at:
                cores = max(0.0, (u.cpu_seconds - cpu_before) / (now - ct.usage_at))
            if ct.usage_at and now > ct.usage_at:   # (usage: the server's and the dashboard's)
                self.d.metrics.used(ct, max(0.0, cores) * (now - ct.usage_at),
                                    max(0, memory_before) * (now - ct.usage_at))
            ct.usage, ct.usage_at = (cores, u.memory_bytes, u.cpu_seconds), now

    def stop_by_user(self, container_id: str) -> int:
        """Stop a container on request; the inputs it runs go back to the queue. Returns how many."""
        ct = self.d.containers.get(container_id)
        if ct is None:
            raise NotFound(f"no running container {container_id}: `leveret container list` shows them")
        n = len(ct.outstanding)
        if ct.function.sandbox is not None:
            self.d.sandboxes.terminate(ct.function.sandbox, "stopped with `leveret container stop`")
            return n
        self.stop(ct, "stopped with `leveret container stop`")
        return n

    def update_autoscaler(self, function_id: str, changes: dict) -> None:
        """A running function's autoscaling settings changed (Function.update_autoscaler): in effect
        at once, until its app is deployed again. ValueError for settings that contradict."""
        fn = self.d.function(function_id)   # NotFound
        spec = dataclasses.replace(fn.spec, **changes)
        if spec.max_containers and spec.min_containers > spec.max_containers:
            raise ValueError(f"min_containers={spec.min_containers} is more than max_containers={spec.max_containers}:"
                             " lower one or raise the other")
        fn.spec = spec
        fn.events.append((self.d.clock.time(), "autoscaler updated: " +
                          ", ".join(f"{k}={v}" for k, v in sorted(changes.items()))))
        self.autoscale(fn, self.d.clock.time())

    def autoscale(self, fn: FunctionState, now: float) -> None:
        if fn.function_id not in self.d.functions:
            return   # gone
        if fn.sandbox is not None:   # one container, never scaled (sandboxes.py)
            self.d.sandboxes.place(fn, now)
            return
        if self.d.apps[fn.app_id].state == "deploying":
            return   # not live yet (min_containers start when it is published)
        d = fn.spec
        load = autoscaler.FunctionLoad(
            queued=fn.queued,
            oldest_queued_at=fn.queue[0].queued_at if fn.queue else None,
            seconds_per_input=fn.seconds_per_input,
            containers=tuple(
                autoscaler.ContainerLoad(c.container_id, c.ready, len(c.outstanding) + c.direct, c.idle_since,
                                         d.max_inputs <= 1 and bool(c.outstanding) and self.d.waiting(c))
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
            self.place(fn, decision.start, decision.reason, now)
        if decision.stop:
            self.event(fn, now, decision.reason if not decision.start else f"stop {len(decision.stop)}: idle")
        for container_id in decision.stop:
            self.stop(self.d.containers[container_id], "idle past its scaledown window")

    def event(self, fn: FunctionState, now: float, text: str) -> None:
        """A scale decision or placement problem: kept for `leveret function describe`, and a verbose log line."""
        fn.events.append((now, text))
        self.d.logs.system(fn.app_id, fn.name, "", text, verbose=True)

    def snapshot(self) -> sched.Snapshot:
        """The workers as the scheduler's nodes, with the selectors the functions ask for (nodes they
        match are kept for them: scheduler/core.py)."""
        selected = frozenset(fn.spec.selector for fn in self.d.functions.values() if fn.spec.selector)
        return sched.Snapshot(tuple(w.node() for w in self.d.workers.values()), selected)

    def place(self, fn: FunctionState, n: int, why: str, now: float) -> None:
        """Ask the scheduler for ``n`` containers of ``fn``; start what it places, say why the rest wait."""
        if now < fn.hold_until:
            fn.pending = (f"starts are held back for {fn.hold_until - now:.1f} s more after {fn.crash_streak}"
                          " container crash(es) in a row")
            return
        if not self.d.workers:
            fn.pending = self.d.no_worker
            if not fn.told_no_worker:
                fn.told_no_worker = True
                self.d.logs.system(fn.app_id, fn.name, "", self.d.no_worker)
            return
        d = fn.spec
        if self.d.secrets.not_loaded(d.all_secret_ids):   # a function restored after a restart: opened first
            gone = self.d.secrets.fetch(self.d.reads, d.all_secret_ids)
            if gone:
                self._fail_queue(fn, f"{fn.name} cannot start: {gone}")
            return   # the next pass starts it
        placed, tried = 0, []
        for gpu_type in gpus.options(d.gpu_type):   # a fallback list's types in order
            requests = [sched.Request(f"{fn.function_id}#{i}", fn.request, gpu_type=gpu_type, selector=d.selector)
                        for i in range(n - placed)]
            plan = sched.schedule(self.snapshot(), requests, rng=self.d.rng)
            applied = sched.apply(plan, self.snapshot(), {r.request_id: r for r in requests})
            for p in applied.accepted:
                self.start(fn, self.d.workers[p.node_id], now)
            placed += len(applied.accepted)
            tried.append((gpu_type, plan, applied))
            if placed == n:
                break
        if placed:
            self.event(fn, now, why if placed == n else f"{why} (placed {placed})")
        if placed == n:
            fn.pending = ""
            return
        named = len(tried) > 1   # each type of a fallback list says why
        never = [f"{t}: {plan.unschedulable[0].describe()}" if named else plan.unschedulable[0].describe()
                 for t, plan, _ in tried if plan.unschedulable and not plan.unschedulable[0].ever]
        if len(never) == len(tried):
            self._fail_unplaceable(fn, "; ".join(never))
            return
        t, plan, applied = next((t, plan, applied) for t, plan, applied in tried
                                if not plan.unschedulable or plan.unschedulable[0].ever)
        reason = plan.unschedulable[0].describe() if plan.unschedulable else applied.rejected[0][1]
        reason = f"{t}: {reason}" if named else reason
        if reason != fn.pending:
            running = len(fn.containers)
            self.event(fn, now, f"{running} container(s) up; {n - placed} more will start when there is room"
                                f" ({reason})")
        fn.pending = reason
        if fn.queued:   # work waits: idle containers of others make room (a floor or buffer does not evict)
            self._evict_idle(n - placed, fn)

    def _fail_unplaceable(self, fn: FunctionState, reasons: str) -> None:
        """No node could ever hold a container of ``fn``: its queued inputs fail now, with the reasons."""
        message = (f"{fn.name} {reasons} — ask for less (cpu=, memory=, gpu=, region=) or add a worker that has it"
                   " (leveret worker --server URL --token TOKEN)")
        if fn.spec.gpu_count:   # what there is to ask for instead
            have = [f"{w.info.gpus} {w.info.gpu_type or 'GPU'}" for w in self.d.workers.values() if w.info.gpus]
            message += f"; the cluster's GPUs: {', '.join(have) if have else 'none'}"
        if fn.sandbox is not None:
            self.d.sandboxes.unplaceable(fn, message)
            return
        self._fail_queue(fn, message)

    def _fail_queue(self, fn: FunctionState, message: str) -> None:
        """``fn``'s queued inputs fail now, with ``message`` (said once as its pending reason)."""
        if fn.pending != message:
            fn.pending = message
            self.event(fn, self.d.clock.time(), message)
        queued = [r for r in fn.queue if not r.cancelled]
        fn.queue.clear()
        fn.cancelled_in_queue = 0
        self.d.attempts.fail(queued, "", message)

    def start(self, fn: FunctionState, worker: WorkerConn, now: float) -> None:
        ct = ContainerRec(new_id("ct"), fn, worker, resources=fn.request, placed_at=now,
                          waiting_since=fn.queue[0].queued_at if fn.queue else now)
        self.d.writes.add(Store.add_container, ct.container_id, fn.function_id, fn.app_id, worker.worker_id)
        self.d.containers[ct.container_id] = ct
        fn.containers[ct.container_id] = ct
        if ct.resources.gpus:   # (its GPU seconds are counted by name: learnt now, while its app is here)
            self.d.metrics.function_stats(fn)
        worker.containers.add(ct)
        worker.allocated = worker.allocated + ct.resources
        worker.outbox.put_nowait(StartContainer(ct.container_id, fn.function_id, fn.app_id, fn.spec,
                                                  self.d.container_token(ct.container_id),
                                                  self.d.secrets.env_of(fn.spec.secret_ids),
                                                  self.d.secrets.env_of((fn.spec.registry_secret,) if fn.spec.registry_secret else ()),
                                                  {i: self.d.secrets.env_of((i,)) for i in fn.spec.bucket_secrets},
                                                  fn.sandbox.start if fn.sandbox is not None else None,
                                                  app.name if (app := self.d.apps.get(fn.app_id)) else ""))
        if fn.sandbox is not None:
            self.d.sandboxes.placed(fn.sandbox, ct)

    def report_cold_start(self, ct: ContainerRec, now: float) -> None:
        """On a container's first output: its cold start, phase by phase (stored, and a verbose log line)."""
        phases, ct.phases = ct.phases, {}
        phases["first_input"] = now - ct.ready_at
        total = now - ct.waiting_since
        self.d.writes.add(Store.update_container, ct.container_id, "ready", phases={**phases, "total": total})
        self.d.metrics.cold_started(phases, total)
        order = ["schedule", "code", "image", "runtime_start", "interpreter_start", "imports", "first_input"]
        parts = " + ".join(f"{name.replace('_', ' ')} {phases[name] * 1000:.1f}" for name in order if name in phases)
        fn = ct.function
        self.d.logs.system(fn.app_id, fn.name, ct.container_id, f"cold start {total * 1000:.1f} ms = {parts} ms", verbose=True)

    def _evict_idle(self, wanted: int, fn: FunctionState) -> None:
        """Free slots for ``fn`` by stopping other functions' idle containers, longest idle first.

        Idle containers are a cache: work that waits for a slot comes first. Containers already
        stopping count towards ``wanted``; ``fn`` is placed when their exits free the slots.
        """
        stopping = sum(1 for c in self.d.containers.values() if c.stopping)
        idle = sorted(
            (c for c in self.d.containers.values()
             if c.ready and not c.stopping and not c.outstanding and c.function is not fn and c.idle_since is not None
             and c.function.sandbox is None),
            key=lambda c: c.idle_since,
        )
        kept = {f.function_id: sum(1 for c in f.containers.values() if not c.stopping) for f in self.d.functions.values()}
        for ct in idle:
            if wanted - stopping <= 0:
                break
            other = ct.function
            if kept.get(other.function_id, 0) <= other.spec.min_containers:
                continue   # its min_containers are not a cache
            kept[other.function_id] -= 1
            self.stop(ct, f"its room was needed by {fn.name}")
            wanted -= 1

    def cancel_running(self, running: dict, reason: str, terminate: bool) -> None:
        """Cancelled inputs running in containers (``running``: container -> its InputRecs): their
        worker interrupts their code; ``terminate`` stops those containers too, so their other
        inputs run again elsewhere, as a stopped container's do."""
        for ct, recs in running.items():
            if self.d.containers.get(ct.container_id) is not ct:
                continue   # it ended: its inputs were dealt with then
            ct.worker.outbox.put_nowait(CancelInputs(ct.container_id, [r.input_id for r in recs]))
            if terminate:
                self.stop(ct, f"{reason} with terminate_containers=True")
            elif not ct.stopping:
                self.d.clock.call_later(CANCEL_GRACE_S, self._cancel_overdue, ct, [(r, r.attempt) for r in recs])

    def _cancel_overdue(self, ct: ContainerRec, recs: list) -> None:
        if ct.stopping or self.d.containers.get(ct.container_id) is not ct:
            return
        stuck = [r for r, attempt in recs if ct.outstanding.get(r.input_id) is r and r.attempt == attempt]
        if stuck:
            self.stop(ct, f"input {stuck[0].input_id} was cancelled and its code did not stop within {CANCEL_GRACE_S:g} s"
                          " (code that stays in C, or catches the cancellation, is not interrupted)")

    def stop(self, ct: ContainerRec, reason: str) -> None:
        if ct.stopping:
            return
        ct.stopping = True
        ct.stop_reason = reason
        ct.worker.outbox.put_nowait(StopContainer(ct.container_id, reason))

    def on_event(self, ev: ContainerEvent, *, worker_lost: bool = False, worker: WorkerConn | None = None) -> None:
        ct = self.d.containers.get(ev.container_id)
        if ct is None or (worker is not None and ct.worker is not worker):
            return
        fn = ct.function
        if ev.state is ContainerState.READY:
            ct.ready = True
            ct.ready_at = ct.idle_since = self.d.clock.time()
            ct.phases = {"schedule": ct.placed_at - ct.waiting_since, **ev.phases}
            self.d.writes.add(Store.update_container, ct.container_id, "ready", phases=ct.phases)
            if fn.sandbox is not None:
                self.d.sandboxes.ready(fn.sandbox, ev.ports)
            else:
                self.d.pump(fn)
            return
        if ev.state not in (ContainerState.STOPPED, ContainerState.FAILED):
            return
        self._forget(ct)
        self.d.writes.add(Store.update_container, ct.container_id, ev.state.value, exit_code=ev.exit_code,
                          message=ev.message)
        now = self.d.clock.time()
        if fn.sandbox is not None:   # its end is the sandbox's: never started again, no crash loop
            self.d.sandboxes.container_ended(ct, ev, worker_lost)
            self._room_freed(fn, now)
            return
        why = ev.message or f"container {ct.container_id} exited with code {ev.exit_code}"
        charged = self.d.attempts.after_container_end(ct, ev, worker_lost, why)
        if (ev.state is ContainerState.FAILED and not ct.ready and not ct.stopping and not worker_lost
                and not any(c.ready for c in fn.containers.values())):
            # No container of this function ever started and another would fail the same way:
            # the queue fails now, with the reason, instead of a crash loop.
            queued = [r for r in fn.queue if not r.cancelled]
            fn.queue.clear()
            fn.cancelled_in_queue = 0
            self.d.attempts.fail(queued, ct.container_id, why)
        if ev.state is ContainerState.FAILED or (not ct.stopping and ev.exit_code != 0):
            self.d.logs.system(fn.app_id, fn.name, ct.container_id, ev.message or f"container exited with code {ev.exit_code}")
            # A crash loop: containers that end by themselves, not under an input that is to blame
            # (that input pays with its retries; a timeout's stop and a lost worker are no crash).
            if not worker_lost and not ev.timed_out_input and not charged:
                fn.crash_streak += 1
                hold = CRASH_BACKOFF_S[min(fn.crash_streak, len(CRASH_BACKOFF_S)) - 1]
                fn.hold_until = now + hold
                if hold:
                    self.event(fn, now, f"{fn.crash_streak} container crash(es) in a row: the next start waits {hold:g} s")
        else:   # an ordinary end, recorded (shown by `leveret run --verbose` and the dashboard)
            self.d.logs.system(fn.app_id, fn.name, ct.container_id,
                             f"container stopped ({ct.stop_reason or 'it exited'}; exit code {ev.exit_code})", verbose=True)
        self._room_freed(fn, now)

    def _room_freed(self, fn: FunctionState, now: float) -> None:
        for other in list(self.d.functions.values()):  # a freed slot may be what another function waits for
            if other is fn or other.queued or (other.sandbox is not None and not other.containers):
                self.autoscale(other, now)
                self.d.pump(other)

    def _forget(self, ct: ContainerRec) -> None:
        if ct.resources.gpus:
            self.d.metrics.gpus_held(ct, self.d.clock.time())
        self.d.web_links.gone(ct)
        self.d.containers.pop(ct.container_id, None)
        ct.function.containers.pop(ct.container_id, None)
        if ct in ct.worker.containers:
            ct.worker.containers.discard(ct)
            ct.worker.allocated = ct.worker.allocated - ct.resources
