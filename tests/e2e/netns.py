"""Network namespaces joined by a bridge: one process tree per namespace, as if each ran on its own host.

    with Network(4) as net:
        server = net.run_in(net.hosts[0], ["leveret", "server", "--listen", f"{net.hosts[0].address}:7070"])
        worker = net.run_in(net.hosts[1], [...])
        net.kill_host(net.hosts[1])          # SIGKILL to every process in that namespace

The bridge gets the subnet's first address, so the test process (in the root namespace) reaches
every host; host i gets the address after it. Every name carries a random suffix, so parallel runs
do not collide, and closing the network kills what still runs in it and deletes what it made, also
when a test failed. Needs root, ``ip netns`` and ``nsenter``: `require_netns()` skips without them
(fails under CI).
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import random
import secrets
import select
import shutil
import signal
import subprocess
import time


MAX_IFNAME = 15   # the kernel's IFNAMSIZ less the NUL


@dataclasses.dataclass(frozen=True)
class Host:
    """One namespace: its name for ``ip netns``, and its address on the bridge."""
    name: str
    address: str


def require_netns() -> None:
    """Skip the test where namespaces cannot be made here; under CI that is a failure instead."""
    why = None
    if os.geteuid() != 0:
        why = "network namespaces need root"
    elif shutil.which("ip") is None or shutil.which("nsenter") is None:
        why = "network namespaces need `ip` and `nsenter` (apt-get install iproute2 util-linux)"
    else:
        probe = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True)
        if probe.returncode != 0:
            why = f"`ip netns` does not work here: {probe.stderr.strip()}"
    if why is None:
        return
    from _needs import missing

    missing(why)


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run(["ip", *args], capture_output=True, text=True)
    if check and done.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)}: {done.stderr.strip()}")
    return done


def _free_subnet() -> ipaddress.IPv4Network:
    """A /24 in 10.0.0.0/8 that overlaps no address or route of the root namespace."""
    taken = [ipaddress.ip_network(word, strict=False)
             for line in _ip("-4", "-o", "addr").stdout.splitlines() + _ip("-4", "route").stdout.splitlines()
             for word in line.split() if "/" in word and word[0].isdigit()]
    rng = random.Random()
    for _ in range(100):
        subnet = ipaddress.ip_network(f"10.{rng.randrange(100, 250)}.{rng.randrange(256)}.0/24")
        if not any(subnet.overlaps(t) for t in taken):
            return subnet
    raise RuntimeError(f"no free /24 in 10.100-249.x.0 next to {taken}")


class Network:
    """A bridge in the root namespace with ``n`` namespaces (``hosts``) on it, each by a veth pair."""

    def __init__(self, n: int):
        suffix = secrets.token_hex(3)
        self.bridge = f"lvbr{suffix}"
        self.subnet = _free_subnet()
        addresses = [str(a) for a in self.subnet.hosts()]
        self.gateway = addresses[0]   # the bridge's address: the root namespace's way in
        self.hosts = [Host(f"lv{suffix}-{i}", addresses[i]) for i in range(1, n + 1)]
        self._veths = [f"lv{suffix}h{i}" for i in range(1, n + 1)]
        assert all(len(name) <= MAX_IFNAME for name in [self.bridge, *self._veths])
        self._made_namespaces: list[str] = []
        self._procs: dict[str, list[subprocess.Popen]] = {}
        try:
            self._build()
        except BaseException:
            self.close()
            raise

    def _build(self) -> None:
        prefix = self.subnet.prefixlen
        _ip("link", "add", self.bridge, "type", "bridge")
        _ip("addr", "add", f"{self.gateway}/{prefix}", "dev", self.bridge)
        _ip("link", "set", self.bridge, "up")
        for host, veth in zip(self.hosts, self._veths):
            _ip("netns", "add", host.name)
            self._made_namespaces.append(host.name)
            _ip("link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", host.name)
            _ip("link", "set", veth, "master", self.bridge)
            _ip("link", "set", veth, "up")
            _ip("-n", host.name, "addr", "add", f"{host.address}/{prefix}", "dev", "eth0")
            _ip("-n", host.name, "link", "set", "eth0", "up")
            _ip("-n", host.name, "link", "set", "lo", "up")

    def __enter__(self) -> Network:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def run_in(self, host: Host, argv: list[str], **popen_kwargs) -> subprocess.Popen:
        """Start ``argv`` inside ``host``'s namespace; it and its children die when the network closes.

        Through ``nsenter --net``, which changes the network namespace only: ``ip netns exec`` also
        mounts a fresh /sys, which hides /sys/fs/cgroup, and crun cannot start containers without it."""
        proc = subprocess.Popen(["nsenter", f"--net=/run/netns/{host.name}", *argv], **popen_kwargs)
        self._procs.setdefault(host.name, []).append(proc)
        return proc

    def cut(self, host: Host) -> None:
        """Cut ``host`` off the network (its link to the bridge goes down): its processes live on."""
        _ip("link", "set", self._veths[self.hosts.index(host)], "down")

    def mend(self, host: Host) -> None:
        _ip("link", "set", self._veths[self.hosts.index(host)], "up")

    def pids(self, host: Host) -> list[int]:
        done = _ip("netns", "pids", host.name, check=False)
        return [int(p) for p in done.stdout.split()]

    def kill_host(self, host: Host, timeout: float = 10) -> None:
        """SIGKILL every process in ``host``'s namespace, as a host that lost power; return once all are gone."""
        deadline = time.monotonic() + timeout
        while pids := self.pids(host):   # again: one may have forked before it died
            for pid in pids:
                try:
                    fd = os.pidfd_open(pid)
                except ProcessLookupError:
                    continue
                try:
                    signal.pidfd_send_signal(fd, signal.SIGKILL)
                    left = deadline - time.monotonic()
                    if left <= 0 or not select.select([fd], [], [], left)[0]:   # readable once it exited
                        raise RuntimeError(f"process {pid} in namespace {host.name} survived SIGKILL for {timeout} s")
                except ProcessLookupError:
                    pass
                finally:
                    os.close(fd)
        for proc in self._procs.get(host.name, []):   # reap those that were our children
            proc.wait()

    def close(self) -> None:
        """Kill what still runs in the namespaces, then delete them and the bridge. Safe to call twice."""
        errors = []
        for name in self._made_namespaces:
            try:
                self.kill_host(Host(name, ""))
            except RuntimeError as exc:
                errors.append(str(exc))
        for procs in self._procs.values():
            for proc in procs:
                if proc.poll() is None:
                    proc.kill()
                proc.wait()
        for name in self._made_namespaces:
            done = _ip("netns", "del", name, check=False)
            if done.returncode != 0:
                errors.append(f"ip netns del {name}: {done.stderr.strip()}")
        self._made_namespaces.clear()
        for veth in self._veths:   # gone with their namespaces' ends unless the build stopped half-way
            _ip("link", "del", veth, check=False)
        _ip("link", "del", self.bridge, check=False)
        if errors:
            raise RuntimeError("; ".join(errors))
