"""Request bodies and WebSockets streamed through the gateway (server/gateway.py, container/asgi.py):
a 1 GiB upload reaches an ASGI app whole and right while neither the server nor the container ever
holds it; a WSGI app reads a body of several pieces; a FastAPI WebSocket echoes text and bytes,
picks the subprotocol asked for, closes with its own code, and refuses with a 403; a web_server's
own WebSocket server is reached through its container (container/wsclient.py)."""

import asyncio
import hashlib
import http.client
import json
import os
import threading
import urllib.parse

import aiohttp
import pytest

from _http import fetch
from apps import web_app

GiB = 1 << 30


@pytest.fixture(scope="module")
def running(cluster):
    with web_app.app.run(show_logs=False):
        yield web_app


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / (1 << 20)


def test_a_1_gib_upload_streams_through_and_is_never_held_whole(running):
    url = urllib.parse.urlsplit(running.api.get_web_url())
    block = os.urandom(1 << 20)
    expected = hashlib.sha256()
    for _ in range(GiB // len(block)):
        expected.update(block)
    peak, done = [rss_mb()], threading.Event()

    def watch() -> None:   # the server runs in this process: its memory while the body passes
        while not done.wait(0.05):
            peak.append(rss_mb())

    threading.Thread(target=watch, daemon=True).start()
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=300)
    try:
        conn.putrequest("POST", url.path + "/count")
        conn.putheader("Content-Length", str(GiB))
        conn.endheaders()
        for _ in range(GiB // len(block)):
            conn.send(block)
        response = conn.getresponse()
        answer = json.loads(response.read())
    finally:
        done.set()
        conn.close()
    assert response.status == 200
    assert (answer["bytes"], answer["sha256"]) == (GiB, expected.hexdigest())
    # Never held whole: well under the body's size (the window is 1 MiB; what malloc keeps of the
    # pieces that passed, ~300 MiB at worst seen, is not the body)
    assert answer["max_rss_mb"] < 512, answer            # the container's whole life
    assert max(peak) - peak[0] < 512, (peak[0], max(peak))   # the server's (and the worker's)


def test_a_wsgi_app_reads_a_body_of_many_pieces(running):
    body = os.urandom(3 << 20)
    status, _, answer = fetch(running.site.get_web_url() + "/big", data=body, method="PUT")
    assert status == 200 and answer == b"PUT /big? " + body


def test_a_websocket_echoes_both_ways_and_closes_with_the_apps_code(running):
    base = running.chat.get_web_url().replace("http://", "ws://")

    async def talk():
        async with aiohttp.ClientSession() as session:
            async with session.ws_connect(base + "/ws", protocols=("chat.v1",)) as ws:
                assert ws.protocol == "chat.v1"
                await ws.send_str("hello")
                assert await ws.receive_str(timeout=30) == "echo: hello"
                await ws.send_bytes(b"\x01\x02\x03")
                assert await ws.receive_bytes(timeout=30) == b"\x03\x02\x01"
                for i in range(50):
                    await ws.send_str(f"m{i}")
                assert [await ws.receive_str(timeout=30) for _ in range(50)] == [f"echo: m{i}" for i in range(50)]
                await ws.send_str("bye")
                closing = await ws.receive(timeout=30)
                assert closing.type == aiohttp.WSMsgType.CLOSE and closing.data == 4001
            with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                await session.ws_connect(base + "/refuse")
            assert refused.value.status == 403
            async with session.ws_connect(base + "/ws") as ws:   # the client leaves first: the app ends
                await ws.send_str("x")
                assert await ws.receive_str(timeout=30) == "echo: x"

    asyncio.run(talk())


def test_a_websocket_client_faster_than_its_app_is_held_back_not_queued(running):
    """The app reads nothing for 3 s: the client's sends stall once the window and the sockets'
    buffers are full (nothing piles up in the container), then all of it arrives."""
    import aiohttp

    total, piece = 48 << 20, b"x" * (256 << 10)

    async def go():
        base = running.chat.get_web_url()
        async with aiohttp.ClientSession() as session:
            async with session.ws_connect(base + "/slow-reader") as ws:
                sent = 0

                async def pump():
                    nonlocal sent
                    while sent < total:
                        await ws.send_bytes(piece)
                        sent += len(piece)
                    await ws.send_str("end")

                task = asyncio.ensure_future(pump())
                await asyncio.sleep(2)
                held_at = sent
                assert not task.done() and held_at < total // 2, held_at
                await asyncio.wait_for(task, 60)
                answer = await ws.receive(timeout=60)
                assert answer.data == str(total)

    asyncio.run(go())


def test_a_web_servers_own_websocket_is_relayed_both_ways(running):
    base = running.ws_server.get_web_url().replace("http://", "ws://")

    async def talk():
        async with aiohttp.ClientSession() as session:
            async with session.ws_connect(base + "/ws?q=7", protocols=("relay.v1",)) as ws:
                assert ws.protocol == "relay.v1"
                await ws.send_str("hi")
                assert await ws.receive_str(timeout=30) == "server: hi 7"
                big = os.urandom(200_000)   # frames of 64-bit lengths, masked
                await ws.send_bytes(big)
                assert await ws.receive_bytes(timeout=30) == big * 2
                await ws.send_str("bye")
                closing = await ws.receive(timeout=30)
                assert closing.type == aiohttp.WSMsgType.CLOSE and closing.data == 4002
            async with session.ws_connect(base + "/ws") as ws:   # the client closes first
                await ws.send_str("x")
                assert await ws.receive_str(timeout=30) == "server: x "
            with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                await session.ws_connect(base + "/no-such-path")
            assert refused.value.status == 404

    asyncio.run(talk())
