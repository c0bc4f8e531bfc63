"""Write-behind: the hot path's store writes, committed together right after the current step.

Dispatching an input or delivering an output does not wait for SQLite; the write is queued and
committed, with every other write queued meanwhile, in one transaction scheduled with
``call_soon`` — before any result can come back for the input. If that transaction fails, the
writes are redone one by one, so one bad write cannot drop the others. Handlers whose response
acknowledges the write (``spawn``) ``await durable()`` first.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Callable

from .store import Store

log = logging.getLogger("leveret.server")


class WriteBehind:
    def __init__(self, store: Store):
        self.store = store
        self._ops: list[tuple[Callable, tuple]] = []
        self._waiters: list[asyncio.Future] = []
        self._scheduled = False

    def add(self, op: Callable, *args) -> None:
        self._ops.append((op, args))
        if not self._scheduled:
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self.flush)

    def durable(self) -> asyncio.Future:
        """A future done once every write queued so far is committed."""
        fut = asyncio.get_running_loop().create_future()
        if self._ops:
            self._waiters.append(fut)
        else:
            fut.set_result(None)
        return fut

    def flush(self) -> None:
        self._scheduled = False
        ops, self._ops = self._ops, []
        waiters, self._waiters = self._waiters, []
        error: BaseException | None = None
        if ops:
            try:
                with self.store.transaction():
                    for op, args in ops:
                        op(*args)
            except Exception:
                # One bad write must not take the others down with it: redo them one by one.
                error = self._one_by_one(ops)
        for w in waiters:
            if not w.done():
                w.set_exception(error) if error else w.set_result(None)
        if error is not None and not waiters:
            raise error

    def _one_by_one(self, ops) -> BaseException | None:
        """Commit each op in its own transaction; return the first error (the rest are logged)."""
        first: BaseException | None = None
        for op, args in ops:
            try:
                with self.store.transaction():
                    op(*args)
            except Exception as exc:
                if first is None:
                    first = exc
                else:
                    log.error("store write %s failed: %s", getattr(op, "__name__", op), exc)
        return first
