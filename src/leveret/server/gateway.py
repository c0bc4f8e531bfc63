"""The gateway: an HTTP server of the server process, on its own port, that answers web functions'
requests (leveret/web.py) by running each as an input of the function.

    GET /APP/LABEL/rest?q ─resolve─▶ the function (APP: a deployed app's live version; APP-dev: the
        newest running ephemeral app of that name) ─▶ an input whose arguments are (ASGI scope,
        body) ─▶ a "web" call, queued as any call: containers start for it and scale with the
        requests (new_call) ─▶ its outputs, a generator's items read without unpickling code
        (_plain_loads): (status, headers), then each piece of the body, written on as it comes
    a failed input: 502, a timed-out one: 504, no such function or app: 404, a function with
    requires_proxy_auth without a proxy token's Modal-Key/Modal-Secret: 401, each with a short body
    saying why; a client that goes away cancels its input

A request's body is whole (up to MAX_BODY, as a blob past the inline limit); the answer streams
(a server-sent-events response event by event). WebSockets and streamed request bodies come next.
"""

from __future__ import annotations

import asyncio
import io
import logging
import pickle
from typing import TYPE_CHECKING

from aiohttp import web

from .._shared.payloads import INLINE_LIMIT
from .._shared.status import FINAL, S
from .errors import NotFound
from .routes import TUNNEL, Routes

if TYPE_CHECKING:
    from .auth import Tokens
    from .dispatch import Dispatcher

log = logging.getLogger("leveret.server")

MAX_BODY = 64 * 1024 * 1024   # a request's body, held whole until bodies stream
PROXY_KEY, PROXY_SECRET = "Modal-Key", "Modal-Secret"   # a proxy token, as Modal's clients send it
_CREDENTIALS = frozenset({PROXY_KEY.lower().encode(), PROXY_SECRET.lower().encode()})   # not passed to the app
# Headers of one hop: not passed through a tunnel; nor a request's Host, nor an answer's length
# (aiohttp writes its own, the answer streams)
_HOP = frozenset({b"connection", b"keep-alive", b"transfer-encoding", b"te", b"trailer", b"upgrade",
                  b"proxy-authenticate", b"proxy-authorization"})
_NOT_SENT, _NOT_RETURNED = _HOP | {b"host"}, _HOP | {b"content-length"}


class Gateway:
    """Answers requests to the web functions ``routes`` finds."""

    def __init__(self, dispatcher: "Dispatcher", routes: Routes, tokens: "Tokens"):
        self.d, self.routes, self.tokens = dispatcher, routes, tokens
        self.session = None   # tunnels' client (aiohttp), made at the first

    def application(self) -> web.Application:
        app = web.Application(client_max_size=MAX_BODY)
        app.router.add_route("*", "/{tail:.*}", self.handle)
        app.on_cleanup.append(self._close)
        return app

    async def _close(self, app) -> None:
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
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return _text(413, f"a request's body is at most {MAX_BODY // (1024 * 1024)} MiB here (bodies are not"
                              " streamed yet)")
        scope = _scope(request, root_path, path)
        # a class's web method: the method first, as an @app.cls's inputs name theirs
        args = pickle.dumps((((route.method, scope, body) if route.method else (scope, body)), {}), protocol=4)
        blob = ""
        if len(args) > INLINE_LIMIT:
            blob, _ = await self.d.blobs.receive(_one(args), len(args))
            args = b""
        try:
            call = self.d.new_call(fn.function_id, "web", [(0, args, blob)], 1)
        except NotFound as exc:   # its app stopped since the route was found
            return _text(404, exc.message)
        try:
            return await self._answer(request, f"{fn.name}.{route.method}" if route.method else fn.name, call)
        except asyncio.CancelledError:   # the client went away
            self.d.cancel_call(call, "its HTTP client went away")
            raise

    async def _tunnel(self, request: web.Request, tunnel_id: str, target: str) -> web.StreamResponse:
        """A request passed to a tunnel's port as it is, its answer back as it comes (both streamed)."""
        import aiohttp

        found, why = self.routes.tunnel(tunnel_id)
        if found is None:
            return _text(404, why)
        if self.session is None:
            self.session = aiohttp.ClientSession(auto_decompress=False, timeout=aiohttp.ClientTimeout(total=None))
        host = f"[{found.host}]" if ":" in found.host else found.host
        headers = {k: v for k, v in request.headers.items() if k.lower().encode() not in _NOT_SENT}
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

    async def _answer(self, request: web.Request, name: str, call) -> web.StreamResponse:
        """The function's answer as it comes: its first item the status and headers, then each piece
        of the body written on at once (container/web.py); a failure before the first item is a
        status of its own, after it the connection is cut (its status is sent already)."""
        response: web.StreamResponse | None = None
        while True:
            if not call.outputs:
                if call.done:
                    break
                await call.wait_beyond(0)
                continue
            (out,) = call.take(1)   # passed on once: a long answer is not held whole here
            if out.status == S.GENERATOR_DONE:
                if response is None:
                    return _text(502, f"the web function {name} answered nothing")
                await response.write_eof()
                return response
            if out.status != S.GENERATOR_ITEM:
                if out.status not in FINAL:
                    continue
                if response is not None:   # too late for a status: the client sees the body cut short
                    log.info("web function %s failed while answering: %s", name, out.message)
                    request.transport.close()
                    return response
                return _failure(name, out)
            data = out.data
            if out.data_blob_id:   # a piece over 2 MiB: read, then gone (nothing reads it again)
                data = b"".join([chunk async for chunk in self.d.blobs.send(out.data_blob_id)])
                self.d.blobs.delete([out.data_blob_id])
            try:
                item = _plain_loads(data)
                if response is None:
                    status, headers = item
                    response = web.StreamResponse(status=int(status))
                    for key, value in headers:
                        response.headers.add(_header(key), _header(value))
                    await response.prepare(request)
                else:
                    await response.write(bytes(item))
            except (pickle.UnpicklingError, TypeError, ValueError) as exc:
                log.info("web function %s answered what is not an HTTP response: %s", name, exc)
                if response is not None:
                    request.transport.close()
                    return response
                return _text(502, f"the web function {name} answered what is not an HTTP response: {exc}")
        return _text(503, "the request was cancelled before its function answered (its app stopped?)")


def _failure(name: str, out) -> web.Response:
    if out.status == S.CANCELLED:
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


def _scope(request: web.Request, root_path: str, path: str) -> dict:
    """The ASGI HTTP scope of a request to the function mounted at ``root_path``."""
    peer = request.transport.get_extra_info("peername") if request.transport else None
    host = request.host.rsplit(":", 1)
    return {
        "type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": f"{request.version.major}.{request.version.minor}",
        "method": request.method, "scheme": request.scheme, "path": path, "raw_path": path.encode(),
        "root_path": root_path, "query_string": request.query_string.encode(),
        "headers": [(k.lower(), v) for k, v in request.raw_headers if k.lower() not in _CREDENTIALS],
        "client": list(peer[:2]) if peer else None,
        "server": [host[0], int(host[1])] if len(host) == 2 and host[1].isdigit() else [host[0], 80],
    }


class _Plain(pickle.Unpickler):
    """Reads a pickle of plain values only (numbers, bytes, str, tuples, lists, dicts): a container's
    answer is user code's, and unpickling anything else could run code in the server."""

    def find_class(self, module, name):
        raise pickle.UnpicklingError(f"{module}.{name}: a web function's answer holds plain values only")


def _plain_loads(data: bytes):
    return _Plain(io.BytesIO(data)).load()
