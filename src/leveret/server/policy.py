"""What happens to an input whose attempt ended: pure rules, no state, no I/O.

An attempt ends with the input's own output (a result, an exception, a timeout), or without one,
when its container or its worker ends under it. The rules:

- An exception, a timeout, a crash and running out of memory each use one of ``retries=``: the
  input runs again after its backoff while retries are left, else it fails. The "attempt N of M"
  lines the server logs count exactly these runs.
- A container or worker that ends while the input runs counts against the input; an input under
  which ``POISON_ENDS`` containers or workers ended in a row fails with that reason, whatever
  retries are left: a poison input never takes down another one.
- Losing a worker is not the input's doing: it runs again without using a retry (but the loss
  counts towards the poison rule, for an input that kills whatever runs it).
- Inputs a container had been sent but had not started, and inputs of a container stopped on
  purpose (scale-down, a user's stop, another input's timeout), run again as they were.
- A generator that yielded items can never run again: its items are out.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

POISON_ENDS = 2


class Cause(enum.Enum):
    FAILED = "failed"            # the function raised, or the input ran past its timeout
    CRASHED = "crashed"          # its container ended under it (signal, exit, closed socket)
    OUT_OF_MEMORY = "oom"        # its container hit its memory limit under it
    WORKER_LOST = "worker_lost"  # its worker went away while it ran there
    NOT_STARTED = "not_started"  # its container ended or was stopped before it ran


class Action(enum.Enum):
    RETRY = "retry"       # run again after the retry delay, one retry used
    REQUEUE = "requeue"   # run again now, no retry used
    FAIL = "fail"         # its final output is a failure


@dataclass(frozen=True)
class Step:
    action: Action
    ends: int        # containers or workers that ended under it in a row, after this attempt
    why: str = ""    # for FAIL beyond the attempt's own error: the rule that ended it


def after_attempt(cause: Cause, *, retries_used: int, max_retries: int, ends: int, yielded: bool) -> Step:
    """The next step for an input whose attempt ended by ``cause``, given the retries it has used,
    ``max_retries`` (0 without ``retries=``), and the ends in a row it had before this attempt."""
    ended_under_it = cause in (Cause.CRASHED, Cause.OUT_OF_MEMORY, Cause.WORKER_LOST)
    ends = ends + 1 if ended_under_it else 0 if cause == Cause.FAILED else ends
    if yielded:   # said only where it is what stops another run
        last = cause == Cause.FAILED and retries_used >= max_retries
        return Step(Action.FAIL, ends, "" if last else "a generator that yielded items is not run again")
    if cause == Cause.NOT_STARTED:
        return Step(Action.REQUEUE, ends)
    if ends >= POISON_ENDS:
        return Step(Action.FAIL, ends, f"it was running when {ends} containers or workers ended in a row, so it is"
                                       " not run again (a poison input must not take down another)")
    if cause == Cause.WORKER_LOST:
        return Step(Action.REQUEUE, ends)
    if retries_used < max_retries:
        return Step(Action.RETRY, ends)
    return Step(Action.FAIL, ends)
