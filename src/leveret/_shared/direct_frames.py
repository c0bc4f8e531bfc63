"""The direct port's frames (_wire/direct.py says the protocol), for the SDK, the server and the
worker that opens its containers' connections (worker/direct_handover.py), and ``FrameClient``,
the blocking client both of the SDK's kinds build on: bytes only, no protobuf here."""

from __future__ import annotations

import collections
import itertools
import os
import socket
import struct
import threading
import time
import weakref
from typing import Callable

HELLO = "Hello"
WEB_SERVE = "WebServe"   # a web function's container makes its connection its link (server/web_links.py)
OK = 0
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


def hello(token: str) -> bytes:
    """The first frame on a server's direct port."""
    return request_frame(0, HELLO, f"Bearer {token}".encode())


async def frames_from(reader):
    """Each whole frame's body from an asyncio stream as it comes, until the stream ends."""
    buffer = bytearray()
    while data := await reader.read(1 << 20):
        buffer += data
        for body in take_frames(buffer):
            yield body


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
    """The connection broke (the server, or the worker, went away): the call may go another way."""


class Refused(Exception):
    """A reply with a status other than OK: the refusal's gRPC status code and message."""

    def __init__(self, status: int, message: str):
        super().__init__(f"status {status}: {message}")
        self.status, self.message = status, message


_CHUNK = 256 * 1024


def _spin_s() -> float:
    """How long a caller polls for a reply before it sleeps in recv: a reply often comes within a
    Dict call's time, and a thread woken from sleep (a process whose core went idle, more so in a
    virtual machine) costs tens of microseconds more than one that is awake — a third of a call.
    Up to this long, a call spends its core's time instead; none where there is one core only, for
    the other end needs it. LEVERET_DIRECT_SPIN_US sets it (0: never poll)."""
    raw = os.environ.get("LEVERET_DIRECT_SPIN_US", "200")
    if not raw.strip().isdigit():
        raise ValueError(f"LEVERET_DIRECT_SPIN_US is a whole number of microseconds (0: never poll), not {raw!r}")
    return int(raw) / 1e6 if len(os.sched_getaffinity(0)) > 1 else 0.0


SPIN_S = _spin_s()
CONNECT_TIMEOUT_S = 5.0   # a port a firewall drops: the call goes another way, soon


class _Conn:
    """A thread's connection, closed when the thread ends (its thread-local goes) or on close()."""

    def __init__(self, sock: socket.socket, spin_s: float):
        self.sock, self.buffer, self.spin_s = sock, bytearray(), spin_s
        self.frames: collections.deque[bytes] = collections.deque()   # read whole, not yet asked for
        # Received into, again and again: a fresh buffer for each recv (of as much as a large
        # reply may bring) would be mapped and unmapped each time, costing more than the call.
        self._chunk = memoryview(bytearray(_CHUNK))
        # Closed when this goes, even in a cycle of garbage (an exception's frames held it): the
        # collector calls this before the socket's own finalizer would warn.
        self.close = weakref.finalize(self, sock.close)
        self.pid = os.getpid()   # a forked child makes its own: two processes on one socket would mix replies

    def read(self) -> bytes:
        """The next frame's body (one request at a time on a connection: its reply)."""
        while True:
            if self.frames:
                return self.frames.popleft()
            self.frames.extend(take_frames(self.buffer))
            if self.frames:
                continue
            n = self._recv()
            if not n:
                raise Lost("the other end closed the connection")
            self.buffer += self._chunk[:n]

    def _recv(self) -> int:
        """Receive into the chunk: polling for up to ``spin_s`` first (SPIN_S says why)."""
        if self.spin_s:
            deadline = time.perf_counter() + self.spin_s
            while True:
                try:
                    return self.sock.recv_into(self._chunk, 0, socket.MSG_DONTWAIT)
                except BlockingIOError:
                    if time.perf_counter() > deadline:
                        break
        return self.sock.recv_into(self._chunk)


