"""What becomes of inputs whose attempt ended: the policy (policy.py, pure) applied to the
Dispatcher's records — run again now (not their doing), retry after the backoff (one retry used),
or fail with the reason; and what a container held when it ended.

    a result that failed (dispatch.on_results) ─▶ ended(r, FAILED): a retried attempt is stored
        (store/history.py's attempts), the final one is the input's output
    a container's end (placement.on_event) ─▶ after_container_end: the input it ran, if known, is
        to blame (CRASHED, OUT_OF_MEMORY; WORKER_LOST if its worker went), the rest did not start
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from .model import FAILURE, INTERNAL_FAILURE, OUT_OF_MEMORY, ContainerEvent, Output
from .policy import Action, Cause, after_attempt
from .state import ContainerRec, FunctionState, InputRec
from .store import Store

if TYPE_CHECKING:
    from .dispatch import Dispatcher

log = logging.getLogger("leveret.server")


def _first_line(why: str) -> str:
    return why.strip().splitlines()[0] if why.strip() else "it failed"


class Attempts:
    def __init__(self, dispatcher: "Dispatcher"):
        self.d = dispatcher

    def requeue(self, recs: list[InputRec]) -> None:
        """Put inputs that never started back at the head of their function's queue, in order."""
        for r in reversed(recs):
            self.d._release(r)
            fn = self.d.functions.get(r.call.function_id)
            if r.cancelled or fn is None:
                continue
            self.d.inputs[r.input_id] = r
            r.container = None
            r.attempt += 1       # a late result of the earlier attempt is dropped
            fn.queue.appendleft(r)

    def after_container_end(self, ct: ContainerRec, ev: ContainerEvent, worker_lost: bool, why: str) -> bool:
        """What becomes of the inputs a container held when it ended (policy.py decides); True if
        one of them was to blame (it ran when the container crashed or its worker was lost)."""
        held = list(ct.outstanding.values())
        if not held:
            return False
        concurrent = ct.function.spec.max_inputs > 1
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
        status = OUT_OF_MEMORY if cause is Cause.OUT_OF_MEMORY else INTERNAL_FAILURE
        now = self.d.clock.time()
        requeue, failed = [], []
        for r in held:
            self.d._release(r)
            message = f"{why} while running this input"
            step = self.ended(r, cause if r in suspects else Cause.NOT_STARTED, message, now, status=status)
            if step is Action.REQUEUE:
                requeue.append(r)
            elif step is None:
                failed.append((r, Output(r.idx, status, message=self.final_message(r, message)),
                               ct.container_id))
        self.requeue(requeue)
        self.d._publish([item for item in failed if not item[0].cancelled])
        return bool(suspects)

    def ended(self, r: InputRec, cause: Cause, why: str, now: float, *, status: int = FAILURE,
              traceback: str = "") -> Action | None:
        """Apply the policy to an input whose attempt ended: REQUEUE (the caller puts it back),
        RETRY (scheduled here, the failed attempt stored with its ``status`` and ``traceback``),
        or None: it fails, with ``why`` and the reason the policy adds."""
        fn = self.d.functions.get(r.call.function_id)
        retries = fn.spec.retries if fn is not None else None
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
            self.d.writes.add(Store.add_attempts, [(r.call.call_id, r.input_id, r.attempt, status, r.sent_at or None, now,
                                                    r.container.container_id if r.container else "", why, traceback)])
            self._retry_later(fn, r, why, now)
            return Action.RETRY
        if retries is not None and cause is not Cause.NOT_STARTED:   # the last attempt, counted as the others
            self.d.logs.system(fn.app_id, fn.name, "", f"input {r.input_id} failed (attempt {r.retries + 1} of"
                             f" {retries.max_retries + 1}): {_first_line(why)}; {step.why or 'no retries left'}")
        return None

    def final_message(self, r: InputRec, message: str) -> str:
        """A final failure's message, with what ended the input beyond its own error."""
        return f"{message} ({r.fail_why})" if r.fail_why else message

    def fail(self, recs: list[InputRec], container_id: str, message: str) -> None:
        """Fail inputs that will never run (no container can hold them)."""
        for r in recs:
            self.d._release(r)
        self.d._publish([(r, Output(r.idx, INTERNAL_FAILURE, message=message), container_id)
                       for r in recs if not r.cancelled])

    # ------------------------------------------------------------------ retries

    def _retry_later(self, fn: FunctionState, r: InputRec, why: str, now: float) -> None:
        """Another attempt of a failed input after its function's retry delay (one retry used)."""
        policy = fn.spec.retries
        r.retries += 1
        r.attempt += 1          # a late result of the failed attempt is dropped
        r.container = None
        r.alone = r.alone or r.ends > 0
        delay = min(policy.max_delay_s, policy.initial_delay_s * policy.backoff_coefficient ** (r.retries - 1))
        self.d.inputs[r.input_id] = r
        fn.retry_waiting += 1
        r.retry_handle = self.d.clock.call_later(delay, self._retry_now, fn, r)
        self.d.logs.system(fn.app_id, fn.name, "", f"input {r.input_id} failed (attempt {r.retries} of"
                         f" {policy.max_retries + 1}): {_first_line(why)}; retrying in {delay:g} s")

    def _retry_now(self, fn: FunctionState, r: InputRec) -> None:
        r.retry_handle = None
        fn.retry_waiting -= 1
        if r.cancelled or fn.function_id not in self.d.functions:
            return
        r.queued_at = self.d.clock.time()
        fn.queue.append(r)
        self.d.pump(fn)
        if fn.queued:
            self.d.placement.autoscale(fn, self.d.clock.time())
