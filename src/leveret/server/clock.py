"""The server's time: what ``now`` is, and calling something later. The Dispatcher and what works
on its records take one (``dispatcher.clock``), so tests run them on a fake clock
(leveret.testing.FakeClock: ``jump(seconds)``) instead of waiting."""

from __future__ import annotations

import asyncio
import time
from typing import Callable


class SystemClock:
    def time(self) -> float:
        return time.time()

    def call_later(self, delay: float, callback: Callable, *args):
        """``callback(*args)`` after ``delay`` seconds; returns a handle with ``cancel()``."""
        return asyncio.get_running_loop().call_later(delay, callback, *args)
