"""A reconnecting worker's containers (server/reconcile.py): the pure decision, and what the real
Dispatcher does with it — kept containers are ready and idle again with their resources counted,
the inputs they ran were already given back to the queue, and late results of those are dropped."""

import asyncio

from leveret.server import reconcile, views
from leveret.server.api.convert import to_worker
from leveret.server.model import SUCCESS, ContainerEvent, ContainerState, FunctionSpec, Output, Results, WorkerInfo
from leveret.server.reconcile import Reported, decide
from leveret.server.store import Store
from _server import dispatcher

INFO = dict(hostname="h", cpu=4, memory_mb=8192, max_containers=8)


def test_ready_containers_of_live_functions_are_kept_and_the_rest_stopped_with_why():
    room = {"fu-live": ("ap-1", 2), "fu-full": ("ap-1", 0)}
    got = decide([Reported("ct-1", "fu-live", "ap-1", True),
                  Reported("ct-2", "fu-gone", "ap-2", True),        # its app stopped (or was not restored)
                  Reported("ct-3", "fu-live", "ap-1", False),       # was still starting
                  Reported("ct-4", "fu-live", "ap-9", True),        # the function's id under another app: not it
                  Reported("ct-5", "fu-live", "ap-1", True),
                  Reported("ct-6", "fu-live", "ap-1", True),        # past the function's room
                  Reported("ct-7", "fu-full", "ap-1", True),
                  Reported("ct-8", "fu-live", "ap-1", True)], room, known={"ct-8"})
    assert got.keep == ("ct-1", "ct-5")
    assert got.stop == (("ct-2", reconcile.REASON_FUNCTION_GONE), ("ct-3", reconcile.REASON_NOT_READY),
                        ("ct-4", reconcile.REASON_FUNCTION_GONE), ("ct-6", reconcile.REASON_NO_ROOM),
                        ("ct-7", reconcile.REASON_NO_ROOM), ("ct-8", reconcile.REASON_KNOWN_ELSEWHERE))
    assert decide([], room, set()) == reconcile.Decision((), ())


def drain(outbox: asyncio.Queue) -> list:
    out = []
    while not outbox.empty():
        out.append(outbox.get_nowait())
    return out


def of(msgs: list, kind: str) -> list:
    """What the worker was told of ``kind``, as the messages it gets (api/convert.py)."""
    wire = [to_worker(m) for m in msgs if m is not None]
    return [getattr(m, kind) for m in wire if m.WhichOneof("msg") == kind]


