"""Dispatcher rules on a fake clock (leveret.testing.FakeClock), through the real Dispatcher: a worker here is its outbox (what
the server tells it), and container events and results are fed by hand. What the server holds is read
through its views (server/views.py)."""

import asyncio
from typing import NamedTuple

import pytest

from leveret._wire import api_pb2 as pb
from leveret.server import views
from leveret.server.api.convert import function_spec, to_worker
from leveret.server.dispatch import Dispatcher
from leveret.server.model import (SUCCESS, ContainerEvent, ContainerState, FunctionSpec, Output, Results, Usage,
                                  WorkerInfo)
from leveret.server.store import Store
from leveret.testing import FakeClock
from _server import dispatcher


@pytest.fixture
def clock():
    return FakeClock(1_800_000_000.0)


def told(outbox: asyncio.Queue, kind: str) -> list:
    """What the worker was told of ``kind``, as the messages it gets (api/convert.py)."""
    items = []
    while not outbox.empty():
        msg = to_worker(outbox.get_nowait())
        if msg.WhichOneof("msg") == kind:
            items.append(getattr(msg, kind))
    return items


def heartbeat_and_tick(d, clock, seconds: float, worker, app_id: str) -> None:
    """``seconds`` pass, with the worker's and the client's heartbeats (else the worker's lease and
    the ephemeral app would run out), then a tick."""
    clock.now += seconds
    d.registry.heard_from(worker)
    d.heartbeat(app_id)
    d.tick(clock.now)


def containers(d) -> list[str]:
    """The ids of the containers the server runs."""
    return [c.container_id for c in views.containers(d, "", d.clock.time())]


class Scene(NamedTuple):
    d: Dispatcher
    outbox: asyncio.Queue   # what the worker is told
    worker: object          # the worker's record, as the server's stream handler holds it
    app_id: str             # app "a", with function "f"
    container_id: str       # f's one container: ready, and idle after serving one input


async def scenario(clock, **definition) -> Scene:
    d = dispatcher(clock=clock)
    outbox: asyncio.Queue = asyncio.Queue()
    worker = d.registry.add(WorkerInfo(hostname="h", cpu=4, memory_mb=8192, max_containers=8), outbox)
    app_id, _ = await d.create_app("a", "")
    fid = d.create_function(app_id, FunctionSpec(name="f", **definition))
    call = d.new_call(fid, "spawn", [(0, b"x", "")], 1)
    (start,) = told(outbox, "start")
    d.placement.on_event(ContainerEvent(start.container_id, ContainerState.READY))
    (batch,) = told(outbox, "inputs")
    d.on_results(Results(start.container_id, [(batch.inputs[0].input_id, 1, Output(0, SUCCESS))]))
    assert call.done
    return Scene(d, outbox, worker, app_id, start.container_id)


def test_an_idle_container_stops_once_its_scaledown_window_has_passed(clock):
    async def main():
        d, outbox, worker, app_id, container_id = await scenario(clock, scaledown_window_s=60)
        heartbeat_and_tick(d, clock, 59, worker, app_id)
        assert told(outbox, "stop") == []
        heartbeat_and_tick(d, clock, 2, worker, app_id)
        (stop,) = told(outbox, "stop")
        assert stop.container_id == container_id and "scaledown window" in stop.reason
        assert "stop 1: idle past scaledown_window=60 s" in views.describe(d, app_id, "f", clock.now).events[-1].text
        d.placement.on_event(ContainerEvent(container_id, ContainerState.STOPPED))
        texts = [row[-1] for row in await d.reads.run(Store.get_logs, app_id)]   # the end is recorded, with why
        assert "container stopped (idle past its scaledown window; exit code 0)" in texts

    asyncio.run(main())


def test_min_containers_keep_an_idle_container_past_its_window(clock):
    async def main():
        d, outbox, worker, app_id, _ = await scenario(clock, scaledown_window_s=60, min_containers=1)
        heartbeat_and_tick(d, clock, 3600, worker, app_id)
        assert told(outbox, "stop") == [] and told(outbox, "start") == []

    asyncio.run(main())


def test_a_worker_silent_past_its_lease_is_marked_down_and_cut_off(clock):
    async def main():
        d, outbox, worker, _, container_id = await scenario(clock, scaledown_window_s=600)
        d.start()         # the periodic pass: each second on the clock
        clock.jump(30.5)
        assert [w.worker_id for w in views.workers(d, clock.now)] == [worker.worker_id] and outbox.empty()
        clock.jump(1)     # the pass at 31 s without a message: past the 30 s lease
        assert views.workers(d, clock.now) == [] and worker.down
        said = to_worker(outbox.get_nowait())       # it is told why (it reconnects, and says so)...
        assert said.disconnect == "marked down: it sent nothing for 31 s (lease 30 s)"
        assert d.ended[worker.worker_id] == said.disconnect   # told again if it reconnects (it may not have read it)
        assert outbox.get_nowait() is None          # ...and its stream is ended
        assert containers(d) == []                  # its container counts as lost

    asyncio.run(main())


def test_min_containers_of_two_functions_do_not_evict_each_other(clock):
    async def main():
        d = dispatcher(clock=clock)
        outbox: asyncio.Queue = asyncio.Queue()
        worker = d.registry.add(WorkerInfo(hostname="h", cpu=4, memory_mb=8192, max_containers=3), outbox)
        app_id, _ = await d.create_app("a", "")
        for name in ("f", "g"):
            d.create_function(app_id, FunctionSpec(name=name, min_containers=2, scaledown_window_s=60))
        starts, stops = [], []
        for _ in range(10):
            heartbeat_and_tick(d, clock, 1, worker, app_id)
            for start in told_all(outbox, starts, stops):
                d.placement.on_event(ContainerEvent(start.container_id, ContainerState.READY))
        assert len(starts) == 3 and stops == []   # 3 slots: both floors cannot be met, and neither takes the other's

    asyncio.run(main())


