"""The store's writer: one thread owns the store and commits every write, in the order queued,
so that a slow disk holds up writes, never the event loop.

    loop: add(op, ...) / run(op, ...) ─▶ this step's ops ─(once per step)─▶ queue
    writer thread: every step waiting ─▶ one transaction ─▶ commit
        ─(call_soon_threadsafe)─▶ loop: run()'s futures, durable() and settled() waiters

An *op* is a function of the store and arguments: ``add(Store.add_outputs, rows)`` runs
``Store.add_outputs(store, rows)`` on the writer thread. The writes of one step of the loop commit
together, and so do all the steps queued while the last commit ran: a slow commit makes the next
transaction bigger, not the queue longer. If a transaction fails, its ops are redone one by one,
each in its own, so one bad write cannot drop the others; an op may so run twice (the first run
rolled back) and must touch nothing but the store and its arguments. Ops that failed because the
connection to the database was lost (PostgreSQL restarted) are run again once it is back
(``Store.wait_for_database``): until then the writes wait, and none is lost.

- ``add`` — queue a write and go on: the hot path never waits. Its failure reaches the
  ``durable()`` waiters made while it was queued, else the loop's exception handler (logged).
- ``run`` — a future of the op's result, or of its error, once committed.
- ``durable()`` — done once every write queued so far is committed; it fails with the first error
  among them. A handler whose answer acknowledges a write (a spawn, a map's inputs) awaits it.
- ``settled()`` — the same, errors aside: a read waits for it to see the writes before it (reads.py).
- ``run_now`` — a small op (a Dict's get or put) at once on the loop's thread, where commits are
  local (SQLite) and no write is in flight (the writer thread then holds nothing): no hop to a
  thread and back, which costs more than such an op. Else as ``run``. Nothing else runs on the
  store meanwhile; an op of several writes opens its own transaction (the store's methods do).
- ``close()`` — commits what is queued, stops the thread and closes the store.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from dataclasses import dataclass
from typing import Any, Callable

from .errors import StorageFull
from .store import Store

log = logging.getLogger("leveret.server")

_STOP = None   # queued last by close()


@dataclass
class _Waiter:
    after: int                 # ops done when it was made: their errors were told already
    until: int                 # it is done once this many ops are
    future: asyncio.Future
    errors: bool               # durable(): fails with the first error of an add() in (after, until]
    error: BaseException | None = None


class WriteBehind:
    def __init__(self, store: Store):
        self.store = store          # the writer thread's alone once it runs
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._step: list[tuple] = []   # (op, args, kwargs, future or None) queued in this step of the loop
        self._queued = 0               # ops queued so far
        self._done = 0                 # ops whose outcome the loop has heard
        self._waiters: list[_Waiter] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._closed = False
        self._full = False   # the last writes failed on a full disk (said once: _full_or_not)

    def add(self, op: Callable, *args, **kwargs) -> None:
        """Queue ``op(store, *args, **kwargs)``."""
        self._put((op, args, kwargs, None))

    def run(self, op: Callable, *args, **kwargs) -> asyncio.Future:
        """Queue ``op(store, *args, **kwargs)``; a future of its result once committed."""
        fut = self._running_loop().create_future()
        self._put((op, args, kwargs, fut))
        return fut

    async def run_now(self, op: Callable, *args, **kwargs) -> Any:
        """``op(store, *args, **kwargs)``'s result once committed: run here and now when the writer is
        idle and the store's commits are local, else queued (``run``)."""
        if not self.idle_here():
            return await self.run(op, *args, **kwargs)
        try:
            return op(self.store, *args, **kwargs)   # its statements commit as they go, or in its own transaction
        except Exception as exc:
            if self.store.full(exc):
                raise self._storage_full(exc) from exc
            raise

    def idle_here(self) -> bool:
        """Whether the loop's thread may use the store now: its commits are local, and the writer
        thread holds nothing (every write queued has been told its outcome)."""
        return self.store.local_commits and self._queued == self._done and not self._closed

    def durable(self) -> asyncio.Future:
        """A future done once every write queued so far is committed (failed: the first error)."""
        return self._waiter(errors=True)

    def settled(self) -> asyncio.Future:
        """A future done once every write queued so far is committed or has failed."""
        return self._waiter(errors=False)

    async def close(self) -> None:
        """Commit what is queued, stop the writer thread and close the store. Writes after this raise."""
        if self._closed:
            return
        self._hand_over()
        self._closed = True
        if self._thread is not None:
            self._queue.put(_STOP)
            await asyncio.get_running_loop().run_in_executor(None, self._thread.join)
            # its last outcome was handed to the loop before it ended, so it has run by now
        self.store.close()

    # ------------------------------------------------------------------ the loop's side

    def _running_loop(self) -> asyncio.AbstractEventLoop:
        loop = asyncio.get_running_loop()
        if self._loop is None:
            self._loop = loop
        elif loop is not self._loop:
            raise RuntimeError("a store's writer serves one event loop: this is another one")
        return loop

    def _put(self, item: tuple) -> None:
        if self._closed:
            raise RuntimeError("the store is closed: the server is stopping, nothing more is written")
        self._step.append(item)
        self._queued += 1
        if len(self._step) == 1:
            self._running_loop().call_soon(self._hand_over)

    def _hand_over(self) -> None:
        step, self._step = self._step, []
        if not step:
            return
        if self._thread is None:
            self._thread = threading.Thread(target=self._work, name="leveret-store-writer", daemon=True)
            self._thread.start()
        self._queue.put(step)

    def _waiter(self, *, errors: bool) -> asyncio.Future:
        fut = self._running_loop().create_future()
        if self._queued == self._done:
            fut.set_result(None)
        else:
            self._waiters.append(_Waiter(self._done, self._queued, fut, errors))
        return fut

    def _outcome(self, ops: list[tuple], outcomes: list[tuple[Any, BaseException | None]]) -> None:
        """On the loop: a transaction's ops are done, each with (result, error)."""
        first = self._done + 1
        self._done += len(ops)
        for n, ((op, _, _, fut), (result, error)) in enumerate(zip(ops, outcomes), first):
            if fut is not None:
                if not fut.cancelled():
                    fut.set_result(result) if error is None else fut.set_exception(error)
            elif error is not None:
                told = [w for w in self._waiters if w.errors and w.after < n <= w.until]
                for w in told:
                    w.error = w.error or error
                if not told and not isinstance(error, StorageFull):   # that one is said once (_full_or_not)
                    self._loop.call_exception_handler({
                        "message": f"a store write ({getattr(op, '__qualname__', op)}) failed", "exception": error})
        waiting = []
        for w in self._waiters:
            if w.until > self._done:
                waiting.append(w)
            elif not w.future.done():
                w.future.set_result(None) if w.error is None else w.future.set_exception(w.error)
        self._waiters = waiting

    # ------------------------------------------------------------------ the writer thread

    def _work(self) -> None:
        while True:
            steps = [self._queue.get()]
            while True:
                try:
                    steps.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            ops = [op for step in steps if step is not _STOP for op in step]
            if ops:
                outcomes = self._commit(ops)
                try:
                    self._loop.call_soon_threadsafe(self._outcome, ops, outcomes)
                except RuntimeError:   # the loop was closed without closing the store: nobody is left to tell
                    pass
            if steps[-1] is _STOP:
                return

    def _commit(self, ops: list[tuple]) -> list[tuple[Any, BaseException | None]]:
        """``_commit_once``, and the ops that failed because the connection to the database was lost
        (its server restarted) again once it is back: the writes wait, none is lost. A full disk's
        failures are StorageFull, said once in the log until a write succeeds again."""
        outcomes = self._commit_once(ops)
        while True:
            lost = [n for n, (_, error) in enumerate(outcomes) if error is not None and self.store.lost(error)]
            if not lost:
                return self._full_or_not(outcomes)
            self.store.wait_for_database(outcomes[lost[0]][1], log, "writer")
            for n, outcome in zip(lost, self._commit_once([ops[n] for n in lost])):
                outcomes[n] = outcome

    def _full_or_not(self, outcomes: list[tuple[Any, BaseException | None]]) -> list[tuple[Any, BaseException | None]]:
        """The outcomes, a full disk's errors made StorageFull; the log says when it fills and when
        writes go through again."""
        full = [n for n, (_, error) in enumerate(outcomes) if error is not None and self.store.full(error)]
        if full and not self._full:
            self._full = True
            log.warning("the store's disk is full (%s: %s): writes fail until it has room", self.store.where(),
                        outcomes[full[0]][1])
        elif self._full and any(error is None for _, error in outcomes):
            self._full = False
            log.warning("the store writes again: its disk has room")
        for n in full:
            outcomes[n] = (None, self._storage_full(outcomes[n][1]))
        return outcomes

    def _storage_full(self, error: BaseException) -> StorageFull:
        refused = StorageFull(f"the server's storage is full: its store ({self.store.where()}) could not write"
                              f" ({error}); free space on that disk, or give the server room elsewhere (--db);"
                              " this works again once it has room")
        refused.__cause__ = error
        return refused

    def _commit_once(self, ops: list[tuple]) -> list[tuple[Any, BaseException | None]]:
        """Run the ops in one transaction; if it fails, each in its own."""
        store = self.store
        if len(ops) > 1:
            try:
                with store.transaction():
                    return [(op(store, *args, **kwargs), None) for op, args, kwargs, _ in ops]
            except Exception:
                pass    # one bad write must not take the others down with it: redo them one by one
        outcomes: list[tuple[Any, BaseException | None]] = []
        for op, args, kwargs, _ in ops:
            try:
                with store.transaction():
                    result = op(store, *args, **kwargs)
            except Exception as exc:
                outcomes.append((None, exc))
            else:
                outcomes.append((result, None))
        return outcomes
