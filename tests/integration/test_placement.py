"""A container that does not fit now waits, says why, and is placed when room frees up (a cluster
of its own, with room for one container)."""

from apps import orchestration as o
from leveret.testing import Cluster


def describe(cluster, name):
    return cluster.function(o.small.app_id, name)


def test_a_container_that_does_not_fit_now_waits_and_says_why(tmp_path):
    with Cluster(tmp_path, max_containers=1) as cluster:
        with o.small.run(show_logs=False):
            held = o.hold.spawn(3)
            cluster.wait_for(lambda _: describe(cluster, "hold").containers, timeout=20)
            waiting = o.other.spawn(7)
            cluster.wait_for(lambda _: describe(cluster, "other").pending, timeout=10)
            d = describe(cluster, "other")
            assert "node runs as many containers as it may" in d.pending[0]
            assert d.queued == 1
            assert held.get(timeout=30) == "held"
            assert waiting.get(timeout=30) == 7   # placed once the slot is free
