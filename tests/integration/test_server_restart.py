"""A run outlives a server restart: the server keeps the run's app, its client reconnects, and its
calls carry on — a map's outputs, each once and in order, spawned calls, .remote() calls in flight
— with one notice line each way."""

import threading
import time

import pytest

from apps import restart as r
from leveret.testing import Cluster


@pytest.fixture
def cluster(tmp_path):
    with Cluster(tmp_path, max_containers=2) as c:
        yield c


def restart_when(cluster, condition, timeout=30.0):
    """Restart the server (on its port, its store) once ``condition()`` holds, on a thread."""
    def run():
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                return
            time.sleep(0.01)
        cluster.restart_server()

    t = threading.Thread(target=run)
    t.start()
    return t


def test_a_map_spawned_calls_and_remote_calls_carry_on_across_a_restart(cluster, capfd):
    with r.app.run():
        spawned = [r.slow_square.spawn(i) for i in range(20)]
        got = []
        remote_results = []
        remote_thread = threading.Thread(target=lambda: remote_results.extend(r.slow_square.remote(i) for i in range(30)))
        restarter = restart_when(cluster, lambda: len(got) >= 50)
        remote_thread.start()
        for value in r.slow_square.map(range(300)):
            got.append(value)
        restarter.join()
        remote_thread.join()
        assert got == [i * i for i in range(300)]
        assert [c.get(timeout=30) for c in spawned] == [i * i for i in range(20)]
        assert remote_results == [i * i for i in range(30)]
    out, err = capfd.readouterr()
    assert "leveret: lost the server at" in err and "reconnecting" in err
    assert "leveret: reconnected to" in err and "resuming" in err
    assert "square 299" in out   # its logs followed on after the restart


def test_a_map_its_caller_stops_reading_is_cancelled_at_once_not_after_the_grace(cluster):
    with r.app.run(show_logs=False):
        for value in r.slow_square.map(range(500)):
            assert value == 0
            break
        cluster.wait_for(lambda d: cluster.function(r.app.app_id, "slow_square").queued == 0
                         and cluster.totals().calls == 0, timeout=10)


def test_cancelling_a_call_after_a_restart_cancels_what_its_code_had_spawned(cluster):
    """The link from a call made inside a container to its caller's input is stored, and restored."""
    import leveret

    with r.app.run(show_logs=False):
        parent = r.waits_on_sleeper.spawn(120)
        deadline = time.monotonic() + 30
        while not parent.get_call_graph()[0].children:
            assert time.monotonic() < deadline, "the parent never spawned its child"
            time.sleep(0.05)
        [child] = parent.get_call_graph()[0].children
        cluster.restart_server()
        parent.cancel()
        with pytest.raises(leveret.exception.InputCancellation):
            leveret.FunctionCall.from_id(child.function_call_id).get(timeout=30)