def test_a_reconnecting_worker_keeps_its_ready_containers_and_gets_the_requeued_input_again():
    async def main():
        d = dispatcher()
        first: asyncio.Queue = asyncio.Queue()
        worker = d.registry.add(WorkerInfo(**INFO), first)
        app_id, _ = await d.create_app("a", "")
        fid = d.create_function(app_id, FunctionSpec(name="f", cpu_request=1.0))
        gone_app, _ = await d.create_app("b", "")
        gone_fid = d.create_function(gone_app, FunctionSpec(name="g"))
        call = d.new_call(fid, "spawn", [(0, b"x", "")], 1)
        d.new_call(gone_fid, "spawn", [(0, b"y", "")], 1)
        starts = of(drain(first), "start")
        ct = next(s.container_id for s in starts if s.function_id == fid)
        other = next(s.container_id for s in starts if s.function_id == gone_fid)
        for s in starts:
            d.placement.on_event(ContainerEvent(s.container_id, ContainerState.READY))
        (sent,) = [b.inputs[0] for b in of(drain(first), "inputs") if b.container_id == ct]

        d.registry.remove(worker)                    # the link breaks: its inputs go back to the queue
        assert views.containers(d, "", d.clock.time()) == []
        assert views.describe(d, app_id, "f", d.clock.time()).queued == 1
        d.stop_app(gone_app, "stopped by its client")
        again: asyncio.Queue = asyncio.Queue()
        back = d.registry.add(WorkerInfo(**INFO, previous_worker_id=worker.worker_id, containers=(
            Reported(ct, fid, app_id, True), Reported(other, gone_fid, gone_app, True))),
            again, worker_id=worker.worker_id)
        msgs = drain(again)
        assert back.worker_id == worker.worker_id
        (result,) = of(msgs, "reconciled")
        assert list(result.kept) == [ct] and list(result.stopped) == [other]
        (stop,) = of(msgs, "stop")
        assert stop.container_id == other and stop.reason == reconcile.REASON_FUNCTION_GONE
        assert of(msgs, "start") == []             # nothing new placed: the kept container serves
        (batch,) = of(msgs, "inputs")              # the requeued input, as a new attempt
        assert batch.container_id == ct and batch.inputs[0].input_id == sent.input_id
        assert batch.inputs[0].attempt == sent.attempt + 1
        (kept,) = views.containers(d, app_id, d.clock.time())
        assert (kept.container_id, kept.state, kept.worker_id) == (ct, "ready", back.worker_id)
        assert [w.cpu_reserved for w in views.workers(d, d.clock.time())] == [1.0]
        assert (await d.reads.run(Store.get_container, ct))["state"] == "ready"

        late = (sent.input_id, sent.attempt, Output(0, SUCCESS, b"old"))
        d.on_results(Results(ct, [late]), back)
        assert not call.done                       # the old attempt's result is dropped
        d.on_results(Results(ct, [(sent.input_id, sent.attempt + 1, Output(0, SUCCESS, b"new"))]), back)
        assert call.done and [o.data for o in call.outputs] == [b"new"]
        assert [(c.container_id, c.state, c.running) for c in views.containers(d, app_id, d.clock.time())] == [
            (ct, "ready", 0)]                      # idle again, serving

    asyncio.run(main())


def test_why_a_stream_was_ended_is_kept_for_the_latest_workers_only(monkeypatch):
    monkeypatch.setattr(reconcile, "ENDS_KEPT", 2)
    ended = {}
    for worker_id in ("wk-1", "wk-2", "wk-1", "wk-3"):
        reconcile.note_end(ended, worker_id, f"marked down: {worker_id}")
    assert list(ended) == ["wk-1", "wk-3"]   # wk-1 was ended again after wk-2: wk-2 is the oldest


def test_a_worker_reconnecting_under_its_id_gets_it_back_and_its_old_stream_ends_if_the_token_matches():
    async def main():
        d = dispatcher()
        old_stream: asyncio.Queue = asyncio.Queue()
        old = d.registry.add(WorkerInfo(**INFO), old_stream, token_id="wt-a")
        # another token cannot take it over, nor its id
        assert reconcile.rejoin(d, WorkerInfo(**INFO, previous_worker_id=old.worker_id), "wt-b") == ("", None)
        assert [w.worker_id for w in views.workers(d, d.clock.time())] == [old.worker_id] and not old.down
        # the same worker (same token) on a new stream, before the server saw the old one end
        assert reconcile.rejoin(d, WorkerInfo(**INFO, previous_worker_id=old.worker_id), "wt-a") == (old.worker_id, None)
        assert old.down and views.workers(d, d.clock.time()) == []
        told = drain(old_stream)
        assert told[-1] is None and of(told, "disconnect") == ["marked down: it reconnected on a new stream"]
        new_stream: asyncio.Queue = asyncio.Queue()
        back = d.registry.add(WorkerInfo(**INFO), new_stream, token_id="wt-a", worker_id=old.worker_id)
        assert of(drain(new_stream), "previous_end") == ["marked down: it reconnected on a new stream"]
        assert [w.worker_id for w in views.workers(d, d.clock.time())] == [back.worker_id] and not back.down
        assert not d.ended                         # told once: a later reconnect is not told it again
        assert reconcile.rejoin(d, WorkerInfo(**INFO, previous_worker_id="not-an-id"), "") == ("", None)

    asyncio.run(main())


