"""Private networks: a container's own network namespace, a veth pair to the host, NAT out.

    make(container id, egress, domains):
        one of the READY made ahead (refilled in the background), else made now:
        a slot (host-wide: a file per slot under RUN_DIR, made O_EXCL, so workers sharing a host
        never share one) ─▶ its /30 of the subnet: the host's end .1, the container's .2
        ─▶ `ip -batch`: netns leveret-N, veth lvhN (host) ⇄ eth0 (inside), the host's address
        ─▶ `ip -n leveret-N -batch`: its address, lo up, default route via the host's end
        ─▶ egress limited: `nft`: a chain cN (allowed CIDRs accept, and the addresses of sets aN /
           bN that its name server fills from answers for allowed domains; the rest logged and
           refused), and an element of the egress map sending what comes in on lvhN to it
        ─▶ its name server on the host's end (dns.py): its resolv.conf names it
        ─▶ an outbound policy with tls or https routes: its egress proxy on the host's end
           (egress_proxy.py), its veth in the set ``intercept`` (TCP to 443 redirected there);
           with https routes its own certificate authority, which it trusts (``Net.trust``)
    remove(container id): its name server, its chain and sets, `ip link del` (both ends),
        `ip netns del`, the slot's file

The host's nftables table ``inet leveret`` (made once per host, under a lock):

    forward      answers back to containers pass; container to container is dropped; what a
                 container sends goes to its chain if its veth is in the egress map (else passes)
    input        a container reaches nothing of the host's (the server's and worker's ports, the
                 veth's own address) but its name server (UDP 53) and answers to connections the
                 host made
    prerouting   TCP to port 443 from a veth of the set intercept goes to its egress proxy
    postrouting  containers' addresses are masqueraded on the way out

A refusal is logged to the kernel's log as "leveret-deny <container id> ... DST=... DPT=..."
(at most 10 a second per container); ``DenyReader`` reads them from /dev/kmsg for the container's logs.
"""

from __future__ import annotations

import asyncio
import errno
import fcntl
import ipaddress
import logging
import os
import re
from typing import Callable, NamedTuple

from ..._shared.aio import to_the_end
from ..._shared.egress import intercepts
from .base import RuntimeStartError
from .egress_proxy import PORT as PROXY_PORT
from .spawn import spawn

RUN_DIR = "/run/leveret/net"           # a file per slot in use, holding its owner (a worker's state directory)
READY = 4                              # networks a worker keeps made ahead, once it has made one
REFILL_AFTER_S = 0.2                   # made again this long after one was taken (at once when none was left)
NETNS_DIR = "/run/netns"               # where `ip netns` keeps its namespaces
DEFAULT_SUBNET = "10.89.0.0/16"        # LEVERET_CONTAINER_SUBNET changes it (all workers of a host: one)
TABLE = "leveret"
TABLE_VERSION = "leveret 3"            # the table's comment: an older one is made again
VETH = "lvh"                           # host ends are lvh<slot, hex>
DENY_PREFIX = "leveret-deny"
DENY_RATE = "10/second"
HOST_TRUST = "/etc/ssl/certs/ca-certificates.crt"   # what the host trusts (containers see it as their own)
EGRESS_CA = "egress-ca.pem"            # in a Net's trust directory: its egress authority's certificate
TRUST_DIR = "/etc/leveret"             # where a container sees that certificate alone

log = logging.getLogger("leveret.worker")


class Net(NamedTuple):
    """A container's network: its namespace (for config.json), its address, the host's end."""

    slot: int
    netns: str            # path of the namespace
    address: str          # the container's
    gateway: str          # the host's end of its veth
    veth: str             # its name on the host
    limited: bool         # it has an egress allowlist (a chain of its own)
    named: bool           # its allowlist has domains (sets of its own, filled by its name server)
    resolv_conf: str      # its /etc/resolv.conf: its name server
    intercepted: bool = False   # its TCP to 443 goes to its egress proxy
    trust: str = ""       # a directory of its trust store (its egress authority's certificate too), or ""


