"""The store's reads, off the event loop: a thread of their own over a second connection to the
database (``Store.reader()``), which neither waits for the writer's transaction nor holds it up.

A read first waits for the writes queued before it (``WriteBehind.settled()``), so whoever wrote
something and then reads it finds it. A database with one connection only (SQLite in memory) is
read on the writer's thread instead, in order with the writes all the same.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

from .writes import WriteBehind

log = logging.getLogger("leveret.server")


class Reads:
    def __init__(self, writes: WriteBehind):
        self.writes = writes
        self.store = writes.store.reader()
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="leveret-store-reader") if self.store else None

    async def run(self, op: Callable, *args, **kwargs) -> Any:
        """``op(store, *args, **kwargs)`` on the reader, after the writes queued before it."""
        if self._thread is None:
            return await self.writes.run(op, *args, **kwargs)
        await self.writes.settled()
        return await asyncio.get_running_loop().run_in_executor(self._thread, functools.partial(self._read, op, *args,
                                                                                                **kwargs))

    def _read(self, op: Callable, *args, **kwargs) -> Any:
        """On the reader's thread: the op, run again once the database is back if its connection
        was lost (a read changes nothing: running it twice is safe)."""
        while True:
            try:
                return op(self.store, *args, **kwargs)
            except Exception as exc:
                if not self.store.lost(exc):
                    raise
                self.store.wait_for_database(exc, log, "reader")

    async def run_now(self, op: Callable, *args, **kwargs) -> Any:
        """A small read: on the writer's connection, at once, where the loop's thread may use it
        (WriteBehind.idle_here: every write before it is committed, too), else as ``run``."""
        if self.writes.idle_here():
            return op(self.writes.store, *args, **kwargs)
        return await self.run(op, *args, **kwargs)

    async def close(self) -> None:
        if self._thread is not None:
            await asyncio.get_running_loop().run_in_executor(None, self._thread.shutdown)
            self.store.close()