def told_all(outbox, starts, stops):
    new = []
    while not outbox.empty():
        msg = to_worker(outbox.get_nowait())
        kind = msg.WhichOneof("msg")
        if kind == "start":
            new.append(msg.start)
        elif kind == "stop":
            stops.append(msg.stop)
    starts.extend(new)
    return new


def test_a_container_stopped_for_a_timeout_is_not_a_crash(clock):
    async def main():
        d, outbox, _, app_id, container_id = await scenario(clock, scaledown_window_s=60)
        d.placement.on_event(ContainerEvent(container_id, ContainerState.FAILED, exit_code=-15, timed_out_input="in-x"))
        f = views.describe(d, app_id, "f", clock.now)
        assert f.crash_streak == 0 and f.backoff == ""

    asyncio.run(main())


def test_results_and_events_count_only_from_the_worker_running_the_container(clock):
    async def main():
        d, outbox, worker, _, container_id = await scenario(clock, scaledown_window_s=60)
        other = d.registry.add(WorkerInfo(hostname="other", cpu=4, memory_mb=8192, max_containers=8), asyncio.Queue())
        d.placement.on_event(ContainerEvent(container_id, ContainerState.STOPPED), worker=other)
        assert containers(d) == [container_id]   # a forged stop from another worker changes nothing
        d.placement.on_event(ContainerEvent(container_id, ContainerState.STOPPED), worker=worker)
        assert containers(d) == []

    asyncio.run(main())


def test_a_schedule_the_server_cannot_run_is_refused_when_the_function_is_created(clock):
    async def main():
        d = dispatcher(clock=clock)
        app_id, _ = await d.create_app("etl", "", deploy=True)
        with pytest.raises(ValueError, match="its schedule cannot run on this server: .*Mars/Olympus"):
            d.create_function(app_id, FunctionSpec(name="f", schedule='{"cron": "0 * * * *", "timezone": "Mars/Olympus"}'))

    asyncio.run(main())


def test_container_use_is_memory_as_reported_and_cpu_in_cores_between_reports(clock):
    async def main():
        d, outbox, worker, _, container_id = await scenario(clock, scaledown_window_s=60)
        report = lambda cpu, mem: [Usage(container_id, cpu, mem)]  # noqa: E731
        d.placement.on_usage(report(10.0, 50 << 20), worker, clock.now)
        (info,) = views.containers(d, "", clock.now)
        assert (info.cpu_cores, info.memory_bytes) == (-1.0, 50 << 20)   # one report: no rate yet
        d.placement.on_usage(report(13.0, 60 << 20), worker, clock.now + 2)
        (info,) = views.containers(d, "", clock.now)
        assert (info.cpu_cores, info.memory_bytes) == (1.5, 60 << 20)
        other = d.registry.add(WorkerInfo(hostname="o", cpu=1, memory_mb=1024, max_containers=1), asyncio.Queue())
        d.placement.on_usage(report(99.0, 1), other, clock.now + 4)                # not the worker running it: ignored
        assert views.containers(d, "", clock.now)[0].memory_bytes == 60 << 20

    asyncio.run(main())


def test_a_function_sent_again_is_the_one_the_app_has_and_another_of_its_name_is_refused(clock):
    async def main():
        d = dispatcher(clock=clock)
        app_id, _ = await d.create_app("a", "")
        definition = pb.FunctionDefinition(name="f", module="m", secret_env={"A": "1", "B": "2"})
        first = d.create_function(app_id, function_spec(definition))
        again = function_spec(pb.FunctionDefinition(name="f", module="m", secret_env={"B": "2", "A": "1"}))
        assert d.create_function(app_id, again) == first   # its client reconnected
        with pytest.raises(ValueError, match="already has a function named 'f'"):
            d.create_function(app_id, function_spec(pb.FunctionDefinition(name="f", module="other")))

    asyncio.run(main())


def test_serve_replaces_a_function_whose_code_changed_and_its_idle_container_stops_at_once(clock):
    async def main():
        d, outbox, worker, app_id, container_id = await scenario(clock, scaledown_window_s=600, mount_id="mo-1")
        old = d.apps[app_id].function("f")
        assert d.create_function(app_id, FunctionSpec(name="f", mount_id="mo-1", scaledown_window_s=600),
                                 replace=True) == old.function_id   # the same code: nothing replaced
        with pytest.raises(ValueError, match="already has a function named 'f'"):
            d.create_function(app_id, FunctionSpec(name="f", mount_id="mo-2"))   # not `leveret serve`
        new_id = d.create_function(app_id, FunctionSpec(name="f", mount_id="mo-2", scaledown_window_s=600),
                                   replace=True)
        assert new_id != old.function_id and old.retired and d.apps[app_id].function("f").function_id == new_id
        assert await views.function_names(d, app_id) == ["f"]
        (stop,) = told(outbox, "stop")   # the old one's idle container: at once, not after its window
        assert stop.container_id == container_id
        d.new_call(new_id, "spawn", [(0, b"x", "")], 1)
        assert [s.function_id for s in told(outbox, "start")] == [new_id]   # new inputs: the new code

    asyncio.run(main())


def test_a_deployed_apps_functions_are_not_replaced(clock):
    async def main():
        d = dispatcher(clock=clock)
        app_id, _ = await d.create_app("a", "", deploy=True)
        d.create_function(app_id, FunctionSpec(name="f", mount_id="mo-1"))
        with pytest.raises(ValueError, match="already has a function named 'f'"):
            d.create_function(app_id, FunctionSpec(name="f", mount_id="mo-2"), replace=True)

    asyncio.run(main())
