"""A container's task leaves nothing behind: cancelled while it waits (the worker stopping while a
warm container waits for a function, or a container waits for its bootstrap), it cancels what it
was waiting on."""

import asyncio

from leveret.worker.agent import Agent
from leveret.worker.runtime.fake import FakeRuntime
from leveret.worker.task_runner import ContainerTask


async def _cancel_while_waiting(tmp_path) -> set:
    runtime = FakeRuntime()
    agent = Agent("http://127.0.0.1:1", "token", runtime, str(tmp_path), warm_containers=0)
    before = asyncio.all_tasks()
    task = ContainerTask(agent, None)   # warm: it waits for a function, without a deadline
    task.start()
    while task.handle is None:   # started: now waiting on its end and on a function
        await asyncio.sleep(0)
    for _ in range(5):
        await asyncio.sleep(0)
    assert not task.task.done()
    task.task.cancel()
    await asyncio.gather(task.task, return_exceptions=True)
    await asyncio.sleep(0)   # what it cancelled finishes cancelling
    return {t for t in asyncio.all_tasks() - before if not t.done()} - {asyncio.current_task()}


def test_a_cancelled_waiting_container_task_leaves_no_pending_task(tmp_path):
    assert asyncio.run(_cancel_while_waiting(tmp_path)) == set()
