"""The gateway: an HTTP server of the server process, on its own port, that answers web functions'
requests (leveret/web.py) by running each as an input of the function.

    GET /APP/LABEL/rest?q ─resolve─▶ the function (APP: a deployed app's live version; APP-dev: the
        newest running ephemeral app of that name) ─▶ arguments (ASGI scope, the body's first
        piece, whether more follows) ─▶ a warm container with room: straight to it on its link
        (web_links.py), its answer read as below ─▶ else an input, a "web" call, queued as any call:
        containers start for it and scale with the requests (new_call) ─▶ its outputs, a
        generator's items read without unpickling code (_plain_loads): (status, headers), then
        each piece of the body, written on as it comes
    the rest of the body ─▶ sent to the running input (Dispatcher.feed_input) as its container
        asks: an int item is a credit of that many bytes (container/asgi.py), so a large upload
        streams through, never held whole
    a WebSocket (Upgrade: websocket) ─▶ the same input, scope type "websocket"; its first item
        ("accept", subprotocol, headers) upgrades the connection, then str / bytes items are
        messages to the client and ("close", code, reason) closes it; the client's messages are
        fed to the input (b"t" + text, b"b" + bytes, b"c" + close code: the last) as its credits
        (int items) let them: while none are left the client's are not read
    a failed input: 502, a timed-out one: 504, no such function or app: 404, a function with
    requires_proxy_auth without a proxy token's Modal-Key/Modal-Secret: 401, each with a short body
    saying why; a client that goes away cancels its input

HTTP/1.1 here (aiohttp); HTTP/2 connections are gateway_h2.py's, which passes each stream on to
this side.
"""

from __future__ import annotations

import asyncio
import io
import logging
import pickle
from typing import TYPE_CHECKING

from aiohttp import WSMsgType, web

from .._shared.payloads import INLINE_LIMIT
from .._shared.status import FINAL, S
from .errors import NotFound
from .gateway_h2 import FORWARDED, forwarded
from .routes import TUNNEL, Routes

if TYPE_CHECKING:
    from .auth import Tokens
    from .dispatch import Dispatcher

log = logging.getLogger("leveret.server")

FIRST_PIECE = 256 * 1024     # of a request's body: sent with its input (the rest when the container asks)
PIECE = 256 * 1024           # each piece of the rest
WS_GRACE_S = 10.0            # a WebSocket app told its client left has this long to end before it is cancelled
PROXY_KEY, PROXY_SECRET = "Modal-Key", "Modal-Secret"   # a proxy token, as Modal's clients send it
# not passed to the app: a proxy token, what gateway_h2.py says of a request's client
_NOT_TO_APP = frozenset({PROXY_KEY.lower().encode(), PROXY_SECRET.lower().encode(), FORWARDED.lower().encode()})
# Headers of one hop: not passed through a tunnel; nor a request's Host, nor an answer's length
# (aiohttp writes its own, the answer streams)
_HOP = frozenset({b"connection", b"keep-alive", b"transfer-encoding", b"te", b"trailer", b"upgrade",
                  b"proxy-authenticate", b"proxy-authorization"})
_NOT_SENT, _NOT_RETURNED = _HOP | {b"host", FORWARDED.lower().encode()}, _HOP | {b"content-length"}


