"""A fake clock for the server's time (server/clock.py): ``now`` moves only when a test says so,
and what was to be called later is called when the clock passes its time."""

from __future__ import annotations

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

    def jump(self, seconds: float) -> None:
        """Move ``seconds`` on, calling in time order what falls due on the way."""
        end = self.now + seconds
        while True:
            due = sorted((h for h in self._later if not h.cancelled and h.when <= end), key=lambda h: h.when)
            if not due:
                break
            handle = due[0]
            self._later.remove(handle)
            self.now = max(self.now, handle.when)
            handle.callback(*handle.args)
        self.now = end
