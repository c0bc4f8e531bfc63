"""A container's direct connection: the frames of the server's direct port (a Dict's plain calls,
_shared/direct_frames.py), relayed to that port with the container's token.

    SDK in the container ─connects to the container's socket─▶ DirectOpen ─▶ serve(): a connection
        to the server's direct port, its hello made with the container's token ─▶ OK to the SDK
    [id, method, JSON request] ─▶ protobuf (rpc.ContainerCalls: only what a container may ask)
        ─▶ the server, under the same id (a connection of its own) ─▶ [id, status, reply as JSON] back
    no task per request: each side's frames are passed on as they come

The container's messages are protobuf's JSON mapping (its image may have no protobuf), as its
ObjectCall frames are. Where the server has no direct port, or it cannot be reached, the
container's connection is closed: its SDK then makes those calls as ObjectCall frames
(container_calls.py).
"""

from __future__ import annotations

import asyncio
import logging
import socket
from typing import TYPE_CHECKING

from .._shared.direct_frames import OK, frames_from, hello, parse_reply, parse_request, reply_frame, request_frame
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
            upstream = await asyncio.wait_for(_open(address, token), CONNECT_TIMEOUT_S)
            break
        except (OSError, asyncio.TimeoutError, ConnectionError) as exc:
            why = exc
    if upstream is None:
        log.info("container %s: no direct connection to the server (%s): its Dict calls go by gRPC",
                 task.container_id, why)
        return
    up_reader, up_writer = upstream
    methods: dict[int, str] = {}   # request id (the container's, on the server's connection too) -> its method
    writer.write(reply_frame(0, OK, b""))
    back = asyncio.ensure_future(_replies(up_reader, writer, methods, calls))
    try:
        async for body in frames_from(reader):   # ends with the container's connection
            req_id, method, payload = parse_request(body)
            try:
                request = calls.direct_request(method, payload)
            except CallRefused as exc:
                writer.write(reply_frame(req_id, _STATUS_OF.get(exc.error, _INTERNAL), exc.message.encode()))
                continue
            methods[req_id] = method
            up_writer.write(request_frame(req_id, method, request))
    except (ConnectionError, ValueError):   # the container went away, or sent what is not a frame
        return
    finally:
        back.cancel()
        up_writer.close()


async def _replies(up_reader: asyncio.StreamReader, writer: asyncio.StreamWriter, methods: dict, calls) -> None:
    """The server's replies, as JSON, to the container; the server gone: the container's connection
    closed (its SDK's call goes again another way)."""
    try:
        async for body in frames_from(up_reader):
            req_id, status, reply = parse_reply(body)
            method = methods.pop(req_id, None)
            if method is None:
                continue
            if status == OK:
                reply = calls.direct_reply(method, reply)
            if not writer.is_closing():
                writer.write(reply_frame(req_id, status, reply))
    except (ConnectionError, ValueError):
        pass
    writer.close()


async def _open(address: tuple[str, int] | str, token: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A connection to the server's direct port, its hello answered."""
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
    try:
        writer.write(hello(token))
        first = await anext(aiter(frames_from(reader)), None)   # nothing else comes before a request
        if first is None:
            raise ConnectionError("the server closed the direct connection")
        _, status, message = parse_reply(first)
        if status != OK:
            raise ConnectionError(f"the server refused the container's token: {message.decode(errors='replace')}")
    except BaseException:
        writer.close()
        raise
    return reader, writer
