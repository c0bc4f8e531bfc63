"""The call pruner (server/retention.py) over the real Dispatcher: a worker here is its outbox,
answered by hand; the prune is run at a chosen ``now``."""

import asyncio
import logging
import time

import pytest

from leveret.server import views
from leveret.server.dispatch import Dispatcher
from leveret.server.logs import LogHub
from leveret.server.model import (SUCCESS, ContainerEvent, ContainerState, FunctionSpec, Output, Results,
                                  SendInputs, StartContainer, WorkerInfo)
from leveret.server.retention import PRUNE_EVERY_S, CallPruner, gone
from leveret.server.store import open_store
from leveret.server.store import retention as store_retention
from leveret.testing import FakeClock

DAY = 86400.0
LATER = 8 * DAY     # past the default retention of 7 days


def dispatcher(clock=None) -> tuple[Dispatcher, asyncio.Queue]:
    store = open_store(":memory:", clock)
    d = Dispatcher(store, LogHub(store, clock=clock), clock=clock)
    outbox: asyncio.Queue = asyncio.Queue()
    d.registry.add(WorkerInfo(hostname="h", cpu=4, memory_mb=8192, max_containers=8), outbox)
    return d, outbox


def function(d: Dispatcher, *, deploy: bool) -> str:
    app_id, _ = d.create_app("svc" if deploy else "run", "", deploy=deploy)
    function_id = d.create_function(app_id, FunctionSpec(name="f"))
    if deploy:
        d.deployments.publish(app_id, time.time())
    return function_id


def work(d: Dispatcher, outbox: asyncio.Queue, *, answer: bool = True) -> None:
    """Play the worker: containers it is told to start are ready; inputs succeed (``answer``)."""
    while not outbox.empty():
        msg = outbox.get_nowait()
        if isinstance(msg, StartContainer):
            d.placement.on_event(ContainerEvent(msg.container_id, ContainerState.READY))
        elif isinstance(msg, SendInputs) and answer:
            d.on_results(Results(msg.container_id, [(input_id, attempt, Output(0, SUCCESS))
                                                    for input_id, attempt, _, _ in msg.inputs]))


def spawn(d: Dispatcher, function_id: str):
    return d.new_call(function_id, "spawn", [(0, b"x", "")], 1)


def stored(d: Dispatcher, call_id: str) -> tuple[int, int, int]:
    """(calls, inputs, outputs) rows of a call in the store."""
    return tuple(d.store.db.execute(f"SELECT COUNT(*) FROM {table} WHERE {key} = ?", (call_id,)).fetchone()[0]
                 for table, key in (("calls", "id"), ("inputs", "call_id"), ("outputs", "call_id")))


def test_a_deployed_apps_finished_spawned_call_is_read_from_the_store_until_the_retention_deletes_it():
    async def main():
        d, outbox = dispatcher()
        told = []
        pruner = CallPruner(d, on_pruned=told.append)
        call = spawn(d, function(d, deploy=True))
        work(d, outbox)
        await asyncio.sleep(0)            # the write-behind commits, then the dispatcher lets the call go
        assert call.done and not views.holds_call(d, call.call_id)
        assert stored(d, call.call_id) == (1, 1, 1)
        assert pruner.prune(time.time() + DAY) == (0, 0)     # within the retention: kept
        assert stored(d, call.call_id) == (1, 1, 1)
        assert pruner.prune(time.time() + LATER) == (1, 0)
        assert stored(d, call.call_id) == (0, 0, 0)
        assert told == [[call.call_id]]

    asyncio.run(main())


def test_calls_the_dispatcher_holds_are_never_deleted():
    async def main():
        d, outbox = dispatcher()
        pruner = CallPruner(d)
        run_fn, deployed_fn = function(d, deploy=False), function(d, deploy=True)
        done_in_memory = spawn(d, run_fn)       # an ephemeral app's spawned call: read from memory while it runs
        work(d, outbox)
        waiting = spawn(d, deployed_fn)          # never answered
        work(d, outbox, answer=False)
        await asyncio.sleep(0)
        assert done_in_memory.done
        assert views.holds_call(d, done_in_memory.call_id) and views.holds_call(d, waiting.call_id)
        assert pruner.prune(time.time() + LATER) == (0, 0)
        assert stored(d, done_in_memory.call_id) == (1, 1, 1) and stored(d, waiting.call_id) == (1, 1, 0)

        d.stop_app(views.describe(d, "run", "f", time.time()).app_id, "its client went away")
        assert pruner.prune(time.time() + LATER) == (1, 0)    # its app stopped: let go of, then deleted
        assert stored(d, done_in_memory.call_id) == (0, 0, 0) and stored(d, waiting.call_id) == (1, 1, 0)

    asyncio.run(main())


