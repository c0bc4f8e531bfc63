"""A web function's direct link: requests from the gateway straight to this container, answered on
the same connection — no hop through the worker, the dispatcher's queue or the store (the
server's web_links.py is the other end; its README says when the gateway takes it).

    serve.py, once Hello is said ─start()─▶ a thread: DirectOpen on the container's socket ─▶ the
        worker hands over a connection to the server's direct port made with the container's token
        (worker/direct_handover.py) ─WebServe─▶ the server's OK: the connection is this
        container's link from now on
    gateway ─REQUEST (id, its arguments: web.py's (scope, body, more), an @app.cls's method
        first)─▶ the handler the queued inputs run (web.handler / class_handler): an ASGI app's
        on the event loop it lives on, any other on a thread ─▶ each item of its answer, as it
        comes: BYTES (a piece of the body), ITEM (any other, pickled: plain values only), then
        DONE, or FAILED with why
    gateway ─BODY / BODY_END (the rest of the body, as credits ask)─▶ the request's feed (feeds.py)
    gateway ─CANCEL─▶ its task cancelled (the client went away, or it ran past its timeout)

No link (the server has no direct port, the worker cannot reach it): the gateway sends every
request as an input, as before. The link's end ends what runs on it. Standard library only.
"""

from __future__ import annotations

import os
import pickle
import socket
import struct
import threading

from . import feeds
from . import protocol as P
from .channel import CURRENT_INPUT

FRAME = struct.Struct(">IIB")   # payload length, request id, kind (network order: the server may be another host)
# gateway → container
REQUEST, BODY, BODY_END, CANCEL = 1, 2, 3, 4
# container → gateway
ITEM, BYTES, DONE, FAILED = 1, 2, 3, 4
# the direct port's frame (_shared/direct_frames.py, which the bootstrap may not import): length, id,
# a request's method name's length or a reply's status
_DIRECT = struct.Struct(">IIB")
SERVE = b"WebServe"


def key(request_id: int) -> str:
    """What a direct request is known by in this container: its feed's name, and its log lines' input."""
    return f"web-{request_id}"


def start(handler, runner, max_inputs: int) -> None:
    """Open the link (on a thread of its own) and serve the gateway's requests with ``handler``
    (what ``runner`` runs the queued ones with) until it ends, at most ``max_inputs`` at once."""
    threading.Thread(target=_run, args=(handler, _loop_of(handler, runner), max_inputs), daemon=True,
                     name="leveret-web-link").start()


def _loop_of(handler, runner):
    """An ASGI app's handler: (its async generator function, the event loop its app lives on);
    else None (a handler run on threads)."""
    from .web import _OnLoop

    owner = getattr(handler, "__self__", None)
    if isinstance(owner, _OnLoop):   # one request at a time: the app's loop of its own
        return owner.agen_fn, owner._loop()
    if getattr(runner, "is_async", False):   # @concurrent: the runner's loop
        return handler, runner.loop
    return None


def _run(handler, on_loop, max_inputs: int) -> None:
    try:
        sock = _open(os.environ[P.ENV_SOCKET])
    except (OSError, ValueError, EOFError):
        return   # no link: the gateway sends this container's requests as inputs
    if sock is None:
        return
    if on_loop is None:
        Link(sock, handler, max_inputs).serve()
        return
    import asyncio

    agen_fn, loop = on_loop
    sock.setblocking(False)
    asyncio.run_coroutine_threadsafe(loop.connect_accepted_socket(lambda: LoopLink(agen_fn, loop), sock), loop)


def _open(path: str):
    """The server's connection, handed over by the worker and made this container's link; None if refused."""
    worker = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    fds: list = []
    try:
        worker.connect(path)
        worker.sendall(P.encode(P.DirectOpen()))
        data, fds, _, _ = socket.recv_fds(worker, 1 << 16, 1)
        if not data or len(fds) != 1:
            return None   # the worker made no connection to the server
        server = socket.socket(fileno=fds.pop())
    finally:
        worker.close()
        for fd in fds:
            os.close(fd)
    try:
        server.sendall(struct.pack(">I", _DIRECT.size - 4 + len(SERVE)) + struct.pack(">IB", 1, len(SERVE)) + SERVE)
        length, _, status = _DIRECT.unpack(_read(server, _DIRECT.size))
        _read(server, length + 4 - _DIRECT.size)   # the reply's message
        if status != 0:
            server.close()
            return None
        if server.family != socket.AF_UNIX:
            server.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return server
    except BaseException:
        server.close()
        raise


def _read(sock, n: int) -> bytes:
    parts, left = [], n
    while left:
        got = sock.recv(left)
        if not got:
            raise EOFError("the link ended")
        parts.append(got)
        left -= len(got)
    return b"".join(parts)


