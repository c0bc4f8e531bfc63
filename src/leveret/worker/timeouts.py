"""Per-input timeouts without a message per input.

A container runs its inputs one after another, in the order the worker sent them. So the input
it is running is the oldest one sent and not finished, and it started when it was sent to an idle
container or when the input before it finished. One timer, for that input, is enough.
"""

from __future__ import annotations

import asyncio
import collections
from typing import Callable


class InputTimer:
    def __init__(self, timeout_s: float, on_timeout: Callable[[str, int], None]):
        self.timeout_s = timeout_s
        self._on_timeout = on_timeout
        self._queue: collections.deque[tuple[str, int]] = collections.deque()
        self._handle: asyncio.TimerHandle | None = None

    def sent(self, items: list[tuple[str, int]]) -> None:
        """Inputs ``(input_id, attempt)`` were written to the container."""
        idle = not self._queue
        self._queue.extend(items)
        if idle and self._queue:
            self._arm()

    def finished(self, input_id: str) -> None:
        """The container returned the final output of ``input_id``."""
        if self._queue and self._queue[0][0] == input_id:
            self._queue.popleft()
            self._arm()
        else:  # not the head (should not happen with in-order containers): just forget it
            self._queue = collections.deque(item for item in self._queue if item[0] != input_id)

    def running(self) -> str:
        """The input the container is running now ("" if none)."""
        return self._queue[0][0] if self._queue else ""

    def cancel(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        self._queue.clear()

    def _arm(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        if self._queue:
            self._handle = asyncio.get_running_loop().call_later(self.timeout_s, self._fire, self._queue[0])

    def _fire(self, head: tuple[str, int]) -> None:
        self._handle = None
        if self._queue and self._queue[0] == head:
            self._queue.clear()
            self._on_timeout(*head)
