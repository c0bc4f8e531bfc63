"""Streamed request bodies and WebSockets in a web function's container (container/web.py, asgi.py,
feeds.py), without a cluster: each kind asks for the rest of a body by credits and reads it piece by
piece as the gateway would send it, never more than a window ahead; an ASGI WebSocket's messages
both ways; what comes for an input with no feed open is dropped."""

import asyncio
import hashlib
import http.server
import threading

from leveret.container import feeds, web
from leveret.container.asgi import WINDOW
from leveret.container.channel import CURRENT_INPUT

SCOPE = {"type": "http", "method": "POST", "path": "/up", "root_path": "", "query_string": b"",
         "headers": [(b"content-type", b"application/octet-stream")], "http_version": "1.1", "scheme": "http",
         "server": ["gw", 80]}
PIECE = 100_000


class Gateway:
    """Sends a body's rest as the container's credits allow, as server/gateway.py's _Upload does."""

    def __init__(self, input_id: str, rest: bytes):
        self.input_id, self.rest, self.window, self.ahead = input_id, rest, 0, 0
        self.most_ahead = 0   # the most sent and not yet taken by the app, as the credits tell

    def credit(self, n: int) -> None:
        self.window += n
        self.ahead -= n if self.ahead else 0
        while self.window > 0 and self.rest is not None:
            piece, self.rest = self.rest[:min(PIECE, self.window)], self.rest[min(PIECE, self.window):]
            feeds.put(self.input_id, piece, not piece)
            self.window -= len(piece)
            self.ahead += len(piece)
            self.most_ahead = max(self.most_ahead, self.ahead)
            if not piece:
                self.rest = None


def answer(gen, gateway: Gateway) -> list:
    """The handler's items but the credits, which go to the gateway."""
    out = []
    if hasattr(gen, "__anext__"):
        async def gather():
            async for item in gen:
                gateway.credit(item) if type(item) is int else out.append(item)

        asyncio.run(gather())
    else:
        for item in gen:
            gateway.credit(item) if type(item) is int else out.append(item)
    return out


def body(n: int) -> bytes:
    return bytes(i % 251 for i in range(n))


def test_an_asgi_app_reads_a_streamed_body_piece_by_piece_within_the_window():
    async def app(scope, receive, send):
        if scope["type"] == "lifespan":
            return
        digest, pieces = hashlib.sha256(), 0
        while True:
            message = await receive()
            digest.update(message["body"])
            pieces += 1
            if not message["more_body"]:
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": f"{digest.hexdigest()} {pieces}".encode()})

    data = body(5 * WINDOW + 123)
    CURRENT_INPUT.set("in-asgi")
    gateway = Gateway("in-asgi", data[1000:])
    items = answer(web.handler(lambda: app, {"web_kind": "asgi"})(SCOPE, data[:1000], True), gateway)
    digest, pieces = items[1].decode().split()
    assert items[0] == (200, []) and digest == hashlib.sha256(data).hexdigest() and int(pieces) > 5
    assert gateway.most_ahead <= WINDOW


def test_a_wsgi_app_reads_a_streamed_body_with_read_and_readline():
    def app(environ, start_response):
        stream = environ["wsgi.input"]
        first_line = stream.readline()
        rest = stream.read()
        start_response("200 OK", [("X-Length", environ.get("CONTENT_LENGTH", "-"))])
        return [first_line, hashlib.sha256(rest).hexdigest().encode()]

    data = b"header line\n" + body(3 * WINDOW)
    scope = {**SCOPE, "headers": [(b"content-length", str(len(data)).encode())]}
    CURRENT_INPUT.set("in-wsgi")
    gateway = Gateway("in-wsgi", data[50:])
    items = answer(web.handler(lambda: app, {"web_kind": "wsgi"})(scope, data[:50], True), gateway)
    assert items[0] == (200, [(b"X-Length", str(len(data)).encode())])
    assert b"".join(items[1:]) == b"header line\n" + hashlib.sha256(data[12:]).hexdigest().encode()
    assert gateway.most_ahead <= WINDOW


def test_a_web_servers_request_gets_a_streamed_body_chunked_or_with_its_length():
    seen = []

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            if self.headers.get("Transfer-Encoding") == "chunked":
                got = b""
                while (size := int(self.rfile.readline(), 16)) > 0:
                    got += self.rfile.read(size)
                    self.rfile.readline()
                self.rfile.readline()
            else:
                got = self.rfile.read(int(self.headers["Content-Length"]))
            seen.append(self.headers.get("Transfer-Encoding") or "length")
            answer = hashlib.sha256(got).hexdigest().encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        handle = web.handler(lambda: None, {"web_kind": "server", "web_port": server.server_address[1]})
        data = body(2 * WINDOW + 7)
        for n, headers in enumerate(([], [(b"content-length", str(len(data)).encode())])):
            CURRENT_INPUT.set(f"in-server-{n}")
            items = answer(handle({**SCOPE, "headers": headers}, data[:10], True), Gateway(f"in-server-{n}", data[10:]))
            assert items[0][0] == 200 and items[1] == hashlib.sha256(data).hexdigest().encode()
        assert seen == ["chunked", "length"]
    finally:
        server.shutdown()
        server.server_close()


