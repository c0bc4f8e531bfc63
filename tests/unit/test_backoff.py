"""The retry schedule of restarts and reconnects (_utils/backoff.py): pure, no clock."""

import pytest

from leveret._shared.backoff import Backoff
from leveret.worker.link import RECONNECT_FIRST_S, RECONNECT_MAX_S
from leveret.cli.daemon import RESTART_FIRST_S, RESTART_MAX_S, RESTART_RESET_S


def test_delays_double_up_to_the_cap_and_stay_there():
    b = Backoff(0.5, 30.0)
    assert [b.next() for _ in range(9)] == [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0]


def test_a_try_that_lasted_long_enough_starts_the_schedule_again_and_a_short_one_does_not():
    b = Backoff(RESTART_FIRST_S, RESTART_MAX_S, reset_after=RESTART_RESET_S)
    assert [b.next(up_for=1.0) for _ in range(4)] == [0.5, 1.0, 2.0, 4.0]
    assert b.next(up_for=RESTART_RESET_S - 0.1) == 8.0
    assert b.next(up_for=RESTART_RESET_S) == 0.5    # it stayed up: the next failure is a new one
    assert b.next(up_for=0.2) == 1.0


def test_reset_and_schedule_do_not_use_delays_up():
    b = Backoff(RECONNECT_FIRST_S, RECONNECT_MAX_S)
    assert b.schedule(3) == [0.025, 0.05, 0.1]
    assert b.next() == 0.025
    assert b.schedule(11)[-2:] == [RECONNECT_MAX_S, RECONNECT_MAX_S]   # never past 10 s, however long it fails
    b.next()
    b.reset()
    assert b.next() == 0.025


@pytest.mark.parametrize("first, cap, factor", [(0, 1, 2), (2, 1, 2), (1, 2, 0.5)])
def test_a_schedule_that_would_not_back_off_is_refused(first, cap, factor):
    with pytest.raises(ValueError, match="need"):
        Backoff(first, cap, factor)
