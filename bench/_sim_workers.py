"""Simulated workers for bench/scale.py: each a real WorkerConnect stream to a real server, with a
fake runtime that answers at once — a container is ready as soon as it is assigned, an input
succeeds (its result: None) as soon as it arrives — so the server is the only thing measured.

They run on one event loop of a thread of their own, sharing a few gRPC channels (one per
``PER_CHANNEL`` workers), and count what they were sent.
"""

from __future__ import annotations

import asyncio
import pickle
import threading

import grpc

from leveret._wire import api_pb2 as pb
from leveret._wire import api_pb2_grpc

PER_CHANNEL = 100
RESULT = pickle.dumps(None)


class Counters:
    def __init__(self) -> None:
        self.registered = 0
        self.assigned = 0          # containers placed on these workers
        self.inputs = 0            # inputs answered
        self.heartbeats = 0        # heartbeats sent


class SimulatedWorkers:
    """``n`` workers of ``cpu`` cores and ``memory_mb`` each, connected to ``url`` with ``token``."""

    def __init__(self, url: str, token: str, n: int, *, cpu: float, memory_mb: int):
        self.url, self.token, self.n, self.cpu, self.memory_mb = url, token, n, cpu, memory_mb
        self.counters = Counters()
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True, name="simulated-workers")
        self._tasks: list[asyncio.Task] = []
        self._channels: list[grpc.aio.Channel] = []

    def start(self) -> None:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(60)

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self.loop).result(60)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)

    async def _start(self) -> None:
        target = self.url.removeprefix("http://")
        for k in range(0, self.n, PER_CHANNEL):
            channel = grpc.aio.insecure_channel(target)
            self._channels.append(channel)
            stub = api_pb2_grpc.LeveretStub(channel)
            for i in range(k, min(k + PER_CHANNEL, self.n)):
                self._tasks.append(asyncio.create_task(self._worker(stub, i)))

    async def _stop(self) -> None:
        for t in self._tasks:
            t.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for channel in self._channels:
            await channel.close()

    async def _worker(self, stub, i: int) -> None:
        out: asyncio.Queue = asyncio.Queue()
        out.put_nowait(pb.WorkerToServer(register=pb.WorkerInfo(
            hostname=f"sim-{i}", runtime="simulated", cpu=self.cpu, memory_mb=self.memory_mb)))

        async def sending():
            while True:
                yield await out.get()

        c = self.counters
        beat = None
        stream = stub.WorkerConnect(sending(), metadata=[("authorization", f"Bearer {self.token}")])
        try:
            async for msg in stream:
                kind = msg.WhichOneof("msg")
                if kind == "inputs":
                    b = msg.inputs
                    c.inputs += len(b.inputs)
                    out.put_nowait(pb.WorkerToServer(results=pb.ResultBatch(container_id=b.container_id, results=[
                        pb.ContainerResult(input_id=d.input_id, attempt=d.attempt,
                                           output=pb.Output(status=pb.OUTPUT_STATUS_SUCCESS, data=RESULT))
                        for d in b.inputs])))
                elif kind == "start":
                    c.assigned += 1
                    out.put_nowait(pb.WorkerToServer(event=pb.ContainerEvent(
                        container_id=msg.start.container_id, state=pb.CONTAINER_STATE_READY)))
                elif kind == "stop":
                    out.put_nowait(pb.WorkerToServer(event=pb.ContainerEvent(
                        container_id=msg.stop.container_id, state=pb.CONTAINER_STATE_STOPPED)))
                elif kind == "worker_id":
                    c.registered += 1
                elif kind == "heartbeat_s":
                    beat = asyncio.create_task(self._beat(out, msg.heartbeat_s))
                elif kind == "disconnect":
                    break
        finally:
            if beat is not None:
                beat.cancel()

    async def _beat(self, out: asyncio.Queue, every_s: float) -> None:
        while True:
            await asyncio.sleep(every_s)
            out.put_nowait(pb.WorkerToServer(heartbeat=True))
            self.counters.heartbeats += 1