def _running(d, worker_info: dict):
    """A worker that takes its containers over, and a container of it running one input of a spawn."""
    async def setup():
        stream: asyncio.Queue = asyncio.Queue()
        worker = d.registry.add(WorkerInfo(**worker_info), stream)
        app_id, _ = await d.create_app("a", "")
        fid = d.create_function(app_id, FunctionSpec(name="f", cpu_request=1.0, max_containers=1, max_inputs=2))
        call = d.new_call(fid, "spawn", [(0, b"x", ""), (1, b"y", "")], 2)
        (start,) = of(drain(stream), "start")
        d.placement.on_event(ContainerEvent(start.container_id, ContainerState.READY))
        sent = [i for b in of(drain(stream), "inputs") for i in b.inputs]
        return worker, app_id, fid, call, start.container_id, sent
    return setup()


def test_a_reattaching_workers_containers_running_inputs_wait_for_it_and_are_taken_back_with_what_they_hold():
    async def main():
        d = dispatcher()
        worker, app_id, fid, call, ct, sent = await _running(d, dict(INFO, reattach=True))
        assert len(sent) == 2
        d.registry.stream_ended(worker)             # killed: the container runs on, in doubt
        assert worker.away_since is not None and not worker.down and d.workers[worker.worker_id] is worker
        assert {c.container_id for c in views.containers(d, app_id, d.clock.time())} == {ct}
        assert views.describe(d, app_id, "f", d.clock.time()).queued == 0   # nothing run again (yet)
        # restarted, it registers under its id: the container holds the first input only (the
        # second's result was lost with the killed worker)
        held = sent[0]
        info = WorkerInfo(**INFO, reattach=True, previous_worker_id=worker.worker_id,
                          containers=(Reported(ct, fid, app_id, True, (held.input_id,)),))
        reuse, previous = reconcile.rejoin(d, info, "")
        assert (reuse, previous) == (worker.worker_id, worker)
        again: asyncio.Queue = asyncio.Queue()
        back = d.registry.add(info, again, worker_id=reuse, previous=previous)
        msgs = drain(again)
        assert of(msgs, "start") == [] and of(msgs, "stop") == []
        (batch,) = of(msgs, "inputs")               # the one it no longer holds, as a new attempt
        assert batch.inputs[0].input_id == sent[1].input_id and batch.inputs[0].attempt == sent[1].attempt + 1
        # the held input's attempt stands: its result from the worker that came back counts
        d.on_results(Results(ct, [(held.input_id, held.attempt, Output(0, SUCCESS, b"once"))]), back)
        d.on_results(Results(ct, [(sent[1].input_id, sent[1].attempt + 1, Output(1, SUCCESS, b"again"))]), back)
        assert call.done and sorted(o.data for o in call.outputs) == [b"again", b"once"]
        assert [w.worker_id for w in views.workers(d, d.clock.time())] == [back.worker_id]

    asyncio.run(main())


def test_a_reattaching_worker_not_back_within_its_lease_loses_its_containers_and_their_inputs_run_again():
    async def main():
        d = dispatcher()
        worker, app_id, fid, call, ct, sent = await _running(d, dict(INFO, reattach=True))
        d.registry.stream_ended(worker)
        d.tick(worker.last_seen + d.worker_lease_s + 1)
        assert worker.down and views.workers(d, d.clock.time()) == [] and views.containers(d, app_id, d.clock.time()) == []
        assert views.describe(d, app_id, "f", d.clock.time()).queued == 2

    asyncio.run(main())


def test_a_worker_that_cannot_reattach_loses_its_containers_when_its_stream_ends():
    async def main():
        d = dispatcher()
        worker, app_id, fid, call, ct, sent = await _running(d, dict(INFO))
        d.registry.stream_ended(worker)
        assert worker.down and views.containers(d, app_id, d.clock.time()) == []
        assert views.describe(d, app_id, "f", d.clock.time()).queued == 2

    asyncio.run(main())