def test_an_asgi_websocket_both_ways_and_a_refusal():
    async def app(scope, receive, send):
        if scope["type"] == "lifespan":
            return
        assert (await receive())["type"] == "websocket.connect"
        if scope["path"] == "/no":
            await send({"type": "websocket.close"})
            return
        await send({"type": "websocket.accept", "subprotocol": scope["subprotocols"][0]})
        while True:
            message = await receive()
            if message["type"] == "websocket.disconnect":
                await send({"type": "websocket.send", "text": f"gone {message['code']}"})   # (the gateway drops it)
                return
            if message.get("text") == "close":
                await send({"type": "websocket.close", "code": 4000, "reason": "done"})
                return
            await send({"type": "websocket.send", "text": message["text"].upper()} if message.get("text") is not None
                       else {"type": "websocket.send", "bytes": message["bytes"] * 2})

    handle = web.handler(lambda: app, {"web_kind": "asgi", "max_inputs": "10"})   # (@concurrent: an async generator)
    scope = {"type": "websocket", "path": "/", "subprotocols": ["p1"], "headers": [], "query_string": b""}

    async def talk(messages: list[bytes]):
        CURRENT_INPUT.set("in-ws")
        got = []
        async for item in handle(scope, b"", False):
            got.append(item)
            if isinstance(item, tuple) and item[0] == "accept":   # the gateway feeds the client's messages once it is accepted
                for i, m in enumerate(messages):
                    feeds.put("in-ws", m, i == len(messages) - 1)
        return got

    def split(got: list) -> tuple[list, list]:   # (what goes to the client, the credits: WINDOW, then each message read)
        return [i for i in got if type(i) is not int], [i for i in got if type(i) is int]

    assert split(asyncio.run(talk([b"thi", b"b\x01\x02", b"tclose"]))) == (
        [("accept", "p1", []), "HI", b"\x01\x02\x01\x02", ("close", 4000, "done")], [WINDOW, 3, 3, 6])
    assert split(asyncio.run(talk([b"tx", b"c1001"]))) == ([("accept", "p1", []), "X", "gone 1001"], [WINDOW, 2, 5])
    CURRENT_INPUT.set("in-no")
    assert answer(handle({**scope, "path": "/no"}, b"", False), Gateway("in-no", b"")) == [(403, [])]
    feeds.put("in-no", b"late", True)   # its feed is closed: dropped, nothing kept
    assert "in-no" not in feeds._open and "in-ws" not in feeds._open


def test_one_at_a_time_an_asgi_app_runs_on_a_loop_that_lasts_across_items_and_requests():
    loops = set()

    async def app(scope, receive, send):
        if scope["type"] == "lifespan":
            await receive()
            await send({"type": "lifespan.startup.complete"})
            await receive()   # shutdown: never sent; this task lives on with the loop
            return
        loops.add(asyncio.get_running_loop())
        await send({"type": "http.response.start", "status": 200, "headers": []})
        for piece in (b"a", b"b", b"c"):   # each after an await: a streamed answer
            await asyncio.sleep(0.01)
            await send({"type": "http.response.body", "body": piece, "more_body": piece != b"c"})

    handle = web.handler(lambda: app, {"web_kind": "asgi"})   # max_inputs 1: the runner iterates it as it is
    CURRENT_INPUT.set("in-loop")
    for _ in range(2):
        gen = handle(SCOPE, b"", False)
        assert not hasattr(gen, "__anext__")
        assert list(gen) == [(200, []), b"a", b"b", b"c"]
    assert len(loops) == 1 and next(iter(loops)).is_running()


def test_an_asgi_apps_lifespan_shuts_down_when_the_container_stops():
    from leveret.container import asgi

    said = []

    async def app(scope, receive, send):
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                said.append(message["type"])
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                else:
                    await asyncio.sleep(0.05)   # closing its pools
                    said.append("closed")
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def no_lifespan(scope, receive, send):
        if scope["type"] == "lifespan":
            raise RuntimeError("no lifespan here")
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    CURRENT_INPUT.set("in-life")
    assert list(web.handler(lambda: app, {"web_kind": "asgi"})(SCOPE, b"", False)) == [(204, [])]
    assert list(web.handler(lambda: no_lifespan, {"web_kind": "asgi"})(SCOPE, b"", False)) == [(200, []), b"ok"]
    assert said == ["lifespan.startup"]
    asgi.shutdown_all(timeout=5)
    assert said == ["lifespan.startup", "lifespan.shutdown", "closed"] and not asgi._running


def test_an_asgi_app_streaming_faster_than_its_answer_is_taken_waits_in_its_send():
    """Its sends wait once WINDOW is queued and not taken; no item is more than WINDOW."""
    made = []

    async def app(scope, receive, send):
        if scope["type"] == "lifespan":
            return
        await send({"type": "http.response.start", "status": 200, "headers": []})
        for _ in range(128):   # 8 MiB, no await point of its own but send
            await send({"type": "http.response.body", "body": b"z" * (64 << 10), "more_body": True})
            made.append(1)
        await send({"type": "http.response.body", "body": b""})

    handle = web.handler(lambda: app, {"web_kind": "asgi", "max_inputs": "10"})

    async def slow_client():
        CURRENT_INPUT.set("in-slow")
        sizes, made_then = [], None
        async for item in handle({"type": "http", "path": "/", "headers": [], "query_string": b""}, b"", False):
            if isinstance(item, bytes):
                sizes.append(len(item))
                if made_then is None:   # the first piece taken: the app runs on while this one waits
                    await asyncio.sleep(0.2)
                    made_then = len(made)
        return sizes, made_then

    sizes, made_then = asyncio.run(slow_client())
    assert sum(sizes) == 8 << 20 and max(sizes) <= WINDOW + (64 << 10)
    assert made_then * (64 << 10) <= 2 * WINDOW + (64 << 10)   # held back, not all 8 MiB made at once
