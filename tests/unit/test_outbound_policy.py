"""Outbound policies without a network: the SDK's objects and their checks, how a connection picks
its route, header templates, and the name a TLS ClientHello asks for (egress_proxy.py)."""

import socket
import ssl
import threading

import pytest

import leveret
from leveret import experimental
from leveret._shared.egress import Route, allowed_cidrs, check_routes, choose, expand, intercepts, name_matches, \
    template_keys
from leveret._wire import api_pb2 as pb
from leveret.exception import InvalidError
from leveret.worker.runtime.egress_proxy import server_name


def test_routes_are_checked_with_the_fix():
    with pytest.raises(InvalidError, match="ends with its \"any\" route"):
        leveret.OutboundPolicy(routes=[leveret.OutboundRoute.tls(domains=["pypi.org"])])
    with pytest.raises(InvalidError, match="allow_tls_decryption=True"):
        leveret.OutboundPolicy(routes=[leveret.OutboundRoute.https(domains=["api.example.com"]),
                                       leveret.OutboundRoute.any()])
    with pytest.raises(InvalidError, match="only the any route blocks"):
        leveret.OutboundRoute.tls(domains=["pypi.org"]).block()
    with pytest.raises(InvalidError, match="is not a domain"):
        leveret.OutboundPolicy(routes=[leveret.OutboundRoute.tls(domains=["-bad-/"]), leveret.OutboundRoute.any()])
    with pytest.raises(InvalidError, match="not a CIDR"):
        leveret.OutboundPolicy(routes=[leveret.OutboundRoute.ip(cidrs=["10.0.0.0/33"]), leveret.OutboundRoute.any()])
    with pytest.raises(InvalidError, match="domains= is a list"):
        leveret.OutboundRoute.tls(domains="pypi.org")
    with pytest.raises(InvalidError, match="header replacement is"):
        leveret.OutboundRoute.https(domains=["a.test"], header_replacements=[{"Authorization": "x"}])
    with pytest.raises(InvalidError, match="one \"any\" route, its last"):
        leveret.OutboundPolicy(routes=[leveret.OutboundRoute.any(), leveret.OutboundRoute.any().block()])


def test_a_policy_fills_the_request_with_its_routes():
    policy = leveret.OutboundPolicy(allow_tls_decryption=True, routes=[
        leveret.OutboundRoute.https(domains=["API.example.com"], header_replacements=[{"headers": {"X-A": "1"}}]),
        leveret.OutboundRoute.ip(cidrs=["203.0.113.7"]), leveret.OutboundRoute.any().block()])
    request = pb.SandboxCreateRequest()
    import asyncio

    asyncio.run(policy._fill(request, None))
    assert request.allow_tls_decryption
    assert [(r.kind, list(r.domains), list(r.cidrs), r.block) for r in request.outbound_routes] == [
        ("https", ["API.example.com"], [], False), ("ip", [], ["203.0.113.7"], False), ("any", [], [], True)]
    assert dict(request.outbound_routes[0].header_replacements[0].headers) == {"X-A": "1"}


def test_the_experimental_policy_is_https_routes_by_domain_then_any():
    policy = experimental.OutboundPolicy().with_header_replacement(domain="*.example.com", headers={"A": "1"}) \
        .with_header_replacement(domain="modal.com", headers={"B": "2"}) \
        .with_header_replacement(domain="*.example.com", headers={"C": "3"})._policy()
    assert policy.allow_tls_decryption
    assert [(r._kind, r._domains, len(r._replacements)) for r in policy.routes] == [
        ("https", ("example.com", "*.example.com"), 2), ("https", ("modal.com",), 1), ("any", (), 0)]
    assert not policy.routes[-1]._block


def test_a_connection_takes_the_first_route_that_matches():
    routes = check_routes([Route("ip", cidrs=("203.0.113.0/24",)), Route("https", domains=("api.example.com",)),
                           Route("tls", domains=("*.pypi.org",)), Route("any", block=True)], True)
    assert choose(routes, "api.example.com", "203.0.113.9", 443).kind == "ip"   # first match wins
    assert choose(routes, "api.example.com", "198.51.100.9", 443).kind == "https"
    assert choose(routes, "files.pypi.org", "198.51.100.9", 443).kind == "tls"
    assert choose(routes, "pypi.org", "198.51.100.9", 443).block   # *. is subdomains only
    assert choose(routes, "api.example.com", "198.51.100.9", 8443).block   # tls routes are port 443's
    assert choose(routes, None, "198.51.100.9", 443).block
    assert intercepts(routes) and allowed_cidrs(routes) == ("203.0.113.0/24",)
    open_any = check_routes([Route("ip", cidrs=("10.0.0.0/8",)), Route("any")], False)
    assert not intercepts(open_any) and allowed_cidrs(open_any) is None


def test_names_match_as_modal_says():
    assert name_matches("*", "anything.test") and name_matches("api.test", "API.test.")
    assert name_matches("*.example.com", "a.b.example.com") and not name_matches("*.example.com", "example.com")
    assert not name_matches("*.example.com", "badexample.com")


def test_header_templates_take_the_secrets_values():
    assert template_keys("Bearer $API_KEY and $$5 $OTHER") == ["API_KEY", "OTHER"]
    assert expand("Bearer $API_KEY, $$5", {"API_KEY": "sk-1"}) == "Bearer sk-1, $5"
    with pytest.raises(KeyError):
        expand("$MISSING", {})


def test_the_name_a_client_hello_asks_for():
    listener = socket.create_server(("127.0.0.1", 0))

    def connect():
        try:
            with socket.create_connection(listener.getsockname()) as s:
                ssl.create_default_context().wrap_socket(s, server_hostname="Api.Example.test")
        except OSError:
            pass

    client = threading.Thread(target=connect)
    client.start()
    conn, _ = listener.accept()
    hello = b""
    while len(hello) < 5 or len(hello) < 5 + int.from_bytes(hello[3:5], "big"):
        hello += conn.recv(65536)
    conn.close()
    listener.close()
    client.join()
    assert server_name(hello) == "api.example.test"
    assert server_name(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n") is None
    assert server_name(hello[:40]) is None
