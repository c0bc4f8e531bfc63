"""A sandbox's egress proxy: its outbound policy's tls and https routes, kept outside it.

    the sandbox connects to ADDRESS:443 ─▶ the host's nftables (network.py) redirect it, from its
        veth, to its proxy at the host's end of that veth (PORT)
    ─▶ the original destination (SO_ORIGINAL_DST) and the name its TLS handshake asks for (SNI,
       read from its ClientHello without taking it from the socket)
    ─▶ the first route that matches (_shared/egress.choose):
         tls, ip, an open any route: the bytes passed through to ADDRESS:443 as they are
         https: TLS ended here with a certificate for that name from the sandbox's own authority
                (which it trusts: network.py mounts its certificate into it); each HTTP/1.1 request
                (h11) checked to be for that name, given the route's headers (replacing any of
                the same name: their values, from a secret, exist only here), and sent on over
                TLS to ADDRESS:443, verified as any client would (the host's trust store, and
                LEVERET_EGRESS_CA: a file of more authorities, for upstreams of a private one)
         a blocking any route: closed, and said in the sandbox's logs
"""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import logging
import os
import socket
import ssl
import struct
import tempfile
from typing import Callable

from ..._shared.egress import Route, choose

PORT = 15443                  # where a sandbox's redirected connections arrive, at its veth's host end
HELLO_WAIT_S = 5.0            # a client that says nothing this long is matched without a name
HANDSHAKE_S = 10.0
IDLE_S = 300.0                # a connection quiet this long is closed
HOP = {b"connection", b"keep-alive", b"proxy-connection", b"te", b"trailer", b"upgrade"}

log = logging.getLogger("leveret.worker")


