"""A web function's requests in its container (leveret/web.py; the server's gateway.py sends them):
each input is one request, ``(scope, body, more)`` — its ASGI scope, the first piece of its body
and whether more follows (the gateway sends it when asked: feeds.py) — and the function's answer
streams back as a generator's items, in plain values only (the gateway reads them without
unpickling code): first ``(status, headers)``, then each piece of the body (bytes) as the app
sends it — a server-sent-events response reaches its client event by event. An int among them is
a credit: the gateway may send that many more bytes of the request's body. A WebSocket's items
are asgi.py's.

    asgi     the function, called at the first request, returns the app (its lifespan started
             then); each request runs it (asgi.py): HTTP, or a WebSocket both ways
    fastapi  the function is the one route of a FastAPI app made here (FastAPI is in the image),
             answered as asgi
    wsgi     the function returns a WSGI app; each request runs it on the input's thread, its
             result's pieces passed on as it yields them (a streamed body: on a thread of its own,
             so its credits go while the app reads)
    server   the function, called at the first request, starts a server on the port; requests are
             passed to it once it listens (within startup_timeout), its answer read as it comes
             (a streamed body: as the wsgi kind's); a WebSocket is relayed to it (wsclient.py)

Standard library only, as the rest of the bootstrap.
"""

from __future__ import annotations

import asyncio
import io
import queue
import socket
import sys
import threading
import time

from . import feeds, wsclient
from .asgi import HOP_BY_HOP, WINDOW, Asgi, kept
from .channel import CURRENT_INPUT, current_input
from .loops import loop_thread



def handler(fn, spec: dict, *, on_a_loop: bool | None = None):
    """What the runner calls for each input of the web function ``fn`` (the user's, as loaded).
    An ASGI app's handler is an async generator function for the runner's loop (@concurrent), else
    (``on_a_loop``) a generator whose app runs on a loop of its own that lasts (the app's tasks,
    its lifespan and a streamed answer outlive each item: _OnLoop)."""
    kind = spec.get("web_kind", "")
    if kind in ("asgi", "fastapi"):
        handle = Asgi(_Once(fn if kind == "asgi" else lambda: _fastapi_app(fn, spec))).handle
        if on_a_loop is None:
            on_a_loop = int(spec.get("max_inputs") or 1) == 1
        return _OnLoop(handle).handle if on_a_loop else handle
    if kind == "wsgi":
        return _Wsgi(fn).handle
    if kind == "server":
        return _Server(fn, int(spec.get("web_port") or 0), float(spec.get("web_startup_timeout") or 5)).handle
    raise ValueError(f"a web function of kind {kind!r}, which this container does not know: upgrade leveret")


def class_handler(instance, methods: dict):
    """What the runner calls for each input of an @app.cls with web methods (``methods``: name ->
    its config, as a web function's spec without the ``web_`` prefix): an input naming one of them
    is a request, answered by that method as ``handler`` answers a function's (a web_server
    method's server started now, with the container); the others are calls. The class's inputs
    run on threads (its methods may be plain functions), so an ASGI method's app runs on an event
    loop of its own, for the container's life (_OnLoop)."""
    handlers = {}
    for name, config in methods.items():
        spec = {"web_" + key: value for key, value in config.items()}
        made = handlers[name] = handler(getattr(instance.obj, name), spec, on_a_loop=True)
        try:
            start(made)   # a web_server method's server: with the container, as a function's
        except BaseException:   # kept: each of its requests fails with it
            import traceback

            traceback.print_exc()

    def call(method: str, *args, **kwargs):
        found = handlers.get(method)
        return found(*args, **kwargs) if found is not None else instance(method, *args, **kwargs)

    return call


class _OnLoop:
    """An async generator function's items, from a thread: it runs on a loop of its own."""

    loop: asyncio.AbstractEventLoop | None = None
    lock = threading.Lock()

    def __init__(self, agen_fn):
        self.agen_fn = agen_fn

    @classmethod
    def _loop(cls) -> asyncio.AbstractEventLoop:
        with cls.lock:
            if cls.loop is None:
                cls.loop = loop_thread("leveret-web")
        return cls.loop

    def handle(self, *args):
        items: queue.Queue = queue.Queue()
        input_id = current_input()   # (this thread's: the loop's task has its own context)

        async def pump() -> None:
            CURRENT_INPUT.set(input_id)
            try:
                async for item in self.agen_fn(*args):
                    items.put(("item", item))
                items.put(("end", None))
            except BaseException as exc:
                items.put(("error", exc))

        future = asyncio.run_coroutine_threadsafe(pump(), self._loop())
        try:
            while True:
                kind, value = items.get()
                if kind == "end":
                    return
                if kind == "error":
                    raise value
                yield value
        finally:
            future.cancel()   # closed early (the input cancelled): the app's task with it


