"""A fake clock for the server's time (server/clock.py): ``now`` moves only when a test says so,
and what was to be called later is called when the clock passes its time.

Use it on the event loop that runs what it drives: ``Cluster.jump`` does that for an in-process
cluster."""

from __future__ import annotations

import asyncio
from typing import Callable


class _Handle:
    def __init__(self, when: float, callback: Callable, args: tuple):
        self.when, self.callback, self.args = when, callback, args
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class FakeClock:
    def __init__(self, now: float = 1_800_000_000.0):
        self.now = now
        self._later: list[_Handle] = []

    def time(self) -> float:
        return self.now

    def call_later(self, delay: float, callback: Callable, *args) -> _Handle:
        handle = _Handle(self.now + delay, callback, args)
        self._later.append(handle)
        return handle

    async def sleep(self, seconds: float) -> None:
        """Return once a jump has moved the clock ``seconds`` on (the task runs on the loop's next turn)."""
        woken = asyncio.get_running_loop().create_future()
        handle = self.call_later(seconds, lambda: woken.done() or woken.set_result(None))
        try:
            await woken
        finally:
            handle.cancel()

    def jump(self, seconds: float) -> None:
        """Move ``seconds`` on, calling in time order what falls due on the way."""
        end = self.now + seconds
        while True:
            self._later = [h for h in self._later if not h.cancelled]
            due = [h for h in self._later if h.when <= end]
            if not due:
                break
            handle = min(due, key=lambda h: h.when)
            self._later.remove(handle)
            self.now = max(self.now, handle.when)
            handle.callback(*handle.args)
        self.now = end
