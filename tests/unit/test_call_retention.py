"""The call pruner (server/retention.py) over the real Dispatcher: a worker here is its outbox,
answered by hand; the prune is run at a chosen ``now``."""

import asyncio
import logging
import time

import pytest

from leveret.server import views
from leveret.server.dispatch import Dispatcher
from leveret.server.model import (SUCCESS, ContainerEvent, ContainerState, FunctionSpec, Output, Results,
                                  SendInputs, StartContainer, WorkerInfo)
from leveret.server.retention import PRUNE_EVERY_S, CallPruner, gone
from leveret.server.store import Store
from leveret.server.store import retention as store_retention
from leveret.testing import FakeClock
from _server import dispatcher as new_dispatcher, passes_of

DAY = 86400.0
LATER = 8 * DAY     # past the default retention of 7 days


def dispatcher(clock=None) -> tuple[Dispatcher, asyncio.Queue]:
    d = new_dispatcher(clock=clock)
    outbox: asyncio.Queue = asyncio.Queue()
    d.registry.add(WorkerInfo(hostname="h", cpu=4, memory_mb=8192, max_containers=8), outbox)
    return d, outbox


async def function(d: Dispatcher, *, deploy: bool) -> str:
    app_id, _ = await d.create_app("svc" if deploy else "run", "", deploy=deploy)
    function_id = d.create_function(app_id, FunctionSpec(name="f"))
    if deploy:
        await d.deployments.publish(app_id, time.time())
    return function_id


def work(d: Dispatcher, outbox: asyncio.Queue, *, answer: bool = True) -> None:
    """Play the worker: containers it is told to start are ready; inputs succeed (``answer``)."""
    while not outbox.empty():
        msg = outbox.get_nowait()
        if isinstance(msg, StartContainer):
            d.placement.on_event(ContainerEvent(msg.container_id, ContainerState.READY))
        elif isinstance(msg, SendInputs) and answer:
            d.on_results(Results(msg.container_id, [(input_id, attempt, Output(0, SUCCESS))
                                                    for input_id, attempt, *_ in msg.inputs]))


def spawn(d: Dispatcher, function_id: str):
    return d.new_call(function_id, "spawn", [(0, b"x", "")], 1)


def rows_of(store: Store, call_id: str) -> tuple[int, int, int]:
    return tuple(store.db.execute(f"SELECT COUNT(*) FROM {table} WHERE {key} = ?", (call_id,)).fetchone()[0]
                 for table, key in (("calls", "id"), ("inputs", "call_id"), ("outputs", "call_id")))


async def stored(d: Dispatcher, call_id: str) -> tuple[int, int, int]:
    """(calls, inputs, outputs) rows of a call in the store, once the writes queued so far are."""
    return await d.reads.run(rows_of, call_id)


def noting(told: list):
    """An ``on_pruned`` that notes the ids it is told in ``told``."""
    async def on_pruned(ids):
        told.append(ids)
    return on_pruned


def test_a_deployed_apps_finished_spawned_call_is_read_from_the_store_until_the_retention_deletes_it():
    async def main():
        d, outbox = dispatcher()
        told = []
        pruner = CallPruner(d, on_pruned=noting(told))
        call = spawn(d, await function(d, deploy=True))
        work(d, outbox)
        await d.writes.settled()          # its outputs are stored, then the dispatcher lets the call go
        assert call.done and not views.holds_call(d, call.call_id)
        assert await stored(d, call.call_id) == (1, 1, 1)
        assert await pruner.prune(time.time() + DAY) == (0, 0)     # within the retention: kept
        assert await stored(d, call.call_id) == (1, 1, 1)
        assert await pruner.prune(time.time() + LATER) == (1, 0)
        assert await stored(d, call.call_id) == (0, 0, 0)
        assert told == [[call.call_id]]

    asyncio.run(main())


def test_calls_the_dispatcher_holds_are_never_deleted():
    async def main():
        d, outbox = dispatcher()
        pruner = CallPruner(d)
        run_fn, deployed_fn = await function(d, deploy=False), await function(d, deploy=True)
        done_in_memory = spawn(d, run_fn)       # an ephemeral app's spawned call: read from memory while it runs
        work(d, outbox)
        waiting = spawn(d, deployed_fn)          # never answered
        work(d, outbox, answer=False)
        await d.writes.settled()
        assert done_in_memory.done
        assert views.holds_call(d, done_in_memory.call_id) and views.holds_call(d, waiting.call_id)
        assert await pruner.prune(time.time() + LATER) == (0, 0)
        assert await stored(d, done_in_memory.call_id) == (1, 1, 1) and await stored(d, waiting.call_id) == (1, 1, 0)

        d.stop_app(views.describe(d, "run", "f", time.time()).app_id, "its client went away")
        assert await pruner.prune(time.time() + LATER) == (1, 0)    # its app stopped: let go of, then deleted
        assert await stored(d, done_in_memory.call_id) == (0, 0, 0) and await stored(d, waiting.call_id) == (1, 1, 0)

    asyncio.run(main())


