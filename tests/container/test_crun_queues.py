"""A Queue from inside real crun containers, whose image has neither gRPC nor protobuf: a get blocked
in the container waits on the server through the worker, and is woken by the client's put."""

import time

import pytest
from crun import crun_cluster_running

import leveret
from apps import queue_user

pytestmark = pytest.mark.container


@pytest.fixture(scope="module")
def crun_cluster(tmp_path_factory):
    yield from crun_cluster_running(tmp_path_factory, "crun-queues", queue_user.app)


def test_a_queue_from_inside_crun(crun_cluster):
    assert queue_user.produce.remote("crun-q", 2, "part") == 2
    call = queue_user.consume.spawn("crun-q", 1)
    deadline = time.monotonic() + 60
    while not crun_cluster.dispatcher.queue_waiters.waiting() and time.monotonic() < deadline:
        time.sleep(0.05)
    leveret.Queue.from_name("crun-q").put("woken")
    assert call.get(timeout=60) == ["woken"]
    assert leveret.Queue.from_name("crun-q").get_many(5, partition="part") == [{"i": 0}, {"i": 1}]
