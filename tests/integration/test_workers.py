"""Workers of a cluster: their own tokens, what those allow, and leases — a worker that goes silent
is marked down, its inputs run elsewhere, and it is cut off.

The silent worker here is a bare WorkerConnect stream driven by the test (a worker that hangs is
hard to make on demand); the server, the other worker and the containers are real."""

import asyncio
import time

import grpc
import pytest

import leveret
from apps import basic
from leveret._shared.aio import queue_items, run_sync
from leveret._wire import api_pb2 as pb
from leveret._wire.channel import open_channel
from leveret.server.store import Store
from leveret.testing import Cluster, FakeClock


class SilentWorker:
    """Registers, accepts a container, says it is ready, takes its inputs, then says nothing."""

    def __init__(self, url: str, token: str):
        self.url, self.token = url, token
        self.inputs: list[str] = []
        self.assignments: list[pb.ContainerAssignment] = []
        self.got_inputs = asyncio.Event()
        self.ended = asyncio.Event()
        self.error: grpc.aio.AioRpcError | None = None

    async def run(self) -> None:
        channel, self.stub = open_channel(self.url, self.token)
        out: asyncio.Queue = asyncio.Queue()
        out.put_nowait(pb.WorkerToServer(register=pb.WorkerInfo(
            hostname="silent", runtime="none", cpu=4, memory_mb=8192, max_containers=2)))
        try:
            async for msg in self.stub.WorkerConnect(queue_items(out)):
                if msg.WhichOneof("msg") == "start":
                    self.assignments.append(msg.start)
                    out.put_nowait(pb.WorkerToServer(event=pb.ContainerEvent(
                        container_id=msg.start.container_id, state=pb.CONTAINER_STATE_READY)))
                elif msg.WhichOneof("msg") == "inputs":
                    self.inputs += [i.input_id for i in msg.inputs.inputs]
                    self.got_inputs.set()
        except grpc.aio.AioRpcError as err:
            self.error = err
        finally:
            self.ended.set()
            out.put_nowait(None)
            await channel.close()


def start(coro) -> asyncio.Future:
    async def spawn():
        return asyncio.ensure_future(coro)
    return run_sync(spawn())


def wait(event: asyncio.Event, timeout: float = 20) -> None:
    run_sync(asyncio.wait_for(event.wait(), timeout))


def test_a_silent_worker_is_marked_down_and_its_inputs_run_elsewhere_once(tmp_path):
    with Cluster(tmp_path, start_worker=False, clock=FakeClock(time.time())) as cluster:
        _, token = run_sync(cluster.server.tokens.create("silent-host"))
        silent = SilentWorker(cluster.url, token)
        start(silent.run())
        with basic.app.run(show_logs=False):
            call = basic.square.spawn(7)
            wait(silent.got_inputs)
            assert silent.assignments[0].definition.mount_id
            cluster.jump(29.5)
            assert [w.hostname for w in cluster.workers()] == ["silent"]   # within its 30 s lease
            cluster.jump(1.5)         # silent past it: cut off, and its input waits for another worker
            wait(silent.ended)
            assert cluster.workers() == []
            cluster.add_worker()      # a worker that answers
            assert call.get(timeout=30) == 49
            assert [w.hostname for w in cluster.workers()] != ["silent"]
            rows = cluster.stored(Store.get_outputs, call.object_id, 0)
            assert len(rows) == 1     # one result for the input


def test_a_worker_token_connects_one_worker_and_reads_only_its_containers_code(tmp_path):
    with Cluster(tmp_path, start_worker=False) as cluster:
        token_id, token = run_sync(cluster.server.tokens.create("host-a"))
        silent = SilentWorker(cluster.url, token)
        start(silent.run())
        with basic.app.run(show_logs=False):
            basic.square.spawn(3)
            wait(silent.got_inputs)
            mount_id = silent.assignments[0].definition.mount_id

            async def as_worker():
                got = await silent.stub.MountGet(pb.MountGetRequest(mount_id=mount_id))
                assert any(f.path.endswith("basic.py") for f in got.files)
                with pytest.raises(grpc.aio.AioRpcError) as denied:
                    await silent.stub.MountGet(pb.MountGetRequest(mount_id="mo-not-its-own"))
                assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED
                with pytest.raises(grpc.aio.AioRpcError) as denied:   # a worker's token calls no functions
                    await silent.stub.AppCreate(pb.AppCreateRequest(name="x"))
                assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED
                assert "only connects a worker" in denied.value.details()

            run_sync(as_worker())
            second = SilentWorker(cluster.url, token)   # the same token, while the first is connected
            start(second.run())
            wait(second.ended)
            assert second.error.code() == grpc.StatusCode.ALREADY_EXISTS
            assert run_sync(cluster.server.tokens.revoke(token_id))
            third = SilentWorker(cluster.url, token)
            start(third.run())
            wait(third.ended)
            assert third.error.code() == grpc.StatusCode.UNAUTHENTICATED


def test_worker_token_cli_needs_the_server_token(tmp_path):
    with Cluster(tmp_path, start_worker=False) as cluster:
        _, token = run_sync(cluster.server.tokens.create("host-b"))
        import os

        os.environ["LEVERET_TOKEN"] = token
        leveret._client.reset()
        try:
            with pytest.raises(leveret.AuthError, match="only connects a worker"):
                with basic.app.run(show_logs=False):
                    pass
        finally:
            os.environ["LEVERET_TOKEN"] = cluster.token
            leveret._client.reset()