def test_a_map_is_deleted_with_all_its_inputs_and_then_the_containers_that_stopped():
    async def main():
        d, outbox = dispatcher()
        fn = function(d, deploy=False)
        call = d.new_call(fn, "map", [(i, b"x", "") for i in range(50)], 50)
        work(d, outbox)
        await asyncio.sleep(0)
        assert call.done and not views.holds_call(d, call.call_id) and stored(d, call.call_id) == (1, 50, 50)
        d.stop_app(views.describe(d, "run", "f", time.time()).app_id, "done")
        containers = views.containers(d, "", time.time())
        for ct in containers:
            d.placement.on_event(ContainerEvent(ct.container_id, ContainerState.STOPPED))
        batches = list(CallPruner(d).steps(time.time() + LATER))
        assert batches == [(1, 0), (0, len(containers))]    # the call and its 100 rows in one batch; the containers
        assert stored(d, call.call_id) == (0, 0, 0)

    asyncio.run(main())


def test_outputs_still_queued_for_the_store_are_stored_before_a_prune_and_deleted_with_their_call():
    """A finished map is let go of at once, its outputs still in the write-behind: a prune then must
    not leave them behind, stored for a call already deleted."""
    async def main():
        d, outbox = dispatcher()
        call = d.new_call(function(d, deploy=False), "map", [(0, b"x", "")], 1)
        work(d, outbox)
        assert call.done and not views.holds_call(d, call.call_id)   # no turn of the loop yet: nothing committed
        assert CallPruner(d).prune(time.time() + LATER) == (1, 0)
        await asyncio.sleep(0)                                 # the write-behind's turn
        assert stored(d, call.call_id) == (0, 0, 0)

    asyncio.run(main())


def test_a_failing_on_pruned_is_logged_and_the_prune_goes_on(monkeypatch, caplog):
    monkeypatch.setattr(store_retention, "CALLS_PER_STEP", 1)   # a batch per call

    async def main():
        d, outbox = dispatcher()
        fn = function(d, deploy=False)
        calls = [d.new_call(fn, "map", [(0, b"x", "")], 1) for _ in range(3)]
        work(d, outbox)
        await asyncio.sleep(0)
        told = []

        def on_pruned(ids):
            told.append(ids)
            if len(told) == 1:
                raise OSError("the blob directory is gone")

        assert CallPruner(d, on_pruned=on_pruned).prune(time.time() + LATER) == (3, 0)
        assert sorted(i for ids in told for i in ids) == sorted(c.call_id for c in calls)
        assert all(stored(d, c.call_id) == (0, 0, 0) for c in calls)

    with caplog.at_level(logging.ERROR, "leveret.server"):
        asyncio.run(main())
    assert "on_pruned failed for 1 deleted call(s)" in caplog.text


def test_the_pruner_runs_periodically_on_its_own_on_the_servers_clock():
    async def settle():   # a few turns of the loop: the pass a jump woke runs
        for _ in range(5):
            await asyncio.sleep(0)

    async def main():
        clock = FakeClock()
        d, outbox = dispatcher(clock)
        call = d.new_call(function(d, deploy=False), "map", [(0, b"x", "")], 1)
        work(d, outbox)
        await asyncio.sleep(0)
        task = asyncio.ensure_future(CallPruner(d, retention_s=DAY).prune_forever())
        await settle()
        assert stored(d, call.call_id) == (1, 1, 1)     # its first pass: within the retention
        clock.jump(DAY)
        await settle()
        assert stored(d, call.call_id) == (1, 1, 1)     # a pass at exactly the retention's age keeps it
        clock.jump(PRUNE_EVERY_S)
        await settle()
        assert stored(d, call.call_id) == (0, 0, 0)     # the next, a period later, deletes it
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    asyncio.run(main())


@pytest.mark.parametrize("retention_s, shown", [(7 * DAY, "7d"), (36 * 3600.0, "1d12h"), (90.0, "1m30s")])
def test_a_deleted_call_says_why_it_is_not_found_and_how_to_keep_results_longer(retention_s, shown):
    assert gone("fc-1", retention_s) == (
        f"no function call fc-1: its results were deleted after the server's call retention ({shown}),"
        " or the id is wrong; to keep results longer, raise the retention with leveret server --call-retention DURATION")