def _frames(buffer: bytearray):
    """(request id, kind, payload) of each whole frame at the start of ``buffer``, removed from it."""
    at = 0
    while len(buffer) - at >= FRAME.size:
        length, rid, kind = FRAME.unpack_from(buffer, at)
        start = at + FRAME.size
        if len(buffer) - start < length:
            break
        yield rid, kind, bytes(buffer[start:start + length])
        at = start + length
    del buffer[:at]


def _item_frame(rid: int, item) -> bytes:
    if type(item) is bytes:
        return FRAME.pack(len(item), rid, BYTES) + item
    data = pickle.dumps(item, protocol=4)
    return FRAME.pack(len(data), rid, ITEM) + data


def _failed_frame(rid: int, exc: BaseException) -> bytes:
    import sys
    import traceback

    traceback.print_exception(type(exc), exc, exc.__traceback__, file=sys.stderr)   # in its logs
    why = f"{type(exc).__name__}: {exc}".encode("utf-8", "replace")
    return FRAME.pack(len(why), rid, FAILED) + why


class LoopLink:
    """The link of an ASGI app's container, on the event loop the app lives on (an asyncio
    protocol): each request a task of that loop; what they send goes in one write per pass of it."""

    def __init__(self, agen_fn, loop):
        self.agen_fn, self.loop = agen_fn, loop
        self.buffer = bytearray()
        self.running: dict = {}   # request id -> its task
        self.out: list = []   # frames for the next write
        self.transport = None
        self.writable = None   # an asyncio.Event, cleared while the link's buffer is over its high-water mark

    def connection_made(self, transport) -> None:
        import asyncio

        self.transport = transport
        self.writable = asyncio.Event()
        self.writable.set()

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        for rid, kind, payload in _frames(self.buffer):
            if kind == REQUEST:
                args, _ = pickle.loads(payload)   # the server's (args, kwargs) of plain values, as an input's
                self.running[rid] = self.loop.create_task(self._run(rid, args))
            elif kind in (BODY, BODY_END):
                feeds.put(key(rid), payload, kind == BODY_END)
            elif kind == CANCEL:
                task = self.running.get(rid)
                if task is not None:
                    task.cancel()

    def eof_received(self):
        return None

    def connection_lost(self, exc) -> None:
        self.transport = None
        self.writable.set()
        for task in list(self.running.values()):
            task.cancel()

    def pause_writing(self) -> None:   # the gateway takes less than is sent: answers wait (the apps' sends, next)
        self.writable.clear()

    def resume_writing(self) -> None:
        self.writable.set()

    async def _run(self, rid: int, args) -> None:
        import asyncio

        CURRENT_INPUT.set(key(rid))
        try:
            async for item in self.agen_fn(*args):
                self._send(_item_frame(rid, item))
                if not self.writable.is_set():
                    await self.writable.wait()
            self._send(FRAME.pack(0, rid, DONE))
        except asyncio.CancelledError:
            self._send(FRAME.pack(9, rid, FAILED) + b"cancelled")
        except BaseException as exc:
            self._send(_failed_frame(rid, exc))
        finally:
            self.running.pop(rid, None)

    def _send(self, frame: bytes) -> None:
        if not self.out:
            self.loop.call_soon(self._flush)
        self.out.append(frame)

    def _flush(self) -> None:
        out, self.out = self.out, []
        if self.transport is not None:   # (else the link ended: the gateway answered what ran on it)
            self.transport.write(b"".join(out))


class Link:
    """The link of a container whose handler runs on threads (WSGI, web_server, an @app.cls's
    web methods): a thread reads it, each request runs on one of ``max_inputs`` threads."""

    def __init__(self, sock, handler, max_inputs: int):
        from concurrent.futures import ThreadPoolExecutor

        self.sock, self.handler = sock, handler
        self._lock = threading.Lock()
        self.pool = ThreadPoolExecutor(max_workers=max(1, max_inputs), thread_name_prefix="web")

    def serve(self) -> None:
        buffer = bytearray()
        try:
            while data := self.sock.recv(1 << 18):
                buffer += data
                for rid, kind, payload in _frames(buffer):
                    if kind == REQUEST:
                        self.pool.submit(self._run, rid, pickle.loads(payload)[0])
                    elif kind in (BODY, BODY_END):
                        feeds.put(key(rid), payload, kind == BODY_END)
                    elif kind == CANCEL:   # its body's end, so what waits for more does not wait forever
                        feeds.put(key(rid), b"", True)
        except OSError:
            pass
        finally:
            self.sock.close()

    def _run(self, rid: int, args) -> None:
        CURRENT_INPUT.set(key(rid))
        try:
            for item in self.handler(*args):
                self._send(_item_frame(rid, item))
            self._send(FRAME.pack(0, rid, DONE))
        except BaseException as exc:
            self._send(_failed_frame(rid, exc))

    def _send(self, frame: bytes) -> None:
        try:
            with self._lock:
                self.sock.sendall(frame)
        except OSError:
            pass   # the link ended: the gateway answered what ran on it