class Gateway:
    """Answers requests to the web functions ``routes`` finds."""

    def __init__(self, dispatcher: "Dispatcher", routes: Routes, tokens: "Tokens"):
        self.d, self.routes, self.tokens = dispatcher, routes, tokens
        self.session = None   # tunnels' client (aiohttp), made at the first

    def application(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self.handle)
        app.on_cleanup.append(self._close)
        return app

    async def _close(self, app) -> None:
        self.routes.tcp.close_all()
        if self.session is not None:
            await self.session.close()

    async def handle(self, request: web.Request) -> web.StreamResponse:
        sub = self.routes.host_part(request.host)
        if sub is not None and sub.startswith("tu-"):   # a tunnel's host name
            return await self._tunnel(request, sub, request.path_qs)
        parts = request.path.split("/", 3)
        if sub is None and len(parts) >= 3 and parts[1] == TUNNEL:   # /_tunnel/ID/...
            query = f"?{request.query_string}" if request.query_string else ""
            return await self._tunnel(request, parts[2], "/" + (parts[3] if len(parts) > 3 else "") + query)
        if sub is not None:   # LABEL.DOMAIN: the whole path is the app's
            route, why = self.routes.resolve_host(sub)
            root_path, path = "", request.path
        else:   # /APP/LABEL/rest
            if len(parts) < 3 or not parts[1] or not parts[2]:
                return _text(404, "a web function's URL is /APP/LABEL/...: `leveret app list` shows them")
            route, why = self.routes.resolve(parts[1], parts[2])
            root_path, path = f"/{parts[1]}/{parts[2]}", "/" + (parts[3] if len(parts) > 3 else "")
        if route is None:
            return _text(409 if why.startswith("several apps") else 404, why)
        fn = route.fn
        if route.auth and not self.tokens.proxy_allows(request.headers.get(PROXY_KEY), request.headers.get(PROXY_SECRET)):
            return _text(401, f"missing or wrong credentials for proxy authorization: send a proxy token's id and"
                              f" secret as the {PROXY_KEY} and {PROXY_SECRET} headers (`leveret token create --proxy"
                              " NAME` makes one)")
        websocket = _is_websocket(request)
        first, more = (b"", False) if websocket else await _first_piece(request)
        scope = _scope(request, root_path, path, websocket)
        # a class's web method: the method first, as an @app.cls's inputs name theirs
        request_args = (scope, first, more)
        args = pickle.dumps((((route.method, *request_args) if route.method else request_args), {}), protocol=4)
        name = f"{fn.name}.{route.method}" if route.method else fn.name
        link = None if websocket or len(args) > INLINE_LIMIT else self.d.web_links.pick(self.d.deployments.current(fn))
        if link is not None:   # a container with room holds a link: straight to it (web_links.py)
            direct = link.request(args)
            try:
                return await self._answer(request, name, direct.items(_plain_loads),
                                          _Upload(direct.feed, request.content) if more else None)
            except asyncio.CancelledError:   # the client went away
                direct.cancel()
                raise
        blob = ""
        if len(args) > INLINE_LIMIT:
            blob, _ = await self.d.blobs.receive(_one(args), len(args))
            args = b""
        try:
            call = self.d.new_call(fn.function_id, "web", [(0, args, blob)], 1)
        except NotFound as exc:   # its app stopped since the route was found
            return _text(404, exc.message)
        try:
            if websocket:
                return await self._websocket(request, name, call)
            return await self._answer(request, name, self._items(call),
                                      _Upload(_call_feed(self.d, call), request.content) if more else None)
        except asyncio.CancelledError:   # the client went away
            self.d.cancel_call(call, "its HTTP client went away")
            raise

    async def _tunnel(self, request: web.Request, tunnel_id: str, target: str) -> web.StreamResponse:
        """A request passed to a tunnel's port as it is, its answer back as it comes (both streamed)."""
        import aiohttp

        h2 = forwarded(request)   # (an HTTP/2 request's client, as gateway_h2.py says it)
        client = str(h2[1][0]) if h2 is not None and h2[1] else (request.remote or "")
        found, why = self.routes.tunnel(tunnel_id, client)
        if found is None:
            return _text(403 if "inbound_cidr_allowlist" in why else 404, why)
        if self.session is None:
            self.session = aiohttp.ClientSession(auto_decompress=False, timeout=aiohttp.ClientTimeout(total=None))
        host = f"[{found.host}]" if ":" in found.host else found.host
        headers = {k: v for k, v in request.headers.items() if k.lower().encode() not in _NOT_SENT}
        if _is_websocket(request):
            return await self._tunnel_websocket(request, tunnel_id, f"ws://{host}:{found.port}{target}", headers)
        try:
            async with self.session.request(request.method, f"http://{host}:{found.port}{target}", headers=headers,
                                            data=request.content if request.body_exists else None,
                                            allow_redirects=False) as upstream:
                response = web.StreamResponse(status=upstream.status)
                for key, value in upstream.headers.items():
                    if key.lower().encode() not in _NOT_RETURNED:
                        response.headers.add(key, value)
                await response.prepare(request)
                async for piece in upstream.content.iter_any():
                    await response.write(piece)
                await response.write_eof()
                return response
        except aiohttp.ClientConnectionError as exc:
            return _text(502, f"tunnel {tunnel_id}: nothing answers on port {found.port} of its container ({exc})")

    async def _tunnel_websocket(self, request: web.Request, tunnel_id: str, url: str, headers: dict):
        """A WebSocket through a tunnel: one to the container's port, messages relayed both ways."""
        import aiohttp

        offered = [p.strip() for p in request.headers.get("Sec-WebSocket-Protocol", "").split(",") if p.strip()]
        kept = {k: v for k, v in headers.items() if not k.lower().startswith("sec-websocket-")}
        try:
            upstream = await self.session.ws_connect(url, protocols=offered, headers=kept, autoping=False)
        except aiohttp.WSServerHandshakeError as exc:
            return _text(exc.status, f"tunnel {tunnel_id}: its port refused the WebSocket ({exc.message})")
        except aiohttp.ClientConnectionError as exc:
            return _text(502, f"tunnel {tunnel_id}: nothing answers on its container's port ({exc})")
        ws = web.WebSocketResponse(protocols=(upstream.protocol,) if upstream.protocol else (), autoping=False)
        await ws.prepare(request)

        async def relay(source, sink) -> None:
            async for msg in source:
                if msg.type == WSMsgType.TEXT:
                    await sink.send_str(msg.data)
                elif msg.type == WSMsgType.BINARY:
                    await sink.send_bytes(msg.data)
                elif msg.type == WSMsgType.PING:
                    await sink.ping(msg.data)
                elif msg.type == WSMsgType.PONG:
                    await sink.pong(msg.data)
            await sink.close(code=source.close_code or 1000)

        async with upstream:
            done, pending = await asyncio.wait((asyncio.ensure_future(relay(ws, upstream)),
                                                asyncio.ensure_future(relay(upstream, ws))),
                                               return_when=asyncio.FIRST_COMPLETED)
            for task in pending:
                task.cancel()
        return ws

    async def _items(self, call):
        """The web call's answer as it comes: ("item", a plain value) each, then ("done", None), or
        ("failed", its final output)."""
        while True:
            if not call.outputs:
                if call.done:
                    yield "failed", None   # (cancelled: its app stopped)
                    return
                await call.wait_beyond(0)
                continue
            (out,) = call.take(1)   # passed on once: a long answer is not held whole here
            if out.status == S.GENERATOR_DONE:
                yield "done", None
                return
            if out.status != S.GENERATOR_ITEM:
                if out.status in FINAL:
                    yield "failed", out
                    return
                continue
            data = out.data
            if out.data_blob_id:   # a piece over 2 MiB: read, then gone (nothing reads it again)
                data = b"".join([chunk async for chunk in self.d.blobs.send(out.data_blob_id)])
                self.d.blobs.delete([out.data_blob_id])
            try:
                yield "item", _plain_loads(data)
            except (pickle.UnpicklingError, EOFError, ValueError) as exc:
                yield "failed", f"answered what is not an HTTP response: {exc}"
                return

    async def _answer(self, request: web.Request, name: str, items, upload: "_Upload | None") -> web.StreamResponse:
        """The function's answer as it comes (``items``: as ``_items`` gives them): its first item
        the status and headers, then each piece of the body written on at once (container/web.py);
        a failure before the first item is a status of its own, after it the connection is cut
        (its status is sent already)."""
        response: web.StreamResponse | None = None
        try:
            async for kind, item in items:
                if kind == "done":
                    if response is None:
                        return _text(502, f"the web function {name} answered nothing")
                    await response.write_eof()
                    return response
                if kind == "failed":
                    if response is not None:   # too late for a status: the client sees the body cut short
                        log.info("web function %s failed while answering: %s", name, getattr(item, "message", item))
                        request.transport.close()
                        return response
                    return _failure(name, item)
                if type(item) is int:   # a credit: more of the request's body may go
                    if upload is not None:
                        upload.credit(item)
                    continue
                try:
                    if response is None:
                        status, headers = item
                        response = web.StreamResponse(status=int(status))
                        for key, value in headers:
                            response.headers.add(_header(key), _header(value))
                        await response.prepare(request)
                    else:
                        await response.write(bytes(item))
                except (TypeError, ValueError) as exc:
                    log.info("web function %s answered what is not an HTTP response: %s", name, exc)
                    if response is not None:
                        request.transport.close()
                        return response
                    return _text(502, f"the web function {name} answered what is not an HTTP response: {exc}")
        finally:
            if upload is not None:
                upload.close()
        return _failure(name, None)

    async def _websocket(self, request: web.Request, name: str, call) -> web.StreamResponse:
        """A WebSocket: upgraded once the app accepts it, then messages both ways until either closes."""
        ws: web.WebSocketResponse | None = None
        feeding: asyncio.Future | None = None
        window = _Window()   # the client's messages the app may be sent ahead of what it read
        try:
            async for kind, item in self._items(call):
                if kind != "item":
                    if ws is None:
                        return (_text(502, f"the web function {name} ended the WebSocket without accepting it")
                                if kind == "done" else _failure(name, item))
                    await ws.close(code=1000 if kind == "done" else 1011)
                    return ws
                if ws is None:
                    if isinstance(item, tuple) and len(item) == 3 and item[0] == "accept":
                        ws = web.WebSocketResponse(protocols=(item[1],) if item[1] else ())
                        for key, value in item[2]:
                            ws.headers.add(_header(key), _header(value))
                        await ws.prepare(request)
                        feeding = asyncio.ensure_future(self._ws_feed(ws, call, window))
                    else:   # refused (status, headers): an HTTP answer
                        return _text(int(item[0]), f"the web function {name} refused the WebSocket")
                elif type(item) is int:   # a credit: the app read that much
                    window.credit(item)
                elif isinstance(item, str):
                    await ws.send_str(item)
                elif isinstance(item, (bytes, bytearray)):
                    await ws.send_bytes(bytes(item))
                elif isinstance(item, tuple) and item and item[0] == "close":
                    await ws.close(code=int(item[1]), message=str(item[2]).encode())
            return ws if ws is not None else _failure(name, None)
        finally:
            if feeding is not None:
                feeding.cancel()

    async def _ws_feed(self, ws: web.WebSocketResponse, call, window: "_Window") -> None:
        """The client's messages to the input as its window lets them go (while it is shut, the
        client's are not read: TCP holds it back), then its leaving; an app that does not end soon
        after is cancelled."""
        at = ""   # the container the messages go to
        async for msg in ws:
            if msg.type == WSMsgType.TEXT:
                data = b"t" + msg.data.encode()
            elif msg.type == WSMsgType.BINARY:
                data = b"b" + msg.data
            else:
                continue
            await window.take(len(data))
            at = self.d.feed_input(call, data, False, at)
            if not at:
                return
        self.d.feed_input(call, b"c%d" % (ws.close_code or 1005), True, at)
        await asyncio.sleep(WS_GRACE_S)
        self.d.cancel_call(call, "its WebSocket client left and it did not end")


