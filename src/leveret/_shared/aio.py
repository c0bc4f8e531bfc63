"""The background event loop every Leveret coroutine runs on (the channel to the server lives
there), and the bridges to it from blocking code and from other event loops. ``synchronize.py``
builds the public blocking / ``.aio`` API on these."""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import queue
import threading
from typing import Any, AsyncIterator, Awaitable, Callable, Iterator, TypeVar

T = TypeVar("T")

_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None
_thread: threading.Thread | None = None

_END = object()


def new_event_loop() -> asyncio.AbstractEventLoop:
    """uvloop's loop where it is installed (faster hops), else asyncio's."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def run_loop(main: Awaitable[T]) -> T:
    """``asyncio.run`` on the loop ``new_event_loop`` makes."""
    with asyncio.Runner(loop_factory=new_event_loop) as runner:
        return runner.run(main)


async def to_the_end(aw: Awaitable[T]) -> T:
    """``aw``'s result, ``aw`` run to its end even when the caller is cancelled meanwhile (the
    cancellation goes on once it has ended): for a step that must not stop half-way."""
    task = asyncio.ensure_future(aw)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        await asyncio.gather(task, return_exceptions=True)
        raise


def signalled(*signals: int) -> asyncio.Future:
    """A future that gets the first of ``signals`` (a ``signal.Signals``) the process receives
    from now on: they are handled on the running loop instead of ending the process."""
    import signal

    loop = asyncio.get_running_loop()
    got = loop.create_future()
    for sig in signals:
        loop.add_signal_handler(sig, lambda sig=sig: got.done() or got.set_result(signal.Signals(sig)))
    return got


def background_loop() -> asyncio.AbstractEventLoop:
    """The event loop that runs Leveret's coroutines, started on first use."""
    global _loop, _thread
    with _lock:
        if _loop is None or not _thread.is_alive():
            loop = new_event_loop()
            ready = threading.Event()

            def main():
                asyncio.set_event_loop(loop)
                loop.call_soon(ready.set)
                loop.run_forever()

            _thread = threading.Thread(target=main, name="leveret-loop", daemon=True)
            _thread.start()
            ready.wait()
            _loop = loop
            atexit.register(shutdown_background_loop)
        return _loop


def _in_loop_thread() -> bool:
    return _thread is not None and threading.current_thread() is _thread


def run_sync(coro: Awaitable[T]) -> T:
    """Run a coroutine on the background loop and block until it finishes."""
    if _in_loop_thread():
        coro.close()
        raise RuntimeError("a blocking Leveret call was made from inside Leveret's event loop; use `await f.remote.aio(...)`")
    fut = asyncio.run_coroutine_threadsafe(coro, background_loop())
    try:
        return fut.result()
    except BaseException:
        fut.cancel()
        raise


async def run_async(coro: Awaitable[T]) -> T:
    """Await a coroutine that runs on the background loop, from any event loop."""
    loop = background_loop()
    if asyncio.get_running_loop() is loop:
        return await coro
    return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, loop))


async def _pump(agen: AsyncIterator, put: Callable[[Any], None]) -> None:
    try:
        async for item in agen:
            put(item)
    except BaseException as exc:
        put(_Raise(exc))
        if isinstance(exc, asyncio.CancelledError):
            raise
    else:
        put(_END)


class _Raise:
    __slots__ = ("exc",)

    def __init__(self, exc: BaseException):
        self.exc = exc


def iter_sync(agen: AsyncIterator[T]) -> Iterator[T]:
    """Iterate an async generator that runs on the background loop, from blocking code.

    Items cross threads through a queue, not one loop hop per item, so a fast ``.map`` stays fast.
    """
    if _in_loop_thread():
        raise RuntimeError("a blocking Leveret call was made from inside Leveret's event loop; use the `.aio` form")
    q: queue.SimpleQueue = queue.SimpleQueue()
    fut = asyncio.run_coroutine_threadsafe(_pump(agen, q.put), background_loop())
    try:
        while True:
            item = q.get()
            if item is _END:
                return
            if isinstance(item, _Raise):
                raise item.exc
            yield item
    finally:
        fut.cancel()


async def iter_async(agen: AsyncIterator[T]) -> AsyncIterator[T]:
    """Iterate an async generator that runs on the background loop, from any event loop."""
    loop = background_loop()
    if asyncio.get_running_loop() is loop:
        async for item in agen:
            yield item
        return
    here = asyncio.get_running_loop()
    q: asyncio.Queue = asyncio.Queue()
    fut = asyncio.run_coroutine_threadsafe(_pump(agen, lambda item: here.call_soon_threadsafe(q.put_nowait, item)), loop)
    try:
        while True:
            item = await q.get()
            if item is _END:
                return
            if isinstance(item, _Raise):
                raise item.exc
            yield item
    finally:
        fut.cancel()


async def queue_items(queue: asyncio.Queue) -> AsyncIterator:
    """Yield what is put in ``queue`` until ``None`` is: a request or response stream fed by a queue."""
    while (item := await queue.get()) is not None:
        yield item


# Coroutine functions run first when the background loop shuts down (the SDK's client closes itself).
at_shutdown: list[Callable[[], Awaitable[None]]] = []


def shutdown_background_loop(timeout: float = 2.0) -> None:
    """Stop the background loop (used by tests and at interpreter exit)."""
    global _loop, _thread
    with _lock:
        loop, thread = _loop, _thread
        _loop = _thread = None
    if loop is None:
        return

    async def _cancel_all():
        while at_shutdown:
            await at_shutdown.pop()()
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await asyncio.get_running_loop().shutdown_asyncgens()

    try:
        asyncio.run_coroutine_threadsafe(_cancel_all(), loop).result(timeout)
    except (concurrent.futures.TimeoutError, RuntimeError):
        pass
    loop.call_soon_threadsafe(loop.stop)
    thread.join(timeout)
