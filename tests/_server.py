"""A Dispatcher for unit tests: over a SQLite database in memory (or ``store``), with the store's
writer and reader threads, and its log hub."""

from leveret.server.dispatch import Dispatcher
from leveret.server.logs import LogHub
from leveret.server.reads import Reads
from leveret.server.store import Store, open_store
from leveret.server.writes import WriteBehind


def dispatcher(store: Store | None = None, **options) -> Dispatcher:
    store = store if store is not None else open_store(":memory:")
    writes = WriteBehind(store)
    reads = Reads(writes)
    logs = LogHub(writes, reads)
    logs.last_seq = store.last_log_seq()   # as LogHub.load() does, before the writer's thread runs
    return Dispatcher(writes, reads, logs, **options)
