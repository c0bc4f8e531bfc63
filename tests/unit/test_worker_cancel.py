"""A worker told to cancel inputs (InputsCancel): a Cancel frame each to the container's bootstrap;
inputs it still holds for a container not connected yet end CANCELLED there and then."""

import asyncio

from leveret.container import protocol as P
from leveret.worker import model as m
from leveret.worker.agent import Agent
from leveret.worker.runtime.fake import FakeRuntime
from leveret.worker.task_runner import ContainerTask


class Writer:
    """What the bootstrap's end of the socket got."""

    def __init__(self):
        self.data = b""

    def is_closing(self) -> bool:
        return False

    def write(self, data: bytes) -> None:
        self.data += data

    def frames(self) -> list:
        out, data, head = [], self.data, P.HEADER.size
        while data:
            length, _ = P.split_header(data[:head])
            out.append(P.decode_frame(data[:head + length]))
            data = data[head + length:]
        return out


def _task(tmp_path):
    agent = Agent("http://127.0.0.1:1", "token", FakeRuntime(), str(tmp_path), warm_containers=0)
    task = ContainerTask(agent, m.Assignment("ct-1", "fu-1", "ap-1", m.Definition(name="f")))
    return agent, task


def test_the_inputs_a_connected_container_runs_get_a_cancel_frame_each(tmp_path):
    async def main():
        agent, task = _task(tmp_path)
        task.writer = Writer()
        agent.handle(m.CancelInputs("ct-1", ["in-1", "in-2"]))   # not its container: nothing
        agent.tasks["ct-1"] = task
        agent.handle(m.CancelInputs("ct-1", ["in-1", "in-2"]))
        assert task.writer.frames() == [P.Cancel("in-1"), P.Cancel("in-2")]
        assert agent._outbox.empty()

    asyncio.run(main())


def test_inputs_held_for_a_container_not_connected_yet_end_cancelled_at_once(tmp_path):
    async def main():
        agent, task = _task(tmp_path)
        task.send_inputs([("in-1", 1, b"a", "", "fc-1"), ("in-2", 3, b"b", "", "fc-2")])
        task.cancel_inputs(["in-2"])
        assert [item[0] for item in task.pending_inputs] == ["in-1"]
        results = agent._outbox.get_nowait()
        assert (results.input_ids, results.attempts, results.statuses) == (["in-2"], [3], [P.STATUS_CANCELLED])

    asyncio.run(main())


def test_a_cancel_waits_for_the_inputs_whose_arguments_are_streaming(tmp_path):
    async def main():
        agent, task = _task(tmp_path)
        task.writer = Writer()
        release = asyncio.Event()

        async def send_args(input_id, blob_id):   # the blob's chunks take a while to come
            await release.wait()
            return True

        task.relay.feed([("in-1", 1, b"", "bl-1", "fc-1")], send_args, task._write_inputs, task._fail_input)
        task.cancel_inputs(["in-1"])
        await asyncio.sleep(0)
        assert task.writer.frames() == []   # nothing yet: the container does not know in-1
        release.set()
        for _ in range(5):
            await asyncio.sleep(0)
        inputs, cancel = task.writer.frames()
        assert isinstance(inputs, P.Inputs) and list(inputs.input_ids) == ["in-1"] and cancel == P.Cancel("in-1")

    asyncio.run(main())
