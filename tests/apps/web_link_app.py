"""Web functions whose warm containers take requests on their links (tests/integration/test_web_links.py)."""

import asyncio
import hashlib
import json

import leveret

app = leveret.App("web-link-app")


async def _asgi(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            if (await receive())["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            else:
                return
    digest, size = hashlib.sha256(), 0
    while True:   # the body, read as it comes
        message = await receive()
        digest.update(message.get("body", b""))
        size += len(message.get("body", b""))
        if not message.get("more_body"):
            break
    path = scope["path"]
    if path == "/crash":
        raise RuntimeError("the app broke on purpose")
    if path == "/slow":
        await asyncio.sleep(60)
    if path == "/nap":
        await asyncio.sleep(0.3)
    if path == "/events":   # server-sent events, a while apart
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/event-stream")]})
        for i in range(3):
            await send({"type": "http.response.body", "body": f"data: {i}\n\n".encode(), "more_body": True})
            await asyncio.sleep(0.5)
        await send({"type": "http.response.body", "body": b""})
        return
    if path == "/flood":   # 32 MiB in pieces, as fast as the app can send them (its sends wait when held back)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        for _ in range(128):
            await send({"type": "http.response.body", "body": b"f" * (256 << 10), "more_body": True})
        await send({"type": "http.response.body", "body": b""})
        return
    if path == "/big":   # an answer past HTTP/2's first windows, in pieces
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/octet-stream")]})
        for i in range(8):
            await send({"type": "http.response.body", "body": bytes([65 + i]) * 100_000, "more_body": True})
        await send({"type": "http.response.body", "body": b""})
        return
    answer = {"path": path, "query": scope["query_string"].decode(), "bytes": size, "sha256": digest.hexdigest(),
              "http_version": scope["http_version"], "scheme": scope["scheme"], "client": scope["client"],
              "forwarded": [k.decode() for k, _ in scope["headers"] if k.startswith(b"x-leveret")]}
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": json.dumps(answer).encode()})


@app.function()
@leveret.concurrent(max_inputs=4)
@leveret.asgi_app()
def fast():
    return _asgi


@app.function(timeout=1)
@leveret.asgi_app()
def brief():
    return _asgi


def _wsgi(environ, start_response):
    body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [f"{environ['REQUEST_METHOD']} {environ['PATH_INFO']} ".encode(), body]


@app.function()
@leveret.wsgi_app()
def site():
    return _wsgi