class _Window:
    """Bytes that may go to the app ahead of what it took (credits); one message may overdraw it."""

    def __init__(self):
        self.room = 0
        self.more = asyncio.Event()

    def credit(self, n: int) -> None:
        self.room += n
        self.more.set()

    async def wait(self) -> int:
        """The room there is, once there is some."""
        while self.room <= 0:
            self.more.clear()
            await self.more.wait()
        return self.room

    async def take(self, n: int) -> None:
        await self.wait()
        self.room -= n


def _call_feed(dispatcher: "Dispatcher", call):
    """``feed(data, end)``: more of a web call's request body to its running input; False once
    nothing takes it."""
    at = [""]   # the container the body goes to

    def feed(data: bytes, end: bool) -> bool:
        at[0] = dispatcher.feed_input(call, data, end, at[0])
        return bool(at[0])

    return feed


class _Upload:
    """The rest of a request's body, on (``feed``) as its container asks: credits (ints among the
    answer's items) say how many more bytes may go, so at most a window's worth is on its way."""

    def __init__(self, feed, content):
        self.feed, self.content = feed, content
        self.window = _Window()
        self.task: asyncio.Future | None = None

    def credit(self, n: int) -> None:
        self.window.credit(n)
        if self.task is None:
            self.task = asyncio.ensure_future(self._send())

    async def _send(self) -> None:
        while True:
            piece = await self.content.read(min(PIECE, await self.window.wait()))
            if not self.feed(piece, not piece) or not piece:
                return
            self.window.room -= len(piece)

    def close(self) -> None:
        if self.task is not None:
            self.task.cancel()


