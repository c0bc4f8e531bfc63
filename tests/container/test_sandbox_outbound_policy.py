"""A sandbox's outbound policy, from inside it, against an outside of the test's own (outside.py)
whose name api.secure.test is the gateway of this test's cluster, serving HTTPS with a certificate
of the test's authority: an https route fills the Authorization header of the sandbox's requests
from a secret (the key is nowhere inside: printenv shows none), the sandbox trusting its own egress
authority; requests for another host on that connection are refused; the any route's block stops
the rest (to port 443 by the egress proxy, the rest by nftables), each refusal in the app's logs."""

import datetime
import json
import os
import secrets
import ssl
import subprocess
import time
import urllib.error
import urllib.request

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from outside import ALLOWED, DENIED, HOST_SIDE, ZONE, outside_network

import leveret
from apps import header_app
from leveret.server.store import Store

pytestmark = pytest.mark.container

API = "api.secure.test"
KEY = "sk-" + secrets.token_hex(12)
FETCH = ("import json, sys, urllib.request, urllib.error\n"
         "req = urllib.request.Request(sys.argv[1], headers=json.loads(sys.argv[2]))\n"
         "try:\n"
         "    r = urllib.request.urlopen(req, timeout=20); print(r.status, r.read().decode())\n"
         "except urllib.error.HTTPError as e:\n"
         "    print(e.code, e.read().decode())\n"
         "except Exception as e:\n"
         "    print('error', repr(e))\n")


def _authority(directory):
    """A certificate authority of the test's, and a certificate it signed for API: (ca, cert, key) files."""
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "outbound policy test authority")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
          .not_valid_after(now + datetime.timedelta(hours=2))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True).sign(ca_key, hashes.SHA256()))
    cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, API)]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(hours=2))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(API)]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    files = directory / "ca.pem", directory / "cert.pem", directory / "key.pem"
    files[0].write_bytes(ca.public_bytes(pem))
    files[1].write_bytes(cert.public_bytes(pem) + ca.public_bytes(pem))
    files[2].write_bytes(key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return tuple(str(f) for f in files)


@pytest.fixture(scope="module")
def crun(tmp_path_factory):
    from leveret.testing import Cluster

    directory = tmp_path_factory.mktemp("outbound-policy")
    ca, cert, key = _authority(directory)
    os.environ["LEVERET_EGRESS_CA"] = ca   # the workers' egress proxies trust the test's authority too
    try:
        with outside_network(tmp_path_factory, {**ZONE, f"{API}.": HOST_SIDE}), \
                Cluster(directory / "cluster", runtime="crun", max_containers=6, gateway_listen=f"{HOST_SIDE}:443",
                        gateway_tls=(cert, key)) as c:
            c.ca = ca
            yield c
    finally:
        os.environ.pop("LEVERET_EGRESS_CA", None)


@pytest.fixture(scope="module")
def api(crun):
    """The API's URL by its name (the gateway's address is what API resolves to)."""
    leveret.Secret.objects.create(header_app.SECRET, {"API_KEY": KEY}, allow_existing=True)
    with header_app.app.run(show_logs=False):
        yield header_app.api.get_web_url().replace(f"https://{HOST_SIDE}:443", f"https://{API}")


@pytest.fixture(scope="module")
def app(crun):
    return leveret.App.lookup("outbound-policy-" + secrets.token_hex(3), create_if_missing=True)


def _fetch(sb, url: str, headers: dict | None = None) -> tuple[str, dict | str]:
    p = sb.exec("python3", "-c", FETCH, url, json.dumps(headers or {}))
    out = p.stdout.read().strip()
    assert p.wait() == 0, p.stderr.read()
    status, _, body = out.partition(" ")
    try:
        return status, json.loads(body)
    except ValueError:
        return status, body


def test_the_api_demands_its_key(crun, api):
    context = ssl.create_default_context(cafile=crun.ca)
    request = urllib.request.Request(api.replace(API, HOST_SIDE), headers={"Host": API})
    context.check_hostname = False
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=30, context=context)
    refused.value.close()
    assert refused.value.code == 401


