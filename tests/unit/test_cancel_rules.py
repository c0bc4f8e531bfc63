"""What the server does with a cancelled call's inputs that run (dispatch.cancel_call,
placement.cancel_running), on a fake clock: the worker is told to cancel them, or with
terminate_containers to stop their containers; a slot is freed when its container reports the
input; one whose code does not stop has its container stopped after CANCEL_GRACE_S."""

import asyncio

from leveret.server import views
from leveret.server.api.convert import to_worker
from leveret.server.model import CANCELLED, SUCCESS, ContainerEvent, ContainerState, Output, Results
from leveret.server.placement import CANCEL_GRACE_S
from test_dispatcher_rules import clock, scenario, told  # noqa: F401  (clock: a fixture)


async def _running_input(clock, **definition):
    """f's container runs one input of a spawned call: (scene, the call, its input's id)."""
    scene = await scenario(clock, scaledown_window_s=600, **definition)
    d = scene.d
    call = d.new_call(d.apps[scene.app_id].function("f").function_id, "spawn", [(0, b"x", "")], 1)
    (batch,) = told(scene.outbox, "inputs")
    assert batch.container_id == scene.container_id
    return scene, call, batch.inputs[0].input_id


def said(outbox: asyncio.Queue) -> list[tuple]:
    """Everything the worker was told since, as (kind, message)."""
    out = []
    while not outbox.empty():
        msg = to_worker(outbox.get_nowait())
        out.append((msg.WhichOneof("msg"), getattr(msg, msg.WhichOneof("msg"))))
    return out


def _running(d, container_id: str) -> int:
    return next(c.running for c in views.containers(d, "", d.clock.time()) if c.container_id == container_id)


def test_a_running_input_is_cancelled_in_its_container_and_keeps_its_slot_until_it_says_so(clock):
    async def main():
        (d, outbox, _, _, container_id), call, input_id = await _running_input(clock)
        assert d.cancel_call(call, "cancelled by a client") == 1
        assert [o.status for o in call.outputs] == [CANCELLED] and call.done   # its caller knows at once
        [(kind, cancel)] = said(outbox)   # nothing else: no stop
        assert (kind, cancel.container_id, list(cancel.input_ids)) == ("cancel", container_id, [input_id])
        assert _running(d, container_id) == 1
        d.on_results(Results(container_id, [(input_id, 1, Output(0, CANCELLED))]))
        assert _running(d, container_id) == 0 and len(call.outputs) == 1   # its slot is free; nothing more published
        clock.jump(CANCEL_GRACE_S + 1)
        assert said(outbox) == []   # it stopped in time: its container serves on

    asyncio.run(main())


def test_a_late_success_of_a_cancelled_input_frees_its_slot_and_is_dropped(clock):
    async def main():
        (d, outbox, _, _, container_id), call, input_id = await _running_input(clock)
        d.cancel_call(call, "cancelled by a client")
        d.on_results(Results(container_id, [(input_id, 1, Output(0, SUCCESS))]))   # it had finished already
        assert _running(d, container_id) == 0 and [o.status for o in call.outputs] == [CANCELLED]

    asyncio.run(main())


def test_terminate_containers_stops_the_container_after_telling_it(clock):
    async def main():
        (d, outbox, _, _, container_id), call, input_id = await _running_input(clock)
        d.cancel_call(call, "cancelled by a client", terminate_containers=True)
        [(first, cancel), (then, stop)] = said(outbox)   # told to cancel first: its code stops at once
        assert (first, then) == ("cancel", "stop")
        assert list(cancel.input_ids) == [input_id] and stop.container_id == container_id
        assert "was cancelled (cancelled by a client) with terminate_containers=True" in stop.reason

    asyncio.run(main())


def test_an_input_whose_code_does_not_stop_has_its_container_stopped_after_the_grace(clock):
    async def main():
        (d, outbox, _, _, container_id), call, input_id = await _running_input(clock)
        d.cancel_call(call, "cancelled by a client")
        assert [kind for kind, _ in said(outbox)] == ["cancel"]
        clock.jump(CANCEL_GRACE_S - 1)
        assert said(outbox) == []
        clock.jump(2)
        [(kind, stop)] = said(outbox)
        assert kind == "stop"
        assert stop.container_id == container_id
        assert f"input {input_id} was cancelled and its code did not stop within {CANCEL_GRACE_S:g} s" in stop.reason
        d.placement.on_event(ContainerEvent(container_id, ContainerState.STOPPED, exit_code=-15))
        assert d.inputs.get(input_id) is None and len(call.outputs) == 1   # not run again, nothing more published

    asyncio.run(main())


def test_the_calls_a_cancelled_input_made_are_cancelled_in_their_containers_too(clock):
    async def main():
        (d, outbox, _, app_id, container_id), call, input_id = await _running_input(clock)
        fid = d.apps[app_id].function("f").function_id
        child = d.new_call(fid, "spawn", [(0, b"y", "")], 1, parent_input=input_id)
        (start,) = told(outbox, "start")   # f's one container is busy: the child gets one of its own
        d.placement.on_event(ContainerEvent(start.container_id, ContainerState.READY))
        (batch,) = told(outbox, "inputs")
        d.cancel_call(call, "cancelled by a client", terminate_containers=True)
        cancels = {c.container_id: list(c.input_ids) for c in told(outbox, "cancel")}
        assert cancels == {container_id: [input_id], start.container_id: [batch.inputs[0].input_id]}
        assert child.cancelled and [o.status for o in child.outputs] == [CANCELLED]

    asyncio.run(main())