def _is_websocket(request: web.Request) -> bool:
    return request.method == "GET" and request.headers.get("Upgrade", "").lower() == "websocket"


async def _first_piece(request: web.Request) -> tuple[bytes, bool]:
    """Up to FIRST_PIECE bytes of the body, and whether more may follow."""
    if not request.body_exists:
        return b"", False
    parts, size = [], 0
    while size < FIRST_PIECE:
        chunk = await request.content.read(FIRST_PIECE - size)
        if not chunk:
            return b"".join(parts), False
        parts.append(chunk)
        size += len(chunk)
    return b"".join(parts), not request.content.at_eof()


def _failure(name: str, out) -> web.Response:
    if isinstance(out, str):
        return _text(502, f"the web function {name} {out}")
    if out is None or out.status == S.CANCELLED:
        return _text(503, "the request was cancelled before its function answered (its app stopped?)")
    if out.status == S.TIMEOUT:
        return _text(504, f"the web function {name} did not answer within its timeout: {out.message}")
    return _text(502, f"the web function {name} failed: {out.message or S(out.status).name.lower()}")


async def _one(data: bytes):
    yield data


def _header(value) -> str:
    return value.decode("latin-1") if isinstance(value, (bytes, bytearray)) else str(value)


def _text(status: int, text: str) -> web.Response:
    return web.Response(status=status, text=text + "\n", headers={"X-Leveret-Gateway": "1"})