def _host_table(subnet: str) -> str:
    return f"""
table inet {TABLE} {{
  comment "{TABLE_VERSION}"
  map egress {{ type ifname : verdict; }}
  set intercept {{ type ifname; }}
  chain prerouting_ {{ type nat hook prerouting priority dstnat; policy accept;
    iifname @intercept tcp dport 443 redirect to :{PROXY_PORT}
  }}
  chain forward_ {{ type filter hook forward priority filter; policy accept;
    oifname "{VETH}*" ct state established,related accept
    iifname "{VETH}*" oifname "{VETH}*" drop
    iifname vmap @egress
  }}
  chain input_ {{ type filter hook input priority filter; policy accept;
    iifname "{VETH}*" ct state established,related accept
    iifname "{VETH}*" ip daddr {subnet} udp dport 53 accept
    iifname @intercept ct status dnat tcp dport {PROXY_PORT} accept
    iifname "{VETH}*" reject with icmpx admin-prohibited
  }}
  chain postrouting_ {{ type nat hook postrouting priority srcnat; policy accept;
    ip saddr {subnet} oifname != "{VETH}*" masquerade
  }}
}}
"""


def trust_env(bundle: str, authority: str) -> dict[str, str]:
    """What points programs that keep trust stores of their own at the container's (``bundle``: the
    host's authorities and its egress authority; ``authority``: that one alone, for those that add it)."""
    return {"SSL_CERT_FILE": bundle, "REQUESTS_CA_BUNDLE": bundle, "CURL_CA_BUNDLE": bundle,
            "NODE_EXTRA_CA_CERTS": authority, "DENO_CERT": authority}


def egress_rules(slot: int, container_id: str, cidrs: tuple[str, ...], domains: bool = False) -> str:
    """nft commands giving a container (its veth) an egress allowlist: only ``cidrs``, and with
    ``domains`` the addresses its name server adds to its sets (a<slot>, b<slot>) as it answers."""
    v4 = [c for c in cidrs if ipaddress.ip_network(c, strict=False).version == 4]
    v6 = [c for c in cidrs if ipaddress.ip_network(c, strict=False).version == 6]
    chain = f"c{slot}"
    lines = []
    if domains:
        lines += [f"add set inet {TABLE} a{slot} {{ type ipv4_addr; flags timeout; }}",
                  f"add set inet {TABLE} b{slot} {{ type ipv6_addr; flags timeout; }}"]
    lines.append(f"add chain inet {TABLE} {chain}")
    if v4:
        lines.append(f"add rule inet {TABLE} {chain} ip daddr {{ {', '.join(v4)} }} accept")
    if v6:
        lines.append(f"add rule inet {TABLE} {chain} ip6 daddr {{ {', '.join(v6)} }} accept")
    if domains:
        lines += [f"add rule inet {TABLE} {chain} ip daddr @a{slot} accept",
                  f"add rule inet {TABLE} {chain} ip6 daddr @b{slot} accept"]
    lines += [f'add rule inet {TABLE} {chain} limit rate {DENY_RATE} log prefix "{DENY_PREFIX} {container_id} "',
              f"add rule inet {TABLE} {chain} reject with icmpx admin-prohibited",
              f'add element inet {TABLE} egress {{ "{VETH}{slot:x}" : jump {chain} }}']
    return "\n".join(lines) + "\n"


def allow_rules(slot: int, addresses: list[str], seconds: int) -> str:
    """nft commands letting a container reach ``addresses`` for ``seconds`` (its name server's answers)."""
    v4 = [a for a in addresses if ipaddress.ip_address(a).version == 4]
    v6 = [a for a in addresses if ipaddress.ip_address(a).version == 6]
    return "".join(f"add element inet {TABLE} {s}{slot} {{ {', '.join(f'{a} timeout {seconds}s' for a in found)} }}\n"
                   for s, found in (("a", v4), ("b", v6)) if found)


