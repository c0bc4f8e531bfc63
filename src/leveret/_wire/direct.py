"""The direct port: a few hot unary RPCs (a Dict's) on a plain TCP connection beside gRPC, without
HTTP/2's framing and per-call streams; the server answers them with the same methods as on gRPC
(server/api/direct.py). A Dict get then costs about what a Redis GET does.

    client ─hello: "Bearer <token>"─▶ OK ─▶ requests, each [id, method, request bytes]
           ◀─ replies, each [id, status, response bytes, or the refusal's message]
    a wrong token: UNAUTHENTICATED, then the server closes the connection

Every frame is its body's length (4 bytes, big-endian), then the body: a request's is its id
(4 bytes), its method's name (1 byte of length, then ASCII) and the request message; a reply's is
the id, a status (1 byte: 0, or a gRPC status code) and the response message or the message of the
refusal (UTF-8). Requests on one connection may run at once; replies name the request they answer.

``DirectClient`` makes blocking calls from whatever thread asks, a connection per thread.
"""

from __future__ import annotations

import itertools
import socket
import struct
import threading
import weakref

import grpc

from . import api_pb2 as pb
from .channel import error_for

HELLO = "Hello"
OK = 0
CONNECT_TIMEOUT_S = 5.0   # a port a firewall drops: gRPC instead, soon
MAX_FRAME = 64 * 1024 * 1024   # a Dict value is at most 2 MiB, an update's 10,000 entries a few more
_LEN = struct.Struct(">I")
_HEAD = struct.Struct(">IB")   # request: id, method name's length; reply: id, status


def request_frame(req_id: int, method: str, payload: bytes) -> bytes:
    name = method.encode("ascii")
    return _LEN.pack(_HEAD.size + len(name) + len(payload)) + _HEAD.pack(req_id, len(name)) + name + payload


def reply_frame(req_id: int, status: int, payload: bytes) -> bytes:
    return _LEN.pack(_HEAD.size + len(payload)) + _HEAD.pack(req_id, status) + payload


def parse_request(body: bytes) -> tuple[int, str, bytes]:
    req_id, n = _HEAD.unpack_from(body)
    start = _HEAD.size + n
    return req_id, body[_HEAD.size:start].decode("ascii"), body[start:]


def parse_reply(body: bytes) -> tuple[int, int, bytes]:
    req_id, status = _HEAD.unpack_from(body)
    return req_id, status, body[_HEAD.size:]


def take_frames(buffer: bytearray) -> list[bytes]:
    """The whole frames at the start of ``buffer``, removed from it (a part of one stays)."""
    frames, at = [], 0
    while len(buffer) - at >= _LEN.size:
        (n,) = _LEN.unpack_from(buffer, at)
        if n > MAX_FRAME:
            raise ValueError(f"a frame of {n} bytes: at most {MAX_FRAME}")
        if len(buffer) - at - _LEN.size < n:
            break
        frames.append(bytes(buffer[at + _LEN.size:at + _LEN.size + n]))
        at += _LEN.size + n
    del buffer[:at]
    return frames


class Lost(Exception):
    """The connection broke (the server went away): the call may go again by gRPC."""


class _Conn:
    """A thread's connection, closed when the thread ends (its thread-local goes) or on close()."""

    def __init__(self, sock: socket.socket):
        self.sock, self.buffer = sock, bytearray()

    def read(self) -> bytes:
        """The next frame's body (one request at a time on a connection: its reply)."""
        while True:
            frames = take_frames(self.buffer)
            if frames:
                return frames[0]
            data = self.sock.recv(1 << 20)
            if not data:
                raise Lost("the server closed the connection")
            self.buffer += data

    def close(self) -> None:
        self.sock.close()

    __del__ = close


class DirectClient:
    """Blocking calls on a server's direct port: ``call("DictGet", request)`` → the response message."""

    def __init__(self, host: str, port: int, token: str, url: str):
        self.address = (host, port)
        self.token = token
        self.url = url   # what errors name
        self._local = threading.local()
        self._ids = itertools.count(1)
        self._open: weakref.WeakSet[_Conn] = weakref.WeakSet()   # every thread's: close() ends them all

    def call(self, method: str, request):
        """The response, or the refusal as the SDK's exception; Lost if the connection broke (and
        could not be made again at once)."""
        try:
            return self._call(self._connection(), method, request)
        except (OSError, Lost):
            self.close_thread()   # a server restarted since: one fresh connection, one more try
        try:
            return self._call(self._connection(), method, request)
        except OSError as exc:
            self.close_thread()
            raise Lost(str(exc)) from None

    def call_fields(self, method: str, fields: dict) -> dict:
        """``call`` with the request as its fields (bytes as bytes), the response as protobuf's JSON
        mapping (as the SDK's object_call gives it)."""
        from google.protobuf import json_format

        response = self.call(method, getattr(pb, method + "Request")(**fields))
        return json_format.MessageToDict(response, preserving_proto_field_name=True,
                                         always_print_fields_with_no_presence=True)

    def _call(self, conn: _Conn, method: str, request):
        req_id = next(self._ids) & 0xFFFFFFFF
        conn.sock.sendall(request_frame(req_id, method, request.SerializeToString()))
        got, status, payload = parse_reply(conn.read())
        if got != req_id:
            raise Lost(f"a reply to request {got}, not {req_id}")
        if status != OK:
            raise error_for(_CODES.get(status, grpc.StatusCode.UNKNOWN), payload.decode("utf-8", "replace"), self.url)
        return getattr(pb, method + "Response").FromString(payload)

    def _connection(self) -> _Conn:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            sock = socket.create_connection(self.address, timeout=CONNECT_TIMEOUT_S)
            sock.settimeout(None)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._local.conn = conn = _Conn(sock)
            self._open.add(conn)
            sock.sendall(request_frame(0, HELLO, f"Bearer {self.token}".encode()))
            _, status, payload = parse_reply(conn.read())
            if status != OK:
                self.close_thread()
                raise error_for(_CODES.get(status, grpc.StatusCode.UNKNOWN), payload.decode("utf-8", "replace"),
                                self.url)
        return conn

    def close_thread(self) -> None:
        """Close this thread's connection (the next call opens another)."""
        conn = getattr(self._local, "conn", None)
        self._local.conn = None
        if conn is not None:
            conn.close()

    def close(self) -> None:
        """Close every thread's connection (the client is done)."""
        for conn in list(self._open):
            conn.close()


_CODES = {code.value[0]: code for code in grpc.StatusCode}
