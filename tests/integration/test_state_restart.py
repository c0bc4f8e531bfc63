"""A Dict's entries and a Queue's values survive a server restart, on SQLite and on PostgreSQL (a
cluster of its own: it restarts its server); a get blocked across the restart is answered after it."""

import threading

import pytest

import leveret
from leveret.testing import Cluster


@pytest.fixture(params=["sqlite", "postgres"])
def restartable(request, tmp_path):
    db = request.getfixturevalue("postgres_url") if request.param == "postgres" else None
    with Cluster(tmp_path, db=db) as c:
        yield c


def test_entries_survive_a_server_restart(restartable):
    d = leveret.Dict.from_name("kept", create_if_missing=True)
    d.update({"a": 1, ("t", 2): [3]})
    restartable.restart_server()
    again = leveret.Dict.from_name("kept")
    assert again["a"] == 1 and again[("t", 2)] == [3] and len(again) == 2


def test_queue_values_survive_a_server_restart_and_a_blocked_get_goes_on(restartable):
    q = leveret.Queue.from_name("kept-q", create_if_missing=True)
    q.put_many(["first", {"second": 2}])
    q.put("other", partition="p", partition_ttl=3600)
    got = []
    waiter = threading.Thread(target=lambda: got.append(q.get(partition="later", timeout=60)))
    waiter.start()
    restartable.wait_for(lambda d: d.queue_waiters.waiting() == 1, timeout=30)
    restartable.restart_server()
    again = leveret.Queue.from_name("kept-q")
    assert again.len(total=True) == 3
    assert again.get_many(5) == ["first", {"second": 2}] and again.get(partition="p") == "other"
    restartable.wait_for(lambda d: d.queue_waiters.waiting() == 1, timeout=30)   # asked again
    again.put("after", partition="later")
    waiter.join(30)
    assert got == ["after"]
