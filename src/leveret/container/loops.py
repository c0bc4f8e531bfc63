"""Event loops on threads of their own, for the container's async code (a @concurrent async
function's inputs, an ASGI app's requests).

Each runs a root task for its life, as ``asyncio.run`` would: libraries that look for the task
that runs the loop find it (AnyIO keeps its worker threads for as long as that task lives, so
FastAPI's plain routes reuse them; with none, each request's task was taken for the root and its
threads were stopped when it ended, a thread started per request). Standard library only.
"""

from __future__ import annotations

import asyncio
import threading

_roots: set = set()   # the loops' root tasks: no input's


def loop_thread(name: str) -> asyncio.AbstractEventLoop:
    """A new event loop, running on a daemon thread named ``name`` from now on."""
    loop = asyncio.new_event_loop()

    async def root() -> None:
        _roots.add(asyncio.current_task())
        await loop.create_future()   # never done: the loop runs until the process ends

    def run() -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(root())
        except RuntimeError:   # stopped (loop.stop) before the root was done
            pass

    threading.Thread(target=run, daemon=True, name=name).start()
    return loop


def is_root(task) -> bool:
    return task in _roots