class Authority:
    """A sandbox's own certificate authority: its certificate goes into the sandbox's trust store,
    its key never leaves this process; certificates for the names its https routes decrypt."""

    def __init__(self, container_id: str, directory: str):
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID

        self.directory = directory   # (the key and certificate of a name pass through a file there: ssl reads files)
        self._key = ec.generate_private_key(ec.SECP256R1())
        self._name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Leveret"),
                                x509.NameAttribute(NameOID.COMMON_NAME, f"leveret egress {container_id}")])
        now = datetime.datetime.now(datetime.timezone.utc)
        self._cert = (x509.CertificateBuilder().subject_name(self._name).issuer_name(self._name)
                      .public_key(self._key.public_key()).serial_number(x509.random_serial_number())
                      .not_valid_before(now - datetime.timedelta(hours=1)).not_valid_after(now + datetime.timedelta(days=2))
                      .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
                      .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                                   content_commitment=False, key_encipherment=False,
                                                   data_encipherment=False, key_agreement=False,
                                                   encipher_only=False, decipher_only=False), critical=True)
                      .sign(self._key, hashes.SHA256()))
        self._contexts: dict[str, ssl.SSLContext] = {}

    def pem(self) -> bytes:
        from cryptography.hazmat.primitives import serialization

        return self._cert.public_bytes(serialization.Encoding.PEM)

    def context(self, server_name: str) -> ssl.SSLContext:
        """A server context presenting a certificate for ``server_name``, signed by this authority."""
        if server_name in self._contexts:
            return self._contexts[server_name]
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.timezone.utc)
        cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, server_name)]))
                .issuer_name(self._name).public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(hours=1)).not_valid_after(now + datetime.timedelta(days=2))
                .add_extension(x509.SubjectAlternativeName([x509.DNSName(server_name)]), critical=False)
                .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                .sign(self._key, hashes.SHA256()))
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.set_alpn_protocols(["http/1.1"])
        fd, path = tempfile.mkstemp(dir=self.directory, suffix=".pem")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(cert.public_bytes(serialization.Encoding.PEM) + key.private_bytes(
                    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
            context.load_cert_chain(path)
        finally:
            os.unlink(path)
        self._contexts[server_name] = context
        return context


class EgressProxy:
    """One sandbox's: listening at ``address``:PORT, deciding by ``routes``; ``say`` writes a line to
    its logs (what was refused, an upstream that failed)."""

    def __init__(self, address: str, routes: tuple[Route, ...], authority: Authority | None,
                 say: Callable[[str], None]):
        self.address, self.routes, self.authority, self.say = address, routes, authority, say
        self._sock: socket.socket | None = None
        self._accepting: asyncio.Task | None = None
        self._connections: set[asyncio.Task] = set()
        self._upstream: ssl.SSLContext | None = None

    async def start(self) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.address, PORT))
        except OSError:
            sock.close()
            raise
        sock.listen(128)
        sock.setblocking(False)
        self._sock = sock
        self._accepting = asyncio.ensure_future(self._accept())

    def close(self) -> None:
        for task in [self._accepting, *self._connections]:
            if task is not None:
                task.cancel()
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    async def _accept(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            conn, _ = await loop.sock_accept(self._sock)
            task = asyncio.ensure_future(self._serve(conn))
            self._connections.add(task)
            task.add_done_callback(self._connections.discard)

    async def _serve(self, conn: socket.socket) -> None:
        try:
            address, port = original_destination(conn)
            name = server_name(await _peek_hello(conn))
            route = choose(self.routes, name, address, port)
            where = f"TCP to {address}:{port}{f' ({name})' if name else ''}"
            if route.kind == "any" and route.block:
                self.say(f"{where}: no route of its outbound_policy lets it through")
                return
            if route.kind == "https":
                await self._decrypt(conn, name, address, port, route)
            else:
                await _pass(conn, address, port)
        except (OSError, EOFError, ssl.SSLError, asyncio.TimeoutError):
            pass
        except Exception as exc:   # one connection's trouble, never the worker's
            import h11

            if not isinstance(exc, h11.ProtocolError):   # (what the sandbox sent was not HTTP/1.1: its own loss)
                log.exception("the egress proxy failed a connection")
        finally:
            conn.close()

    def _upstream_context(self) -> ssl.SSLContext:
        if self._upstream is None:
            context = ssl.create_default_context()
            extra = os.environ.get("LEVERET_EGRESS_CA")
            if extra:
                context.load_verify_locations(extra)
            context.set_alpn_protocols(["http/1.1"])
            self._upstream = context
        return self._upstream

    async def _decrypt(self, conn: socket.socket, name: str, address: str, port: int, route: Route) -> None:
        import h11

        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader(limit=2 ** 16)
        protocol = asyncio.StreamReaderProtocol(reader)
        transport, _ = await loop.connect_accepted_socket(lambda: protocol, conn, ssl=self.authority.context(name),
                                                          ssl_handshake_timeout=HANDSHAKE_S)
        writer = asyncio.StreamWriter(transport, protocol, reader, loop)
        client = h11.Connection(h11.SERVER)
        upstream = None
        set_headers = [(k.encode(), v.encode()) for k, v in route.headers]
        replaced = {k for k, _ in set_headers}
        try:
            while True:
                request = await _next(client, reader)
                if not isinstance(request, h11.Request):
                    return
                host = dict(request.headers).get(b"host", b"").decode(errors="replace").rpartition(":")
                host = (host[0] if host[2].isdigit() else "".join(host)).lower()
                if host != name.lower() or dict(request.headers).get(b"upgrade"):
                    why = (f"it asks for {host!r} on a connection to {name!r}" if host != name.lower() else
                           "the egress proxy passes no protocol upgrade (WebSocket) on an https route: use a tls"
                           " route for this domain")
                    await _answer(client, writer, 421 if host != name.lower() else 501, why)
                    self.say(f"HTTPS request to {name}: {why}")
                    return
                if upstream is None:
                    try:
                        upstream = await asyncio.wait_for(asyncio.open_connection(
                            address, port, ssl=self._upstream_context(), server_hostname=name), HANDSHAKE_S)
                    except (OSError, ssl.SSLError, asyncio.TimeoutError) as exc:
                        why = f"could not reach {name} ({address}:{port}): {exc}"
                        self.say(f"HTTPS request to {name}: {why}")
                        await _answer(client, writer, 502, why)
                        return
                    upstream = (*upstream, h11.Connection(h11.CLIENT))
                u_reader, u_writer, u_conn = upstream
                headers = [(k, v) for k, v in request.headers if k not in replaced and k not in HOP] + set_headers
                u_writer.write(u_conn.send(h11.Request(method=request.method, target=request.target, headers=headers)))
                body = asyncio.ensure_future(_forward(client, reader, u_conn, u_writer))
                try:
                    keep = await _relay_response(u_conn, u_reader, client, writer)
                    await body
                finally:
                    body.cancel()
                if not keep or client.our_state is h11.MUST_CLOSE:
                    return
                client.start_next_cycle()
                if u_conn.our_state is h11.DONE and u_conn.their_state is h11.DONE:
                    u_conn.start_next_cycle()
                else:
                    u_writer.close()
                    upstream = None
        finally:
            if upstream is not None:
                upstream[1].close()
            writer.close()


def original_destination(conn: socket.socket) -> tuple[str, int]:
    """Where the sandbox meant to connect, before nftables redirected it here (SO_ORIGINAL_DST)."""
    raw = conn.getsockopt(socket.SOL_IP, 80, 16)   # SO_ORIGINAL_DST: a sockaddr_in
    port, packed = struct.unpack("!2xH4s8x", raw)
    return str(ipaddress.IPv4Address(packed)), port


def server_name(hello: bytes) -> str | None:
    """The name a TLS ClientHello asks for (SNI), or None (not TLS, or no name)."""
    try:
        if hello[0] != 0x16 or hello[5] != 0x01:   # a handshake record holding a ClientHello
            return None
        i = 9 + 2 + 32                              # record header, handshake header, version, random
        i += 1 + hello[i]                           # session id
        i += 2 + int.from_bytes(hello[i:i + 2], "big")   # cipher suites
        i += 1 + hello[i]                           # compression methods
        end = i + 2 + int.from_bytes(hello[i:i + 2], "big")
        i += 2
        while i + 4 <= end:
            kind, size = int.from_bytes(hello[i:i + 2], "big"), int.from_bytes(hello[i + 2:i + 4], "big")
            if kind == 0:   # server_name: a list of (type, name); type 0 is a host name
                j = i + 6   # (after the list's length)
                if hello[j] != 0:
                    return None
                n = int.from_bytes(hello[j + 1:j + 3], "big")
                return hello[j + 3:j + 3 + n].decode("ascii").lower() or None
            i += 4 + size
    except (IndexError, UnicodeDecodeError):
        return None
    return None


def _hello_size(data: bytes) -> int | None:
    """How many bytes the first TLS record holds (header included), or None: not TLS."""
    if len(data) < 5:
        return 5 if data[:1] == b"\x16" or not data else None
    if data[0] != 0x16:
        return None
    return 5 + int.from_bytes(data[3:5], "big")


async def _peek_hello(conn: socket.socket) -> bytes:
    """The client's first bytes (its ClientHello, whole, when it speaks TLS), left in the socket."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + HELLO_WAIT_S
    data = b""
    while loop.time() < deadline:
        try:
            data = conn.recv(16384, socket.MSG_PEEK)
        except BlockingIOError:
            data = b""
        else:
            if not data:
                raise EOFError
            size = _hello_size(data)
            if size is None or len(data) >= size or len(data) >= 16384:
                return data
        if data:   # part of it: the rest is on its way (readable already, so no waiting on that)
            await asyncio.sleep(0.005)
            continue
        readable = loop.create_future()
        loop.add_reader(conn.fileno(), lambda: readable.done() or readable.set_result(None))
        try:
            await asyncio.wait_for(readable, deadline - loop.time())
        except asyncio.TimeoutError:
            break
        finally:
            loop.remove_reader(conn.fileno())
    return data


async def _pass(conn: socket.socket, address: str, port: int) -> None:
    """The connection's bytes to ``address``:``port`` and back, as they are."""
    u_reader, u_writer = await asyncio.wait_for(asyncio.open_connection(address, port), HANDSHAKE_S)
    reader, writer = await asyncio.open_connection(sock=conn)

    async def pump(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        try:
            while data := await asyncio.wait_for(r.read(65536), IDLE_S):
                w.write(data)
                await w.drain()
            if w.can_write_eof():
                w.write_eof()
        except (OSError, asyncio.TimeoutError):
            w.close()

    try:
        await asyncio.gather(pump(reader, u_writer), pump(u_reader, writer))
    finally:
        u_writer.close()
        writer.close()


async def _next(conn, reader: asyncio.StreamReader):
    """The next h11 event of ``conn``, reading as it needs."""
    import h11

    while True:
        event = conn.next_event()
        if event is not h11.NEED_DATA:
            return event
        conn.receive_data(await asyncio.wait_for(reader.read(65536), IDLE_S))


async def _forward(client, reader, u_conn, u_writer) -> None:
    """A request's body, from the sandbox to the upstream, as it comes."""
    import h11

    while True:
        event = await _next(client, reader)
        if isinstance(event, (h11.Data, h11.EndOfMessage)):
            u_writer.write(u_conn.send(event))
            await u_writer.drain()
        if not isinstance(event, h11.Data):
            return


async def _relay_response(u_conn, u_reader, client, writer) -> bool:
    """The upstream's answer to the sandbox; whether the connection may carry another request."""
    import h11

    while True:
        event = await _next(u_conn, u_reader)
        if isinstance(event, h11.ConnectionClosed):
            return False
        if isinstance(event, (h11.InformationalResponse, h11.Response)):
            headers = [(k, v) for k, v in event.headers if k not in HOP]
            event = type(event)(status_code=event.status_code, headers=headers, reason=event.reason)
        writer.write(client.send(event))
        await writer.drain()
        if isinstance(event, h11.EndOfMessage):
            return u_conn.their_state is not h11.MUST_CLOSE


async def _answer(client, writer, status: int, why: str) -> None:
    import h11

    body = f"leveret egress proxy: {why}\n".encode()
    writer.write(client.send(h11.Response(status_code=status, headers=[
        (b"content-type", b"text/plain"), (b"content-length", str(len(body)).encode()), (b"connection", b"close")])))
    writer.write(client.send(h11.Data(data=body)) + client.send(h11.EndOfMessage()))
    await writer.drain()
