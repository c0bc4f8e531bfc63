"""A call's inputs out and its outputs back on a FunctionMap stream (``.map``, ``.starmap``,
``.for_each``, ``.remote_gen``), resumed after the server goes away.

    inputs (read and pickled in a thread, a batch at a time) ─▶ stream ─▶ server: stored, acked
    server ─▶ outputs (only stored ones) ─▶ caller
    the server went away ─▶ reconnect ─▶ a new stream: "resume call_id, I have N outputs" ─▶ the
        server says how many inputs it has (acked) ─▶ those it has not are sent again ─▶ carry on

The client names the call (an id it chose), keeps the inputs the server has not acknowledged as
stored, and counts the outputs it has: both sides then agree where to carry on, and no input is
lost nor output given twice.
"""

from __future__ import annotations

import asyncio
import collections
import time

MAP_FIRST_BATCH = 64           # the first batch is small so work starts at once
MAP_BATCH = 1000
MAP_BATCH_BYTES = 4 * 1024 * 1024
MAP_BATCH_WAIT_S = 0.01        # a slow input iterator still sends what it has this often
MAP_MAX_IN_FLIGHT = 100_000    # inputs sent and not yet answered before the sender waits
MAP_MAX_UNACKED = 10_000       # inputs sent and not yet stored by the server before the sender waits


class MapStream:
    def __init__(self, client, function_id: str, arg_iter, on_total=None, *, spawn: bool = False):
        from ._shared.ids import new_id

        self.client = client
        self.function_id = function_id
        self.call_id = new_id("fc")
        self.items = iter(arg_iter)
        self.on_total = on_total
        self.sent = 0                 # inputs numbered so far
        self.received = 0             # outputs the caller has
        self.acked = 0                # inputs the server has stored
        self.exhausted = False        # the caller's iterator is
        self.unacked: collections.deque = collections.deque()   # Inputs sent, not yet stored
        self.progress = asyncio.Event()
        self.failure: list[BaseException] = []
        self.spawn = spawn            # spawn_map: done once the server has every input; the call runs on

    async def outputs(self):
        """The call's outputs as they come; the inputs are sent meanwhile (spawn_map: none, once the
        server has every input)."""
        finished = False
        try:
            async for o in self._outputs():
                yield o
            finished = True
        finally:
            if not finished:   # its caller stopped reading, or it failed: what is left is not wanted
                asyncio.ensure_future(self._cancel())

    async def _cancel(self) -> None:
        from ._wire import api_pb2 as pb

        try:
            await self.client.call("FunctionCallCancel", pb.FunctionCallCancelRequest(call_id=self.call_id))
        except Exception:   # best effort: the server cancels a call its client left after a while anyway
            pass

    async def _outputs(self):
        import grpc

        resume = False
        while True:
            generation = self.client.generation
            stream = self.client.stub.FunctionMap()
            told = asyncio.Event()   # the stream's first response: how many inputs the server has
            sender = asyncio.ensure_future(self._send(stream, resume, told))
            try:
                while True:
                    try:
                        resp = await stream.read()
                    except asyncio.CancelledError:
                        if self.failure:
                            raise self.failure[0] from None
                        raise
                    if resp is grpc.aio.EOF:
                        if self.failure:
                            raise self.failure[0]
                        return
                    self.client.reached = True
                    self._acked(resp.acked)
                    told.set()
                    if self.spawn and self.exhausted and self.acked >= self.sent:
                        return   # every input is stored: the call runs on without its client
                    self.received += len(resp.outputs)
                    self.progress.set()
                    for o in resp.outputs:
                        yield o
            except grpc.aio.AioRpcError as err:
                if self.failure:
                    raise self.failure[0] from None
                if resume and err.code() == grpc.StatusCode.NOT_FOUND and self.acked == 0:
                    resume = False   # the server never stored the call: it starts again, with every input
                    continue
                if not self.client.gone(err):
                    raise self.client.translate(err) from None
            finally:
                sender.cancel()
                stream.cancel()
            await self.client.reconnect(generation)
            resume = True

    def _acked(self, acked: int) -> None:
        self.acked = max(self.acked, acked)
        while self.unacked and self.unacked[0].idx < self.acked:
            self.unacked.popleft()

    async def _send(self, stream, resume: bool, told: asyncio.Event) -> None:
        from ._wire import api_pb2 as pb

        head = not resume   # the first message of a new call names the function and the call

        async def write(inputs: list, last: bool) -> None:
            nonlocal head
            await stream.write(pb.FunctionMapRequest(
                function_id=self.function_id if head else "", call_id=self.call_id if head else "",
                inputs=inputs, total=self.sent if last else 0, last=last, spawn=self.spawn and head))
            head = False

        try:
            if resume:
                await stream.write(pb.FunctionMapRequest(call_id=self.call_id, resume=True, from_output=self.received))
                await told.wait()
            again = list(self.unacked)   # what the server does not have: all, if it never stored the call
            for start in range(0, len(again), MAP_BATCH):
                chunk = again[start:start + MAP_BATCH]
                await write(chunk, self.exhausted and start + MAP_BATCH >= len(again))
            if self.exhausted and (not again or head):
                await write([], True)
            await self._send_new(write)
            await stream.done_writing()
        except Exception as exc:
            import grpc

            if isinstance(exc, grpc.aio.AioRpcError) and self.client.gone(exc):
                return   # the server went away: the reader sees it too, reconnects and resumes
            self.failure.append(exc)
            stream.cancel()

    async def _send_new(self, write) -> None:
        """The caller's inputs not read yet. Its iterator is read, and its items pickled, in a thread,
        a batch at a time: a slow or blocking iterator (even another .map) never stalls the loop."""
        loop = asyncio.get_running_loop()
        limit = MAP_FIRST_BATCH if self.sent == 0 else MAP_BATCH
        while not self.exhausted:
            # backpressure: wait for outputs, and for the server to store what it was sent
            while self.sent - self.received > MAP_MAX_IN_FLIGHT or len(self.unacked) > MAP_MAX_UNACKED:
                self.progress.clear()
                await self.progress.wait()
            blobs, exhausted = await loop.run_in_executor(None, take_batch, self.items, limit)
            inputs = [await self.client.input(self.sent + i, blob) for i, blob in enumerate(blobs)]
            self.sent += len(inputs)
            self.unacked.extend(inputs)
            self.exhausted = exhausted
            await write(inputs, exhausted)
            limit = MAP_BATCH
        if self.on_total is not None:
            self.on_total(self.sent)
            self.on_total = None


def take_batch(items, limit: int) -> tuple[list[bytes], bool]:
    """Pickle up to ``limit`` inputs from ``items`` (or as many as arrive within MAP_BATCH_WAIT_S,
    or MAP_BATCH_BYTES); say whether ``items`` is exhausted. Runs in a thread."""
    from . import _serialization as ser

    blobs, size = [], 0
    deadline = time.monotonic() + MAP_BATCH_WAIT_S
    for args, kwargs in items:
        blob = ser.serialize_args(args, kwargs)
        blobs.append(blob)
        size += len(blob)
        if len(blobs) >= limit or size >= MAP_BATCH_BYTES or time.monotonic() > deadline:
            return blobs, False
    return blobs, True
