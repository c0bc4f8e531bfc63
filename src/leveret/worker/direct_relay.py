"""A container's direct connection: the frames of the server's direct port (a Dict's and a Queue's
plain calls, _shared/direct_frames.py), passed on to that port under the container's token.

    SDK in the container ─connects to the container's socket─▶ DirectOpen ─▶ serve(): a connection
        to the server's direct port, its hello made with the container's token ─▶ OK to the SDK,
        with what it needs: {"schema": the layouts of the messages, "spin": whether to poll for replies}
    [id, method, request] ─▶ the server, under the same id (a connection of its own), untouched
        ◀─ [id, status, reply] ─ untouched
    each side's frames passed on as they are read (protocols, not streams): no task nor wake-up per frame

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
from typing import TYPE_CHECKING, Callable

from .._shared.direct_frames import OK, frame, hello, parse_reply, parse_request, reply_frame, take_frames
from .model import CallRefused

if TYPE_CHECKING:
    from .task_runner import ContainerTask

log = logging.getLogger("leveret.worker")

_PERMISSION_DENIED = 7   # gRPC's status code, which the SDK reads

CONNECT_TIMEOUT_S = 5.0


async def serve(task: "ContainerTask", reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Relay the container's direct connection (its DirectOpen read) until it ends."""
    addresses, token = task.agent.direct_addresses, task.a.token if task.a is not None else ""
    if not addresses or not token:
        return   # closed by the caller: the SDK goes by ObjectCall frames
    try:
        calls = task.calls()
    except CallRefused:
        return
    down = _Down(writer.transport, calls.direct_methods)
    up, why = None, None
    for address in addresses:   # the server's unix socket where this host is its, else its port
        try:
            up = await asyncio.wait_for(_open(address, token, down.reply), CONNECT_TIMEOUT_S)
            break
        except (OSError, asyncio.TimeoutError, ConnectionError) as exc:
            why = exc
    if up is None:
        log.info("container %s: no direct connection to the server (%s): its Dict calls go by gRPC",
                 task.container_id, why)
        return
    down.up = up
    # From here the container's frames come to _Down as they are read (the SDK sends none before
    # this answer), and go on in the same turn of the loop: no coroutine woken per frame.
    writer.transport.set_protocol(down)
    writer.write(reply_frame(0, OK, json.dumps({"schema": calls.direct_schema, "spin": _may_spin(task)}).encode()))
    try:
        await down.closed
    finally:
        up.close()


def _may_spin(task: "ContainerTask") -> bool:
    """Whether the container's SDK may poll for a reply before it sleeps (_shared/direct_frames.py):
    not where it has less than a core, whose time the polling would spend."""
    cpu = task.a.definition.cpu if task.a is not None else 0.0
    return not 0 < cpu < 1


class _Frames(asyncio.Protocol):
    """Whole frames as they are read (``frames``); what is not frames closes the connection."""

    transport: asyncio.Transport

    def __init__(self):
        self.buffer = bytearray()

    def connection_made(self, transport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        try:
            bodies = take_frames(self.buffer)
        except ValueError:
            self.transport.close()
            return
        self.frames(bodies)

    def frames(self, bodies: list[bytes]) -> None:
        raise NotImplementedError


class _Down(_Frames):
    """The container's side: its requests to the server (``up``) if the port serves them there,
    else refused here; the server's replies (``reply``) back to it."""

    def __init__(self, transport: asyncio.Transport, methods: frozenset):
        super().__init__()
        self.transport, self.methods = transport, methods   # (a transport made with another protocol)
        self.up: asyncio.Transport | None = None
        self.closed = asyncio.get_running_loop().create_future()

    def frames(self, bodies: list[bytes]) -> None:
        out = []
        for body in bodies:
            req_id, method, _ = parse_request(body)
            if method in self.methods:
                out.append(frame(body))
            else:
                self.transport.write(reply_frame(req_id, _PERMISSION_DENIED, f"{method} is not a request a container"
                                                 " makes on its direct connection".encode()))
        if out and not self.up.is_closing():
            self.up.write(b"".join(out))

    def reply(self, body: bytes | None) -> None:
        """A reply from the server; None: the server closed the connection, so this one ends too
        (the SDK's call goes again another way)."""
        if body is None:
            self.transport.close()
        elif not self.transport.is_closing():
            self.transport.write(frame(body))

    def eof_received(self) -> bool:
        return False   # the transport closes itself

    def connection_lost(self, exc) -> None:
        if not self.closed.done():
            self.closed.set_result(None)


class _Up(_Frames):
    """The server's side: the hello's answer (``opened``), then each reply to ``on_frame``."""

    def __init__(self, on_frame: Callable[[bytes | None], None]):
        super().__init__()
        self.on_frame = on_frame
        self.opened = asyncio.get_running_loop().create_future()

    def frames(self, bodies: list[bytes]) -> None:
        if bodies and not self.opened.done():
            self.opened.set_result(bodies.pop(0))
        for body in bodies:
            self.on_frame(body)

    def connection_lost(self, exc) -> None:
        if not self.opened.done():
            self.opened.set_exception(ConnectionError("the server closed the direct connection"))
        else:
            self.on_frame(None)
        self.on_frame = lambda body: None


async def _open(address: tuple[str, int] | str, token: str, on_frame: Callable[[bytes | None], None]) -> asyncio.Transport:
    """A connection to the server's direct port, its hello answered; each reply then goes to
    ``on_frame`` as it comes (None once the server closed it)."""
    loop = asyncio.get_running_loop()
    up = _Up(on_frame)
    if isinstance(address, str):   # connected here: uvloop cannot connect to an abstract name itself
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.connect(address)   # a local socket: at once
            sock.setblocking(False)
        except OSError:
            sock.close()
            raise
        transport, _ = await loop.create_unix_connection(lambda: up, sock=sock)
    else:
        transport, _ = await loop.create_connection(lambda: up, *address)
        transport.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        transport.write(hello(token))
        _, status, message = parse_reply(await up.opened)
        if status != OK:
            raise ConnectionError(f"the server refused the container's token: {message.decode(errors='replace')}")
    except BaseException:
        transport.close()
        raise
    return transport
