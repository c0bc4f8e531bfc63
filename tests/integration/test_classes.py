"""@app.cls through a real server, worker and container processes: parameters, @enter, @method
in every call form, @exit, @concurrent, failing @enter, Cls.from_name, calls from inside."""

import pytest

import leveret
from apps import classes
from leveret.server.store import Store


@pytest.fixture(scope="module")
def running(cluster):
    with classes.app.run(show_logs=False):
        yield classes


def test_a_method_runs_with_the_parameters_of_its_instance(running):
    assert running.Counter(start=10).add.remote(5) == 15
    assert running.Counter().add.remote(5) == 5


def test_enter_runs_once_per_container_before_its_first_input(running):
    c = running.Counter(start=3, label="x")
    first = c.state.remote()
    assert first["loaded"] == "x:3" and first["entered"] == 1
    again = c.state.remote()
    assert again == first   # the same container, @enter not run again


def test_each_parameter_set_has_containers_of_its_own(running, cluster):
    a = running.Counter(start=1).state.remote()
    b = running.Counter(start=2).state.remote()
    assert a["pid"] != b["pid"] and a["loaded"] == "plain:1" and b["loaded"] == "plain:2"
    names = {c.function_name for c in cluster.containers("classes")}
    assert {"Counter(start=1)", "Counter(start=2)"} <= names


def test_every_call_form_of_a_method(running):
    c = running.Counter(start=100)
    assert list(c.add.map([1, 2, 3])) == [101, 102, 103]
    assert list(c.add.starmap([(1,), (2,)])) == [101, 102]
    assert c.add.spawn(7).get() == 107
    assert list(c.upto.remote_gen(3)) == [100, 101, 102]
    assert c.slow_add.remote(1) == 101
    c.add.for_each([1, 2])


def test_aio_forms(running):
    import asyncio

    async def go():
        return await running.Counter(start=1).add.remote.aio(1)

    assert asyncio.run(go()) == 2


def test_local_runs_here_with_enter(running):
    assert running.Counter(start=4).add.local(1) == 5
    assert running.Counter(label="here").state.local()["loaded"] == "here:0"


def test_parameters_are_checked_where_the_instance_is_made(running):
    with pytest.raises(leveret.InvalidError, match="has no parameter 'nope'"):
        running.Counter(nope=1)
    with pytest.raises(leveret.InvalidError, match="needs name=: that parameter has no default"):
        running.NeedsName()
    with pytest.raises(leveret.InvalidError, match="a parameter is a str, int, bool or bytes"):
        running.Counter(start=1.5)
    assert running.NeedsName(name="ada").hello.remote() == "hello ada"


def test_only_methods_are_callable(running):
    with pytest.raises(AttributeError, match="has no @leveret.method\\(\\) named 'not_a_method'"):
        running.Counter().not_a_method


def test_a_failing_enter_fails_the_inputs_with_its_traceback_and_the_container(running, cluster):
    with pytest.raises(RuntimeError, match="the model file is missing"):
        running.Broken().run.remote()
    cluster.wait_for(lambda d: cluster.function("classes", "Broken").crash_streak >= 1)


def test_exit_runs_when_the_container_scales_down(running, cluster):
    assert running.Closes().ping.remote() == "pong"
    app_id = running.app.app_id
    cluster.wait_stored(lambda lines: any("EXIT RAN in the container" in line[7] for line in lines),
                        Store.get_logs, app_id, timeout=20)


def test_concurrent_class_runs_inputs_together_in_one_container(running):
    pids = list(running.Together().wait.map([0.3] * 4))
    assert len(set(pids)) == 1


def test_a_function_calls_a_class_of_its_app_from_inside(running):
    assert running.uses_class.remote(1) == 101 + 1


def test_cls_from_name_calls_a_deployed_class(cluster):
    deployed = classes.app.deploy(name="classes-deployed")
    try:
        Counter = leveret.Cls.from_name("classes-deployed", "Counter")
        assert Counter(start=5).add.remote(1) == 6
        assert Counter().add.remote(2) == 2
    finally:
        cluster.stop_app(deployed.app_id)


def test_exit_runs_when_its_app_is_stopped(cluster):
    deployed = classes.app.deploy(name="classes-stopped")
    Closes = leveret.Cls.from_name("classes-stopped", "Closes")
    assert Closes().ping.remote() == "pong"
    cluster.stop_app(deployed.app_id)
    cluster.wait_stored(lambda lines: any("EXIT RAN in the container" in line[7] for line in lines),
                        Store.get_logs, deployed.app_id, timeout=20)