def start(handle) -> None:
    """At the container's start: a web_server function's server started, and listening (within its
    startup_timeout) before the container says it is ready; the other kinds make their app at
    their first request. Raises what the start raised (the container's inputs then fail with it)."""
    owner = getattr(handle, "__self__", None)
    if isinstance(owner, _Server):
        owner.started.get()


class _Once:
    """The app, made by its first request (the others wait for it); made once, even if that fails."""

    def __init__(self, make):
        self.make, self.lock, self.made, self.value, self.error = make, threading.Lock(), False, None, None

    def get(self):
        with self.lock:
            if not self.made:
                self.made = True
                try:
                    self.value = self.make()
                except BaseException as exc:
                    self.error = exc
        if self.error is not None:
            raise self.error
        return self.value


def _fastapi_app(fn, spec: dict):
    try:
        from fastapi import FastAPI
        from fastapi.middleware.cors import CORSMiddleware
    except ImportError:
        raise ImportError("@leveret.fastapi_endpoint needs FastAPI in the function's image: e.g."
                          " image=leveret.Image.debian_slim().pip_install(\"fastapi[standard]\")") from None
    docs = bool(spec.get("web_docs"))
    app = FastAPI(docs_url="/docs" if docs else None, redoc_url=None, openapi_url="/openapi.json" if docs else None)
    app.add_api_route("/", fn, methods=[spec.get("web_method") or "GET"])
    app.add_middleware(CORSMiddleware, allow_origins=["*"], allow_credentials=True, allow_methods=["*"],
                       allow_headers=["*"])
    return app


class _Wsgi:
    def __init__(self, make_app):
        self.app = _Once(make_app)

    def handle(self, scope: dict, body: bytes, more: bool = False):
        app = self.app.get()
        if not more:
            return self._respond(app, _environ(scope, io.BytesIO(body), len(body)))
        return _threaded(lambda emit: self._respond(app, _environ(scope, _streamed(body, emit), None)))

    def _respond(self, app, environ: dict):
        started: list = []
        written: list[bytes] = []   # the old write() callable's pieces, sent before the result's

        def start_response(status, response_headers, exc_info=None):
            if exc_info and started:
                raise exc_info[1].with_traceback(exc_info[2])
            started[:] = [status, response_headers]
            return lambda data: written.append(bytes(data))

        def head() -> tuple:
            if not started:
                raise RuntimeError("the WSGI app returned without calling start_response")
            return int(str(started[0]).split(" ", 1)[0]), kept((k.encode("latin-1"), v.encode("latin-1"))
                                                                 for k, v in started[1])

        result = app(environ, start_response)
        try:
            head_sent = False
            for data in result:
                if not head_sent:
                    head_sent = True
                    yield head()
                pieces, written[:] = [*written, bytes(data)], []
                if any(pieces):
                    yield b"".join(pieces)
            if not head_sent:
                yield head()
            if written:
                yield b"".join(written)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()


def _environ(scope: dict, body, length: int | None) -> dict:
    """The WSGI environ of a request whose body reads from ``body`` (``length``: its size, if known
    here; else its Content-Length header's, if it has one)."""
    server = scope.get("server") or ("localhost", 80)
    environ = {
        "REQUEST_METHOD": scope["method"], "SCRIPT_NAME": scope.get("root_path", ""),
        "PATH_INFO": scope["path"], "QUERY_STRING": scope.get("query_string", b"").decode("latin-1"),
        "SERVER_NAME": str(server[0]), "SERVER_PORT": str(server[1]),
        "SERVER_PROTOCOL": f"HTTP/{scope.get('http_version', '1.1')}",
        "wsgi.version": (1, 0), "wsgi.url_scheme": scope.get("scheme", "http"), "wsgi.input": body,
        "wsgi.errors": sys.stderr, "wsgi.multithread": True, "wsgi.multiprocess": False, "wsgi.run_once": False,
    }
    if length is not None:
        environ["CONTENT_LENGTH"] = str(length)
    for name, value in scope.get("headers", ()):
        key = name.decode("latin-1").upper().replace("-", "_")
        text = value.decode("latin-1")
        if key == "CONTENT_TYPE":
            environ["CONTENT_TYPE"] = text
        elif key == "CONTENT_LENGTH":
            environ.setdefault(key, text)
        else:
            environ["HTTP_" + key] = environ["HTTP_" + key] + "," + text if "HTTP_" + key in environ else text
    return environ


