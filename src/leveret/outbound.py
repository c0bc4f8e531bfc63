"""Modal's outbound policies: where a sandbox's connections may go, and headers filled in outside it.

    policy = leveret.OutboundPolicy(allow_tls_decryption=True, routes=[
        leveret.OutboundRoute.https(domains=["api.example.com"],          # decrypted: headers set
                                    header_replacements=[{"secret": leveret.Secret.from_name("api"),
                                                          "headers": {"Authorization": "Bearer $API_KEY"}}]),
        leveret.OutboundRoute.tls(domains=["pypi.org", "*.pythonhosted.org"]),   # passed through
        leveret.OutboundRoute.ip(cidrs=["203.0.113.0/24"]),
        leveret.OutboundRoute.any().block(),                              # the rest refused
    ])
    sb = leveret.Sandbox.create(app=app, outbound_policy=policy)

The first route that matches a connection decides it. tls and https routes match TCP to port 443 by
the name the client asks for (SNI); an https route's requests get its headers from an egress proxy
of the worker's, outside the sandbox, with the secret's values: the key never exists inside it. The
sandbox trusts its own certificate authority for that (its trust store and SSL_CERT_FILE,
REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE, NODE_EXTRA_CA_CERTS). ``leveret.experimental.OutboundPolicy``
is Modal's earlier form (``.with_header_replacement(domain=, headers=, secret=)``).
"""

from __future__ import annotations

from ._shared.egress import Route, check_routes
from .exception import InvalidError


class OutboundRoute:
    def __init__(self, kind: str, *, domains=(), cidrs=(), header_replacements=(), block: bool = False):
        self._kind, self._domains, self._cidrs, self._block = kind, _strings(domains, "domains"), \
            _strings(cidrs, "cidrs"), block
        self._replacements = tuple(_replacement(r) for r in header_replacements or ())

    def __repr__(self) -> str:
        what = self._domains or self._cidrs
        return f"OutboundRoute.{self._kind}({list(what) if what else ''}){'.block()' if self._block else ''}"

    @classmethod
    def tls(cls, *, domains) -> "OutboundRoute":
        """TLS to one of ``domains`` on TCP 443 (by SNI), passed through as it is."""
        return cls("tls", domains=domains)

    @classmethod
    def https(cls, *, domains, header_replacements=None) -> "OutboundRoute":
        """HTTPS to one of ``domains`` on TCP 443, decrypted (the policy needs allow_tls_decryption=True)
        and each request given ``header_replacements``' headers: ``[{"secret": Secret, "headers":
        {"Authorization": "Bearer $API_KEY"}}]`` ($KEY: the secret's value, $$: a $)."""
        return cls("https", domains=domains, header_replacements=header_replacements)

    @classmethod
    def ip(cls, *, cidrs) -> "OutboundRoute":
        """Anything to an address of ``cidrs``."""
        return cls("ip", cidrs=cidrs)

    @classmethod
    def any(cls) -> "OutboundRoute":
        """All that no earlier route matched: let through, or refused with ``.block()``. A policy's last route."""
        return cls("any")

    def block(self) -> "OutboundRoute":
        if self._kind != "any":
            raise InvalidError(f"only the any route blocks (what no route let through is refused by"
                               f" OutboundRoute.any().block()), not {self!r}")
        return OutboundRoute("any", block=True)


class OutboundPolicy:
    def __init__(self, *, allow_tls_decryption: bool = False, routes):
        self.allow_tls_decryption = bool(allow_tls_decryption)
        self.routes = tuple(routes)
        for r in self.routes:
            if not isinstance(r, OutboundRoute):
                raise InvalidError(f"routes are OutboundRoute.tls/https/ip/any(...), not {r!r}")
        try:   # (the headers' values are the server's to fill: only their names here)
            check_routes([Route(r._kind, r._domains, r._cidrs, r._block,
                                tuple((name, "") for h in r._replacements for name in h[1])) for r in self.routes],
                         self.allow_tls_decryption)
        except ValueError as exc:
            raise InvalidError(str(exc)) from None

    def __repr__(self) -> str:
        return f"OutboundPolicy(allow_tls_decryption={self.allow_tls_decryption}, routes={list(self.routes)})"

    async def _fill(self, request, client) -> None:
        """Its routes on a SandboxCreateRequest, each secret by id (its values stay on the server)."""
        from ._wire import api_pb2 as pb
        from .secret import secret_ids

        request.allow_tls_decryption = self.allow_tls_decryption
        for r in self.routes:
            route = request.outbound_routes.add(kind=r._kind, domains=r._domains, cidrs=r._cidrs, block=r._block)
            for secret, headers in r._replacements:
                secret_id = (await secret_ids([secret], client))[0] if secret is not None else ""
                route.header_replacements.append(pb.HeaderReplacement(secret_id=secret_id, headers=headers))


class HeaderReplacementPolicy:
    """``leveret.experimental.OutboundPolicy``: header replacements by domain, the rest let through.
    A domain ``*.example.com`` matches example.com and its subdomains; ``*`` any."""

    def __init__(self, _replacements: tuple = ()):
        self._replacements = _replacements   # ((domain, secret, headers), ...)

    def with_header_replacement(self, *, domain: str, headers: dict, secret=None) -> "HeaderReplacementPolicy":
        _replacement({"secret": secret, "headers": headers})
        if not isinstance(domain, str) or not domain:
            raise InvalidError(f"domain= is a name (api.example.com, *.example.com or *), not {domain!r}")
        return HeaderReplacementPolicy(self._replacements + ((domain.lower(), secret, dict(headers)),))

    def _policy(self) -> OutboundPolicy:
        by_domain: dict[str, list] = {}
        for domain, secret, headers in self._replacements:
            by_domain.setdefault(domain, []).append({"secret": secret, "headers": headers})
        routes = [OutboundRoute.https(domains=[d[2:], d] if d.startswith("*.") else [d], header_replacements=found)
                  for d, found in by_domain.items()]
        return OutboundPolicy(allow_tls_decryption=True, routes=[*routes, OutboundRoute.any()])

    async def _fill(self, request, client) -> None:
        await self._policy()._fill(request, client)


def _strings(values, what: str) -> tuple[str, ...]:
    if isinstance(values, (str, bytes)):
        raise InvalidError(f"{what}= is a list: [{values!r}]")
    return tuple(str(v) for v in values)


def _replacement(r) -> tuple:
    """(secret or None, {name: template}) from Modal's {"secret": ..., "headers": {...}}."""
    from .secret import Secret

    if not isinstance(r, dict) or not isinstance(r.get("headers"), dict) or set(r) - {"secret", "headers"}:
        raise InvalidError(f'a header replacement is {{"headers": {{NAME: VALUE}}, "secret": SECRET}} (the secret'
                           f" optional), not {r!r}")
    secret = r.get("secret")
    if secret is not None and not isinstance(secret, Secret):
        raise InvalidError(f"a header replacement's secret is a leveret.Secret, not {secret!r}")
    headers = r["headers"]
    if not headers or not all(isinstance(k, str) and isinstance(v, str) for k, v in headers.items()):
        raise InvalidError(f"headers= maps header names to values, both strings: {headers!r}")
    return secret, dict(headers)
