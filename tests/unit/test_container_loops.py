"""container/loops.py: a loop on a thread of its own runs a root task for its life, so AnyIO (what
FastAPI runs plain routes with) keeps its worker threads between requests, each a task of that
loop begun from another thread, as the container's inputs and link requests are."""

import asyncio
import threading

import anyio.to_thread

from leveret.container.loops import is_root, loop_thread
from leveret.container.runner import _all_tasks_done


def test_requests_on_a_loop_thread_reuse_anyios_worker_thread():
    loop = loop_thread("test-loop")
    seen = set()

    async def request():
        await anyio.to_thread.run_sync(lambda: seen.add(threading.current_thread()))

    for _ in range(5):   # one after another, each a task of its own
        asyncio.run_coroutine_threadsafe(request(), loop).result(10)
    assert len(seen) == 1   # (a plain run_forever loop: five threads, one started per request)
    loop.call_soon_threadsafe(loop.stop)


def test_waiting_for_a_loops_tasks_does_not_wait_for_its_root():
    loop = loop_thread("test-loop")

    async def roots():
        return [t for t in asyncio.all_tasks() if is_root(t)]

    assert len(asyncio.run_coroutine_threadsafe(roots(), loop).result(10)) == 1
    asyncio.run_coroutine_threadsafe(_all_tasks_done(), loop).result(10)   # (would wait forever on the root)
    loop.call_soon_threadsafe(loop.stop)
