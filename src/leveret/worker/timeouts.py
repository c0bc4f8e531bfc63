"""Per-input timeouts without a message per input.

A container runs its inputs one after another, in the order the worker sent them. So the input
it is running is the oldest one sent and not finished, and it started when it was sent to an idle
container or when the input before it finished. One timer, for that input, is enough.

A ``@concurrent`` container (``concurrent=True``) runs every input from when it is sent: each
deadline counts from its sending, the oldest comes first, and which input was running when the
container died is not known.
"""

from __future__ import annotations

import asyncio
import collections
from typing import Callable


class InputTimer:
    def __init__(self, timeout_s: float, on_timeout: Callable[[str, int], None], *, concurrent: bool = False):
        self.timeout_s = timeout_s
        self.concurrent = concurrent
        self._on_timeout = on_timeout
        self._queue: collections.deque[tuple[str, int]] = collections.deque()
        self._sent_at: dict[str, float] = {}
        self._handle: asyncio.TimerHandle | None = None

    def sent(self, items: list[tuple[str, int]]) -> None:
        """Inputs ``(input_id, attempt)`` were written to the container."""
        idle = not self._queue
        self._queue.extend(items)
        if self.concurrent:
            now = asyncio.get_running_loop().time()
            self._sent_at.update((iid, now) for iid, _ in items)
        if idle and self._queue:
            self._arm()

    def finished(self, input_id: str) -> None:
        """The container returned the final output of ``input_id``."""
        self._sent_at.pop(input_id, None)
        if self._queue and self._queue[0][0] == input_id:
            self._queue.popleft()
            self._arm()
        else:  # not the head (a concurrent container's, or out of order): just forget it
            self._queue = collections.deque(item for item in self._queue if item[0] != input_id)

    def running(self) -> str:
        """The input the container is running now ("" if none, or not known)."""
        return self._queue[0][0] if self._queue and not self.concurrent else ""

    def cancel(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        self._queue.clear()
        self._sent_at.clear()

    def _arm(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        if self._queue:
            loop = asyncio.get_running_loop()
            started = self._sent_at.get(self._queue[0][0], loop.time()) if self.concurrent else loop.time()
            self._handle = loop.call_at(started + self.timeout_s, self._fire, self._queue[0])

    def _fire(self, head: tuple[str, int]) -> None:
        self._handle = None
        if self._queue and self._queue[0] == head:
            self._queue.clear()
            self._sent_at.clear()
            self._on_timeout(*head)
