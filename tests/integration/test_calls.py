"""Remote calls through a real server, worker and container processes."""

import asyncio

import pytest

import leveret
from apps import basic


@pytest.fixture(scope="module")
def running(cluster):
    with basic.app.run(show_logs=False):
        yield basic


def test_remote_returns_the_value(running):
    assert running.square.remote(7) == 49


def test_remote_passes_args_and_kwargs(running):
    assert running.add.remote(1, 2, c=3) == 6


def test_local_runs_here(running):
    assert running.square.local(5) == 25


def test_map_keeps_order(running):
    assert list(running.square.map(range(200))) == [i * i for i in range(200)]


def test_map_zips_iterators_and_passes_kwargs(running):
    assert list(running.add.map([1, 2], [10, 20], kwargs={"c": 100})) == [111, 122]


def test_map_unordered_returns_every_output(running):
    assert sorted(running.square.map(range(50), order_outputs=False)) == [i * i for i in range(50)]


def test_starmap(running):
    assert list(running.add.starmap([(1, 2), (3, 4)])) == [3, 7]


def test_map_over_another_map(running):
    assert list(running.square.map(running.square.map(range(5)))) == [i ** 4 for i in range(5)]


def test_map_of_nothing(running):
    assert list(running.square.map([])) == []


def test_map_raises_the_first_failure(running):
    with pytest.raises(basic.CustomError, match="bad input 3"):
        list(running.fail.map(range(6)))


def test_map_return_exceptions(running):
    out = list(running.fail.map(range(5), return_exceptions=True))
    assert out[:3] == [0, 1, 2] and out[4] == 4
    assert isinstance(out[3], basic.CustomError)


def test_spawn_and_get(running):
    call = running.square.spawn(9)
    assert call.object_id.startswith("fc-")
    assert call.get() == 81


def test_function_call_from_id(running):
    call = running.square.spawn(4)
    assert leveret.FunctionCall.from_id(call.object_id).get(timeout=30) == 16


def test_get_timeout(running):
    call = running.sleepy.spawn(2)
    with pytest.raises(leveret.TimeoutError, match="did not finish within 0.1 s"):
        call.get(timeout=0.1)
    assert call.get() == 2


def test_from_id_rejects_other_ids():
    with pytest.raises(leveret.InvalidError, match="not a function call id"):
        leveret.FunctionCall.from_id("in-1234")


def test_generator_remote_gen(running):
    assert list(running.countdown.remote_gen(4)) == [4, 3, 2, 1]


def test_generator_refuses_remote(running):
    with pytest.raises(leveret.InvalidError, match="remote_gen"):
        running.countdown.remote(3)


def test_async_function(running):
    assert running.async_double.remote(21) == 42


def test_async_generator(running):
    assert list(running.async_count.remote_gen(3)) == [0, 1, 2]


def test_aio_forms_from_another_loop(running):
    async def main():
        one = await running.square.remote.aio(3)
        many = [v async for v in running.square.map.aio(range(5))]
        gen = [v async for v in running.countdown.remote_gen.aio(2)]
        call = await running.square.spawn.aio(6)
        return one, many, gen, await call.get.aio()

    assert asyncio.run(main()) == (9, [0, 1, 4, 9, 16], [2, 1], 36)


def test_concurrent_aio_calls(running):
    async def main():
        return await asyncio.gather(*(running.square.remote.aio(i) for i in range(40)))

    assert asyncio.run(main()) == [i * i for i in range(40)]


def test_remote_exception_is_reraised_as_its_type_with_remote_traceback(running):
    with pytest.raises(basic.CustomError) as info:
        running.fail.remote(3)
    notes = "".join(getattr(info.value, "__notes__", []))
    assert "Remote traceback" in notes and "in fail" in notes


def test_unpicklable_exception_becomes_remote_error(running):
    with pytest.raises(leveret.RemoteError) as info:
        running.fail_unpicklable.remote(1)
    assert info.value.remote_type.endswith("Unpicklable")
    assert "cannot travel 1" in info.value.remote_message
    assert "fail_unpicklable" in info.value.remote_traceback


def test_unpicklable_result_fails_only_that_input(running):
    with pytest.raises(TypeError, match="cannot be pickled"):
        running.return_unpicklable.remote()
    assert running.square.remote(2) == 4


def test_container_serves_many_inputs(running):
    containers = {running.where.remote()[0] for _ in range(5)}
    assert len(containers) == 1 and next(iter(containers)).startswith("ct-")


def test_crash_fails_the_input_with_exit_code(running):
    with pytest.raises(leveret.ExecutionError, match="exited with code 7"):
        running.crash.remote(7)
    assert running.square.remote(3) == 9
