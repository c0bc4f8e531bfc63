"""Retries, @concurrent, placement and autoscaler settings, through a real
server, worker and container processes."""

import time

import pytest

import leveret
from apps import orchestration as o
from leveret.server.store import Store


@pytest.fixture(scope="module")
def running(cluster):
    with o.app.run(show_logs=False):
        yield cluster


def describe(cluster, name, app=o.app):
    return cluster.function(app.app_id, name)


def test_a_failing_input_is_retried_until_it_succeeds(running, tmp_path):
    assert o.flaky.remote(str(tmp_path / "n"), 3) == 3


def test_retries_run_out_and_the_last_error_is_raised(running, tmp_path):
    path = tmp_path / "n"
    with pytest.raises(ValueError, match="attempt 3 fails"):
        o.flaky.remote(str(path), 10)
    assert path.read_text() == "xxx"   # the first attempt and max_retries=2 more


def test_retries_apply_per_input_of_a_map(running, tmp_path):
    paths = [str(tmp_path / f"n{i}") for i in range(4)]
    assert list(o.flaky.map(paths, [2] * 4)) == [2, 2, 2, 2]


def test_a_crashed_container_s_input_is_retried(running, tmp_path):
    path = tmp_path / "n"
    assert o.crashes_once.remote(str(path)) == "survived"
    assert path.read_text() == "xx"


def test_an_input_that_crashes_its_container_fails_once_and_holds_nothing_back(running):
    for _ in range(3):
        with pytest.raises(leveret.ExecutionError, match="exited with code 5 while running this input"):
            o.always_crashes.remote(1)
    d = describe(running, "always_crashes")
    assert d.crash_streak == 0 and d.backoff == ""   # the input is to blame, not a crash loop


def test_concurrent_sync_inputs_run_at_once_in_one_container(running):
    o.sleepy.remote(0.01)   # a container is up
    t0 = time.monotonic()
    pids = list(o.sleepy.map([0.6] * 4))
    assert time.monotonic() - t0 < 2.0   # 4 x 0.6 s one after another would be 2.4 s
    assert len(set(pids)) == 1


def test_concurrent_async_inputs_share_one_event_loop(running):
    o.async_sleepy.remote(0.01)
    t0 = time.monotonic()
    pids = list(o.async_sleepy.map([0.6] * 3))
    assert time.monotonic() - t0 < 1.6
    assert len(set(pids)) == 1


def test_a_function_no_worker_could_ever_hold_fails_at_once_with_the_reason(running):
    t0 = time.monotonic()
    with pytest.raises(leveret.ExecutionError, match="cannot be placed: 1 node\\(s\\): not enough free CPU"):
        o.huge.remote(1)
    assert time.monotonic() - t0 < 5
    with pytest.raises(leveret.ExecutionError, match="node lacks the labels the function selects"):
        o.on_mars.remote(1)


def test_min_containers_start_without_calls_and_stay(running):
    running.wait_for(lambda _: any(c.state == "ready" for c in describe(running, "kept_warm").containers), timeout=20)
    d = describe(running, "kept_warm")
    assert [c.state for c in d.containers] == ["ready"]
    assert "min_containers=1" in d.settings
    # That it stays past its scaledown window is checked on a fake clock: tests/unit/test_dispatcher_rules.py


def test_a_generator_that_yielded_is_not_run_again_after_a_crash(running):
    got = []
    with pytest.raises(leveret.ExecutionError, match="exited with code 3"):
        for item in o.yields_then_crashes.remote_gen():
            got.append(item)
    assert got == [1]


def test_a_concurrent_input_that_exits_ends_its_container_and_only_it_fails(running):
    results = list(o.exits_on_zero.map(range(4), return_exceptions=True))
    assert results[1:] == [1, 2, 3]
    assert isinstance(results[0], leveret.ExecutionError)


def test_a_map_of_tiny_inputs_starts_a_container_or_two_not_one_per_input(running):
    # the first container measures their speed before more start: a slow start, not 20 cold starts
    assert list(o.tiny.map(range(20))) == [x * x for x in range(20)]
    assert 1 <= running.stored(Store.function_stats, o.tiny.object_id)["containers_started"] <= 3
