"""The name server of a private network's container: its worker, at the host's end of its veth.

    its /etc/resolv.conf: "nameserver <gateway>" ─▶ a query on gateway:53 (UDP; the host's table
    lets containers reach port 53 there, nothing else of the host's)
        ─▶ a domain allowlist and a name outside it: REFUSED, and a line in its logs
        ─▶ else the query as it came to the host's name servers (its /etc/resolv.conf's, loopback
           ones included, or LEVERET_DNS_UPSTREAM's), the first that answers
        ─▶ with an allowlist: the answer's addresses join the container's allowed sets in nftables
           (for their TTL, at least a minute), before the answer goes back
    the answer, as the name server gave it

So a sandbox limited to ``outbound_domain_allowlist=["pypi.org", "*.pythonhosted.org"]`` reaches
the addresses those names had when it asked, and nothing else; a name is checked as the sandbox
asked for it, the addresses it leads to (CNAMEs included) allowed with it.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from typing import Callable

import dns.exception
import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype

log = logging.getLogger("leveret.worker")
PORT = 53
UPSTREAM_TIMEOUT_S = 2.0
MIN_ALLOW_S = 60          # an address stays allowed at least this long (a TTL of 0 still lets it connect)
MAX_ALLOW_S = 86400


def upstreams() -> list[tuple[str, int]]:
    """Where queries go: LEVERET_DNS_UPSTREAM ("ADDRESS[:PORT],…") if set, else the host's /etc/resolv.conf."""
    given = os.environ.get("LEVERET_DNS_UPSTREAM", "")
    if given:
        out = []
        for item in given.split(","):
            host, _, port = item.strip().rpartition(":") if item.count(":") == 1 else (item.strip(), "", "")
            out.append((host, int(port) if port else PORT))
        return out
    found = []
    try:
        with open("/etc/resolv.conf") as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 2 and parts[0] == "nameserver":
                    found.append((parts[1], PORT))
    except OSError:
        pass
    return found or [("127.0.0.1", PORT)]


def allowed(name: str, domains: tuple[str, ...]) -> bool:
    """Whether ``name`` is in an allowlist of names ("example.com"), wildcards ("*.example.com": its
    subdomains) and "*" (any)."""
    name = name.rstrip(".").lower()
    for d in domains:
        d = d.rstrip(".").lower()
        if d == "*" or name == d or (d.startswith("*.") and name.endswith(d[1:])):
            return True
    return False


class _Server(asyncio.DatagramProtocol):
    def __init__(self, proxy: "DnsProxy"):
        self.proxy = proxy
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr) -> None:
        task = asyncio.ensure_future(self.proxy.answer(data, addr, self))
        self.proxy.pending.add(task)
        task.add_done_callback(self.proxy.pending.discard)


class DnsProxy:
    """One container's name server. ``domains``: its allowlist (None: any name); ``allow(addresses,
    seconds)``: let it reach them (awaited before the answer goes back); ``refused(text)``: a line
    for its logs."""

    def __init__(self, gateway: str, domains: tuple[str, ...] | None,
                 allow: Callable[[list[str], int], "asyncio.Future"], refused: Callable[[str], None]):
        self.gateway = gateway
        self.domains = domains
        self.allow = allow
        self.refused = refused
        self.pending: set[asyncio.Task] = set()
        self._server: _Server | None = None

    async def start(self) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)   # (bound here: asyncio would resolve the
        try:                                                      # address on its executor's threads)
            sock.bind((self.gateway, PORT))
            sock.setblocking(False)
        except OSError:
            sock.close()
            raise
        _, self._server = await asyncio.get_running_loop().create_datagram_endpoint(lambda: _Server(self), sock=sock)

    def close(self) -> None:
        if self._server is not None and self._server.transport is not None:
            self._server.transport.close()
        for task in self.pending:
            task.cancel()

    async def answer(self, data: bytes, addr, server: _Server) -> None:
        try:
            query = dns.message.from_wire(data)
            name = query.question[0].name.to_text() if query.question else ""
        except (dns.exception.DNSException, IndexError):
            return   # not DNS: nothing to say
        if self.domains is not None and not allowed(name, self.domains):
            reply = dns.message.make_response(query)
            reply.set_rcode(dns.rcode.REFUSED)
            self.refused(f"DNS for {name.rstrip('.')}")
            server.transport.sendto(reply.to_wire(), addr)
            return
        got = await _ask(data)
        if got is None:
            reply = dns.message.make_response(query)
            reply.set_rcode(dns.rcode.SERVFAIL)
            server.transport.sendto(reply.to_wire(), addr)
            return
        if self.domains is not None:
            addresses, ttl = _addresses(got)
            if addresses:
                try:
                    await self.allow(addresses, max(MIN_ALLOW_S, min(ttl, MAX_ALLOW_S)))
                except Exception:   # its answer then leads nowhere: say so rather than hang
                    log.exception("could not allow %s for a container's DNS answer", addresses)
        if server.transport is not None and not server.transport.is_closing():
            server.transport.sendto(got, addr)


async def _ask(data: bytes) -> bytes | None:
    """The first upstream's answer to the query ``data``, as it came; None if none answered."""
    loop = asyncio.get_running_loop()
    for host, port in upstreams():
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        got: asyncio.Future = loop.create_future()

        class _Client(asyncio.DatagramProtocol):
            def datagram_received(self, reply: bytes, addr) -> None:
                if not got.done():
                    got.set_result(reply)

            def error_received(self, exc) -> None:
                if not got.done():
                    got.set_exception(exc)

        try:
            transport, _ = await loop.create_datagram_endpoint(_Client, remote_addr=(host, port), family=family)
        except OSError:
            continue
        try:
            transport.sendto(data)
            return await asyncio.wait_for(got, UPSTREAM_TIMEOUT_S)
        except (asyncio.TimeoutError, OSError):
            continue
        finally:
            transport.close()
    return None


def _addresses(wire: bytes) -> tuple[list[str], int]:
    """The A and AAAA addresses in an answer, and the shortest TTL among them."""
    try:
        reply = dns.message.from_wire(wire)
    except dns.exception.DNSException:
        return [], 0
    found, ttl = [], MAX_ALLOW_S
    for rrset in reply.answer:
        if rrset.rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA):
            found += [r.address for r in rrset]
            ttl = min(ttl, rrset.ttl)
    return found, ttl
