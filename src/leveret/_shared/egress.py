"""A sandbox's egress allowlists (Sandbox.create(outbound_cidr_allowlist=, outbound_domain_allowlist=)),
as the SDK checks them, the server takes them and the worker keeps them (nftables, its name server)."""

from __future__ import annotations

import ipaddress


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
