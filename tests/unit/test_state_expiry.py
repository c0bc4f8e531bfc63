"""Expiry on the server's clock (server/expiry.py): a Dict entry goes 7 days after its last write or
read (a read noted in memory, written at the next sweep); a Queue partition's values go its ttl
after its last put — read as empty at once, their rows freed by the sweep."""

import asyncio

import pytest

from leveret.server import dicts, queues  # noqa: F401  (dicts: registers its kind)
from leveret.server.expiry import DICT_IDLE_S, Expiry
from leveret.server.objects import IF_MISSING, NamedObjects
from leveret.server.store import open_store
from leveret.testing import FakeClock


@pytest.fixture(params=["sqlite", "postgres"])
def url(request, tmp_path):
    return request.getfixturevalue("postgres_url") if request.param == "postgres" else str(tmp_path / "state.db")


def test_dict_entries_expire_a_week_after_their_last_write_or_read(url):
    clock = FakeClock()
    store = open_store(url, clock)

    async def main():
        from leveret.server.writes import WriteBehind

        writes = WriteBehind(store)
        expiry = Expiry(writes, clock)
        row, _ = NamedObjects(clock).get_or_create(store, "dict", "cache", creation=IF_MISSING)
        store.dict_put(row.id, [(b"read", b"1"), (b"idle", b"2")], False)
        clock.now += DICT_IDLE_S - 60
        expiry.touched(row.id, [b"read"])
        assert await expiry.sweep() == (0, 0)   # nothing is a week idle yet; the read is written
        clock.now += 120
        assert await expiry.sweep() == (1, 0)   # "idle" is past the week, "read" was read since
        assert store.dict_get(row.id, b"read") == b"1" and store.dict_get(row.id, b"idle") is None
        clock.now += DICT_IDLE_S
        assert await expiry.sweep() == (1, 0) and store.dict_len(row.id) == 0
        await writes.close()

    asyncio.run(main())
    store.close()


def test_queue_partitions_read_empty_past_their_ttl_and_the_sweep_frees_them(url):
    clock = FakeClock()
    store = open_store(url, clock)

    async def main():
        from leveret.server.writes import WriteBehind

        writes = WriteBehind(store)
        expiry = Expiry(writes, clock)
        row, _ = NamedObjects(clock).get_or_create(store, "queue", "jobs", creation=IF_MISSING)
        assert queues.put(store, row.id, b"short", [b"a", b"b"], 10)
        assert queues.put(store, row.id, b"", [b"c"], 3600)
        clock.now += 11
        assert queues.length(store, row.id, b"short") == (0, 0) and queues.length(store, row.id, None) == (1, 1)
        assert queues.page(store, row.id, b"short", 0, 10) == []
        assert await expiry.sweep() == (0, 1)
        assert store._execute("SELECT COUNT(*) FROM queue_items").fetchone()[0] == 1
        assert queues.pop(store, row.id, b"", 5) == [b"c"]
        await writes.close()

    asyncio.run(main())
    store.close()
