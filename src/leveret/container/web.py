"""A web function's requests in its container (leveret/web.py; the server's gateway.py sends them):
each input is one request, ``(scope, body)`` — its ASGI scope and its whole body — and the
function's answer streams back as a generator's items, in plain values only (the gateway reads
them without unpickling code): first ``(status, headers)``, then each piece of the body (bytes)
as the app sends it — a server-sent-events response reaches its client event by event.

    asgi     the function, called at the first request, returns the app (its lifespan started
             then); each request runs it: the body as one http.request, its http.response.*
             messages passed on as they come (what is queued already goes as one piece)
    fastapi  the function is the one route of a FastAPI app made here (FastAPI is in the image),
             answered as asgi
    wsgi     the function returns a WSGI app; each request runs it on the input's thread, its
             result's pieces passed on as it yields them
    server   the function, called at the first request, starts a server on the port; requests are
             passed to it once it listens (within startup_timeout), its answer read as it comes

Standard library only, as the rest of the bootstrap.
"""

from __future__ import annotations

import asyncio
import io
import socket
import sys
import threading
import time

HOP_BY_HOP = frozenset({b"connection", b"keep-alive", b"transfer-encoding", b"te", b"trailer", b"upgrade",
                        b"proxy-authenticate", b"proxy-authorization", b"content-length"})


def handler(fn, spec: dict):
    """What the runner calls for each input of the web function ``fn`` (the user's, as loaded)."""
    kind = spec.get("web_kind", "")
    if kind in ("asgi", "fastapi"):
        return _Asgi(fn if kind == "asgi" else lambda: _fastapi_app(fn, spec)).handle
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
        made = handler(getattr(instance.obj, name), spec)
        handlers[name] = _OnLoop(made).handle if spec["web_kind"] in ("asgi", "fastapi") else made
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
                cls.loop = asyncio.new_event_loop()
                threading.Thread(target=cls.loop.run_forever, daemon=True, name="leveret-web").start()
        return cls.loop

    def handle(self, *args):
        import queue

        items: queue.Queue = queue.Queue()

        async def pump() -> None:
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


class _Asgi:
    def __init__(self, make_app):
        self.app = _Once(make_app)
        self.started: asyncio.Future | None = None

    async def handle(self, scope: dict, body: bytes):
        app = self.app.get()
        if self.started is None:
            self.started = asyncio.ensure_future(_lifespan_startup(app))
        await self.started
        sent: asyncio.Queue = asyncio.Queue()   # ("head", status, headers) | ("body", bytes) | _END | an exception
        finished = asyncio.Event()
        request_sent = False

        async def receive() -> dict:
            nonlocal request_sent
            if not request_sent:
                request_sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            await finished.wait()   # the response is sent: the client is gone as far as the app is concerned
            return {"type": "http.disconnect"}

        async def send(message: dict) -> None:
            if message["type"] == "http.response.start":
                sent.put_nowait(("head", message["status"], list(message.get("headers", ()))))
            elif message["type"] == "http.response.body":
                sent.put_nowait(("body", bytes(message.get("body", b""))))
                if not message.get("more_body", False):
                    finished.set()

        async def run() -> None:
            try:
                await app(dict(scope), receive, send)
                sent.put_nowait(_END)
            except BaseException as exc:   # (cancelled: the generator below is being closed)
                sent.put_nowait(exc)
            finally:
                finished.set()

        task = asyncio.ensure_future(run())
        head, pending = False, None
        try:
            while True:
                item, pending = (pending if pending is not None else await sent.get()), None
                if item is _END:
                    break
                if isinstance(item, BaseException):
                    raise item
                if item[0] == "head":
                    head = True
                    yield int(item[1]), _kept(item[2])
                    continue
                if not head:
                    raise RuntimeError("the ASGI app sent a body before http.response.start")
                data = item[1]
                while not sent.empty():   # what came meanwhile goes as one piece
                    following = sent.get_nowait()
                    if not (isinstance(following, tuple) and following[0] == "body"):
                        pending = following
                        break
                    data += following[1]
                if data:
                    yield data
            if not head:
                raise RuntimeError("the ASGI app returned without answering (no http.response.start)")
        finally:
            if not task.done():
                task.cancel()


_END = object()


async def _lifespan_startup(app) -> None:
    """Run the app's lifespan startup, once per container; an app without lifespan support is fine."""
    loop = asyncio.get_running_loop()
    started, sent = loop.create_future(), False

    async def receive() -> dict:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "lifespan.startup"}
        await loop.create_future()   # shutdown: when the container ends (not told yet)

    async def send(message: dict) -> None:
        if message["type"] == "lifespan.startup.complete" and not started.done():
            started.set_result(None)
        elif message["type"] == "lifespan.startup.failed" and not started.done():
            started.set_exception(RuntimeError(f"the app's lifespan startup failed: {message.get('message', '')}"))

    async def run() -> None:
        try:
            await app({"type": "lifespan", "asgi": {"version": "3.0"}}, receive, send)
        except BaseException:
            pass   # an app that does not speak lifespan raises here
        if not started.done():
            started.set_result(None)

    asyncio.ensure_future(run())
    await started


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

    def handle(self, scope: dict, body: bytes):
        app = self.app.get()
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
            return int(str(started[0]).split(" ", 1)[0]), _kept((k.encode("latin-1"), v.encode("latin-1"))
                                                                 for k, v in started[1])

        result = app(_environ(scope, body), start_response)
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


def _environ(scope: dict, body: bytes) -> dict:
    server = scope.get("server") or ("localhost", 80)
    environ = {
        "REQUEST_METHOD": scope["method"], "SCRIPT_NAME": scope.get("root_path", ""),
        "PATH_INFO": scope["path"], "QUERY_STRING": scope.get("query_string", b"").decode("latin-1"),
        "SERVER_NAME": str(server[0]), "SERVER_PORT": str(server[1]),
        "SERVER_PROTOCOL": f"HTTP/{scope.get('http_version', '1.1')}",
        "wsgi.version": (1, 0), "wsgi.url_scheme": scope.get("scheme", "http"), "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr, "wsgi.multithread": True, "wsgi.multiprocess": False, "wsgi.run_once": False,
        "CONTENT_LENGTH": str(len(body)),
    }
    for name, value in scope.get("headers", ()):
        key = name.decode("latin-1").upper().replace("-", "_")
        text = value.decode("latin-1")
        if key == "CONTENT_TYPE":
            environ["CONTENT_TYPE"] = text
        elif key != "CONTENT_LENGTH":
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

    def handle(self, scope: dict, body: bytes):
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
            conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body)
            response = conn.getresponse()
            yield response.status, _kept((k.encode("latin-1"), v.encode("latin-1")) for k, v in response.getheaders())
            while data := response.read1(1 << 16):   # as it comes: an event stream event by event
                yield data
        finally:
            conn.close()


def _kept(headers) -> list[tuple[bytes, bytes]]:
    """An answer's headers, as plain bytes, but those of one hop (the gateway sets its own)."""
    return [(bytes(k), bytes(v)) for k, v in headers if bytes(k).lower() not in HOP_BY_HOP]
