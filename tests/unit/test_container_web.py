"""container/web.py, a web function's requests inside its container, without a cluster: ASGI and
WSGI apps driven by (scope, body), their answers as items (status and headers, then the body's
pieces), a server that never listens; and the gateway reading those items without unpickling
code (server/gateway.py)."""

import asyncio
import os
import pickle

import pytest

from leveret.container import web
from leveret.server.gateway import _plain_loads

def items(gen) -> list:
    """Every item of a handler's answer, sync or async."""
    if hasattr(gen, "__anext__"):
        async def gather():
            return [item async for item in gen]

        return asyncio.run(gather())
    return list(gen)


SCOPE = {"type": "http", "method": "POST", "path": "/x", "root_path": "/app-dev/fn", "query_string": b"a=1",
         "headers": [(b"content-type", b"text/plain"), (b"x-one", b"1"), (b"x-one", b"2")],
         "http_version": "1.1", "scheme": "http", "server": ["gw", 8080]}


def test_an_asgi_apps_answer_streams_as_it_sends_it_and_hop_by_hop_headers_are_dropped():
    seen = []

    async def app(scope, receive, send):
        if scope["type"] == "lifespan":
            raise RuntimeError("no lifespan here")   # an app without lifespan support still serves
        seen.append(await receive())
        await send({"type": "http.response.start", "status": 202,
                    "headers": [(b"content-length", b"5"), (b"transfer-encoding", b"chunked"), (b"x-kept", b"yes")]})
        await send({"type": "http.response.body", "body": b"ab", "more_body": True})
        await asyncio.sleep(0.01)   # a piece of its own
        await send({"type": "http.response.body", "body": b"cd", "more_body": True})
        await send({"type": "http.response.body", "body": b"e"})   # queued with the one before: one piece
        seen.append(await receive())   # after the answer: the client is gone

    handle = web.handler(lambda: app, {"web_kind": "asgi"})
    assert items(handle(SCOPE, b"the body")) == [(202, [(b"x-kept", b"yes")]), b"ab", b"cde"]
    assert seen == [{"type": "http.request", "body": b"the body", "more_body": False}, {"type": "http.disconnect"}]


def test_an_asgi_apps_failed_lifespan_startup_fails_its_requests():
    async def app(scope, receive, send):
        await receive()
        await send({"type": "lifespan.startup.failed", "message": "no database"})

    handle = web.handler(lambda: app, {"web_kind": "asgi"})
    with pytest.raises(RuntimeError, match="lifespan startup failed: no database"):
        items(handle(SCOPE, b""))


def test_an_asgi_app_that_fails_or_never_answers_fails_its_request():
    async def failing(scope, receive, send):
        if scope["type"] == "http":
            raise ValueError("broken")

    async def silent(scope, receive, send):
        return None

    with pytest.raises(ValueError, match="broken"):
        items(web.handler(lambda: failing, {"web_kind": "asgi"})(SCOPE, b""))
    with pytest.raises(RuntimeError, match="returned without answering"):
        items(web.handler(lambda: silent, {"web_kind": "asgi"})(SCOPE, b""))


def test_a_wsgi_app_gets_its_environ_and_its_result_is_closed():
    closed = []

    class Result(list):
        def close(self):
            closed.append(True)

    def app(environ, start_response):
        start_response("418 I'm a teapot", [("X-Script", environ["SCRIPT_NAME"]), ("Connection", "close")])
        got = (environ["REQUEST_METHOD"], environ["PATH_INFO"], environ["QUERY_STRING"], environ["CONTENT_TYPE"],
               environ["HTTP_X_ONE"], environ["wsgi.input"].read(), environ["SERVER_PORT"])
        return Result([repr(got).encode()])

    head, body = items(web.handler(lambda: app, {"web_kind": "wsgi"})(SCOPE, b"data"))
    assert head == (418, [(b"X-Script", b"/app-dev/fn")]) and closed == [True]
    assert body == repr(("POST", "/x", "a=1", "text/plain", "1,2", b"data", "8080")).encode()


def test_a_web_server_that_never_listens_fails_its_request_naming_the_timeout():
    started = []
    handle = web.handler(lambda: started.append(True), {"web_kind": "server", "web_port": "1",
                                                         "web_startup_timeout": "0.2"})
    with pytest.raises(TimeoutError, match="did not listen on port 1 within 0.2 s"):
        items(handle(SCOPE, b""))
    assert started == [True]


def test_a_kind_this_container_does_not_know_is_refused():
    with pytest.raises(ValueError, match="upgrade leveret"):
        web.handler(lambda: None, {"web_kind": "grpc"})


def test_the_gateway_reads_plain_answers_only():
    assert _plain_loads(pickle.dumps((200, [(b"a", b"b")]), protocol=5)) == (200, [(b"a", b"b")])

    class Evil:
        def __reduce__(self):
            return (os.system, ("echo should never run",))

    with pytest.raises(pickle.UnpicklingError, match="plain values only"):
        _plain_loads(pickle.dumps(Evil()))
