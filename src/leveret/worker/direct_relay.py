"""A container's direct connection: the frames of the server's direct port (a Dict's plain calls,
_shared/direct_frames.py), relayed to that port with the container's token.

    SDK in the container ─connects to the container's socket─▶ DirectOpen ─▶ serve(): a connection
        to the server's direct port, its hello made with the container's token ─▶ OK to the SDK
    [id, method, JSON request] ─▶ protobuf (rpc.ContainerCalls: only what a container may ask)
        ─▶ the server (this connection's ids) ─▶ [id, status, reply as JSON] back

The container's messages are protobuf's JSON mapping (its image may have no protobuf), as its
ObjectCall frames are. Where the server has no direct port, or it cannot be reached, the
container's connection is closed: its SDK then makes those calls as ObjectCall frames
(container_calls.py).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import socket
from typing import TYPE_CHECKING

from .._shared.direct_frames import HELLO, OK, parse_reply, parse_request, reply_frame, request_frame, take_frames
from ..container.calls import INVALID, REFUSED
from .model import CallRefused

if TYPE_CHECKING:
    from .task_runner import ContainerTask

log = logging.getLogger("leveret.worker")

_INTERNAL = 13
_STATUS_OF = {REFUSED: 7, INVALID: 3}   # a refusal here as the gRPC status the SDK reads: PERMISSION_DENIED, INVALID_ARGUMENT

CONNECT_TIMEOUT_S = 5.0


async def serve(task: "ContainerTask", reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    addresses, token = task.agent.direct_addresses, task.a.token if task.a is not None else ""
    if not addresses or not token:
        return   # closed by the caller: the SDK goes by ObjectCall frames
    try:
        calls = task.calls()
    except CallRefused:
        return
    upstream, why = None, None
    for address in addresses:   # the server's unix socket where this host is its, else its port
        try:
            upstream = await asyncio.wait_for(_Upstream.open(address, token), CONNECT_TIMEOUT_S)
            break
        except (OSError, asyncio.TimeoutError, ConnectionError) as exc:
            why = exc
    if upstream is None:
        log.info("container %s: no direct connection to the server (%s): its Dict calls go by gRPC",
                 task.container_id, why)
        return
    writer.write(reply_frame(0, OK, b""))
    pending: set[asyncio.Task] = set()
    buffer = bytearray()
    try:
        while True:
            data = await reader.read(1 << 20)
            if not data:
                return
            buffer += data
            for body in take_frames(buffer):
                req_id, method, payload = parse_request(body)
                job = asyncio.ensure_future(_relay(upstream, calls, writer, req_id, method, payload))
                pending.add(job)
                job.add_done_callback(pending.discard)
    except (ConnectionError, ValueError):   # the container went away, or sent what is not a frame
        return
    finally:
        for job in pending:
            job.cancel()
        upstream.close()


async def _relay(upstream: "_Upstream", calls, writer: asyncio.StreamWriter, req_id: int, method: str,
                 body: bytes) -> None:
    try:
        status, reply = await upstream.call(method, calls.direct_request(method, body))
    except CallRefused as exc:
        status, reply = _STATUS_OF.get(exc.error, _INTERNAL), exc.message.encode()
    except ConnectionError:
        writer.close()   # the SDK's call goes again another way
        return
    if status == OK:
        reply = calls.direct_reply(method, reply)
    if not writer.is_closing():
        writer.write(reply_frame(req_id, status, reply))


class _Upstream:
    """One connection to the server's direct port; requests on it at once, replies matched by id."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.reader, self.writer = reader, writer
        self.ids = itertools.count(1)
        self.waiting: dict[int, asyncio.Future] = {}
        self.buffer = bytearray()
        self.reading: asyncio.Task | None = None

    @classmethod
    async def open(cls, address: tuple[str, int] | str, token: str) -> "_Upstream":
        if isinstance(address, str):   # connected here: uvloop cannot connect to an abstract name itself
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                sock.connect(address)   # a local socket: at once
                sock.setblocking(False)
            except OSError:
                sock.close()
                raise
            reader, writer = await asyncio.open_unix_connection(sock=sock)
        else:
            reader, writer = await asyncio.open_connection(*address)
            writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        up = cls(reader, writer)
        try:
            writer.write(request_frame(0, HELLO, f"Bearer {token}".encode()))
            _, status, message = parse_reply(await up._next())
            if status != OK:
                raise ConnectionError(f"the server refused the container's token: {message.decode(errors='replace')}")
        except BaseException:
            writer.close()
            raise
        up.reading = asyncio.ensure_future(up._read())
        return up

    async def _next(self) -> bytes:
        while True:
            frames = take_frames(self.buffer)
            if frames:
                return frames[0]   # the hello's reply: nothing else comes before a request
            data = await self.reader.read(1 << 20)
            if not data:
                raise ConnectionError("the server closed the direct connection")
            self.buffer += data

    async def _read(self) -> None:
        try:
            while True:
                data = await self.reader.read(1 << 20)
                if not data:
                    break
                self.buffer += data
                for body in take_frames(self.buffer):
                    req_id, status, reply = parse_reply(body)
                    fut = self.waiting.pop(req_id, None)
                    if fut is not None and not fut.done():
                        fut.set_result((status, reply))
        except (ConnectionError, ValueError):
            pass
        finally:
            for fut in self.waiting.values():
                if not fut.done():
                    fut.set_exception(ConnectionError("the server closed the direct connection"))
            self.waiting.clear()

    async def call(self, method: str, payload: bytes) -> tuple[int, bytes]:
        if self.reading is None or self.reading.done():
            raise ConnectionError("the server closed the direct connection")
        req_id = next(self.ids) & 0xFFFFFFFF
        fut = self.waiting[req_id] = asyncio.get_running_loop().create_future()
        self.writer.write(request_frame(req_id, method, payload))
        return await fut

    def close(self) -> None:
        if self.reading is not None:
            self.reading.cancel()
        self.writer.close()
