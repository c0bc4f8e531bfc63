"""A container's direct connection: the frames of the server's direct port (a Dict's and a Queue's
plain calls, _shared/direct_frames.py), passed on to that port under the container's token.

    SDK in the container ─connects to the container's socket─▶ DirectOpen ─▶ serve(): a connection
        to the server's direct port, its hello made with the container's token ─▶ OK to the SDK,
        with what it needs: {"schema": the layouts of the messages, "spin": whether to poll for replies}
    [id, method, request] ─▶ the server, under the same id (a connection of its own), untouched
        ◀─ [id, status, reply] ─ untouched
    no task per request: each side's frames are passed on as they come

The SDK writes and reads the messages by the schema (_shared/protowire.py: its image may have no
protobuf); the worker refuses methods a container may not make here, and the server checks the
rest as for any caller with the container's token. Where the server has no direct port, or it
cannot be reached, the container's connection is closed: its SDK then makes those calls as
ObjectCall frames (container_calls.py).
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
from typing import TYPE_CHECKING

from .._shared.direct_frames import OK, frame, frames_from, hello, parse_reply, parse_request, reply_frame
from .model import CallRefused

if TYPE_CHECKING:
    from .task_runner import ContainerTask

log = logging.getLogger("leveret.worker")

_PERMISSION_DENIED = 7   # gRPC's status code, which the SDK reads

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
    writer.write(reply_frame(0, OK, json.dumps({"schema": calls.direct_schema, "spin": _may_spin(task)}).encode()))
    back = asyncio.ensure_future(_replies(up_reader, writer))
    try:
        async for body in frames_from(reader):   # ends with the container's connection
            req_id, method, _ = parse_request(body)
            if method not in calls.direct_methods:
                writer.write(reply_frame(req_id, _PERMISSION_DENIED, f"{method} is not a request a container makes"
                                         " on its direct connection".encode()))
                continue
            up_writer.write(frame(body))
    except (ConnectionError, ValueError):   # the container went away, or sent what is not a frame
        return
    finally:
        back.cancel()
        up_writer.close()


def _may_spin(task: "ContainerTask") -> bool:
    """Whether the container's SDK may poll for a reply before it sleeps (_shared/direct_frames.py):
    not where it has less than a core, whose time the polling would spend."""
    cpu = task.a.definition.cpu if task.a is not None else 0.0
    return not 0 < cpu < 1


async def _replies(up_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """The server's replies, to the container; the server gone: the container's connection closed
    (its SDK's call goes again another way)."""
    try:
        async for body in frames_from(up_reader):
            if not writer.is_closing():
                writer.write(frame(body))
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
