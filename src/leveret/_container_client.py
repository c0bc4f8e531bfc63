"""The SDK's client inside a container: the calls a function's code makes (``other.remote(x)``,
``.spawn``, ``FunctionCall.get``, ``Function.from_name``) go to its worker over the container's
socket, which makes them on the server with the container's token (worker/container_calls.py).
No gRPC and no protobuf: an image needs neither.

    Function.remote ─▶ ContainerClient ─CallsOpen, then Lookup │ Bind │ Call │ CallGet │ CallCancel─▶ worker
                                       ◀─Reply │ Result (by tag)────────────────────────────────

It offers what function.py uses of the gRPC client (_client.py): lookup, remote, spawn, call_get,
call_cancel, input, value. One connection per process, opened at the first call, on the SDK's
background loop; any number of calls share it at once.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import socket
from typing import NamedTuple

from ._shared.direct_frames import OK, FrameClient, Lost, Refused, dial, parse_reply, read_frame
from . import _serialization as ser
from .container import calls as C
from .container import protocol as P
from .exception import AuthError, ExecutionError, InvalidError, NotFoundError

ERRORS = {C.NOT_FOUND: NotFoundError, C.REFUSED: AuthError, C.INVALID: InvalidError,
          C.FAILED: ExecutionError}


def current_input() -> str:
    """The input whose code runs on this thread or task, in a container ("" elsewhere): the bootstrap's."""
    from ._context import current_input_id

    return current_input_id() or ""


def socket_path() -> str | None:
    """The container's socket, when this process runs in a Leveret container (else None)."""
    return os.environ.get(P.ENV_SOCKET) or None


class Output(NamedTuple):
    """An output as function.py reads one (the gRPC client's are protobuf messages of these names)."""

    idx: int
    status: int
    data: bytes
    gen_index: int
    message: str
    data_blob_id: str


class HandedClient(FrameClient):
    """A Dict's and a Queue's plain calls from this container's threads, each on a connection of
    its thread to the server's direct port that the worker made with the container's token and
    handed over (DirectOpen, answered with the connection's descriptor: worker/direct_handover.py).
    The messages are protobuf's, written and read by the schema that came with it
    (_shared/protowire.py): this image may have no protobuf."""

    def __init__(self, path: str, url: str):
        super().__init__(path, P.encode(P.DirectOpen()))
        self.url = url
        self.schema: dict | None = None

    def connect(self) -> socket.socket:
        worker = dial(self.address)
        fds: list[int] = []
        try:
            worker.sendall(self.opening)
            start, fds, _, _ = socket.recv_fds(worker, 1 << 16, 1)
            if not start:
                raise Lost("the worker made no direct connection")
            _, status, reply = parse_reply(read_frame(worker, start))
            if status != OK:
                raise Refused(status, reply.decode("utf-8", "replace"))
            if len(fds) != 1:
                raise Lost("the worker's answer came without a connection")
            server = socket.socket(fileno=fds.pop())
            self.opened(reply)
            return server
        finally:
            for fd in fds:
                os.close(fd)
            worker.close()

    def opened(self, reply: bytes) -> None:
        import json

        said = json.loads(reply)
        self.schema = said["schema"]
        if not said.get("spin", True):
            self.spin_s = 0.0   # this container has less than a core: it sleeps at once

    def call_fields(self, method: str, fields: dict) -> dict:
        from ._shared import protowire
        from ._wire.statuses import error_of

        try:
            reply = self.exchange(method, lambda: protowire.encode(self.schema, method + "Request", fields))
        except Refused as exc:
            raise error_of(exc.status, exc.message, self.url) from None
        return protowire.decode(self.schema, method + "Response", reply)


