"""Call retention: a call's inputs and outputs (payloads and rows) are kept for the retention
after the call is done with, then deleted, oldest first; so are the rows of containers that
stopped and of workers that left; the daily usage sums are kept for USAGE_RETENTION_S.

    every PRUNE_EVERY_S: prune ─▶ store.prune_calls (batches of at most PRUNE_BATCH rows, each a
        transaction of the writer thread's; calls the dispatcher holds are skipped)
        ─▶ on_pruned(call ids) ─▶ store.delete_ended (batches) ─▶ store.delete_usage_before

What "done with" means is in store/retention.py: finished, or of an app that stopped (or a
``.remote`` / ``.map`` call a restart ended), before the cut. A call the dispatcher holds in
memory — unfinished, or an ephemeral app's spawned call, read from memory until its app stops —
is never deleted. A deployed app's finished spawned call is read from the store
(FunctionCallGet) until it is deleted; then ``gone`` says why it is not found.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, AsyncIterator, Awaitable, Callable

from .._shared.timespec import format_duration
from .store import Store

if TYPE_CHECKING:
    from .dispatch import Dispatcher

DEFAULT_CALL_RETENTION_S = 7 * 86400.0
PRUNE_EVERY_S = 60.0
USAGE_RETENTION_S = 400 * 86400.0   # the daily usage sums: a year and a bit
PRUNE_BATCH = 10_000     # input and output rows deleted per transaction: the writes queued behind it do not wait long

log = logging.getLogger("leveret.server")


def gone(call_id: str, retention_s: float) -> str:
    """Why a function call is not in the store, and what to do about it."""
    return (f"no function call {call_id}: its results were deleted after the server's call retention"
            f" ({format_duration(retention_s)}), or the id is wrong; to keep results longer, raise the retention"
            " with leveret server --call-retention DURATION")


class CallPruner:
    """Deletes what the retention no longer keeps from the dispatcher's store, never a call the
    dispatcher holds. ``on_pruned`` (optional) is awaited with the ids of each batch of calls
    deleted, once the deletion is committed: the place to delete their payloads kept outside the store."""

    def __init__(self, dispatcher: "Dispatcher", *, retention_s: float = DEFAULT_CALL_RETENTION_S,
                 on_pruned: Callable[[list[str]], Awaitable[None]] | None = None):
        self.d = dispatcher
        self.retention_s = retention_s
        self.on_pruned = on_pruned

    async def steps(self, now: float) -> AsyncIterator[tuple[int, int]]:
        """Prune at ``now`` one batch (one transaction) at a time: yields (calls, rows of stopped
        containers, left workers and old usage days) deleted by each."""
        cut = now - self.retention_s
        after = None
        while True:
            # On the writer, after the writes queued before it: a call the dispatcher has just let
            # go of has its last outputs stored first, which keep it from looking quiet, and none
            # can come after it is deleted. The calls it holds are those it holds now.
            step = await self.d.writes.run(Store.prune_calls, cut, PRUNE_BATCH, keep=frozenset(self.d.calls),
                                           after=after)
            if not step.more:
                break
            after = step.after
            if step.call_ids and self.on_pruned is not None:
                try:
                    await self.on_pruned(step.call_ids)
                except Exception:   # the rows are gone either way; the next batches still go
                    log.exception("on_pruned failed for %d deleted call(s)", len(step.call_ids))
            yield len(step.call_ids), 0
        while n := await self.d.writes.run(Store.delete_ended, cut, PRUNE_BATCH):
            yield 0, n
        if n := await self.d.writes.run(Store.delete_usage_before, now - USAGE_RETENTION_S):
            yield 0, n

    async def prune(self, now: float) -> tuple[int, int]:
        """Prune everything the retention no longer keeps at ``now``; return (calls, other rows) deleted."""
        calls = ended = 0
        async for c, e in self.steps(now):
            calls, ended = calls + c, ended + e
        return calls, ended

    async def prune_forever(self, every_s: float = PRUNE_EVERY_S) -> None:
        while True:
            try:
                calls, ended = await self.prune(self.d.clock.time())
                if calls or ended:
                    log.info("deleted %d call(s) and %d row(s) of stopped containers and left workers past the"
                             " call retention (%s)", calls, ended, format_duration(self.retention_s))
            except Exception:  # a failed prune is tried again next time; it must not stop the server
                log.exception("could not delete calls past the call retention")
            await self.d.clock.sleep(every_s)