def _scope(request: web.Request, root_path: str, path: str, websocket: bool = False) -> dict:
    """The ASGI HTTP (or WebSocket) scope of a request to the function mounted at ``root_path``."""
    peer = request.transport.get_extra_info("peername") if request.transport else None
    client, scheme, version = (list(peer[:2]) if isinstance(peer, tuple) else None), request.scheme, \
        f"{request.version.major}.{request.version.minor}"
    h2 = forwarded(request)   # an HTTP/2 request, passed on by gateway_h2.py
    if h2 is not None:
        scheme, client, version = h2
    host = request.host.rsplit(":", 1)
    extra = {"method": request.method, "scheme": scheme}
    if websocket:
        extra = {"scheme": "wss" if request.secure else "ws",
                 "subprotocols": [p.strip() for p in request.headers.get("Sec-WebSocket-Protocol", "").split(",")
                                  if p.strip()]}
    return {
        "type": "websocket" if websocket else "http", "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": version, **extra, "path": path, "raw_path": path.encode(),
        "root_path": root_path, "query_string": request.query_string.encode(),
        "headers": [(k.lower(), v) for k, v in request.raw_headers if k.lower() not in _NOT_TO_APP],
        "client": client,
        "server": [host[0], int(host[1])] if len(host) == 2 and host[1].isdigit() else [host[0], 80],
    }


class _Plain(pickle.Unpickler):
    """Reads a pickle of plain values only (numbers, bytes, str, tuples, lists, dicts): a container's
    answer is user code's, and unpickling anything else could run code in the server."""

    def find_class(self, module, name):
        raise pickle.UnpicklingError(f"{module}.{name}: a web function's answer holds plain values only")


def _plain_loads(data: bytes):
    return _Plain(io.BytesIO(data)).load()
