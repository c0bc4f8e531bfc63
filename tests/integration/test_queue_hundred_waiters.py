"""100 containers blocked on one empty Queue, all woken by 100 puts: each get waits on the server
(through its container's worker), none polls. A cluster of its own, with room for 100 containers.

The calls are made one at a time, each once the one before is blocked: a container whose input
waits on a Queue is sent nothing more (dispatch.waiting), so each call gets a container of its own."""

import leveret
from apps import queue_user
from leveret.testing import Cluster


def test_100_containers_blocked_on_get_are_all_woken_by_100_puts(tmp_path):
    with Cluster(tmp_path, max_containers=100, cpu=16) as cluster, queue_user.app.run(show_logs=False):
        q = leveret.Queue.from_name("hundred", create_if_missing=True).hydrate()
        waits = cluster.dispatcher.queue_waiters
        calls = []
        for i in range(100):
            calls.append(queue_user.wait_for_one.spawn("hundred"))
            try:
                cluster.wait_for(lambda d: d.queue_waiters.waiting() == i + 1, timeout=60)
            except TimeoutError:
                raise AssertionError(f"call {i} did not get a container of its own: {waits.waiting()} waiting;"
                                     f" {cluster.function('queue-user', 'wait_for_one')}") from None
        assert waits.waiting() == 100
        assert len(cluster.containers("queue-user")) == 100
        for i in range(100):
            q.put(i)
        got = [c.get(timeout=60) for c in calls]
        assert sorted(v for v, _ in got) == list(range(100))
        assert len({pid for _, pid in got}) == 100   # one value to each of 100 containers
        assert q.len() == 0 and waits.waiting() == 0
