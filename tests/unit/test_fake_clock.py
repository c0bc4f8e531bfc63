"""The fake clock (leveret.testing.FakeClock) the server's logic runs on in tests."""

from leveret.testing import FakeClock


def test_jump_calls_what_falls_due_in_time_order_at_its_time_and_skips_the_cancelled():
    clock = FakeClock(100.0)
    seen = []
    clock.call_later(5, lambda: seen.append(("b", clock.time())))
    clock.call_later(2, lambda: seen.append(("a", clock.time())))
    clock.call_later(3, lambda: seen.append(("x", clock.time()))).cancel()
    clock.call_later(20, lambda: seen.append(("later", clock.time())))
    clock.jump(10)
    assert seen == [("a", 102.0), ("b", 105.0)] and clock.time() == 110.0
    clock.jump(10)
    assert seen[-1] == ("later", 120.0)


def test_a_callback_may_schedule_another_that_also_falls_due_in_the_jump():
    clock = FakeClock(0.0)
    seen = []
    clock.call_later(1, lambda: clock.call_later(1, lambda: seen.append(clock.time())))
    clock.jump(5)
    assert seen == [2.0]
