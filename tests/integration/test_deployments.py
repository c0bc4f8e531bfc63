"""Deployments through a real server, worker and containers: versions, redeploys that drain,
rollback, Function.from_name, schedules, and a server restart."""

import time

import pytest

import leveret
from leveret._shared.aio import run_sync
from leveret.server.store import Store
from leveret.testing import Cluster, FakeClock


def make_app(tag: str, *, ticks_file: str | None = None):
    app = leveret.App("etl")

    @app.function(serialized=True, name="version")
    def version():
        return tag

    @app.function(serialized=True, name="slow")
    def slow(seconds: float):
        time.sleep(seconds)
        return tag

    if ticks_file is not None:
        @app.function(serialized=True, schedule=leveret.Period(seconds=1), name="poll")
        def poll():
            with open(ticks_file, "a") as f:
                f.write(f"{time.time()}\n")

    return app


def wait_until(predicate, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_redeploy_rolls_over_without_failing_in_flight_calls_and_rollback_brings_old_code_back(tmp_path):
    with Cluster(tmp_path) as cluster:
        d1 = make_app("v1").deploy()
        assert d1.version == 1
        version = leveret.Function.from_name("etl", "version")
        assert version.remote() == "v1"
        in_flight = leveret.Function.from_name("etl", "slow").spawn(1.5)
        cluster.wait_for(lambda _: cluster.function(d1.app_id, "slow").running == 1)   # it is running on version 1

        d2 = make_app("v2").deploy()
        assert (d2.version, d2.replaced_app_id) == (2, d1.app_id)
        assert version.remote() == "v2"          # the same handle goes to the live version
        assert in_flight.get(timeout=30) == "v1"  # finished where it ran, not failed
        assert wait_until(lambda: cluster.stored(Store.get_app, d1.app_id)["state"] == "stopped")

        d3_id, d3_version, source = run_sync(cluster.dispatcher.deployments.rollback("etl", 0, time.time()))
        assert (d3_version, source) == (3, 1)
        assert leveret.Function.from_name("etl", "version").remote() == "v1"
        versions = cluster.stored(Store.app_versions, "etl")
        assert [(v["version"], v["state"]) for v in versions][0] == (3, "deployed")
        assert {v["version"] for v in versions} == {1, 2, 3}


def test_from_name_errors_name_the_fix(tmp_path):
    with Cluster(tmp_path):
        with pytest.raises(leveret.NotFoundError, match="no deployed app named 'nope': deploy it with `leveret deploy FILE`"):
            leveret.Function.from_name("nope", "f").remote()
        make_app("v1").deploy()
        with pytest.raises(leveret.NotFoundError, match="has no function or class 'missing' \\(it has: version, slow\\)"):
            leveret.Function.from_name("etl", "missing").remote()


def test_a_schedule_fires_during_an_ephemeral_run_and_stops_with_it(tmp_path):
    ticks = tmp_path / "ticks"

    def fired() -> int:
        return len(ticks.read_text().splitlines()) if ticks.exists() else 0

    with Cluster(tmp_path):
        with make_app("v1", ticks_file=str(ticks)).run(show_logs=False):
            time.sleep(5)   # a 5 s run of a Period(seconds=1) schedule: it fires from the run's start
        assert fired() >= 2
        after = fired()
        time.sleep(2)       # the run stopped: so did its schedule
        assert fired() == after


def test_schedules_fire_once_per_tick_and_survive_a_server_restart(tmp_path):
    ticks_file = tmp_path / "ticks"
    clock = FakeClock(time.time())   # the server's: its ticks come when the test moves it

    def lines():
        return ticks_file.read_text().splitlines() if ticks_file.exists() else []

    with Cluster(tmp_path, clock=clock) as cluster:
        d = make_app("v1", ticks_file=str(ticks_file)).deploy()
        anchor = clock.time()      # deployed now: a Period(seconds=1) ticks at anchor + 1, + 2, ...
        cluster.jump(3)
        assert wait_until(lambda: len(lines()) == 3)   # each tick ran once, in a real container
        spawned = leveret.Function.from_name("etl", "slow").spawn(0.1)
        call_id = spawned.object_id
        assert spawned.get(timeout=30) == "v1"
    clock.jump(2.5)   # the server is down over two ticks

    with Cluster(tmp_path, clock=clock) as cluster:   # the same store: the deployment comes back
        assert cluster.stored(Store.get_app, d.app_id)["state"] == "deployed"
        assert leveret.Function.from_name("etl", "version").remote() == "v1"
        assert leveret.FunctionCall.from_id(call_id).get(timeout=10) == "v1"   # outputs outlive the server
        cluster.jump(2)
        # The ticks missed while it was down fire once, as the latest (6), then the next (7); none twice.
        assert [round(t - anchor, 3) for t, _ in cluster.stored(Store.ticks, "etl", "poll")] == [1, 2, 3, 6, 7]
        assert wait_until(lambda: len(lines()) == 5)   # one run per tick
