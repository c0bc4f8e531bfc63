"""An ASGI app's requests (web.py's asgi and fastapi kinds): each input ``(scope, body, more)`` runs
the app once, its messages turned into the answer's items (web.py's docstring lists them).

    http       receive(): the first piece of the body (``more``: the rest follows), then each piece
               the gateway sends (feeds.py) — asked for by a credit of WINDOW bytes, then one as
               each piece is read, so a 1 GiB upload is never held whole; then http.disconnect
               once the answer is sent. send(): http.response.start ─▶ (status, headers) item;
               its body ─▶ bytes items (what is queued already goes as one piece, up to WINDOW);
               past WINDOW not yet taken, send() waits (an app streaming faster than its
               client reads is held back, as a server's send awaits its socket)
    websocket  receive(): websocket.connect, then each message the client sends (feeds.py: b"t" +
               text, b"b" + bytes, b"c" + close code: the last) as websocket.receive / disconnect.
               As for a body, an int item is a credit: WINDOW bytes of messages once accepted, then
               each message's size as the app takes it (a client that sends faster than the app
               reads is held back at the gateway, not queued here).
               send(): websocket.accept ─▶ ("accept", subprotocol, headers) item; websocket.send
               ─▶ a str or bytes item; websocket.close ─▶ ("close", code, reason) (before accept:
               a 403 answer)
    lifespan   started at the first request, once per container; shut down when the container
               stops (shutdown_all, from serve.py: within SHUTDOWN_S)

Standard library only, as the rest of the bootstrap.
"""

from __future__ import annotations

import asyncio
import threading

from . import feeds
from .channel import current_input

WINDOW = 1 << 20   # request body bytes the gateway may send ahead of what the app has read
SHUTDOWN_S = 5.0   # an app's lifespan shutdown may take this long when its container stops
HOP_BY_HOP = frozenset({b"connection", b"keep-alive", b"transfer-encoding", b"te", b"trailer", b"upgrade",
                        b"proxy-authenticate", b"proxy-authorization", b"content-length"})
_END = object()


_running: list = []   # the Lifespans started in this container


class Asgi:
    def __init__(self, app):
        self.app = app   # web._Once: the app, made at the first request
        self.lifespan: Lifespan | None = None

    async def handle(self, scope: dict, body: bytes, more: bool = False):
        app = self.app.get()
        if self.lifespan is None:
            self.lifespan = Lifespan(app)
            _running.append(self.lifespan)
        await self.lifespan.started
        # ("first", item) | ("body", bytes) | ("item", item) | _END | an exception
        sent: asyncio.Queue = asyncio.Queue()
        websocket = scope.get("type") == "websocket"
        feed = feeds.open_feed(current_input()) if more or websocket else None
        session = (_WebSocket if websocket else _Http)(sent, feed, body, more)

        async def run() -> None:
            try:
                await app(dict(scope), session.receive, session.send)
                sent.put_nowait(_END)
            except BaseException as exc:   # (cancelled: the generator below is being closed)
                sent.put_nowait(exc)
            finally:
                session.finished.set()

        task = asyncio.ensure_future(run())
        first, pending = False, None
        try:
            while True:
                entry, pending = (pending if pending is not None else await sent.get()), None
                if entry is _END:
                    break
                if isinstance(entry, BaseException):
                    raise entry
                kind, value = entry
                if kind == "item":
                    yield value
                    continue
                if kind == "first":
                    first = True
                    yield value
                    continue
                if not first:
                    raise RuntimeError("the ASGI app sent a body before http.response.start")
                while not sent.empty() and len(value) < WINDOW:   # what came meanwhile goes as one piece
                    following = sent.get_nowait()
                    if not (isinstance(following, tuple) and following[0] == "body"):
                        pending = following
                        break
                    value += following[1]
                session.took(len(value))
                if value:
                    yield value
            if not first:
                if not websocket:
                    raise RuntimeError("the ASGI app returned without answering (no http.response.start)")
                yield 403, []   # it ended the WebSocket without accepting it
        finally:
            if not task.done():
                task.cancel()
            if feed is not None:
                feed.close()


class _Http:
    def __init__(self, sent: asyncio.Queue, feed, body: bytes, more: bool):
        self.sent, self.feed, self.body, self.more = sent, feed, body, more
        self.finished = asyncio.Event()
        self.request_sent = self.asked = False
        self.queued = 0   # body bytes sent by the app and not yet taken as items
        self.room = asyncio.Event()   # set while that is at most WINDOW: the app's send() waits for it
        self.room.set()

    def took(self, n: int) -> None:
        self.queued -= n
        if self.queued <= WINDOW:
            self.room.set()

    async def receive(self) -> dict:
        if not self.request_sent:
            self.request_sent = True
            return {"type": "http.request", "body": self.body, "more_body": self.more}
        if self.more:
            if not self.asked:   # the gateway sends nothing before it is asked
                self.asked = True
                self.sent.put_nowait(("item", WINDOW))
            data, end = await self.feed.aget()
            self.more = not end
            if data and self.more:   # read: as much more may come
                self.sent.put_nowait(("item", len(data)))
            return {"type": "http.request", "body": data, "more_body": self.more}
        await self.finished.wait()   # the response is sent: the client is gone as far as the app is concerned
        return {"type": "http.disconnect"}

    async def send(self, message: dict) -> None:
        if message["type"] == "http.response.start":
            self.sent.put_nowait(("first", (int(message["status"]), kept(message.get("headers", ())))))
        elif message["type"] == "http.response.body":
            body = bytes(message.get("body", b""))
            self.queued += len(body)
            self.sent.put_nowait(("body", body))
            if self.queued > WINDOW:   # its answer is not taken as fast as it is made: the app waits
                self.room.clear()
                await self.room.wait()
            if not message.get("more_body", False):
                self.finished.set()