def test_an_https_route_fills_the_header_from_a_secret_the_sandbox_never_sees(crun, api, app):
    policy = leveret.OutboundPolicy(allow_tls_decryption=True, routes=[
        leveret.OutboundRoute.https(domains=[API], header_replacements=[
            {"secret": leveret.Secret.from_name(header_app.SECRET), "headers": {"Authorization": "Bearer $API_KEY"}},
            {"headers": {"X-Static": "cost $$5"}}]),
        leveret.OutboundRoute.any()])
    sb = leveret.Sandbox.create(app=app, outbound_policy=policy, cpu=0.1)
    try:
        sb.wait_until_ready(timeout=60)
        status, body = _fetch(sb, api)
        assert (status, body["authorized"], body["host"], body["x-static"]) == ("200", True, API, "cost $5"), body
        status, body = _fetch(sb, api, {"Authorization": "Bearer guessed"})   # its own is replaced
        assert status == "200" and body["authorized"], body
        p = sb.exec("printenv")
        env = p.stdout.read()
        assert p.wait() == 0 and KEY not in env and "SSL_CERT_FILE=" in env
        p = sb.exec("sh", "-c", "cat /etc/ssl/certs/ca-certificates.crt /etc/leveret/*; cat /proc/*/environ")
        assert KEY not in p.stdout.read()
        status, body = _fetch(sb, api.replace(API, HOST_SIDE), {"Host": API})   # no name: not this route's
        assert status == "error", body
    finally:
        sb.terminate()


def test_experimental_policy_and_a_blocking_any_route_refuse_the_rest_in_the_logs(crun, api, app):
    from leveret import experimental

    blocking = leveret.OutboundPolicy(allow_tls_decryption=True, routes=[
        leveret.OutboundRoute.https(domains=[API], header_replacements=[
            {"secret": leveret.Secret.from_name(header_app.SECRET), "headers": {"Authorization": "Bearer $API_KEY"}}]),
        leveret.OutboundRoute.ip(cidrs=[f"{ALLOWED}/32"]),
        leveret.OutboundRoute.any().block()])
    legacy = experimental.OutboundPolicy().with_header_replacement(
        domain=API, secret=leveret.Secret.from_name(header_app.SECRET), headers={"Authorization": "Bearer $API_KEY"})
    first = leveret.Sandbox.create(app=app, outbound_policy=blocking, cpu=0.1)
    second = leveret.Sandbox.create(app=app, outbound_policy=legacy, cpu=0.1)
    try:
        for sb in (first, second):
            sb.wait_until_ready(timeout=60)
            status, body = _fetch(sb, api)
            assert status == "200" and body["authorized"], body
        assert _fetch(first, f"http://{ALLOWED}:8080/who.txt") == ("200", ALLOWED)
        status, body = _fetch(first, f"http://{DENIED}:8080/who.txt")
        assert status == "error", body
        status, body = _fetch(first, "https://denied.test/")   # 443: the proxy's to refuse
        assert status == "error", body
        assert _fetch(second, f"http://{DENIED}:8080/who.txt")[1] == DENIED   # the legacy policy lets the rest out
        status, body = _fetch(first, api, {"Host": "other.test"})
        assert status == "421", body
        texts = {f"network: refused TCP to {DENIED}:8080: outside its outbound allowlists",
                 f"network: refused TCP to {DENIED}:443 (denied.test): no route of its outbound_policy lets it through",
                 f"network: refused HTTPS request to {API}: it asks for 'other.test' on a connection to '{API}'"}
        crun.wait_stored(lambda rows: texts <= {r[7] for r in rows}, Store.get_logs, app.app_id, timeout=20)
    finally:
        first.terminate()
        second.terminate()
    for sb in (first, second):
        sb.wait(raise_on_termination=False)
    deadline = time.monotonic() + 20   # their veths leave the intercept set, their proxies stop listening
    while "elements" in subprocess.run(["nft", "list", "set", "inet", "leveret", "intercept"], capture_output=True,
                                       text=True).stdout:
        assert time.monotonic() < deadline
        time.sleep(0.1)
