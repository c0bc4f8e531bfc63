"""Finding: the store kept every input and output payload forever (a database reached 822 MB, and
203 MB of WAL). With a call retention, what finished calls leave behind is deleted, and the space
it took is used again: the database stops growing."""

import os

from apps import basic
from leveret._shared.aio import run_sync
from leveret.testing import Cluster

ROUNDS = 5
MAPS, MAP_INPUTS, SPAWNS = 19, 1000, 1000     # a round: 20,000 calls' inputs; 100,000 in all
RETENTION_S = 1.0
BIG = 10 ** 200                               # payloads of a few hundred bytes, like real arguments


def db_bytes(path: str) -> int:
    """The SQLite database as it sits on disk: its file and its write-ahead log."""
    return sum(os.path.getsize(p) for p in (path, path + "-wal") if os.path.exists(p))


async def prune(cluster: Cluster, now: float):
    return await cluster.server.call_pruner.prune(now)   # on the server's loop, as its periodic task runs it


def rows(cluster: Cluster, table: str) -> int:
    return cluster.stored(lambda store: store.db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])


def test_the_store_stays_flat_over_100k_calls_with_a_short_call_retention(tmp_path):
    with Cluster(tmp_path, call_retention_s=RETENTION_S) as cluster:
        sizes, grown = [], []
        for _ in range(ROUNDS):
            with basic.app.run(show_logs=False):
                for m in range(MAPS):
                    xs = range(m * MAP_INPUTS, (m + 1) * MAP_INPUTS)
                    assert list(basic.square.map(BIG + x for x in xs)) == [(BIG + x) ** 2 for x in xs]
                spawned = [basic.square.spawn(BIG + i) for i in range(SPAWNS)]
                assert [c.get(timeout=30) for c in spawned] == [(BIG + i) ** 2 for i in range(SPAWNS)]
            grown.append(db_bytes(cluster.db))
            # its app stopped, every call is done with: past the retention (a clock, not a wait), all go
            calls, _ = run_sync(prune(cluster, cluster.dispatcher.clock.time() + RETENTION_S + 1))
            assert calls == MAPS + SPAWNS
            assert rows(cluster, "calls") == rows(cluster, "inputs") == rows(cluster, "outputs") == 0
            sizes.append(db_bytes(cluster.db))
        print(f"\ndatabase + WAL, MB, after each round: {[round(s / 1e6, 2) for s in grown]};"
              f" after its prune: {[round(s / 1e6, 2) for s in sizes]}")
        assert grown[0] > 2 * 1024 * 1024, "a round wrote too little for the test to see growth"
        for size in sizes[1:]:
            assert size <= sizes[0] * 1.05 + 256 * 1024, sizes   # the space freed is used again
