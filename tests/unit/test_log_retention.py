"""The log hub keeps stored lines under its age and size limits, deleting the oldest first; and
numbers lines after those stored, passing them to followers as they come."""

import asyncio

from leveret.server import logs as logs_mod
from leveret.server.logs import PRUNE_EVERY_S, LogHub
from leveret.server.reads import Reads
from leveret.server.store import Store
from leveret.server.store.base import LOG_ROW_BYTES
from leveret.server.writes import WriteBehind
from leveret.testing import FakeClock
from _server import passes_of

DAY = 86400.0
NOW = 1_800_000_000.0


def line(text, ts, app_id="ap-1"):
    return (app_id, "f", "ct-1", "", 1, ts, text)


def hub_over(store, **limits) -> LogHub:
    """A log hub over ``store``, with the store's writer and reader (closed by ``close``)."""
    writes = WriteBehind(store)
    return LogHub(writes, Reads(writes), **limits)


async def close(hub: LogHub) -> None:
    await hub.reads.close()
    await hub.writes.close()


async def stored(hub, app_id="ap-1"):
    return [r[7] for r in await hub.reads.run(Store.get_logs, app_id)]


def test_lines_older_than_the_retention_are_deleted_and_newer_ones_kept(store):
    async def main():
        hub = hub_over(store, retention_s=7 * DAY, max_bytes=1 << 30)
        hub.add([line("8 days old", NOW - 8 * DAY), line("7 days and a second", NOW - 7 * DAY - 1),
                 line("6 days old", NOW - 6 * DAY), line("now", NOW)])
        assert await hub.prune(NOW) == 2
        assert await stored(hub) == ["6 days old", "now"]
        assert await hub.prune(NOW + DAY - 1) == 0               # a fake clock: a day later, less a second
        assert await hub.prune(NOW + DAY + 1) == 1
        assert await stored(hub) == ["now"]
        await close(hub)

    asyncio.run(main())


def test_past_the_size_limit_the_oldest_lines_go_first(store):
    async def main():
        one = 100 + LOG_ROW_BYTES
        hub = hub_over(store, retention_s=7 * DAY, max_bytes=3 * one)
        hub.add([line(f"{i}".rjust(100, "x"), NOW) for i in range(5)])
        assert await hub.prune(NOW) == 2
        assert [t[-1] for t in await stored(hub)] == ["2", "3", "4"]
        assert hub.size == 3 * one == await hub.reads.run(Store.logs_size)
        await hub.add([line("5".rjust(100, "x"), NOW)])      # counted as it is stored: no scan
        assert hub.size == 4 * one
        assert await hub.prune(NOW) == 1
        assert [t[-1] for t in await stored(hub)] == ["3", "4", "5"]
        await close(hub)

    asyncio.run(main())


def test_a_prune_deletes_in_batches_across_apps(store, monkeypatch):
    monkeypatch.setattr(logs_mod, "PRUNE_BATCH", 3)

    async def main():
        hub = hub_over(store, retention_s=DAY, max_bytes=1 << 30)
        hub.add([line(f"old {i}", NOW - 2 * DAY, app_id=f"ap-{i % 2}") for i in range(10)] + [line("new", NOW)])
        assert await hub.prune_step(NOW) == 3                  # one batch per step
        assert await hub.prune(NOW) == 7
        assert await stored(hub, "ap-0") == ["new"] or await stored(hub, "ap-1") == ["new"]
        assert hub.size == await hub.reads.run(Store.logs_size)
        await close(hub)

    asyncio.run(main())


def test_a_server_started_on_old_lines_counts_them_before_its_first_prune(store):
    store.add_logs([line("x" * 1000, NOW) for _ in range(4)])

    async def main():
        hub = hub_over(store, max_bytes=2 * (1000 + LOG_ROW_BYTES))
        assert hub.size is None
        assert await hub.prune(NOW) == 2
        assert hub.size == await hub.reads.run(Store.logs_size)
        await close(hub)

    asyncio.run(main())


def test_the_pruner_runs_periodically_on_its_own_on_the_hubs_clock(store):
    async def main():
        clock = FakeClock(NOW)
        hub = hub_over(store, retention_s=DAY, clock=clock)
        passes = passes_of(hub)
        hub.add([line("a line", NOW)])
        task = asyncio.ensure_future(hub.prune_forever())
        assert await asyncio.wait_for(passes.get(), 10) == 0    # its first pass: within the retention
        clock.jump(DAY)
        assert await asyncio.wait_for(passes.get(), 10) == 0    # a pass at exactly the retention's age keeps it
        assert await stored(hub) == ["a line"]
        clock.jump(PRUNE_EVERY_S)
        assert await asyncio.wait_for(passes.get(), 10) == 1    # the next, a period later, deletes it
        assert await stored(hub) == []
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await close(hub)

    asyncio.run(main())


def test_followers_get_lines_as_they_come_numbered_after_the_stored_ones(store):
    store.add_logs([line("from before", NOW)])

    async def main():
        hub = hub_over(store)
        await hub.load()
        q = hub.follow("ap-1")
        stored = hub.add([line("one", NOW), line("other app", NOW, app_id="ap-2"), line("two", NOW)])
        hub.system("ap-1", "f", "ct-1", "stopped")
        hub.app_done("ap-1")
        got = []
        while (batch := q.get_nowait()) is not None:     # told now, before they are stored
            got += [(seq, text) for seq, *_, text, _verbose in batch]
        assert got == [(2, "one"), (4, "two"), (5, "stopped")]
        assert await stored == 4
        await hub.writes.durable()
        assert [(r[0], r[7]) for r in await hub.reads.run(Store.get_logs, "ap-1")] == [
            (1, "from before"), (2, "one"), (4, "two"), (5, "stopped")]
        await close(hub)

    asyncio.run(main())
