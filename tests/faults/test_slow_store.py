"""Finding: the server ran its store's SQL on its event loop, so a slow disk stalled everything:
with commits taking half a second, each `.remote()` waited for one or two of them and no other
request was served meanwhile. Now the store is written by a thread of its own: calls go on at
their usual pace while commits crawl, and only what acknowledges a write (a spawn) waits for it.
A write that fails still fails what acknowledges it.
"""

import asyncio
import sqlite3
import time

import pytest

import leveret
from apps import basic
from leveret._shared.aio import run_sync
from leveret.server import main
from leveret.testing import Cluster

SLOW_S = 0.5     # each commit, once the disk turns slow
CALLS = 10


class Disk:
    """A store connection's disk: its commits can turn slow, or fail."""

    def __init__(self, db):
        self._db = db
        self.slow = False
        self.broken = False

    def execute(self, sql, *args):
        if sql == "COMMIT" and self.broken:
            self._db.execute("ROLLBACK")   # as SQLite does on an I/O error
            raise sqlite3.OperationalError("disk I/O error")
        found = self._db.execute(sql, *args)
        if sql == "COMMIT" and self.slow:
            time.sleep(SLOW_S)   # in whichever thread commits: the event loop's, or the store's own
        return found

    def __getattr__(self, name):
        return getattr(self._db, name)


@pytest.fixture
def disk(monkeypatch):
    disks = []

    def open_store(url, clock=None):
        store = opened(url, clock)
        if not disks:   # the server's store (its reader, if it opens one, reads as usual)
            store.db = Disk(store.db)
            disks.append(store.db)
        return store

    opened = main.open_store
    monkeypatch.setattr(main, "open_store", open_store)
    return lambda: disks[0]


async def calls_and_loop_lag() -> tuple[float, float]:
    """Seconds CALLS `.remote()` calls take one after the other, and the event loop's worst lag meanwhile."""
    loop = asyncio.get_running_loop()
    worst = 0.0
    done = False

    async def watch():
        nonlocal worst
        while not done:
            before = loop.time()
            await asyncio.sleep(0.01)
            worst = max(worst, loop.time() - before - 0.01)

    watcher = asyncio.ensure_future(watch())
    start = loop.time()
    for i in range(CALLS):
        assert await basic.square.remote.aio(i) == i * i
    took = loop.time() - start
    done = True
    await watcher
    return took, worst


def test_calls_go_on_at_their_pace_while_each_commit_takes_half_a_second(tmp_path, disk):
    with Cluster(tmp_path) as cluster:
        with basic.app.run(show_logs=False):
            assert basic.square.remote(2) == 4                      # warm: a container is ready
            disk().slow = True
            took, lag = run_sync(calls_and_loop_lag())
            # each call stores its input and its output: on the loop, that was two slow commits a call
            assert took < SLOW_S, f"{CALLS} calls took {took:.2f} s while commits took {SLOW_S} s each"
            assert lag < SLOW_S / 2, f"the event loop stalled for {lag:.2f} s"
            spawned = basic.square.spawn(3)                          # acknowledged once stored: it waits
            assert spawned.get(timeout=30) == 9
            disk().slow = False
        assert cluster.totals().calls == 0


def test_a_write_that_fails_fails_the_spawn_it_acknowledges_and_the_server_goes_on(tmp_path, disk):
    with Cluster(tmp_path):
        with basic.app.run(show_logs=False):
            assert basic.square.remote(2) == 4
            disk().broken = True
            with pytest.raises(leveret.exception.Error, match="disk I/O error"):
                basic.square.spawn(3)
            disk().broken = False
            assert basic.square.spawn(4).get(timeout=30) == 16
            assert basic.square.remote(5) == 25
