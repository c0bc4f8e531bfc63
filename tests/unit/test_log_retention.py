"""The log hub keeps stored lines under its age and size limits, deleting the oldest first."""

import asyncio

import pytest

from leveret.server import logs as logs_mod
from leveret.server.logs import PRUNE_EVERY_S, LogHub
from leveret.server.store.base import LOG_ROW_BYTES
from leveret.testing import FakeClock

DAY = 86400.0
NOW = 1_800_000_000.0


def line(text, ts, app_id="ap-1"):
    return (app_id, "f", "ct-1", "", 1, ts, text)


def stored(store, app_id="ap-1"):
    return [r[7] for r in store.get_logs(app_id)]


def test_lines_older_than_the_retention_are_deleted_and_newer_ones_kept(store):
    hub = LogHub(store, retention_s=7 * DAY, max_bytes=1 << 30)
    hub.add([line("8 days old", NOW - 8 * DAY), line("7 days and a second", NOW - 7 * DAY - 1),
             line("6 days old", NOW - 6 * DAY), line("now", NOW)])
    assert hub.prune(NOW) == 2
    assert stored(store) == ["6 days old", "now"]
    assert hub.prune(NOW + DAY - 1) == 0               # a fake clock: a day later, less a second
    assert hub.prune(NOW + DAY + 1) == 1
    assert stored(store) == ["now"]


def test_past_the_size_limit_the_oldest_lines_go_first(store):
    one = 100 + LOG_ROW_BYTES
    hub = LogHub(store, retention_s=7 * DAY, max_bytes=3 * one)
    hub.add([line(f"{i}".rjust(100, "x"), NOW) for i in range(5)])
    assert hub.prune(NOW) == 2
    assert [t[-1] for t in stored(store)] == ["2", "3", "4"]
    assert hub.size == 3 * one == store.logs_size()
    hub.add([line("5".rjust(100, "x"), NOW)])      # counted as it comes: no scan
    assert hub.size == 4 * one
    assert hub.prune(NOW) == 1
    assert [t[-1] for t in stored(store)] == ["3", "4", "5"]


def test_a_prune_deletes_in_batches_across_apps(store, monkeypatch):
    monkeypatch.setattr(logs_mod, "PRUNE_BATCH", 3)
    hub = LogHub(store, retention_s=DAY, max_bytes=1 << 30)
    hub.add([line(f"old {i}", NOW - 2 * DAY, app_id=f"ap-{i % 2}") for i in range(10)] + [line("new", NOW)])
    assert hub.prune_step(NOW) == 3                  # one batch per step
    assert hub.prune(NOW) == 7
    assert stored(store, "ap-0") == ["new"] or stored(store, "ap-1") == ["new"]
    assert hub.size == store.logs_size()


def test_a_server_started_on_old_lines_counts_them_before_its_first_prune(store):
    LogHub(store).add([line("x" * 1000, NOW) for _ in range(4)])
    hub = LogHub(store, max_bytes=2 * (1000 + LOG_ROW_BYTES))
    assert hub.size is None
    assert hub.prune(NOW) == 2
    assert hub.size == store.logs_size()


def test_the_pruner_runs_periodically_on_its_own_on_the_hubs_clock(store):
    async def settle():   # a few turns of the loop: the pass a jump woke runs
        for _ in range(5):
            await asyncio.sleep(0)

    async def main():
        clock = FakeClock(NOW)
        hub = LogHub(store, retention_s=DAY, clock=clock)
        hub.add([line("a line", NOW)])
        task = asyncio.ensure_future(hub.prune_forever())
        await settle()
        assert stored(store) == ["a line"]          # its first pass: within the retention
        clock.jump(DAY)
        await settle()
        assert stored(store) == ["a line"]          # a pass at exactly the retention's age keeps it
        clock.jump(PRUNE_EVERY_S)
        await settle()
        assert stored(store) == []                  # the next, a period later, deletes it
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    asyncio.run(main())