class Networks:
    """The private networks of one worker's containers."""

    def __init__(self, owner: str, subnet: str | None = None, run_dir: str = RUN_DIR):
        self.owner = owner                       # the worker's state directory: its slots' files say it
        self.subnet = ipaddress.ip_network(subnet or os.environ.get("LEVERET_CONTAINER_SUBNET") or DEFAULT_SUBNET)
        if self.subnet.version != 4 or self.subnet.prefixlen > 28:
            raise RuntimeStartError(f"container subnet {self.subnet}: give an IPv4 network of /28 or more"
                                    " (LEVERET_CONTAINER_SUBNET)")
        self.run_dir = run_dir
        self.slots = self.subnet.num_addresses // 4
        self._of: dict[str, Net] = {}            # container id -> its network
        self._dns: dict = {}                     # container id -> its name server (dns.DnsProxy)
        self._proxies: dict = {}                 # container id -> its egress proxy (egress_proxy.EgressProxy)
        self._next = 0
        self._ready: list[int] = []              # slots whose networks are made, for containers to come
        self._filling: asyncio.Future | None = None
        self._closing = False
        self._table_made = False
        self.denials: DenyReader | None = None
        self.on_denied: Callable[[str, str], None] | None = None   # (container id, what was refused)

    async def make(self, container_id: str, egress: tuple[str, ...] | None, domains: tuple[str, ...] | None = None,
                   directory: str = "", outbound: tuple | None = None) -> Net:
        """A network of its own for the container; ``egress``: the CIDRs it may reach, ``domains``:
        the names whose addresses it may reach (both None: any), ``outbound``: its outbound policy's
        routes (what goes to 443 through its egress proxy). Its resolv.conf (and trust store) are
        written in ``directory`` (its bundle). From the ones kept ready when there is one (after the first)."""
        if not self._table_made:
            await asyncio.get_running_loop().run_in_executor(None, self._make_table)
        loop = asyncio.get_running_loop()
        if self._ready:
            slot = self._ready.pop()
            loop.call_later(REFILL_AFTER_S, self._refill)   # (not while this container starts: the worker's
        else:                                               # loop spawns the commands that make one)
            self._refill()
            slot = await self._new_slot()
        base = self.subnet.network_address + 4 * slot
        limited = egress is not None or domains is not None
        net = Net(slot, os.path.join(NETNS_DIR, f"leveret-{slot}"), str(base + 2), str(base + 1), f"{VETH}{slot:x}",
                  limited, domains is not None, os.path.join(directory, "resolv.conf"))
        self._of[container_id] = net
        if limited:
            await _run(["nft", "-f", "-"], egress_rules(slot, container_id, egress or (), domains is not None))
            if self.on_denied is not None and self.denials is None:
                self.denials = DenyReader(self.on_denied)
        await self._name_server(container_id, net, domains)
        if intercepts(outbound):
            net = await self._egress_proxy(container_id, net, outbound, directory)
        return net

    async def _egress_proxy(self, container_id: str, net: Net, routes: tuple, directory: str) -> Net:
        from .egress_proxy import Authority, EgressProxy

        authority, trust = None, ""
        if any(r.kind == "https" for r in routes):   # decrypted: it trusts its own authority too
            authority = Authority(container_id, directory)
            trust = os.path.join(directory, "trust")
            os.makedirs(trust, exist_ok=True)
            host = b""
            if os.path.exists(HOST_TRUST):
                with open(HOST_TRUST, "rb") as f:
                    host = f.read().rstrip(b"\n") + b"\n"
            for name, content in ((EGRESS_CA, authority.pem()), (os.path.basename(HOST_TRUST), host + authority.pem())):
                with open(os.path.join(trust, name), "wb") as f:
                    f.write(content)
        proxy = EgressProxy(net.gateway, routes, authority, self._say(container_id))
        await _serve(proxy, "egress proxy", net.gateway)
        self._proxies[container_id] = proxy
        net = self._of[container_id] = net._replace(intercepted=True, trust=trust)
        await _run(["nft", "-f", "-"], f'add element inet {TABLE} intercept {{ "{net.veth}" }}\n')
        return net

    async def _new_slot(self) -> int:
        """A slot taken and its network made (or nothing left of it, and why not raised)."""
        slot = self._take_slot()
        try:
            await self._link(slot)
        except BaseException:
            await self._remove_slot(slot, False, False)
            raise
        return slot

    async def _link(self, slot: int) -> None:
        """Slot's namespace, its veth pair and addresses, its default route."""
        base = self.subnet.network_address + 4 * slot
        ns, veth, gateway = f"leveret-{slot}", f"{VETH}{slot:x}", base + 1
        await _run(["ip", "-batch", "-"], f"netns add {ns}\nlink add {veth} type veth peer name eth0 netns {ns}\n"
                   f"addr add {gateway}/30 dev {veth}\nlink set {veth} up\n")
        await _run(["ip", "-n", ns, "-batch", "-"], f"addr add {base + 2}/30 dev eth0\nlink set lo up\n"
                   f"link set eth0 up\nroute add default via {gateway}\n")

    def _refill(self) -> None:
        """Keep READY networks made ahead (once a container has asked for one: a worker that runs no
        sandbox makes none), in the background."""
        if self._closing or (self._filling is not None and not self._filling.done()):
            return
        self._filling = asyncio.ensure_future(self._fill())

    async def _fill(self) -> None:
        while len(self._ready) < READY and not self._closing:
            try:
                self._ready.append(await self._new_slot())
            except Exception as exc:   # on demand then, where the error reaches a container's start
                log.warning("could not make a container network ahead: %s", exc)
                return

    async def limit(self, container_id: str, egress: tuple[str, ...] | None, domains: tuple[str, ...] | None) -> None:
        """Give a container's network (made without) an egress allowlist: a warm sandbox's, now it has one."""
        net = self._of[container_id]
        if net.limited or (egress is None and domains is None):
            raise RuntimeStartError("a container's network gets an allowlist once, and only a real one")
        await _run(["nft", "-f", "-"], egress_rules(net.slot, container_id, egress or (), domains is not None))
        self._of[container_id] = net._replace(limited=True, named=domains is not None)
        if self.on_denied is not None and self.denials is None:
            self.denials = DenyReader(self.on_denied)
        self._dns[container_id].domains = domains

    async def _name_server(self, container_id: str, net: Net, domains: tuple[str, ...] | None) -> None:
        from .dns import DnsProxy

        async def allow(addresses: list[str], seconds: int) -> None:
            await _run(["nft", "-f", "-"], allow_rules(net.slot, addresses, seconds))

        proxy = DnsProxy(net.gateway, domains, allow, self._say(container_id, ": not in its outbound_domain_allowlist"))
        await _serve(proxy, "name server", net.gateway)
        self._dns[container_id] = proxy
        with open(net.resolv_conf, "w") as f:
            f.write(f"nameserver {net.gateway}\n")

    def _say(self, container_id: str, after: str = "") -> Callable[[str], None]:
        """What writes a refusal (``text`` + ``after``) to the container's logs."""
        def say(text: str) -> None:
            if self.on_denied is not None:
                self.on_denied(container_id, text + after)
        return say

    def of(self, container_id: str) -> Net | None:
        return self._of.get(container_id)

    async def remove(self, container_id: str) -> None:
        """Everything its network held; nothing if it had none. Idempotent."""
        for servers in (self._dns, self._proxies):
            server = servers.pop(container_id, None)
            if server is not None:
                server.close()
        net = self._of.pop(container_id, None)
        if net is not None:
            await self._remove_slot(net.slot, net.limited, net.named, net.intercepted)

    async def adopt(self, container_id: str, net: Net) -> None:
        """The network an earlier worker here made for a container this one re-attached to: its
        name server (which lived in that worker) serves it again. Not one with an allowlist or an
        egress proxy (their state lived in that worker too): RuntimeStartError."""
        if net.limited or net.intercepted:
            raise RuntimeStartError("its network has an egress allowlist or proxy, which a new worker cannot take over")
        self._of[container_id] = net
        await self._name_server(container_id, net, None)

    async def remove_leftovers(self, keep: frozenset = frozenset()) -> int:
        """The networks an earlier worker of this owner left (it was killed), but the slots in
        ``keep`` (adopted), and those of owners whose state directory is gone (no worker will start
        there again): how many."""
        found = 0
        for name in os.listdir(self.run_dir) if os.path.isdir(self.run_dir) else []:
            try:
                with open(os.path.join(self.run_dir, name)) as f:
                    owner = f.read()
            except OSError:
                continue
            if name.isdigit() and int(name) not in keep and (owner == self.owner or not os.path.isdir(owner)):
                found += 1
                await self._remove_slot(int(name), limited=True, named=True, intercepted=True)
        return found

    async def close(self) -> None:
        """The worker stops: the networks its containers held go with them, and those made ahead."""
        self._closing = True
        if self._filling is not None:
            self._filling.cancel()
            await asyncio.gather(self._filling, return_exceptions=True)
        for container_id in list(self._of):
            await self.remove(container_id)
        while self._ready:
            await self._remove_slot(self._ready.pop(), False, False)
        if self.denials is not None:
            self.denials.close()
            self.denials = None

    async def _remove_slot(self, slot: int, limited: bool, named: bool, intercepted: bool = False) -> None:
        veth, chain = f"{VETH}{slot:x}", f"c{slot}"
        if limited:   # the element first (a chain a map jumps to cannot go), then the chain, then its sets
            sets = [f"delete set inet {TABLE} {s}{slot}\n" for s in ("a", "b")] if named else []
            if not await _run(["nft", "-f", "-"], f'delete element inet {TABLE} egress {{ "{veth}" }}\n'
                              f"delete chain inet {TABLE} {chain}\n" + "".join(sets), check=False):
                for command in [f"delete chain inet {TABLE} {chain}\n", *sets]:   # what a failed start left
                    await _run(["nft", "-f", "-"], command, check=False)
        if intercepted:
            await _run(["nft", "-f", "-"], f'delete element inet {TABLE} intercept {{ "{veth}" }}\n', check=False)
        await _run(["ip", "link", "del", veth], check=False)
        await _run(["ip", "netns", "del", f"leveret-{slot}"], check=False)
        try:
            os.unlink(os.path.join(self.run_dir, str(slot)))
        except FileNotFoundError:
            pass

    def _take_slot(self) -> int:
        os.makedirs(self.run_dir, exist_ok=True)
        for i in range(self.slots):
            slot = (self._next + i) % self.slots
            try:
                fd = os.open(os.path.join(self.run_dir, str(slot)), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                continue
            with os.fdopen(fd, "w") as f:
                f.write(self.owner)
            self._next = slot + 1
            return slot
        raise RuntimeStartError(f"all {self.slots} container networks of {self.subnet} are in use: give"
                                " LEVERET_CONTAINER_SUBNET a bigger network")

    def _make_table(self) -> None:
        """The host's table, once per host: its rules hold for every worker's containers."""
        import subprocess

        os.makedirs(self.run_dir, exist_ok=True)
        with open(os.path.join(self.run_dir, ".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            listed = subprocess.run(["nft", "list", "table", "inet", TABLE], capture_output=True, text=True)
            if listed.returncode == 0 and f'comment "{TABLE_VERSION}"' not in listed.stdout:   # an older one
                subprocess.run(["nft", "delete", "table", "inet", TABLE], capture_output=True)
            if listed.returncode != 0 or f'comment "{TABLE_VERSION}"' not in listed.stdout:
                made = subprocess.run(["nft", "-f", "-"], input=_host_table(str(self.subnet)).encode(),
                                      capture_output=True)
                if made.returncode != 0:
                    raise RuntimeStartError(f"could not make the host's nftables table for containers' networks:"
                                            f" {made.stderr.decode(errors='replace').strip()}")
            with open("/proc/sys/net/ipv4/ip_forward") as f:
                forwarding = f.read().strip() == "1"
            if not forwarding:   # (as Docker does: containers' packets are routed out through the host)
                with open("/proc/sys/net/ipv4/ip_forward", "w") as f:
                    f.write("1")
        self._table_made = True


async def _run(argv: list[str], stdin: str = "", *, check: bool = True) -> bool:
    """Whether ``argv`` succeeded; RuntimeStartError with what it said if not and ``check``."""
    try:
        proc = await spawn(
            *argv, stdin=asyncio.subprocess.PIPE if stdin else asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    except FileNotFoundError:
        raise RuntimeStartError(f"{argv[0]} is not installed: containers' own networks need it (apt-get install"
                                f" {'nftables' if argv[0] == 'nft' else 'iproute2'})") from None
    # cancelled (a worker stopping while it makes a network ahead): the command finishes first, or
    # the cleanup that follows would run before it and leave what it then makes (found by the soak
    # test: a namespace was left for good)
    _, err = await to_the_end(proc.communicate(stdin.encode() if stdin else None))
    if check and proc.returncode:
        raise RuntimeStartError(f"could not set up the container's network ({' '.join(argv[:2])}):"
                                f" {err.decode(errors='replace').strip()}")
    return proc.returncode == 0


async def _serve(server, what: str, address: str) -> None:
    """Start a container's server on the host's end of its veth (its name server, its egress proxy)."""
    try:
        await server.start()
    except OSError as exc:
        raise RuntimeStartError(f"could not start the container's {what} on {address}: {exc}") from None


_DENIED = re.compile(rf"{DENY_PREFIX} (\S+) .*?DST=(\S+) .*?PROTO=(\S+)(?: .*?DPT=(\d+))?")


def parse_denial(record: str) -> tuple[str, str] | None:
    """(container id, "TCP to 198.51.100.3:80: …") from a kernel log record, or None if it is not ours."""
    m = _DENIED.search(record)
    if m is None:
        return None
    container_id, dst, proto, port = m.groups()
    return container_id, f"{proto} to {dst}{':' + port if port else ''}: outside its outbound allowlists"


class DenyReader:
    """The kernel log's refusals, as they come (from now: what was logged before is skipped)."""

    def __init__(self, on_denied: Callable[[str, str], None]):
        self.on_denied = on_denied
        self.loop = asyncio.get_running_loop()
        try:
            self.fd = os.open("/dev/kmsg", os.O_RDONLY | os.O_NONBLOCK)
        except OSError as exc:
            log.warning("cannot read the kernel's log (%s): refused connections will not be in containers' logs", exc)
            self.fd = -1
            return
        os.lseek(self.fd, 0, os.SEEK_END)
        self.loop.add_reader(self.fd, self._read)

    def _read(self) -> None:
        while True:
            try:
                record = os.read(self.fd, 8192)
            except BlockingIOError:
                return
            except OSError as exc:
                if exc.errno == errno.EPIPE:   # records were overwritten before we read them: go on
                    continue
                raise
            if not record:
                return
            found = parse_denial(record.decode(errors="replace"))
            if found is not None:
                self.on_denied(*found)

    def close(self) -> None:
        if self.fd >= 0:
            self.loop.remove_reader(self.fd)
            os.close(self.fd)
            self.fd = -1
