"""The server's side of the direct port (_wire/direct.py says the protocol): the hot unary RPCs of
Dicts and Queues on a plain TCP connection, answered by the servicer's own methods, as on gRPC.

    connection ─hello─▶ the token checked as TokenCheck does (token_check.py) ─▶ each request: a method
        of METHODS that the token may call ─▶ servicer.<Method>(request, context), begun at once
        ─▶ the reply (a refusal: its status and message, as context.abort gives them on gRPC)

A method that has its answer without waiting (a Dict op on SQLite: writes.run_now) is answered
before the next request is read, and the replies to what one read brought go in one write; one
that waits (a blocking Queue get) goes on in a task of its own from where it waited (``_Resume``),
as Python 3.12's eager tasks do.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import socket

import grpc
from google.protobuf.message import DecodeError

from ..._wire import api_pb2 as pb
from ..._wire.direct import METHODS
from ..._shared.direct_frames import HELLO, OK, WEB_SERVE, parse_request, reply_frame, take_frames
from ..auth import CONTAINER, allows

log = logging.getLogger("leveret.server")

_REQUESTS = {m: getattr(pb, m + "Request") for m in METHODS}


class _Aborted(Exception):
    def __init__(self, code: grpc.StatusCode, details: str):
        self.code, self.details = code, details


class _Context:
    """What the servicer's methods use of a gRPC context."""

    __slots__ = ("_authorization",)

    def __init__(self, authorization: str):
        self._authorization = authorization

    async def abort(self, code: grpc.StatusCode, details: str = ""):
        raise _Aborted(code, details)

    def invocation_metadata(self):
        return (("authorization", self._authorization),)


class DirectPort:
    def __init__(self, servicer, tokens):
        self.servicer = servicer
        self.tokens = tokens
        self._server: asyncio.AbstractServer | None = None
        self._local: asyncio.AbstractServer | None = None
        self.port = 0
        self.local_socket = ""
        self.connections: set[_Connection] = set()
        self.web_links = None   # web functions' links (web_links.py): a container's WebServe makes its connection one
        tokens.revoked_hooks.append(self._revoked)

    def _revoked(self, token_id: str) -> None:
        """A revoked token's connections close at once (their callers connect again, and are refused)."""
        for conn in list(self.connections):
            if conn.token_id == token_id and conn.role != CONTAINER:
                conn.transport.close()

    async def start(self, host: str, port: int = 0, *, tcp: bool = True) -> int:
        """Listen on ``port`` of ``host`` (0: any free one) unless not ``tcp`` (a server over TLS: the
        connections a worker hands its containers cannot be TLS's; others' calls go by gRPC), and on
        an abstract unix socket (cheaper than TCP for a client of the same host: ``local_socket``,
        the name after its NUL)."""
        loop = asyncio.get_running_loop()
        if tcp:
            self._server = await loop.create_server(lambda: _Connection(self), host or None, port)
            self.port = self._server.sockets[0].getsockname()[1]
        self.local_socket = f"leveret-direct-{secrets.token_hex(8)}"
        self._local = await loop.create_unix_server(lambda: _Connection(self), "\0" + self.local_socket)
        return self.port

    async def stop(self) -> None:
        for server in (self._server, self._local):
            if server is not None:
                server.close()
        for conn in list(self.connections):
            conn.transport.close()
        for server in (self._server, self._local):
            if server is not None:
                await server.wait_closed()

    async def answer(self, conn: "_Connection", req_id: int, method: str, payload: bytes) -> bytes:
        """The reply frame to a request (a refusal too)."""
        try:
            if method not in METHODS:
                raise _Aborted(grpc.StatusCode.UNIMPLEMENTED, f"{method} is not served on the direct port: call it by gRPC")
            if not allows(conn.role, f"/leveret.v1.Leveret/{method}"):
                raise _Aborted(grpc.StatusCode.PERMISSION_DENIED, f"this token may not call {method}")
            response = await getattr(self.servicer, method)(_REQUESTS[method].FromString(payload),
                                                            _Context(conn.authorization))
            return reply_frame(req_id, OK, response.SerializeToString())
        except _Aborted as exc:
            return reply_frame(req_id, exc.code.value[0], exc.details.encode())
        except DecodeError as exc:
            return reply_frame(req_id, grpc.StatusCode.INVALID_ARGUMENT.value[0], f"not a {method}Request: {exc}".encode())
        except Exception as exc:
            log.exception("direct port: %s failed", method)
            return reply_frame(req_id, grpc.StatusCode.INTERNAL.value[0], f"{type(exc).__name__}: {exc}".encode())


