"""The gateway over HTTPS with given certificates (`leveret server --gateway-tls CERT KEY`)."""

import asyncio
import datetime
import ipaddress
import shutil
import ssl
import subprocess
import urllib.error
import urllib.request

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from leveret.server.main import Server


def self_signed(directory) -> tuple[str, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "leveret-gateway-test")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=1))
            .not_valid_after(now + datetime.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = directory / "cert.pem", directory / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_file), str(key_file)


def test_the_gateway_serves_https_with_the_certificate_given(tmp_path):
    cert, key = self_signed(tmp_path)

    def get(url: str) -> tuple[int, bytes]:
        try:
            with urllib.request.urlopen(url, timeout=10, context=ssl.create_default_context(cafile=cert)) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    async def main():
        server = await Server.start(listen="127.0.0.1:0", db=f"sqlite:///{tmp_path}/state.db", token="t",
                                    http_listen="127.0.0.1:0", gateway_listen="127.0.0.1:0", gateway_tls=(cert, key))
        try:
            assert server.gateway_url.startswith("https://127.0.0.1:")
            await server._gateway_start
            status, body = await asyncio.to_thread(get, server.gateway_url + "/nope/nothing")
            assert status == 404 and b"no app 'nope' is deployed" in body
            if shutil.which("curl"):   # HTTP/2 where the client offers it in its handshake (ALPN)
                done = await asyncio.to_thread(subprocess.run, [
                    "curl", "-sS", "--http2", "--cacert", cert, "-w", "\n%{http_code} %{http_version}",
                    server.gateway_url + "/nope/nothing"], capture_output=True, timeout=30)
                assert done.stdout.endswith(b"\n404 2") and b"no app 'nope' is deployed" in done.stdout, done
        finally:
            await server.stop()

    asyncio.run(main())


def test_a_certificate_that_cannot_be_read_fails_the_start_naming_it(tmp_path):
    async def main():
        await Server.start(listen="127.0.0.1:0", db=f"sqlite:///{tmp_path}/state.db", token="t",
                           http_listen="127.0.0.1:0", gateway_listen="127.0.0.1:0",
                           gateway_tls=(str(tmp_path / "missing.pem"), str(tmp_path / "missing.key")))

    with pytest.raises(OSError, match="could not use the gateway's TLS certificate and key"):
        asyncio.run(main())
