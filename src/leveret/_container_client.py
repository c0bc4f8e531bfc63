"""The SDK's client inside a container: the calls a function's code makes (``other.remote(x)``,
``.spawn``, ``FunctionCall.get``, ``Function.from_name``) go to its worker over the container's
socket, which makes them on the server with the container's token (worker/container_calls.py).
No gRPC and no protobuf: an image needs neither.

    Function.remote ─▶ ContainerClient ─CallsOpen, then Lookup │ Call │ CallGet │ CallCancel─▶ worker
                                       ◀─Reply │ Result (by tag)────────────────────────────────

It offers what function.py uses of the gRPC client (_client.py): lookup, remote, spawn, call_get,
call_cancel, input, value. One connection per process, opened at the first call, on the SDK's
background loop; any number of calls share it at once.
"""

from __future__ import annotations

import asyncio
import itertools
import os
from typing import NamedTuple

from . import _serialization as ser
from .container import calls as C
from .container import protocol as P
from .exception import AuthError, ExecutionError, InvalidError, NotFoundError, NotImplementedOptionError

ERRORS = {C.NOT_FOUND: NotFoundError, C.REFUSED: AuthError, C.INVALID: InvalidError,
          C.FAILED: ExecutionError}


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


class ContainerClient:
    embedded = False

    def __init__(self, path: str):
        self.path = path
        self.url = f"the worker (socket {path})"
        self._tags = itertools.count(1)
        self._pending: dict[int, asyncio.Future] = {}
        self._writer: asyncio.StreamWriter | None = None
        self._reader: asyncio.Task | None = None
        self._connecting: asyncio.Future | None = None

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

    async def _ask(self, make) -> "P.Reply | P.Result":
        """Send the request ``make(tag)`` and wait for its answer; an error answer is raised."""
        writer = await self._connect()
        tag = next(self._tags)
        fut = asyncio.get_running_loop().create_future()
        self._pending[tag] = fut
        writer.write(P.encode(make(tag)))
        try:
            answer = await fut
        finally:
            self._pending.pop(tag, None)
        if type(answer) is P.Reply and answer.error:
            if answer.error == C.TIMED_OUT:
                return answer
            raise ERRORS.get(answer.error, ExecutionError)(answer.message)
        return answer

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)

    # ------------------------------------------------------------------ what function.py calls

    async def lookup(self, app_name: str, function_name: str, environment: str) -> tuple[str, bool]:
        """A function's id and whether it is a generator: of a deployed app, or ("" app) of this container's."""
        reply = await self._ask(lambda tag: P.Lookup(tag, app_name, function_name, environment))
        return reply.value, reply.flag

    async def remote(self, function_id: str, inp: tuple) -> Output:
        from ._shared.ids import new_id

        result = await self._ask(lambda tag: P.Call(tag, C.REMOTE, function_id, new_id("fc"), "", inp[1]))
        return _output(result)

    async def spawn(self, function_id: str, inp: tuple) -> str:
        from ._shared.ids import new_id

        reply = await self._ask(lambda tag: P.Call(tag, C.SPAWN, function_id, new_id("fc"), "", inp[1]))
        return reply.value

    async def call_get(self, call_id: str, timeout: float | None) -> Output | None:
        """The call's output, or None if it did not come within ``timeout`` seconds."""
        answer = await self._ask(lambda tag: P.CallGet(tag, call_id, -1.0 if timeout is None else float(timeout)))
        return None if type(answer) is P.Reply else _output(answer)

    async def call_cancel(self, call_id: str) -> None:
        await self._ask(lambda tag: P.CallCancel(tag, call_id))

    def map_outputs(self, function_id: str, arg_iter, on_total=None):
        raise NotImplementedOptionError(
            ".map(), .starmap(), .for_each() and .remote_gen() from inside a container are not supported yet:"
            " call .remote() or .spawn() for each input from inside, or map from the client")

    async def input(self, idx: int, args: bytes) -> tuple:
        if len(args) > P.INLINE_LIMIT:
            raise NotImplementedOptionError(
                f"arguments of {len(args)} bytes from inside a container: calls made from inside take at most"
                f" {P.INLINE_LIMIT} bytes of arguments for now; pass a Volume path or a smaller value")
        return idx, args

    async def value(self, output: Output):
        if output.data_blob_id:
            raise NotImplementedOptionError(
                "a result over 2 MiB returned to a call made from inside a container: not supported yet;"
                " return a smaller value, or write it to a Volume and return its path")
        return ser.output_value(output.status, output.data, output.message)


def _output(result: "P.Result") -> Output:
    return Output(0, result.status, result.data, result.gen_index, result.message, result.blob_id)