class _Resume:
    """Awaited by a task: the rest of a coroutine begun outside any task, from where it waited on
    ``pending`` (what it yielded), as if that task had begun it."""

    def __init__(self, coro, pending):
        self.coro, self.pending = coro, pending

    def __await__(self):
        pending = self.pending
        while True:
            try:
                sent = yield pending
            except BaseException as exc:   # the task cancelled: into the coroutine, where it waits
                step = self.coro.throw, exc
            else:
                step = self.coro.send, sent
            try:
                pending = step[0](step[1])
            except StopIteration as done:
                return done.value


class _Connection(asyncio.Protocol):
    def __init__(self, port: DirectPort):
        self.port = port
        self.buffer = bytearray()
        self.role: str | None = None
        self.caller_id = ""   # a container token's container
        self.token_id = ""    # a user's or a worker's token (revoke closes the connection)
        self.authorization = ""
        self.tasks: set[asyncio.Task] = set()
        self.transport: asyncio.Transport
        self.link = None   # after WebServe: the web function's link this connection is (web_links.py)

    def connection_made(self, transport) -> None:
        self.transport = transport
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.port.connections.add(self)

    def connection_lost(self, exc) -> None:
        self.port.connections.discard(self)
        if self.link is not None:
            self.link.connection_lost()
        for task in self.tasks:
            task.cancel()

    def data_received(self, data: bytes) -> None:
        if self.link is not None:
            self.link.data_received(data)
            return
        self.buffer += data
        try:
            frames = take_frames(self.buffer)
        except ValueError as exc:   # not this protocol, or a frame past the limit
            log.info("direct port: closing a connection: %s", exc)
            self.transport.close()
            return
        replies = []
        for body in frames:
            req_id, method, payload = parse_request(body)
            if self.role is None:
                self._hello(req_id, method, payload)
                if self.role is None:
                    return
                continue
            if method == WEB_SERVE:
                self._web_serve(req_id)
                return
            coro = self.port.answer(self, req_id, method, payload)
            try:
                pending = coro.send(None)
            except StopIteration as done:   # answered without waiting
                replies.append(done.value)
                continue
            task = asyncio.ensure_future(self._finish(coro, pending))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
        if replies:
            self.transport.write(b"".join(replies))

    async def _finish(self, coro, pending) -> None:
        reply = await _Resume(coro, pending)
        if not self.transport.is_closing():
            self.transport.write(reply)

    def _web_serve(self, req_id: int) -> None:
        """A web function's container makes this connection its link (container/web_link.py), on
        which the gateway sends it requests from now on; anything else is refused and closed."""
        link = None
        if self.port.web_links is not None and self.role == CONTAINER:
            link = self.port.web_links.attach(self.caller_id, self.transport)
        if link is None:
            self.transport.write(reply_frame(req_id, grpc.StatusCode.FAILED_PRECONDITION.value[0],
                                             b"only a running web function's container may serve requests here"))
            self.transport.close()
            return
        self.link = link
        self.transport.write(reply_frame(req_id, OK, b""))

    def _hello(self, req_id: int, method: str, payload: bytes) -> None:
        authorization = payload.decode("utf-8", "replace")
        found = self.port.tokens.check(authorization) if method == HELLO else None
        if found is None:
            why = self.port.tokens.unknown(authorization)
            self.transport.write(reply_frame(req_id, grpc.StatusCode.UNAUTHENTICATED.value[0], why.encode()))
            self.transport.close()
            return
        self.role, self.caller_id, self.authorization = found[0], found[1], authorization
        self.token_id = found[1]
        self.transport.write(reply_frame(req_id, OK, b""))
