"""How long to wait before trying again: doubling from a first delay up to a cap, and back to the
first delay once what was restarted (a worker, a connection) has stayed up a while.

    backoff = Backoff(first=0.5, cap=30.0, reset_after=60.0)
    delay = backoff.next(up_for=seconds_it_ran)   # 0.5, 1, 2, 4 ... 30, 30; 0.5 again after a long run

Pure: the caller says how long the last try lasted; nothing here reads a clock or sleeps.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Backoff:
    first: float
    cap: float
    factor: float = 2.0
    reset_after: float | None = None   # a try that lasted this long starts the schedule again
    _next: float = field(default=0.0, init=False, repr=False)

    def __post_init__(self) -> None:
        if not 0 < self.first <= self.cap:
            raise ValueError(f"Backoff(first={self.first}, cap={self.cap}): need 0 < first <= cap")
        if self.factor < 1:
            raise ValueError(f"Backoff(factor={self.factor}): need factor >= 1")
        self._next = self.first

    def next(self, up_for: float = 0.0) -> float:
        """The delay before the next try, given how long the last one lasted (``up_for`` seconds)."""
        if self.reset_after is not None and up_for >= self.reset_after:
            self.reset()
        delay = self._next
        self._next = min(self.cap, self._next * self.factor)
        return delay

    def reset(self) -> None:
        """The next delay is the first again (what was retried now works)."""
        self._next = self.first

    def schedule(self, n: int) -> list[float]:
        """The next ``n`` delays, without using them up (for messages and tests)."""
        saved = self._next
        try:
            return [self.next() for _ in range(n)]
        finally:
            self._next = saved
