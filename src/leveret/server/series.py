"""Recent history of each function's queue and containers, sampled once a tick, for the dashboard's
charts: a ring buffer per function (an hour at one sample a second), in memory only."""

from __future__ import annotations

import collections

KEEP = 3600


class Series:
    def __init__(self, keep: int = KEEP):
        self.keep = keep
        self._by_function: dict[str, collections.deque] = {}

    def sample(self, now: float, functions) -> None:
        """One point per running function: (time, queued, running, containers)."""
        live = set()
        for fn in functions:
            live.add(fn.function_id)
            points = self._by_function.get(fn.function_id)
            if points is None:
                points = self._by_function[fn.function_id] = collections.deque(maxlen=self.keep)
            points.append((now, fn.queued + fn.retry_waiting, fn.running, len(fn.containers)))
        for gone in set(self._by_function) - live:
            del self._by_function[gone]

    def points(self, function_id: str, since: float = 0.0) -> list[tuple[float, int, int, int]]:
        return [p for p in self._by_function.get(function_id, ()) if p[0] >= since]
