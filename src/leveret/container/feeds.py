"""What a running input is sent after it started (Body frames, the worker passing on the server's
InputFeed): the rest of a web request's body, a WebSocket's messages. web.py says what they hold.

    serve.py's frame readers (the main thread, or the flusher while an input runs) ─put()─▶ the
    input's Feed, if its handler opened one ─get() (a thread) / aget() (an event loop)─▶ the handler

A feed is opened by the input's handler before it asks for more (the gateway sends nothing before
it is asked), so what comes for an input with no feed open is for one that ended: dropped.
"""

from __future__ import annotations

import collections
import threading

_lock = threading.Lock()
_open: dict[str, "Feed"] = {}


class Feed:
    def __init__(self, input_id: str):
        self.input_id = input_id
        self._items: collections.deque = collections.deque()   # (data, end)
        self._cond = threading.Condition()
        self._waiter = None   # (loop, future) of an aget() waiting

    def put(self, data: bytes, end: bool) -> None:
        with self._cond:
            self._items.append((data, end))
            self._cond.notify_all()
            waiter, self._waiter = self._waiter, None
        if waiter is not None:
            loop, future = waiter
            loop.call_soon_threadsafe(_wake, future)

    def get(self) -> tuple[bytes, bool]:
        """The next piece and whether it is the last, waiting for it (from a thread)."""
        with self._cond:
            while not self._items:
                self._cond.wait()
            return self._items.popleft()

    async def aget(self) -> tuple[bytes, bool]:
        """The next piece and whether it is the last, waiting for it (on an event loop)."""
        import asyncio

        loop = asyncio.get_running_loop()
        while True:
            with self._cond:
                if self._items:
                    return self._items.popleft()
                future = loop.create_future()
                self._waiter = (loop, future)
            await future

    def close(self) -> None:
        with _lock:
            if _open.get(self.input_id) is self:
                del _open[self.input_id]


def _wake(future) -> None:
    if not future.done():
        future.set_result(None)


def open_feed(input_id: str) -> Feed:
    """The feed of ``input_id`` (opened now if it was not); close it when the input ends."""
    with _lock:
        feed = _open.get(input_id)
        if feed is None:
            feed = _open[input_id] = Feed(input_id)
        return feed


def put(input_id: str, data: bytes, end: bool) -> None:
    with _lock:
        feed = _open.get(input_id)
    if feed is not None:
        feed.put(data, end)