def dial(address: tuple[str, int] | str) -> socket.socket:
    """A blocking connection to ``address``: (host, port), or a unix socket's path (an abstract
    one's name after a NUL)."""
    if isinstance(address, str):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.connect(address)
        except OSError:
            sock.close()
            raise
        return sock
    sock = socket.create_connection(address, timeout=CONNECT_TIMEOUT_S)
    sock.settimeout(None)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def read_frame(sock: socket.socket, start: bytes = b"") -> bytes:
    """One whole frame's body from a blocking socket on which nothing else comes after it (an
    opening's answer), ``start`` being its first bytes if some were read already."""
    data = bytearray(start)

    def size() -> int | None:
        return _LEN.unpack_from(data)[0] if len(data) >= _LEN.size else None

    while size() is None or len(data) - _LEN.size < size():
        if (size() or 0) > MAX_FRAME:
            raise Lost(f"a frame of {size()} bytes: at most {MAX_FRAME}")
        more = sock.recv(1 << 16)
        if not more:
            raise Lost("the other end closed the connection")
        data += more
    if len(data) - _LEN.size > size():
        raise Lost("more than the answer came before a request")
    return bytes(data[_LEN.size:])


class FrameClient:
    """Blocking requests from whatever thread asks, on a connection of that thread's: ``address``
    (host, port), or a unix socket's path; ``opening``, the first frame, answered by an OK reply."""

    spin_s = SPIN_S   # polling for a reply before sleeping (_spin_s)

    def __init__(self, address: tuple[str, int] | str, opening: bytes):
        self.address = address
        self.opening = opening
        self._local = threading.local()
        self._ids = itertools.count(1)
        self._open: weakref.WeakSet[_Conn] = weakref.WeakSet()   # every thread's: close() ends them all

    def exchange(self, method: str, payload: bytes | Callable[[], bytes]) -> bytes:
        """The reply's payload; Refused (not OK), or Lost if the connection broke and a fresh one
        (a server restarted since) broke too. ``payload`` may be made once connected (``opened``
        has been told what the other end said)."""
        for attempt in (1, 2):
            try:
                conn = self._connection()
                return self._exchange(conn, method, payload() if callable(payload) else payload)
            except Refused:
                raise
            except (OSError, Lost) as exc:
                self.close_thread()
                if attempt == 2:
                    raise Lost(str(exc)) from None
            except BaseException:   # interrupted (Ctrl-C in a blocked get): its reply must not answer the
                self.close_thread()   # next call; the server, seeing the connection closed, stops waiting
                raise
        raise AssertionError("unreachable")

    def _exchange(self, conn: _Conn, method: str, payload: bytes) -> bytes:
        req_id = next(self._ids) & 0xFFFFFFFF
        conn.sock.sendall(request_frame(req_id, method, payload))
        got, status, reply = parse_reply(conn.read())
        if got != req_id:
            raise Lost(f"a reply to request {got}, not {req_id}")
        if status != OK:
            raise Refused(status, reply.decode("utf-8", "replace"))
        return reply

    def _connection(self) -> _Conn:
        conn = getattr(self._local, "conn", None)
        if conn is not None and conn.pid != os.getpid():
            conn = self._local.conn = None   # the parent's (closing it here leaves the parent's open)
        if conn is None:
            self._local.conn = conn = _Conn(self.connect(), self.spin_s)
            self._open.add(conn)
        return conn

    def connect(self) -> socket.socket:
        """A connection whose opening was answered OK (``opened`` told the answer); Refused if not."""
        sock = dial(self.address)
        try:
            sock.sendall(self.opening)
            _, status, reply = parse_reply(read_frame(sock))
            if status != OK:
                raise Refused(status, reply.decode("utf-8", "replace"))
            self.opened(reply)
        except BaseException:
            sock.close()
            raise
        return sock

    def opened(self, reply: bytes) -> None:
        """What the other end answered the opening with (a subclass may need it)."""

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
