import asyncio
import threading

import pytest

from leveret._utils.synchronize import synchronize

WAIT_S = 5   # upper bound for a condition that should hold at once


class Service:
    def __init__(self):
        self.closed = threading.Event()

    @synchronize
    async def add(self, a, b=0):
        """Add two numbers."""
        await asyncio.sleep(0)
        return a + b

    @synchronize
    async def thread_name(self):
        return threading.current_thread().name

    @synchronize
    async def fail(self):
        raise ValueError("nope")

    @synchronize
    async def count(self, n):
        for i in range(n):
            await asyncio.sleep(0)
            yield i

    @synchronize
    async def count_then_fail(self, n):
        for i in range(n):
            yield i
        raise ValueError("after items")

    @synchronize
    async def one_then_wait_forever(self):
        try:
            yield 1
            await asyncio.Event().wait()
            yield 2
        finally:
            self.closed.set()

    @synchronize
    async def blocking_call_inside(self):
        return self.add(1, 2)

    @synchronize
    async def blocking_iteration_inside(self):
        return list(self.count(2))

    @synchronize
    async def aio_call_inside(self):
        return await self.add.aio(1, 2)


@pytest.fixture
def svc():
    return Service()


async def collect(agen):
    return [item async for item in agen]


def test_blocking_call_returns_the_value(svc):
    assert svc.add(1, b=2) == 3


def test_coroutines_run_on_the_background_loop_both_ways(svc):
    assert svc.thread_name() == "leveret-loop"
    assert asyncio.run(svc.thread_name.aio()) == "leveret-loop"


def test_aio_is_awaitable_from_another_event_loop(svc):
    assert asyncio.run(svc.add.aio(1, b=2)) == 3


def test_aio_works_from_two_successive_event_loops(svc):
    assert asyncio.run(svc.add.aio(1)) == 1
    assert asyncio.run(svc.add.aio(2)) == 2


def test_aio_works_from_inside_the_background_loop(svc):
    assert svc.aio_call_inside() == 3


def test_async_generator_iterates_blocking(svc):
    assert list(svc.count(3)) == [0, 1, 2]


def test_async_generator_iterates_with_aio(svc):
    assert asyncio.run(collect(svc.count.aio(3))) == [0, 1, 2]


def test_exception_propagates_to_a_blocking_caller(svc):
    with pytest.raises(ValueError, match="nope"):
        svc.fail()


def test_exception_propagates_to_an_aio_caller(svc):
    with pytest.raises(ValueError, match="nope"):
        asyncio.run(svc.fail.aio())


def test_generator_exception_propagates_after_its_items_blocking(svc):
    got = []
    with pytest.raises(ValueError, match="after items"):
        for item in svc.count_then_fail(2):
            got.append(item)
    assert got == [0, 1]


def test_generator_exception_propagates_after_its_items_with_aio(svc):
    async def main():
        got = []
        with pytest.raises(ValueError, match="after items"):
            async for item in svc.count_then_fail.aio(2):
                got.append(item)
        return got

    assert asyncio.run(main()) == [0, 1]


def test_breaking_out_of_a_blocking_iteration_stops_the_generator(svc):
    for item in svc.one_then_wait_forever():
        assert item == 1
        break
    assert svc.closed.wait(WAIT_S), "the async generator's finally did not run"


def test_blocking_call_from_inside_the_background_loop_raises(svc):
    with pytest.raises(RuntimeError, match=r"\.aio"):
        svc.blocking_call_inside()


def test_blocking_iteration_from_inside_the_background_loop_raises(svc):
    with pytest.raises(RuntimeError, match=r"\.aio"):
        svc.blocking_iteration_inside()


def test_the_loop_still_works_after_a_refused_blocking_call(svc):
    with pytest.raises(RuntimeError):
        svc.blocking_call_inside()
    assert svc.add(2, 2) == 4


def test_decorating_a_plain_function_raises_type_error():
    with pytest.raises(TypeError, match="async def"):
        synchronize(lambda self: None)


def test_decorating_a_sync_generator_raises_type_error():
    def gen(self):
        yield 1

    with pytest.raises(TypeError, match="async def"):
        synchronize(gen)


def test_decorated_method_keeps_its_name_and_doc():
    assert Service.add.__name__ == "add"
    assert Service.add.__doc__ == "Add two numbers."


def test_each_instance_is_bound(svc):
    class Box:
        def __init__(self, v):
            self.v = v

        @synchronize
        async def get(self):
            return self.v

    assert (Box(1).get(), Box(2).get()) == (1, 2)