def test_a_map_is_deleted_with_all_its_inputs_and_then_the_containers_that_stopped():
    async def main():
        d, outbox = dispatcher()
        fn = await function(d, deploy=False)
        call = d.new_call(fn, "map", [(i, b"x", "") for i in range(50)], 50)
        work(d, outbox)
        assert call.done and not views.holds_call(d, call.call_id) and await stored(d, call.call_id) == (1, 50, 50)
        d.stop_app(views.describe(d, "run", "f", time.time()).app_id, "done")
        containers = views.containers(d, "", time.time())
        for ct in containers:
            d.placement.on_event(ContainerEvent(ct.container_id, ContainerState.STOPPED))
        batches = [b async for b in CallPruner(d).steps(time.time() + LATER)]
        assert batches == [(1, 0), (0, len(containers))]    # the call and its 100 rows in one batch; the containers
        assert await stored(d, call.call_id) == (0, 0, 0)

    asyncio.run(main())


def test_outputs_still_queued_for_the_store_are_stored_before_a_prune_and_deleted_with_their_call():
    """A finished map is let go of at once, its outputs still queued for the store's writer: a prune
    then must not leave them behind, stored for a call already deleted."""
    async def main():
        d, outbox = dispatcher()
        call = d.new_call(await function(d, deploy=False), "map", [(0, b"x", "")], 1)
        work(d, outbox)
        assert call.done and not views.holds_call(d, call.call_id)   # no turn of the loop yet: nothing committed
        assert await CallPruner(d).prune(time.time() + LATER) == (1, 0)
        assert await stored(d, call.call_id) == (0, 0, 0)

    asyncio.run(main())


def test_a_failing_on_pruned_is_logged_and_the_prune_goes_on(monkeypatch, caplog):
    monkeypatch.setattr(store_retention, "CALLS_PER_STEP", 1)   # a batch per call

    async def main():
        d, outbox = dispatcher()
        fn = await function(d, deploy=False)
        calls = [d.new_call(fn, "map", [(0, b"x", "")], 1) for _ in range(3)]
        work(d, outbox)
        told = []

        async def on_pruned(ids):
            told.append(ids)
            if len(told) == 1:
                raise OSError("the blob directory is gone")

        assert await CallPruner(d, on_pruned=on_pruned).prune(time.time() + LATER) == (3, 0)
        assert sorted(i for ids in told for i in ids) == sorted(c.call_id for c in calls)
        assert [await stored(d, c.call_id) for c in calls] == [(0, 0, 0)] * 3

    with caplog.at_level(logging.ERROR, "leveret.server"):
        asyncio.run(main())
    assert "on_pruned failed for 1 deleted call(s)" in caplog.text


def test_the_pruner_runs_periodically_on_its_own_on_the_servers_clock():
    async def main():
        clock = FakeClock()
        d, outbox = dispatcher(clock)
        call = d.new_call(await function(d, deploy=False), "map", [(0, b"x", "")], 1)
        work(d, outbox)
        pruner = CallPruner(d, retention_s=DAY)
        passes = passes_of(pruner)
        task = asyncio.ensure_future(pruner.prune_forever())
        assert await asyncio.wait_for(passes.get(), 10) == (0, 0)   # its first pass: within the retention
        clock.jump(DAY)
        assert await asyncio.wait_for(passes.get(), 10) == (0, 0)   # a pass at exactly the retention's age keeps it
        assert await stored(d, call.call_id) == (1, 1, 1)
        clock.jump(PRUNE_EVERY_S)
        assert await asyncio.wait_for(passes.get(), 10) == (1, 0)   # the next, a period later, deletes it
        assert await stored(d, call.call_id) == (0, 0, 0)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    asyncio.run(main())


@pytest.mark.parametrize("retention_s, shown", [(7 * DAY, "7d"), (36 * 3600.0, "1d12h"), (90.0, "1m30s")])
def test_a_deleted_call_says_why_it_is_not_found_and_how_to_keep_results_longer(retention_s, shown):
    assert gone("fc-1", retention_s) == (
        f"no function call fc-1: its results were deleted after the server's call retention ({shown}),"
        " or the id is wrong; to keep results longer, raise the retention with leveret server --call-retention DURATION")