class _WebSocket:
    def __init__(self, sent: asyncio.Queue, feed, body: bytes, more: bool):
        self.sent, self.feed = sent, feed
        self.finished = asyncio.Event()
        self.connected = self.accepted = self.gone = False

    async def receive(self) -> dict:
        if not self.connected:
            self.connected = True
            return {"type": "websocket.connect"}
        if not self.gone:
            data, end = await self.feed.aget()
            self.sent.put_nowait(("item", len(data)))   # read: the gateway may send that much more
            tag, rest = data[:1], data[1:]
            if tag == b"t":
                return {"type": "websocket.receive", "text": rest.decode()}
            if tag == b"b":
                return {"type": "websocket.receive", "bytes": bytes(rest)}
            self.gone = True
            self.code = int(rest or 1005)
        return {"type": "websocket.disconnect", "code": self.code}

    async def send(self, message: dict) -> None:
        kind = message["type"]
        if kind == "websocket.accept":
            self.accepted = True
            self.sent.put_nowait(("first", ("accept", message.get("subprotocol"), kept(message.get("headers", ())))))
            self.sent.put_nowait(("item", WINDOW))   # the client's messages the gateway may send ahead
        elif kind == "websocket.send":
            text = message.get("text")
            self.sent.put_nowait(("item", text if text is not None else bytes(message.get("bytes") or b"")))
        elif kind == "websocket.close":
            if self.accepted:
                self.sent.put_nowait(("item", ("close", int(message.get("code", 1000)), message.get("reason") or "")))
            else:   # refused: an HTTP answer
                self.sent.put_nowait(("first", (403, [])))
            self.finished.set()
        else:
            raise RuntimeError(f"an ASGI WebSocket app sent {kind!r}, which this server does not take")


class Lifespan:
    """An app's lifespan on the loop of its first request: started now, shut down by shutdown()
    (from another thread) when the container stops. An app that does not speak lifespan is fine."""

    def __init__(self, app):
        self.loop = asyncio.get_running_loop()
        self.started = self.loop.create_future()
        self._stop = self.loop.create_future()
        self.ended = threading.Event()   # its shutdown completed or failed, or the app returned
        asyncio.ensure_future(self._run(app))

    async def _run(self, app) -> None:
        sent = []

        async def receive() -> dict:
            if not sent:
                sent.append(1)
                return {"type": "lifespan.startup"}
            await self._stop
            return {"type": "lifespan.shutdown"}

        async def send(message: dict) -> None:
            kind = message["type"]
            if kind == "lifespan.startup.complete" and not self.started.done():
                self.started.set_result(None)
            elif kind == "lifespan.startup.failed" and not self.started.done():
                self.started.set_exception(RuntimeError(f"the app's lifespan startup failed: {message.get('message', '')}"))
            elif kind in ("lifespan.shutdown.complete", "lifespan.shutdown.failed"):
                self.ended.set()

        try:
            await app({"type": "lifespan", "asgi": {"version": "3.0"}}, receive, send)
        except BaseException:
            pass   # an app that does not speak lifespan raises here
        finally:
            self.ended.set()
        if not self.started.done():
            self.started.set_result(None)

    def shutdown(self) -> None:
        """Ask the app to shut down (from any thread); ``ended`` is set once it has."""
        def stop() -> None:
            if not self._stop.done():
                self._stop.set_result(None)

        try:
            self.loop.call_soon_threadsafe(stop)
        except RuntimeError:   # its loop is closed: nothing of it runs any more
            self.ended.set()


def shutdown_all(timeout: float = SHUTDOWN_S) -> None:
    """The container stops: each app that started its lifespan shuts down, within ``timeout`` in all."""
    import time

    deadline = time.monotonic() + timeout
    for lifespan in _running:
        lifespan.shutdown()
    for lifespan in _running:
        lifespan.ended.wait(max(0.0, deadline - time.monotonic()))
    _running.clear()


def kept(headers) -> list[tuple[bytes, bytes]]:
    """An answer's headers, as plain bytes, but those of one hop (the gateway sets its own)."""
    return [(bytes(k), bytes(v)) for k, v in headers if bytes(k).lower() not in HOP_BY_HOP]
