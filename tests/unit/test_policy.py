"""The policy for an input whose attempt ended (server/policy.py), as a table."""

import pytest

from leveret.server.policy import POISON_ENDS, Action, Cause, after_attempt

F, C, O, W, N = Cause.FAILED, Cause.CRASHED, Cause.OUT_OF_MEMORY, Cause.WORKER_LOST, Cause.NOT_STARTED
RETRY, REQUEUE, FAIL = Action.RETRY, Action.REQUEUE, Action.FAIL


@pytest.mark.parametrize("cause, used, max_retries, ends, yielded, action, ends_after", [
    # an exception or a timeout uses a retry while any are left, and ends a streak of ends
    (F, 0, 0, 0, False, FAIL, 0),
    (F, 0, 2, 0, False, RETRY, 0),
    (F, 2, 2, 0, False, FAIL, 0),
    (F, 0, 2, 1, False, RETRY, 0),
    # a crash and running out of memory use one too, and count as an end under the input
    (C, 0, 0, 0, False, FAIL, 1),
    (C, 0, 1, 0, False, RETRY, 1),
    (O, 0, 3, 0, False, RETRY, 1),
    (O, 1, 1, 0, False, FAIL, 1),
    # the second end in a row fails it whatever retries are left: a poison input
    (C, 1, 5, 1, False, FAIL, 2),
    (O, 1, 5, 1, False, FAIL, 2),
    (W, 0, 0, 1, False, FAIL, 2),
    # a lost worker is not the input's doing: again, no retry used
    (W, 0, 0, 0, False, REQUEUE, 1),
    # not started, or stopped on purpose: again as it was
    (N, 0, 0, 0, False, REQUEUE, 0),
    (N, 3, 3, 1, False, REQUEUE, 1),
    # a generator that yielded never runs again
    (N, 0, 0, 0, True, FAIL, 0),
    (F, 0, 3, 0, True, FAIL, 0),
    (W, 0, 0, 0, True, FAIL, 1),
])
def test_after_attempt(cause, used, max_retries, ends, yielded, action, ends_after):
    step = after_attempt(cause, retries_used=used, max_retries=max_retries, ends=ends, yielded=yielded)
    assert (step.action, step.ends) == (action, ends_after)


def test_the_poison_rule_says_why_and_a_last_plain_failure_adds_nothing():
    poison = after_attempt(C, retries_used=1, max_retries=5, ends=POISON_ENDS - 1, yielded=False)
    assert "2 containers or workers ended in a row" in poison.why
    assert after_attempt(F, retries_used=0, max_retries=0, ends=0, yielded=False).why == ""
    assert "not run again" in after_attempt(N, retries_used=0, max_retries=0, ends=0, yielded=True).why
