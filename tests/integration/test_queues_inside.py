"""A Queue used from inside containers (through their worker, with the container's token) and from
the client."""

import time

import pytest

import leveret
from apps import queue_user


@pytest.fixture(scope="module")
def running(cluster):
    with queue_user.app.run(show_logs=False):
        yield queue_user


def test_a_container_puts_what_the_client_gets_and_the_other_way(running):
    assert running.produce.remote("inside-q1", 3) == 3
    q = leveret.Queue.from_name("inside-q1")
    assert running.peek.remote("inside-q1") == [{"i": 0}, {"i": 1}, {"i": 2}]
    assert q.get() == {"i": 0}
    q.put_many(["x", "y"])
    assert running.consume.remote("inside-q1", 4) == [{"i": 1}, {"i": 2}, "x", "y"]
    assert q.len() == 0
    leveret.Queue.objects.delete("inside-q1")


def test_a_container_blocked_on_get_is_woken_by_the_clients_put(running, cluster):
    leveret.Queue.objects.create("inside-q2")
    call = running.consume.spawn("inside-q2", 1)
    waits = cluster.dispatcher.queue_waiters
    deadline = time.monotonic() + 30
    while not waits.waiting() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert waits.waiting() == 1
    leveret.Queue.from_name("inside-q2").put("wake")
    assert call.get(timeout=30) == ["wake"]
    leveret.Queue.objects.delete("inside-q2")
