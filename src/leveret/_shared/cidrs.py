"""CIDRs of an egress allowlist (Sandbox.create(outbound_cidr_allowlist=)), as the SDK checks them,
the server takes them and the worker's nftables rules hold them."""

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
