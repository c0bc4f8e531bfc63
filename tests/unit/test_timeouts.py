"""InputTimer: one timer for the input a container is running."""

import asyncio

from leveret.worker.timeouts import InputTimer


def run(coro):
    return asyncio.run(coro)


def test_fires_for_the_running_input_only_after_its_own_start():
    async def main():
        fired = []
        timer = InputTimer(0.05, lambda iid, attempt: fired.append((iid, attempt)))
        timer.sent([("in-1", 1), ("in-2", 1)])
        await asyncio.sleep(0.03)
        timer.finished("in-1")          # in-2 starts now: its 50 ms count from here
        await asyncio.sleep(0.03)
        assert fired == []
        await asyncio.sleep(0.04)
        return fired

    assert run(main()) == [("in-2", 1)]


def test_no_fire_when_everything_finishes_in_time():
    async def main():
        fired = []
        timer = InputTimer(0.02, lambda *a: fired.append(a))
        timer.sent([("in-1", 1)])
        timer.finished("in-1")
        await asyncio.sleep(0.05)
        return fired

    assert run(main()) == []


def test_cancel_stops_it():
    async def main():
        fired = []
        timer = InputTimer(0.01, lambda *a: fired.append(a))
        timer.sent([("in-1", 1)])
        timer.cancel()
        await asyncio.sleep(0.03)
        return fired

    assert run(main()) == []


def test_concurrent_inputs_count_from_their_sending_and_the_running_one_is_unknown():
    async def main():
        fired = []
        timer = InputTimer(0.05, lambda iid, attempt: fired.append(iid), concurrent=True)
        timer.sent([("in-1", 1), ("in-2", 1)])
        assert timer.running() == ""
        await asyncio.sleep(0.03)
        timer.finished("in-1")          # in-2 has run since it was sent: 20 ms left, not 50
        await asyncio.sleep(0.035)
        return fired

    assert run(main()) == ["in-2"]
