"""Every side of a server over TLS (`leveret server --tls-cert/--tls-key`), trusted by a CA of the
test's own: the SDK (LEVERET_CA), the worker (--ca), the HTTP side with the dashboard, the gateway.
A client that does not trust the CA, or speaks plain HTTP/2 to it, is refused saying what to do."""

import os
import ssl
import urllib.error
import urllib.request

import pytest

import leveret
from apps import api_extras
from e2e.certs import ca_and_server_cert
from leveret import _client
from leveret.testing import Cluster


@pytest.fixture(scope="module")
def tls(tmp_path_factory):
    return ca_and_server_cert(tmp_path_factory.mktemp("certs"))


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, tls):
    ca, cert, key = tls
    with Cluster(tmp_path_factory.mktemp("tls"), tls=(cert, key), ca=ca) as c:
        yield c


def fetch(url: str, ca: str, headers: dict | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10, context=ssl.create_default_context(cafile=ca)) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, exc.read()


def test_functions_run_with_the_client_and_the_worker_over_tls(cluster):
    assert cluster.url.startswith("https://127.0.0.1:")
    with api_extras.app.run(show_logs=False):
        assert api_extras.echo.remote("over tls") == "over tls"
        assert list(api_extras.echo.map(range(5))) == list(range(5))
    d = leveret.Dict.from_name("tls-dict", create_if_missing=True)
    d["k"] = 1
    assert d["k"] == 1
    assert cluster.server.direct.port == 0   # no plain TCP side: other hosts' Dict calls go by gRPC


def test_the_http_side_and_the_dashboard_are_served_over_tls(cluster, tls):
    ca = tls[0]
    assert cluster.http_url.startswith("https://")
    assert fetch(cluster.http_url + "/healthz", ca) == (200, b"ok\n")
    status, body = fetch(cluster.http_url + "/api/apps", ca, {"Authorization": f"Bearer {cluster.token}"})
    assert status == 200 and body.startswith(b"{") or body.startswith(b"[")
    assert fetch(cluster.http_url + "/api/apps", ca)[0] == 401


def test_the_gateway_uses_the_servers_certificate(cluster, tls):
    assert cluster.server.gateway_url.startswith("https://")
    status, body = fetch(cluster.server.gateway_url + "/nope/nothing", tls[0])
    assert status == 404 and b"no app 'nope' is deployed" in body


@pytest.mark.parametrize("change, text", [
    (lambda url: ("LEVERET_CA", ""), "cannot speak TLS with the server at https://"),
    (lambda url: ("LEVERET_SERVER_URL", url.replace("https://", "http://")), "cannot reach a Leveret server at http://"),
], ids=["untrusted", "plain"])
def test_a_client_that_cannot_speak_tls_with_it_is_refused_saying_what_to_do(cluster, change, text):
    key, value = change(cluster.url)
    saved = os.environ[key]
    os.environ[key] = value
    _client.reset()
    try:
        with pytest.raises(leveret.exception.ConnectionError, match=text) as caught:
            leveret.App.lookup("tls-app", create_if_missing=True)
        if key == "LEVERET_CA":
            assert "CERTIFICATE_VERIFY_FAILED" in str(caught.value) and "set LEVERET_CA" in str(caught.value)
    finally:
        os.environ[key] = saved
        _client.reset()
    assert leveret.App.lookup("tls-app", create_if_missing=True).app_id.startswith("ap-")
