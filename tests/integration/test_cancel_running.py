"""Cancelling a call stops its inputs that run: their code sees InputCancellation, and their
container goes on with other inputs (or, terminate_containers=True, is stopped). A real server,
worker and container processes (the process runtime; tests/container/ runs them in crun)."""

import pytest

import leveret
from leveret.server.store import Store
from apps import cancelling


@pytest.fixture(scope="module")
def running(cluster):
    with cancelling.app.run(show_logs=False):
        yield cancelling


def _line(cluster, text: str, timeout: float = 20.0) -> tuple:
    """The first stored log row of the run whose text is ``text`` (waits for it):
    ``(seq, app_id, function_name, container_id, input_id, source, ts, text)``."""
    app_id = cancelling.app.app_id
    rows = cluster.wait_stored(lambda rows: any(r[7] == text for r in rows), Store.get_logs, app_id, timeout=timeout)
    return next(r for r in rows if r[7] == text)


def _running(cluster, name: str) -> int:
    return cluster.function("cancelling", name).running


def test_a_running_input_is_interrupted_and_its_container_runs_the_next(running, cluster):
    call = running.loops.spawn(60)
    started = _line(cluster, "loops started")
    call.cancel()
    with pytest.raises(leveret.exception.InputCancellation):
        call.get(timeout=10)
    seen = _line(cluster, "loops saw InputCancellation")
    assert seen[3] == started[3] and seen[4] == started[4]   # in its code, in its container
    cluster.wait_for(lambda d: _running(cluster, "loops") == 0)   # its slot is free: its container said so
    assert running.loops.remote(0) == started[3]   # the same container goes on (max_containers=1)


def test_cancelling_a_call_interrupts_the_call_its_code_waits_on(running, cluster):
    call = running.outer.spawn(60)
    _line(cluster, "inner started")
    call.cancel()
    with pytest.raises(leveret.exception.InputCancellation):
        call.get(timeout=10)
    _line(cluster, "outer saw InputCancellation")
    _line(cluster, "inner saw InputCancellation")
    cluster.wait_for(lambda d: _running(cluster, "outer") == 0 and _running(cluster, "inner") == 0)


def test_one_of_two_concurrent_inputs_is_cancelled_and_the_other_finishes(running, cluster):
    a = running.two_at_once.spawn("a", 60)
    b = running.two_at_once.spawn("b", 3)
    started = _line(cluster, "a started")
    _line(cluster, "b started")
    a.cancel()
    with pytest.raises(leveret.exception.InputCancellation):
        a.get(timeout=10)
    assert _line(cluster, "a saw InputCancellation")[3] == started[3]
    assert b.get(timeout=20) == started[3]   # it ran on, in the same container
    app_id = cancelling.app.app_id
    assert "b saw InputCancellation" not in [r[7] for r in cluster.stored(Store.get_logs, app_id)]


def test_terminate_containers_stops_the_container_and_its_other_inputs_run_again(running, cluster):
    a = running.terminated.spawn("ta", 60)
    b = running.terminated.spawn("tb", 5)
    started = _line(cluster, "ta started")
    _line(cluster, "tb started")
    old = started[3]
    a.cancel(terminate_containers=True)
    with pytest.raises(leveret.exception.InputCancellation):
        a.get(timeout=10)
    cluster.wait_for(lambda d: old not in [c.container_id for c in cluster.containers("cancelling")])
    assert b.get(timeout=30) not in ("", old)   # it ran again, in a new container


def test_an_async_functions_task_is_cancelled(running, cluster):
    call = running.waits_async.spawn(60)
    started = _line(cluster, "waits_async started")
    call.cancel()
    with pytest.raises(leveret.exception.InputCancellation):
        call.get(timeout=10)
    _line(cluster, "waits_async saw CancelledError")
    cluster.wait_for(lambda d: _running(cluster, "waits_async") == 0)
    assert running.waits_async.remote(0) == started[3]


def test_cancelling_a_finished_call_changes_nothing(running):
    call = running.loops.spawn(0)
    container = call.get(timeout=20)
    call.cancel()
    assert call.get(timeout=5) == container


def test_a_call_cancelled_from_inside_a_container_can_terminate_its_containers(running, cluster):
    call = running.alone.spawn(60)
    started = _line(cluster, "alone started")
    assert running.cancel_by_id.remote(call.object_id, True) == "cancelled"
    with pytest.raises(leveret.exception.InputCancellation):
        call.get(timeout=10)
    _line(cluster, "alone saw InputCancellation")
    cluster.wait_for(lambda d: started[3] not in [c.container_id for c in cluster.containers("cancelling")])
