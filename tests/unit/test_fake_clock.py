"""The fake clock (leveret.testing.FakeClock) the server's logic runs on in tests."""

import asyncio

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


def test_sleep_returns_once_a_jump_passes_its_time_and_a_cancelled_sleep_leaves_nothing_due():
    async def main():
        clock = FakeClock(0.0)
        woke = []

        async def sleeper(seconds):
            await clock.sleep(seconds)
            woke.append((seconds, clock.time()))

        tasks = [asyncio.ensure_future(sleeper(s)) for s in (5, 60)]
        await asyncio.sleep(0)
        clock.jump(4)
        await asyncio.sleep(0)
        assert woke == []
        clock.jump(2)
        await asyncio.sleep(0)
        assert woke == [(5, 6.0)]   # it runs on the loop's next turn, at the time the jump ended
        tasks[1].cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        clock.jump(100)
        assert woke == [(5, 6.0)] and clock._later == []

    asyncio.run(main())
