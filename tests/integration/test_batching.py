"""@leveret.batched through a real server, worker and container processes: inputs from many
callers gathered into lists, each caller getting its own result; limits checked at definition."""

import concurrent.futures

import pytest

import leveret
from apps import batching


@pytest.fixture(scope="module")
def running(cluster):
    with batching.app.run(show_logs=False):
        yield batching


def test_twenty_concurrent_callers_are_batched_and_each_gets_its_own_result(running):
    with concurrent.futures.ThreadPoolExecutor(20) as pool:
        results = list(pool.map(running.double.remote, range(20)))
    assert [r[0] for r in results] == [2 * x for x in range(20)]
    sizes = [r[1] for r in results]
    assert max(sizes) > 1 and max(sizes) <= 8   # gathered, never past max_batch_size


def test_a_map_runs_in_batches(running):
    results = list(running.double.map(range(30)))
    assert [r[0] for r in results] == [2 * x for x in range(30)]
    assert max(r[1] for r in results) == 8


def test_several_arguments_and_keywords_become_lists(running):
    assert running.pairs.remote(1, 2, scale=10) == 30
    assert list(running.pairs.starmap([(1, 1), (2, 2)], kwargs={"scale": 2})) == [4, 8]


def test_a_batch_with_the_wrong_number_of_results_fails_each_input(running):
    with pytest.raises(TypeError, match="one result per input: it got 1 inputs and returned 0 results"):
        running.wrong_count.remote(1)


def test_an_exception_fails_every_input_of_its_batch(running):
    results = list(running.raises.map(range(4), return_exceptions=True))
    assert all(isinstance(r, ValueError) and "bad batch of" in str(r) for r in results)


def test_a_batched_class_method(running):
    with concurrent.futures.ThreadPoolExecutor(10) as pool:
        results = list(pool.map(lambda t: running.Embedder(dim=3).embed.remote(t), ["a", "bb", "ccc"] * 3))
    assert results == [[1] * 3, [2] * 3, [3] * 3] * 3


@pytest.mark.parametrize("kwargs, error", [
    ({"max_batch_size": 0, "wait_ms": 10}, "max_batch_size=0\\) must be a whole number from 1 to 1000"),
    ({"max_batch_size": 1001, "wait_ms": 10}, "from 1 to 1000"),
    ({"max_batch_size": 4, "wait_ms": -1}, "wait_ms=-1\\) must be a whole number from 0 to 600000"),
    ({"max_batch_size": 4, "wait_ms": 600_001}, "from 0 to 600000"),
])
def test_limits_are_checked_at_definition(kwargs, error):
    with pytest.raises(leveret.InvalidError, match=error):
        leveret.batched(**kwargs)


def test_batched_and_concurrent_do_not_go_together():
    app = leveret.App("bad-batching")
    with pytest.raises(leveret.InvalidError, match="batched and @leveret.concurrent do not go together"):
        @app.function(serialized=True)
        @leveret.concurrent(max_inputs=4)
        @leveret.batched(max_batch_size=4, wait_ms=10)
        def f(xs):
            return xs
