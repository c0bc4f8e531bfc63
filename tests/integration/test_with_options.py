"""with_options, with_concurrency and with_batching on Functions and Classes: each a function of
its own on the server (FunctionBind), with containers of its own."""

import concurrent.futures

import pytest

import leveret
from apps import options


@pytest.fixture(scope="module")
def running(cluster):
    with options.app.run(show_logs=False):
        yield options


def test_with_options_env_reaches_the_container_and_the_original_is_unchanged(running):
    assert running.env_of.with_options(env={"COLOUR": "blue"}).remote("COLOUR") == "blue"
    assert running.env_of.remote("COLOUR") == ""


def test_with_options_timeout_applies(running):
    with pytest.raises(leveret.FunctionTimeoutError):
        running.sleeps.with_options(timeout=1).remote(5)


def test_repeated_with_options_merge(running):
    f = running.env_of.with_options(env={"A": "1"}).with_options(timeout=30)
    assert f.remote("A") == "1"


def test_a_copy_is_a_function_of_its_own_named_after_what_differs(running, cluster):
    running.env_of.with_options(max_containers=3).remote("X")
    assert "env_of[max_containers=3]" in {c.function_name for c in cluster.containers("options")}


def test_with_concurrency_runs_inputs_together(running):
    pids = list(running.sleeps.with_concurrency(max_inputs=4).map([0.3] * 4))
    assert len(set(pids)) == 1


def test_with_batching_gathers_inputs(running):
    f = running.lengths.with_batching(max_batch_size=5, wait_ms=300)
    with concurrent.futures.ThreadPoolExecutor(5) as pool:
        sizes = list(pool.map(f.remote, ["a"] * 5))
    assert max(sizes) > 1


def test_cls_with_options(running):
    Reader = running.Reader.with_options(env={"WHO": "cls"})
    assert Reader().env.remote("WHO") == "cls"
    assert running.Reader().env.remote("WHO") == ""


def test_options_are_checked_where_they_are_given(running):
    with pytest.raises(leveret.InvalidError, match="timeout=-1 must be seconds"):
        running.sleeps.with_options(timeout=-1)
    with pytest.raises(leveret.exception.NotImplementedOptionError, match="volumes=...\\) is not supported yet"):
        running.sleeps.with_options(volumes={"/data": object()})
    with pytest.raises(leveret.InvalidError, match="max_inputs=0\\) must be a whole number"):
        running.sleeps.with_concurrency(max_inputs=0)
    with pytest.raises(leveret.InvalidError, match="do not go together"):
        running.lengths.with_concurrency(max_inputs=2).with_batching(max_batch_size=2, wait_ms=1).remote(["a"])