class ContainerClient:
    embedded = False

    def __init__(self, path: str):
        self.path = path
        self.url = f"the worker (socket {path})"
        self._tags = itertools.count(1)
        self._pending: dict[int, asyncio.Future] = {}
        self._streams: dict[int, asyncio.Queue] = {}   # tag -> what comes for a map or a download, then a Reply
        self._writer: asyncio.StreamWriter | None = None
        self._reader: asyncio.Task | None = None
        self._connecting: asyncio.Future | None = None
        self.direct = None            # Dict calls on a direct connection to the worker (find_direct)
        self._direct_asked = False

    # ------------------------------------------------------------------ the connection

    async def _connect(self) -> asyncio.StreamWriter:
        if self._writer is not None and not self._writer.is_closing():
            return self._writer
        if self._connecting is None or self._connecting.done():
            self._connecting = asyncio.ensure_future(self._open())
        return await asyncio.shield(self._connecting)

    async def _open(self) -> asyncio.StreamWriter:
        try:
            reader, writer = await asyncio.open_unix_connection(self.path)
        except OSError as exc:
            raise ExecutionError(f"cannot reach this container's worker at {self.path}: {exc}") from None
        writer.write(P.encode(P.CallsOpen()))
        self._writer = writer
        self._reader = asyncio.ensure_future(self._read(reader, writer))
        return writer

    async def _read(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        error: Exception = ExecutionError("this container's worker closed its calls connection")
        try:
            while True:
                msg = await P.read_message(reader)
                queue = self._streams.get(msg.tag)
                if queue is not None:
                    queue.put_nowait(msg)
                    continue
                fut = self._pending.pop(msg.tag, None)
                if fut is not None and not fut.done():
                    fut.set_result(msg)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        except P.ProtocolError as exc:
            error = ExecutionError(f"this container's worker sent what its SDK cannot read: {exc}")
        finally:
            writer.close()
            if self._writer is writer:
                self._writer = None
            for fut in self._pending.values():
                if not fut.done():
                    fut.set_exception(error)
            self._pending.clear()
            for queue in self._streams.values():
                queue.put_nowait(error)

    async def _ask(self, make) -> "P.Reply | P.Result":
        """Send the request ``make(tag)`` and wait for its answer; an error answer is raised."""
        writer = await self._connect()
        tag = next(self._tags)
        fut = asyncio.get_running_loop().create_future()
        self._pending[tag] = fut
        writer.write(P.encode(make(tag)))
        return await self._answer(tag, fut)

    async def _answer(self, tag: int, fut: asyncio.Future) -> "P.Reply | P.Result":
        try:
            answer = await fut
        finally:
            self._pending.pop(tag, None)
        if type(answer) is P.Reply and answer.error:
            if answer.error == C.TIMED_OUT:
                return answer
            raise ERRORS.get(answer.error, ExecutionError)(answer.message)
        return answer

    async def find_direct(self) -> None:
        """From now on, a Dict's plain calls go from the caller's thread on a connection to the
        server's direct port that the worker opens and hands over (worker/direct_handover.py).
        Where it cannot, they go as ObjectCall frames again (_rpc_op.py)."""
        if self._direct_asked:
            return
        self._direct_asked = True
        self.direct = HandedClient(self.path, self.url)

    async def close(self) -> None:
        if self.direct is not None:
            self.direct.close()
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)

    # ------------------------------------------------------------------ what function.py calls

    async def lookup(self, app_name: str, function_name: str, environment: str,
                     version: int = 0) -> tuple[str, bool, str]:
        """A function's id, whether it is a generator, and (not known here: "") its web URL: of a
        deployed app, or ("" app) of this container's."""
        reply = await self._ask(lambda tag: P.Lookup(tag, app_name, function_name, environment, version))
        return reply.value, reply.flag, ""

    async def bind(self, function_id: str, params: str, options: str = "") -> str:
        """The function of an @app.cls for a parameter set, or of a function with other options."""
        return (await self._ask(lambda tag: P.Bind(tag, function_id, params, options))).value

    async def remote(self, function_id: str, inp: tuple) -> Output:
        from ._shared.ids import new_id

        parent = current_input()
        result = await self._ask(lambda tag: P.Call(tag, C.REMOTE, function_id, new_id("fc"), parent, *inp[1:]))
        return _output(result)

    async def spawn(self, function_id: str, inp: tuple) -> str:
        from ._shared.ids import new_id

        parent = current_input()
        reply = await self._ask(lambda tag: P.Call(tag, C.SPAWN, function_id, new_id("fc"), parent, *inp[1:]))
        return reply.value

    async def call_get(self, call_id: str, timeout: float | None) -> Output | None:
        """The call's output, or None if it did not come within ``timeout`` seconds."""
        answer = await self._ask(lambda tag: P.CallGet(tag, call_id, -1.0 if timeout is None else float(timeout)))
        return None if type(answer) is P.Reply else _output(answer)

    async def call_cancel(self, call_id: str, *, terminate_containers: bool = False) -> None:
        await self._ask(lambda tag: P.CallCancel(tag, call_id, terminate_containers))

    async def object_call(self, method: str, fields: dict) -> dict:
        """A named-object RPC, made by the worker with this container's token (its allowed ones only)."""
        import json

        reply = await self._ask(lambda tag: P.ObjectCall(tag, method, json.dumps(fields)))
        return json.loads(reply.value)

    async def volume_sync(self, op: str, volume_id: str) -> int:
        """Commit or reload a volume mounted here: the worker does it on its directory."""
        reply = await self._ask(lambda tag: P.VolumeSync(tag, op, volume_id))
        return int(reply.value or 0)

    async def call_graph(self, call_id: str) -> list:
        import json

        reply = await self._ask(lambda tag: P.CallGraph(tag, call_id))
        return json.loads(reply.value)

    async def map_outputs(self, function_id: str, arg_iter, on_total=None, *, spawn: bool = False):
        """A map's outputs as they come (``.map``, ``.starmap``, ``.for_each``, ``.remote_gen``), its
        inputs pickled in a thread and sent meanwhile, held back as the client's are (_map.py): at
        most MAP_MAX_UNACKED not yet stored by the server, MAP_MAX_IN_FLIGHT not yet answered."""
        from ._shared.ids import new_id

        if spawn:
            from .exception import NotImplementedOptionError

            raise NotImplementedOptionError("spawn_map() from inside a container is not supported yet: call"
                                            " .spawn() for each input, or spawn_map from a client")
        writer = await self._connect()
        tag, call_id = next(self._tags), new_id("fc")
        queue: asyncio.Queue = asyncio.Queue()
        self._streams[tag] = queue
        state = _MapState()
        writer.write(P.encode(P.MapStart(tag, function_id, call_id, current_input())))
        sender = asyncio.ensure_future(self._send_map_inputs(writer, tag, iter(arg_iter), state, on_total))
        finished = False
        try:
            while True:
                msg = await queue.get()
                if isinstance(msg, Exception):
                    raise msg
                if sender.done() and not sender.cancelled() and sender.exception() is not None:
                    raise sender.exception()
                if type(msg) is P.Reply:
                    if msg.error:
                        raise ERRORS.get(msg.error, ExecutionError)(msg.message)
                    finished = True
                    return
                state.acked, state.received = msg.acked, state.received + len(msg.idxs)
                state.progress.set()
                for row in zip(msg.idxs, msg.statuses, msg.data, msg.gen_indexes, msg.messages, msg.blob_ids):
                    yield Output(*row)
        finally:
            sender.cancel()
            self._streams.pop(tag, None)
            if not finished:   # its caller stopped reading, or it failed: what is left is not wanted
                asyncio.ensure_future(self._cancel_quietly(call_id))

    async def _send_map_inputs(self, writer, tag: int, items, state: "_MapState", on_total) -> None:
        from ._map import MAP_BATCH, MAP_FIRST_BATCH, MAP_MAX_IN_FLIGHT, MAP_MAX_UNACKED, take_batch

        loop = asyncio.get_running_loop()
        limit, exhausted = MAP_FIRST_BATCH, False
        while not exhausted:
            while state.sent - state.received > MAP_MAX_IN_FLIGHT or state.sent - state.acked > MAP_MAX_UNACKED:
                state.progress.clear()
                await state.progress.wait()
            blobs, exhausted = await loop.run_in_executor(None, take_batch, items, limit)
            inputs = [await self.input(0, blob) if len(blob) > P.INLINE_LIMIT else (0, blob, "") for blob in blobs]
            state.sent += len(inputs)
            writer.write(P.encode(P.MapInputs(tag, exhausted, [i[1] for i in inputs], [i[2] for i in inputs])))
            await writer.drain()
            limit = MAP_BATCH
        if on_total is not None:
            on_total(state.sent)

    async def _cancel_quietly(self, call_id: str) -> None:
        try:
            await self.call_cancel(call_id)
        except Exception:   # best effort: the worker's stream ending lets the server cancel it after a while
            pass

    async def input(self, idx: int, args: bytes) -> tuple:
        """(idx, arguments, "") — or, over the inline limit, (idx, b"", the id of the blob they were
        uploaded to, a chunk at a time)."""
        if len(args) <= P.INLINE_LIMIT:
            return idx, args, ""
        if len(args) > P.MAX_PAYLOAD:
            from ._shared.payloads import too_large

            raise InvalidError(too_large("the arguments", len(args), P.MAX_PAYLOAD))
        writer = await self._connect()
        tag = next(self._tags)
        fut = asyncio.get_running_loop().create_future()
        self._pending[tag] = fut
        view = memoryview(args)
        for start in range(0, len(args), P.CHUNK_BYTES):
            last = start + P.CHUNK_BYTES >= len(args)
            writer.write(P.encode(P.Upload(tag, last, view[start:start + P.CHUNK_BYTES].tobytes())))
            await writer.drain()
        return idx, b"", (await self._answer(tag, fut)).value

    async def value(self, output: Output):
        """The output's value (or its exception raised); a result over the inline limit is read from
        its blob into a temporary file and unpickled from there."""
        if not output.data_blob_id:
            return ser.output_value(output.status, output.data, output.message)
        import tempfile

        writer = await self._connect()
        tag = next(self._tags)
        queue: asyncio.Queue = asyncio.Queue()
        self._streams[tag] = queue
        loop = asyncio.get_running_loop()
        with tempfile.TemporaryFile() as f:
            try:
                writer.write(P.encode(P.Download(tag, output.data_blob_id)))
                while type(msg := await queue.get()) is P.Chunk:
                    await loop.run_in_executor(None, f.write, msg.data)
            finally:
                self._streams.pop(tag, None)
            if isinstance(msg, Exception):
                raise msg
            if msg.error:
                raise ERRORS.get(msg.error, ExecutionError)(msg.message)
            f.seek(0)
            return ser.output_value_from_file(output.status, f, output.message)


class _MapState:
    def __init__(self):
        self.sent = 0          # inputs sent
        self.received = 0      # outputs received
        self.acked = 0         # inputs the server has stored
        self.progress = asyncio.Event()


def _output(result: "P.Result") -> Output:
    return Output(0, result.status, result.data, result.gen_index, result.message, result.blob_id)
