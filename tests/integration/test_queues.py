"""Queue through a real server: FIFO order, partitions and their ttl, blocking gets and puts woken by
the server (no polling), iterate, len/clear, limits named, a deleted Queue not found."""

import asyncio
import queue
import threading
import time

import pytest

import leveret


@pytest.fixture
def q(cluster):
    import secrets

    name = "q-" + secrets.token_hex(4)
    yield leveret.Queue.from_name(name, create_if_missing=True)
    leveret.Queue.objects.delete(name, allow_missing=True)


def test_fifo_put_get_many_len_and_clear(q):
    q.put({"a": 1})
    q.put_many([2, (3, "x"), b"four"])
    assert q.len() == 4
    assert q.get() == {"a": 1}
    assert q.get_many(2) == [2, (3, "x")]
    assert q.get_many(10, block=False) == [b"four"]
    assert q.get(block=False) is None and q.get_many(5, block=False) == []
    with pytest.raises(queue.Empty):
        q.get(timeout=0.2)
    with pytest.raises(queue.Empty):
        q.get_many(3, timeout=0)
    q.put_many(range(5))
    q.clear()
    assert q.len() == 0


def test_partitions_are_independent_and_clear_all(q):
    q.put(0)
    q.put(1, partition="foo")
    q.put_many([2, 3], partition="bar")
    assert q.get(partition="bar") == 2
    assert q.len() == 1 and q.len(partition="foo") == 1 and q.len(total=True) == 3
    q.clear(partition="foo")
    assert q.len(partition="foo") == 0 and q.len(total=True) == 2
    q.clear(all=True)
    assert q.len(total=True) == 0
    with pytest.raises(leveret.exception.InvalidError, match="1 to 64 bytes"):
        q.put(1, partition="x" * 65)
    with pytest.raises(leveret.exception.InvalidError, match="1 to 64 bytes"):
        q.put(1, partition="")
    with pytest.raises(leveret.exception.InvalidError, match="give one of them"):
        q.len(partition="a", total=True)


def test_a_partition_is_cleared_its_ttl_after_its_last_put(q):
    q.put("soon gone", partition="short", partition_ttl=1)
    q.put("stays", partition="long")
    assert q.len(partition="short") == 1
    time.sleep(1.3)
    assert q.len(partition="short") == 0 and q.get(block=False, partition="short") is None
    assert q.len(total=True) == 1
    q.put("new", partition="short", partition_ttl=60)   # a put after it expired starts afresh
    assert q.get(partition="short") == "new"


def test_a_blocked_get_is_woken_by_a_put_at_once(q, cluster):
    got = []
    waiter = threading.Thread(target=lambda: got.append((q.get(timeout=30), time.monotonic())))
    waiter.start()
    waits = cluster.dispatcher.queue_waiters
    deadline = time.monotonic() + 10
    while not waits.waiting() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert waits.waiting() == 1, "the get should be waiting on the server"
    put_at = time.monotonic()
    q.put("hello")
    waiter.join(10)
    assert got and got[0][0] == "hello"
    assert got[0][1] - put_at < 2.0   # woken by the put, not by a poll or the timeout
    assert waits.waiting() == 0


def test_many_blocked_gets_each_take_one_put(q, cluster):
    results = []
    lock = threading.Lock()

    def take():
        value = q.get(timeout=30)
        with lock:
            results.append(value)

    threads = [threading.Thread(target=take) for _ in range(20)]
    for t in threads:
        t.start()
    waits = cluster.dispatcher.queue_waiters
    deadline = time.monotonic() + 10
    while waits.waiting() < 20 and time.monotonic() < deadline:
        time.sleep(0.01)
    for i in range(20):
        q.put(i)
    for t in threads:
        t.join(15)
    assert sorted(results) == list(range(20))
    assert q.len() == 0


def test_a_full_partition_refuses_or_waits_for_room(q):
    q.put_many(list(range(5000)), partition="p")
    with pytest.raises(queue.Full):
        q.put("x", block=False, partition="p")
    with pytest.raises(queue.Full):
        q.put("x", timeout=0.2, partition="p")
    threading.Timer(0.3, lambda: q.get(partition="p")).start()
    q.put("room", timeout=10, partition="p")   # woken by the get
    assert q.len(partition="p") == 5000


def test_iterate_leaves_values_in_place_and_waits_for_new_ones(q):
    q.put_many([1, 2, 3])
    assert list(q.iterate()) == [1, 2, 3] and q.len() == 3
    threading.Timer(0.3, lambda: q.put(4)).start()
    assert list(q.iterate(item_poll_timeout=3)) == [1, 2, 3, 4]


def test_limits_are_named(q):
    with pytest.raises(leveret.exception.InvalidError, match="at most 1 MiB pickled.*Volume"):
        q.put(b"x" * (2 * 1024 * 1024))
    with pytest.raises(leveret.exception.InvalidError, match="at most 5000 values"):
        q.put_many(range(5001))
    assert q.len() == 0


def test_aio_forms(q):
    async def main():
        getter = asyncio.ensure_future(q.get.aio(timeout=10))
        await asyncio.sleep(0.2)
        await q.put.aio("v")
        assert await getter == "v"
        await q.put_many.aio([1, 2])
        assert [v async for v in q.iterate.aio()] == [1, 2]
        assert await q.len.aio() == 2

    asyncio.run(main())


def test_a_deleted_queue_wakes_its_getters_and_is_not_found(cluster):
    q = leveret.Queue.from_name("goes-away-q", create_if_missing=True)
    q.put(1)
    errors = []

    def wait():
        try:
            q.get(partition="empty", timeout=30)
        except Exception as exc:   # noqa: BLE001 - the test looks at it
            errors.append(exc)

    t = threading.Thread(target=wait)
    t.start()
    waits = cluster.dispatcher.queue_waiters
    deadline = time.monotonic() + 10
    while not waits.waiting() and time.monotonic() < deadline:
        time.sleep(0.01)
    leveret.Queue.objects.delete("goes-away-q")
    t.join(10)
    assert errors and isinstance(errors[0], leveret.exception.NotFoundError) and "no Queue" in str(errors[0])
    again = leveret.Queue.from_name("goes-away-q", create_if_missing=True)
    assert again.len() == 0
    leveret.Queue.objects.delete("goes-away-q")


def test_an_ephemeral_queue_is_deleted_after_its_block_and_objects_list_it(cluster):
    with leveret.Queue.ephemeral() as tmp:
        tmp.put(1)
        name = tmp.name
        assert name in [x.name for x in leveret.Queue.objects.list()]
        assert tmp.info().name == name
    assert name not in [x.name for x in leveret.Queue.objects.list()]
