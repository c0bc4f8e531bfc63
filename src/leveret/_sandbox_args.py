"""What Sandbox.create and exec take, checked (sandbox.py): commands, env, timeouts, ports, tags,
allowlists, a terminal's size; each refusal names the fix."""

from __future__ import annotations

from .exception import InvalidError, NotImplementedOptionError

ARG_MAX_BYTES = 2 ** 16   # Modal's cap on a command's arguments


def _args(args: tuple, what: str) -> list[str]:
    for a in args:
        if not isinstance(a, str):
            raise InvalidError(f"{what} takes the command's arguments as strings, e.g. (\"ls\", \"-l\"), not {a!r}")
    if sum(len(a.encode()) + 1 for a in args) > ARG_MAX_BYTES:
        raise InvalidError(f"{what}: the command's arguments are over {ARG_MAX_BYTES} bytes: pass the data through"
                           " stdin or a file (sandbox.filesystem.write_bytes) instead")
    return list(args)


def _env(env, what: str) -> dict:
    if env is None:
        return {}
    if not isinstance(env, dict) or not all(isinstance(k, str) and isinstance(v, (str, type(None)))
                                            for k, v in env.items()):
        raise InvalidError(f"{what}: env= takes a dict of str to str, e.g. env={{\"MODE\": \"test\"}}, not {env!r}")
    return {k: v for k, v in env.items() if v is not None}


def _seconds(value, what: str, default: float = 0.0) -> float:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise InvalidError(f"{what} is a number of seconds > 0 (or None), not {value!r}")
    return float(value)


def _terminal_size(info) -> tuple[int, int]:
    """A command's terminal: Modal's PTYInfo's size (winsz_rows, winsz_cols) if given, else 24 x 80."""
    rows, cols = getattr(info, "winsz_rows", 0) or 24, getattr(info, "winsz_cols", 0) or 80
    if not (isinstance(rows, int) and isinstance(cols, int) and 0 < rows < 65536 and 0 < cols < 65536):
        raise InvalidError(f"a terminal's size is rows and columns from 1 to 65535, not {rows} x {cols}")
    return rows, cols


def _own_server(what: str, client=None) -> None:
    """client= is refused, not ignored: sandboxes use this process's server."""
    if client is not None:
        raise NotImplementedOptionError(f"{what}(client=...) is not supported yet: sandboxes use this process's server")


def _egress(request, cidr_allowlist, outbound_cidr_allowlist, outbound_domain_allowlist, block_network: bool) -> None:
    """The CIDRs and names a sandbox may reach, on its create request (none given: anywhere);
    cidr_allowlist= is the older name of outbound_cidr_allowlist=."""
    from ._shared.egress import check_cidrs, check_domains

    if cidr_allowlist is not None and outbound_cidr_allowlist is not None:
        raise InvalidError("give outbound_cidr_allowlist= only: cidr_allowlist= is its older name")
    cidrs = outbound_cidr_allowlist if outbound_cidr_allowlist is not None else cidr_allowlist
    if cidrs is None and outbound_domain_allowlist is None:
        return
    if block_network:
        raise InvalidError("block_network=True and an egress allowlist do not go together: a sandbox without a"
                           " network reaches nothing; drop one of them")
    try:
        if cidrs is not None:
            request.egress_limited = True
            request.outbound_cidr_allowlist.extend(check_cidrs(cidrs))
        if outbound_domain_allowlist is not None:
            request.domains_limited = True
            request.outbound_domain_allowlist.extend(check_domains(outbound_domain_allowlist))
    except ValueError as exc:
        raise InvalidError(str(exc)) from None


async def _outbound(request, policy, client) -> None:
    """An outbound policy (leveret.OutboundPolicy, or leveret.experimental.OutboundPolicy) on the request."""
    from .outbound import HeaderReplacementPolicy, OutboundPolicy

    if not isinstance(policy, (OutboundPolicy, HeaderReplacementPolicy)):
        raise InvalidError(f"outbound_policy= takes a leveret.OutboundPolicy(routes=[...]), not {policy!r}")
    if request.definition.block_network or request.egress_limited or request.domains_limited:
        raise InvalidError("outbound_policy= takes the place of block_network= and the outbound allowlists: say"
                           " what they did with its routes (OutboundRoute.ip, .tls, OutboundRoute.any().block())")
    await policy._fill(request, client)


def _ports(ports, what: str) -> list[int]:
    ports = list(ports or ())
    if not all(isinstance(p, int) and not isinstance(p, bool) and 0 < p < 65536 for p in ports):
        raise InvalidError(f"{what}= takes port numbers from 1 to 65535, e.g. {what}=[8000], not {ports!r}")
    return ports


def _tags(tags) -> dict:
    if tags is None:
        return {}
    if not isinstance(tags, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in tags.items()):
        raise InvalidError(f"tags= takes a dict of str to str, e.g. tags={{\"team\": \"ml\"}}, not {tags!r}")
    return dict(tags)
