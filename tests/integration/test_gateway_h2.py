"""HTTP/2 on the gateway's port (server/gateway_h2.py), with curl (nghttp2) as the client: prior
knowledge in the clear, both ways streamed within HTTP/2's windows, several streams on one
connection; HTTP/1.1 on the same port as before. ALPN over TLS is test_gateway_tls.py's."""

import hashlib
import json
import os
import shutil
import subprocess

import pytest

from _http import fetch
from apps import web_link_app

pytestmark = pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl (scripts/dev installs it)")


@pytest.fixture(scope="module")
def running(cluster):
    with web_link_app.app.run(show_logs=False):
        yield web_link_app


def curl(*args: str) -> tuple[str, bytes]:
    """(the HTTP version curl spoke, the body) of one curl run over HTTP/2 with prior knowledge."""
    done = subprocess.run(["curl", "-sS", "--http2-prior-knowledge", "-o", "-", "-w", "\n%{http_version}", *args],
                          capture_output=True, timeout=60, check=True)
    body, _, version = done.stdout.rpartition(b"\n")
    return version.decode(), body


def test_a_request_over_http2_reaches_the_app_as_one(running):
    version, body = curl(running.fast.get_web_url() + "/hello?q=1", "-H", "X-Leveret-Forwarded: https 6.6.6.6 1")
    answer = json.loads(body)
    assert version == "2" and answer["path"] == "/hello" and answer["query"] == "q=1"
    assert answer["http_version"] == "2" and answer["scheme"] == "http" and answer["client"][0] == "127.0.0.1"
    assert answer["forwarded"] == []   # what the gateway says of its client is never the app's, nor the client's to say
    status, _, body = fetch(running.fast.get_web_url() + "/again",   # HTTP/1.1 on the same port
                            headers={"X-Leveret-Forwarded": "https 6.6.6.6 1"})
    answer = json.loads(body)
    assert status == 200 and answer["http_version"] == "1.1" and answer["scheme"] == "http"
    assert answer["client"][0] == "127.0.0.1" and answer["forwarded"] == []


def test_bodies_stream_both_ways_within_http2s_windows(running, tmp_path):
    data = os.urandom(3 * 1024 * 1024 + 5)   # past the first windows (64 KiB) many times over
    (tmp_path / "body").write_bytes(data)
    version, body = curl(running.fast.get_web_url() + "/count", "--data-binary", f"@{tmp_path / 'body'}")
    assert version == "2" and json.loads(body)["sha256"] == hashlib.sha256(data).hexdigest()
    version, body = curl(running.fast.get_web_url() + "/big")
    assert version == "2" and body == b"".join(bytes([65 + i]) * 100_000 for i in range(8))


def test_several_streams_share_one_connection(running):
    """Six requests at once on one connection (h2 as the client: curl 7.88's --parallel fails to
    multiplex over prior knowledge), each answered on its stream."""
    import socket
    import urllib.parse

    from h2.config import H2Configuration
    from h2.connection import H2Connection
    from h2.events import DataReceived, ResponseReceived, StreamEnded

    url = urllib.parse.urlsplit(running.fast.get_web_url())
    conn = H2Connection(H2Configuration(client_side=True))
    conn.initiate_connection()
    streams = {}
    for i in range(6):
        sid = conn.get_next_available_stream_id()
        streams[sid] = {"i": i, "status": None, "body": b"", "ended": False}
        conn.send_headers(sid, [(":method", "GET"), (":path", f"{url.path}/n?i={i}"), (":scheme", "http"),
                                (":authority", url.netloc)], end_stream=True)
    with socket.create_connection((url.hostname, url.port), timeout=30) as sock:
        sock.sendall(conn.data_to_send())
        while not all(s["ended"] for s in streams.values()):
            data = sock.recv(65536)
            assert data, "the gateway closed the connection"
            for event in conn.receive_data(data):
                if isinstance(event, ResponseReceived):
                    streams[event.stream_id]["status"] = dict(event.headers)[b":status"]
                elif isinstance(event, DataReceived):
                    streams[event.stream_id]["body"] += event.data
                    conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
                elif isinstance(event, StreamEnded):
                    streams[event.stream_id]["ended"] = True
            sock.sendall(conn.data_to_send())
    for s in streams.values():
        assert s["status"] == b"200" and json.loads(s["body"])["query"] == f"i={s['i']}"


def test_an_unknown_url_over_http2_is_the_gateways_404(running, cluster):
    done = subprocess.run(["curl", "-sS", "--http2-prior-knowledge", "-w", "\n%{http_code} %{http_version}",
                           cluster.server.gateway_url + "/nope/nothing"], capture_output=True, timeout=60, check=True)
    assert done.stdout.endswith(b"\n404 2") and b"no app 'nope' is deployed" in done.stdout
