"""A Dispatcher for unit tests: over a SQLite database in memory (or ``store``), with the store's
writer and reader threads, and its log hub, all on ``clock`` if one is given (else the system's); and a way to wait for a pruner's passes."""

import asyncio

from leveret.server.dispatch import Dispatcher
from leveret.server.logs import LogHub
from leveret.server.reads import Reads
from leveret.server.store import Store, open_store
from leveret.server.writes import WriteBehind


def dispatcher(store: Store | None = None, *, clock=None, **options) -> Dispatcher:
    store = store if store is not None else open_store(":memory:", clock)
    if clock is not None:
        store.clock = clock   # one clock: the rows' stamps are the dispatcher's time
    writes = WriteBehind(store)
    reads = Reads(writes)
    logs = LogHub(writes, reads, clock=clock)
    logs.last_seq = store.last_log_seq()   # as LogHub.load() does, before the writer's thread runs
    return Dispatcher(writes, reads, logs, clock=clock, **options)


def passes_of(pruner) -> asyncio.Queue:
    """A queue told what each pass of ``pruner.prune`` (a LogHub's or a CallPruner's) deleted, as it
    ends: a test on a fake clock awaits it after each jump, the pass running on the store's threads."""
    passes: asyncio.Queue = asyncio.Queue()
    prune = pruner.prune

    async def counted(now):
        deleted = await prune(now)
        passes.put_nowait(deleted)
        return deleted

    pruner.prune = counted
    return passes
