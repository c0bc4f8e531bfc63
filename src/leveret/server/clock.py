"""The server's time: what ``now`` is, calling something later, and waiting. The Dispatcher and
what works on its records take one (``dispatcher.clock``), as do the store (the times it stamps
rows with), the log hub and the blob store, so tests run them on a fake clock
(leveret.testing.FakeClock: ``jump(seconds)``) instead of waiting.

Timing decisions read it: the periodic pass (leases, app heartbeats, a detached call's grace,
schedules, scale-down), retry delays, crash-loop hold-offs and the retention pruners. A client's
own wait on an RPC (``get(timeout=...)``) is the client's time, not the server's, and stays on
the event loop's."""

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

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
