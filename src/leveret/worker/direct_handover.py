"""A container's direct connection: the worker connects to the server's direct port with the
container's token and hands the connection to the container, which then calls the server on it
itself (a Dict's and a Queue's plain calls, _shared/direct_frames.py) — no hop through the worker.
A web function's container opens one the same way as its link, on which the gateway sends it
requests (container/web_link.py).

    SDK in the container ─connects to the container's socket─▶ DirectOpen ─▶ serve(): a connection
        to the server's direct port (its unix socket where this host is the server's, else its
        port), its hello made with the container's token
    ◀─ OK {"schema": the layouts of the messages, "spin": whether to poll for replies}, with the
       connection's descriptor (SCM_RIGHTS); the worker closes its own copy and the container's
       connection to it
    SDK ─[id, method, request]─▶ the server ─[id, status, reply]─▶ SDK, on the handed connection

The container never holds its token, and reaches nothing but the server's direct port, which lets
a container's token make only the calls a container may (server/auth.py's CONTAINER_METHODS),
whatever the container's network. Its SDK writes and reads the messages by the schema
(_shared/protowire.py: its image may have no protobuf). Where the server has no direct port, or it
cannot be reached, the container's connection is closed without an answer: its SDK then makes
those calls as ObjectCall frames (container_calls.py).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
from typing import TYPE_CHECKING

from .._shared.direct_frames import OK, hello, parse_reply, reply_frame, take_frames
from .model import CallRefused

if TYPE_CHECKING:
    from .task_runner import ContainerTask

log = logging.getLogger("leveret.worker")

CONNECT_TIMEOUT_S = 5.0


async def serve(task: "ContainerTask", reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Answer the container's DirectOpen (read) with a connection to the server, or close it."""
    addresses, token = task.agent.direct_addresses, task.a.token if task.a is not None else ""
    if not addresses or not token:
        return   # closed by the caller: the SDK goes by ObjectCall frames
    try:
        calls = task.calls()
    except CallRefused:
        return
    server, why = None, None
    for address in addresses:   # the server's unix socket where this host is its, else its port
        try:
            server = await asyncio.wait_for(_open(address, token), CONNECT_TIMEOUT_S)
            break
        except (OSError, asyncio.TimeoutError, ConnectionError) as exc:
            why = exc
    if server is None:
        log.info("container %s: no direct connection to the server (%s): its Dict calls go by gRPC",
                 task.container_id, why)
        return
    answer = reply_frame(0, OK, json.dumps({"schema": calls.direct_schema, "spin": _may_spin(task)}).encode())
    try:
        _send_with(writer, answer, server.fileno())
    except OSError as exc:   # the container went away
        log.info("container %s: its direct connection could not be handed over: %s", task.container_id, exc)
    finally:
        server.close()


def _may_spin(task: "ContainerTask") -> bool:
    """Whether the container's SDK may poll for a reply before it sleeps (_shared/direct_frames.py):
    not where it has less than a core, whose time the polling would spend."""
    cpu = task.a.definition.cpu if task.a is not None else 0.0
    return not 0 < cpu < 1


def _send_with(writer: asyncio.StreamWriter, data: bytes, fd: int) -> None:
    """Send ``data`` and the descriptor ``fd`` on the connection of ``writer`` (nothing is queued
    on it: this is the first thing sent, small, into an empty buffer)."""
    own = socket.socket(fileno=os.dup(writer.get_extra_info("socket").fileno()))   # non-blocking, as the transport's
    try:
        if socket.send_fds(own, [data], [fd]) != len(data):
            raise OSError("the answer did not fit the connection's buffer")
    finally:
        own.close()


async def _open(address: tuple[str, int] | str, token: str) -> socket.socket:
    """A connection to the server's direct port, its hello made with ``token`` and answered OK."""
    loop = asyncio.get_running_loop()
    if isinstance(address, str):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    else:
        sock = socket.socket(socket.AF_INET6 if ":" in address[0] else socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        if isinstance(address, str):
            sock.connect(address)   # a local socket: at once (and uvloop cannot connect to an abstract name)
            sock.setblocking(False)
        else:
            sock.setblocking(False)
            await loop.sock_connect(sock, address)
        await loop.sock_sendall(sock, hello(token))
        data = bytearray()
        while True:
            bodies = take_frames(data)
            if bodies:
                break
            more = await loop.sock_recv(sock, 1 << 16)
            if not more:
                raise ConnectionError("the server closed the direct connection")
            data += more
        _, status, message = parse_reply(bodies[0])
        if status != OK:
            raise ConnectionError(f"the server refused the container's token: {message.decode(errors='replace')}")
        sock.setblocking(True)   # the container's SDK makes blocking calls on it
    except BaseException:
        sock.close()
        raise
    return sock