class _Server:
    def __init__(self, start, port: int, startup_timeout: float):
        self.port = port
        self.started = _Once(lambda: self._start(start, startup_timeout))

    def _start(self, start, timeout: float) -> None:
        start()
        deadline = time.monotonic() + timeout
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"the web server did not listen on port {self.port} within {timeout:g} s"
                                       " (web_server's startup_timeout)") from None
                time.sleep(0.02)

    def handle(self, scope: dict, body: bytes, more: bool = False):
        if scope.get("type") == "websocket":
            return self._websocket(scope, current_input())
        if not more:
            return self._respond(scope, (body,), len(body))
        given = [v for k, v in scope.get("headers", ()) if k.lower() == b"content-length"]
        length = int(given[0]) if given and given[0].isdigit() else None
        return _threaded(lambda emit: self._respond(scope, _body_pieces(body, emit), length))

    def _websocket(self, scope: dict, input_id: str):
        self.started.get()
        yield from wsclient.relay(self.port, scope, input_id)

    def _respond(self, scope: dict, pieces, length: int | None):
        import http.client

        self.started.get()
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=None)
        try:
            target = scope.get("raw_path", scope["path"].encode()).decode("latin-1") or "/"
            if scope.get("query_string"):
                target += "?" + scope["query_string"].decode("latin-1")
            conn.putrequest(scope["method"], target, skip_host=True, skip_accept_encoding=True)
            for name, value in scope.get("headers", ()):
                if name.lower() not in HOP_BY_HOP:
                    conn.putheader(name.decode("latin-1"), value.decode("latin-1"))
            if length is None:
                conn.putheader("Transfer-Encoding", "chunked")
            else:
                conn.putheader("Content-Length", str(length))
            conn.endheaders()
            for piece in pieces:   # a streamed body's as they come
                if piece:
                    conn.send(piece if length is not None else b"%x\r\n%b\r\n" % (len(piece), piece))
            if length is None:
                conn.send(b"0\r\n\r\n")
            response = conn.getresponse()
            yield response.status, kept((k.encode("latin-1"), v.encode("latin-1")) for k, v in response.getheaders())
            while data := response.read1(1 << 16):   # as it comes: an event stream event by event
                yield data
        finally:
            conn.close()


def _body_pieces(first: bytes, emit):
    """A request's body as it comes: ``first``, then what the gateway sends when asked (feeds.py), a
    credit emitted as each piece is taken (so WINDOW bytes at most wait here)."""
    yield first
    feed = feeds.open_feed(current_input())
    try:
        emit(WINDOW)
        while True:
            data, end = feed.get()
            if end:
                yield data
                return
            emit(len(data))
            yield data
    finally:
        feed.close()


class _StreamedBody(io.RawIOBase):
    """A WSGI app's wsgi.input for a streamed body (buffered by io.BufferedReader: read, readline)."""

    def __init__(self, pieces):
        self.pieces, self.left = pieces, memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        while not self.left:
            piece = next(self.pieces, None)
            if piece is None:
                return 0
            self.left = memoryview(piece)
        n = min(len(b), len(self.left))
        b[:n], self.left = self.left[:n], self.left[n:]
        return n


def _streamed(first: bytes, emit) -> io.BufferedReader:
    return io.BufferedReader(_StreamedBody(_body_pieces(first, emit)), 1 << 16)


class _Raised:
    def __init__(self, exc: BaseException):
        self.exc = exc


def _threaded(respond):
    """The items of ``respond(emit)`` (a generator), made on a thread of its own, with what it gives
    ``emit`` (a streamed body's credits, while the app reads it) among them as it comes. Closed
    early (its input cancelled), the body ends for the app: a read of it returns what came."""
    items: queue.Queue = queue.Queue()
    input_id = current_input()

    def run() -> None:
        CURRENT_INPUT.set(input_id)
        try:
            for item in respond(items.put):
                items.put(item)
            items.put(_Raised(StopIteration()))
        except BaseException as exc:
            items.put(_Raised(exc))

    threading.Thread(target=run, daemon=True, name=f"leveret-web-{input_id}").start()
    try:
        while True:
            item = items.get()
            if isinstance(item, _Raised):
                if isinstance(item.exc, StopIteration):
                    return
                raise item.exc
            yield item
    finally:
        feeds.put(input_id, b"", True)
