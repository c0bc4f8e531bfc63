"""Web functions of every kind (tests/integration/test_web.py): a bare ASGI app, a WSGI app, a
server the function starts, and FastAPI's (FastAPI is in the tests' environment, which the process
runtime's containers share)."""

import json
import os
import subprocess
import sys

import leveret

app = leveret.App("web-app")


async def _asgi(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                _asgi.started = True
                await send({"type": "lifespan.startup.complete"})
            else:
                return
    if scope["path"] == "/count":   # a large upload, read as it comes
        import hashlib

        digest, size = hashlib.sha256(), 0
        while True:
            message = await receive()
            digest.update(message.get("body", b""))
            size += len(message.get("body", b""))
            if not message.get("more_body"):
                break
        # its peak: VmHWM, its own memory's (ru_maxrss would count the worker's too: a process
        # started by vfork takes its parent's high-water mark with it across exec)
        with open("/proc/self/status") as f:
            peak_kb = next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))
        answer = {"bytes": size, "sha256": digest.hexdigest(), "max_rss_mb": peak_kb // 1024}
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": json.dumps(answer).encode()})
        return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    if scope["path"] == "/crash":
        raise RuntimeError("the app broke on purpose")
    if scope["path"] == "/slow":
        import asyncio

        await asyncio.sleep(60)
    if scope["path"] == "/events":   # server-sent events, a while apart
        import asyncio

        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/event-stream")]})
        for i in range(3):
            await send({"type": "http.response.body", "body": f"data: {i}\n\n".encode(), "more_body": True})
            await asyncio.sleep(0.5)
        await send({"type": "http.response.body", "body": b""})
        return
    if scope["path"] == "/half":   # fails once its answer has begun
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"the first half", "more_body": True})
        raise RuntimeError("broke in the middle")
    answer = {"method": scope["method"], "path": scope["path"], "root_path": scope["root_path"],
              "query": scope["query_string"].decode(), "body": body.decode(), "started": getattr(_asgi, "started", False),
              "headers": {k.decode(): v.decode() for k, v in scope["headers"] if k.startswith(b"x-")}}
    await send({"type": "http.response.start", "status": 201 if scope["method"] == "POST" else 200,
                "headers": [(b"content-type", b"application/json"), (b"x-answered-by", b"asgi")]})
    await send({"type": "http.response.body", "body": json.dumps(answer).encode(), "more_body": True})
    await send({"type": "http.response.body", "body": b"\n"})


@app.function()
@leveret.concurrent(max_inputs=100)
@leveret.asgi_app()
def api():
    return _asgi


def _wsgi(environ, start_response):
    body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    start_response("200 OK", [("Content-Type", "text/plain"), ("X-Script", environ["SCRIPT_NAME"])])
    return [f"{environ['REQUEST_METHOD']} {environ['PATH_INFO']}?{environ['QUERY_STRING']} ".encode(), body]


@app.function()
@leveret.wsgi_app(label="flask-like")
def site():
    return _wsgi


@app.function()
@leveret.concurrent(max_inputs=10)
@leveret.asgi_app()
def chat():
    """FastAPI's WebSocket route: each text echoed, bytes reversed; "bye" closes with code 4001."""
    from fastapi import FastAPI, WebSocket, WebSocketDisconnect

    api = FastAPI()

    @api.websocket("/ws")
    async def talk(ws: WebSocket):
        await ws.accept(subprotocol="chat.v1" if "chat.v1" in ws.scope["subprotocols"] else None)
        try:
            while True:
                message = await ws.receive()
                if message["type"] == "websocket.disconnect":
                    return
                if message.get("text") == "bye":
                    await ws.close(code=4001, reason="asked to")
                    return
                if message.get("text") is not None:
                    await ws.send_text("echo: " + message["text"])
                else:
                    await ws.send_bytes(message["bytes"][::-1])
        except WebSocketDisconnect:
            return

    @api.websocket("/refuse")
    async def refuse(ws: WebSocket):
        await ws.close()

    @api.websocket("/slow-reader")
    async def slow_reader(ws: WebSocket):
        """Reads nothing for 3 s, then all the client sent until "end": their size back."""
        import asyncio

        await ws.accept()
        await asyncio.sleep(3)
        total = 0
        while (message := await ws.receive()).get("text") != "end":
            total += len(message.get("bytes") or b"")
        await ws.send_text(str(total))

    return api




@app.function()
@leveret.web_server(18766, startup_timeout=20, label="ws-server")
def ws_server():
    """A server of its own that speaks WebSocket (aiohttp's): the container relays to it."""
    subprocess.Popen([sys.executable, os.path.join(os.path.dirname(os.path.abspath(__file__)), "ws_echo_server.py"),
                      "18766"])


@app.function()
@leveret.web_server(18765, startup_timeout=20)
def files():
    subprocess.Popen([sys.executable, "-m", "http.server", "18765", "--bind", "127.0.0.1"],
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@app.function()
@leveret.fastapi_endpoint(docs=True)
def square(x: int, name: str = "you"):
    return {"square": x * x, "hello": name}


@app.function()
@leveret.fastapi_endpoint(method="POST", label="echo")
def echo_item(item: dict):
    return {"got": item, "keys": sorted(item)}


@app.function()
@leveret.asgi_app(label="private", requires_proxy_auth=True)
def private():
    return _asgi


@app.function()
def plain(x):
    return x * 2


other = leveret.App("web-other")   # run and stopped by a test of its own, while `app` runs


@other.function()
@leveret.asgi_app(label="short")
def short_lived():
    return _asgi


@app.cls()
class Model:
    """Web methods of a class: each answers with the instance its @enter made."""

    @leveret.enter()
    def load(self):
        self.weights = 3

    @leveret.fastapi_endpoint(method="POST")
    def predict(self, item: dict):
        return {"score": item["x"] * self.weights}

    @leveret.asgi_app(label="model-ui")
    def ui(self):
        weights = self.weights

        async def page(scope, receive, send):
            if scope["type"] != "http":
                return
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": f"weights {weights} at {scope['path']}".encode()})

        return page

    @leveret.method()
    def plain(self, x):
        return x + self.weights


@app.function()
@leveret.web_server(18799, startup_timeout=0.5)
def never_listens():
    pass   # starts nothing: its container's requests fail, naming the timeout
