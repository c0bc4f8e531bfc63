"""A sandbox's egress allowlists (Sandbox.create(outbound_cidr_allowlist=, outbound_domain_allowlist=)),
as the SDK checks them, the server takes them and the worker keeps them (nftables, its name server)."""

from __future__ import annotations

import ipaddress
import re
from typing import NamedTuple


def check_cidrs(cidrs) -> tuple[str, ...]:
    """Each CIDR in nftables' form ("10.0.0.0/8", "2001:db8::/32", a lone address as /32 or /128);
    ValueError naming the first that is not one."""
    if isinstance(cidrs, (str, bytes)):
        raise ValueError(f"give a list of CIDRs, not one string: [{cidrs!r}]")
    out = []
    for c in cidrs:
        try:
            out.append(str(ipaddress.ip_network(str(c), strict=False)))
        except ValueError:
            raise ValueError(f"{c!r} is not a CIDR: write an address or a network, as 203.0.113.7 or"
                             " 198.51.100.0/24") from None
    return tuple(out)


def check_domains(domains) -> tuple[str, ...]:
    """An allowlist's names in lower case: names (pypi.org), their subdomains (*.pypi.org) or any (*);
    ValueError naming the first that is none of those."""
    if isinstance(domains, (str, bytes)):
        raise ValueError(f"give a list of domains, not one string: [{domains!r}]")
    out = []
    for d in domains:
        d = str(d).strip().rstrip(".").lower()
        bare = d[2:] if d.startswith("*.") else d
        if d != "*" and not (bare and all(0 < len(label) < 64 and label.replace("-", "").replace("_", "").isalnum()
                                          for label in bare.split("."))):
            raise ValueError(f"{d!r} is not a domain: write a name (pypi.org), its subdomains (*.pypi.org) or *")
        out.append(d)
    return tuple(out)


# Outbound policies (Sandbox.create(outbound_policy=)): ordered routes, the first matching a
# connection deciding it; the last is the "any" route. "tls" and "https" routes match TCP to port
# 443 by the name the client asks for in its TLS handshake (SNI): "tls" passes the bytes through,
# "https" terminates TLS with the sandbox's own certificate authority and sets headers on each
# request; "ip" matches destinations in CIDRs. What a route matches goes to its destination, but
# the "any" route can block.

ROUTE_KINDS = ("tls", "https", "ip", "any")
HTTPS_PORT = 443


class Route(NamedTuple):
    kind: str                 # one of ROUTE_KINDS
    domains: tuple = ()       # tls, https: lower-case names, "*.name" (subdomains), "*"
    cidrs: tuple = ()         # ip
    block: bool = False       # any: refuse what it matches
    headers: tuple = ()       # https: ((name, value), ...) set on every request (values resolved)


def check_routes(routes, allow_tls_decryption: bool) -> tuple[Route, ...]:
    """The routes, checked: ValueError saying what is wrong (and how to write it) otherwise."""
    routes = tuple(routes)
    if not routes or routes[-1].kind != "any":
        raise ValueError("an outbound policy ends with its \"any\" route: add OutboundRoute.any() (lets the"
                         " rest through) or OutboundRoute.any().block() (refuses it) last")
    out = []
    for i, r in enumerate(routes):
        if r.kind not in ROUTE_KINDS:
            raise ValueError(f"route {i}: kind {r.kind!r} is none of {', '.join(ROUTE_KINDS)}")
        if r.kind == "any" and i != len(routes) - 1:
            raise ValueError("an outbound policy has one \"any\" route, its last")
        if r.kind in ("tls", "https"):
            if not r.domains:
                raise ValueError(f"route {i} ({r.kind}) names no domain: give it domains=[...]")
            r = r._replace(domains=check_domains(r.domains))
        if r.kind == "https" and not allow_tls_decryption:
            raise ValueError("an https route decrypts the sandbox's TLS: create the policy with"
                             " allow_tls_decryption=True, or use OutboundRoute.tls() to pass it through")
        if r.kind == "ip":
            if not r.cidrs:
                raise ValueError(f"route {i} (ip) names no CIDR: give it cidrs=[...]")
            r = r._replace(cidrs=check_cidrs(r.cidrs))
        for name, _ in r.headers:
            if not name or any(c in name for c in " \t\r\n:"):
                raise ValueError(f"{name!r} is not a header name")
        out.append(r)
    return tuple(out)


def template_keys(template: str) -> list[str]:
    """The secret's keys a header value names ($KEY; $$ is a $)."""
    return [m.group(1) for m in _TEMPLATE.finditer(template) if m.group(1)]


def expand(template: str, values: dict[str, str]) -> str:
    """A header value with each $KEY replaced by the secret's value (KeyError naming a key it lacks)."""
    return _TEMPLATE.sub(lambda m: values[m.group(1)] if m.group(1) else "$", template)


def name_matches(pattern: str, name: str) -> bool:
    """``*`` any name; ``*.example.com`` its subdomains at any depth (not itself); else the name."""
    name = name.rstrip(".").lower()
    if pattern == "*":
        return True
    if pattern.startswith("*."):
        return name.endswith(pattern[1:])
    return name == pattern


def choose(routes: tuple[Route, ...], server_name: str | None, address: str, port: int) -> Route:
    """The route deciding a connection to ``address``:``port`` that asked for ``server_name`` in a TLS
    handshake (None: it sent none)."""
    ip = ipaddress.ip_address(address)
    for r in routes:
        if r.kind in ("tls", "https"):
            if port == HTTPS_PORT and server_name and any(name_matches(d, server_name) for d in r.domains):
                return r
        elif r.kind == "ip":
            if any(ip in ipaddress.ip_network(c) for c in r.cidrs):
                return r
        else:
            return r
    return Route("any")


def intercepts(routes: tuple[Route, ...] | None) -> bool:
    """Whether connections to port 443 go through the worker's egress proxy (a tls or https route)."""
    return bool(routes) and any(r.kind in ("tls", "https") for r in routes)


def allowed_cidrs(routes: tuple[Route, ...]) -> tuple[str, ...] | None:
    """What the rest of its traffic (not to port 443 through the proxy) may reach: the ip routes'
    CIDRs where the any route blocks, else None (anywhere)."""
    if not routes[-1].block:
        return None
    return tuple(c for r in routes if r.kind == "ip" for c in r.cidrs)


_TEMPLATE = re.compile(r"\$(?:\$|([A-Za-z_][A-Za-z0-9_]*))")
