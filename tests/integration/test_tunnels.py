"""leveret.forward: a port of a running container reached through the server's gateway, until the
block ends."""

import os
import socket

import pytest

import leveret
from _http import fetch
from apps import tunnel_app
from leveret.exception import ExecutionError, NotImplementedOptionError


def test_a_forwarded_port_answers_through_the_gateway_until_its_block_ends(cluster):
    q = leveret.Queue.from_name("tunnel-test", create_if_missing=True)
    with tunnel_app.app.run(show_logs=False):
        call = tunnel_app.serve_through_a_tunnel.spawn("tunnel-test")
        url = q.get(partition="url", timeout=60)
        assert url.startswith(f"{cluster.server.gateway_url}/_tunnel/tu-")
        status, _, body = fetch(url + "/")
        assert status == 200 and b"Directory listing" in body
        assert fetch(url + "/no-such-file")[0] == 404   # the container's server's own answer
        tunnel_id = url.rsplit("/", 1)[1]   # by host name too, under the gateway's domain
        cluster.server.routes.domain = "apps.test"
        try:
            status, _, body = fetch(cluster.server.gateway_url + "/", headers={"Host": f"{tunnel_id}.apps.test"})
            assert status == 200 and b"Directory listing" in body
        finally:
            cluster.server.routes.domain = ""
        q.put("done", partition="done")
        assert call.get(timeout=60) == url
    status, _, body = fetch(url + "/")
    assert status == 404 and b"was closed" in body
    leveret.Queue.objects.delete("tunnel-test")


def test_a_raw_tcp_tunnel_passes_bytes_both_ways_and_its_port_closes_with_it(cluster):
    q = leveret.Queue.from_name("tcp-tunnel-test", create_if_missing=True)
    with tunnel_app.app.run(show_logs=False):
        call = tunnel_app.raw_tcp_through_a_tunnel.spawn("tcp-tunnel-test")
        host, port = q.get(partition="tcp", timeout=60)
        for payload in (b"hello raw tcp", os.urandom(3 << 20)):
            with socket.create_connection((host, port), timeout=30) as s:
                s.sendall(payload)
                s.shutdown(socket.SHUT_WR)   # the half close reaches the container's server
                got = b""
                while data := s.recv(1 << 16):
                    got += data
            assert got == payload.upper()
        q.put("done", partition="done")
        call.get(timeout=60)
    with pytest.raises(OSError):   # the tunnel closed: its port with it
        with socket.create_connection((host, port), timeout=5) as s:
            if s.recv(1) == b"":
                raise ConnectionResetError("closed at once")
    leveret.Queue.objects.delete("tcp-tunnel-test")


def test_a_websocket_through_a_tunnel(cluster):
    import asyncio

    import aiohttp

    q = leveret.Queue.from_name("ws-tunnel-test", create_if_missing=True)
    with tunnel_app.app.run(show_logs=False):
        call = tunnel_app.websocket_through_a_tunnel.spawn("ws-tunnel-test")
        url = q.get(partition="url", timeout=60).replace("http://", "ws://")

        async def talk():
            async with aiohttp.ClientSession() as session:
                async with session.ws_connect(url + "/ws?q=t", protocols=("relay.v1",)) as ws:
                    assert ws.protocol == "relay.v1"
                    await ws.send_str("through")
                    assert await ws.receive_str(timeout=30) == "server: through t"
                    await ws.send_bytes(b"ab")
                    assert await ws.receive_bytes(timeout=30) == b"abab"
                    await ws.send_str("bye")
                    closing = await ws.receive(timeout=30)
                    assert closing.type == aiohttp.WSMsgType.CLOSE and closing.data == 4002
                with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                    await session.ws_connect(url + "/nowhere")
                assert refused.value.status == 404

        asyncio.run(talk())
        q.put("done", partition="done")
        call.get(timeout=60)
    leveret.Queue.objects.delete("ws-tunnel-test")


def test_forward_outside_a_container_or_over_http2_is_refused():
    with pytest.raises(ExecutionError, match="inside a function"):
        with leveret.forward(8000):
            pass
    with pytest.raises(NotImplementedOptionError, match="h2_enabled=True"):
        with leveret.forward(8000, h2_enabled=True):
            pass
