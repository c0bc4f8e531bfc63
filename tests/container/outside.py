"""An "outside" for network tests: a network namespace of the test's own holding two documentation
addresses (198.51.100.2 and .3, each serving HTTP on 8080 from a directory whose who.txt says its
address; .2 is also the name server of the zone .test, which the workers of this process use as
their upstream), reached from the host (198.51.100.1) through a veth."""

import contextlib
import os
import secrets
import subprocess
import sys
import time
import urllib.request

ALLOWED, DENIED, HOST_SIDE = "198.51.100.2", "198.51.100.3", "198.51.100.1"
ZONE = {"allowed.test.": ALLOWED, "www.allowed.test.": ALLOWED, "denied.test.": DENIED}
NAME_SERVER = ("import socket, sys, dns.message, dns.rcode, dns.rrset\n"
               "zone = dict(a.split('=') for a in sys.argv[2:])\n"
               "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
               "s.bind((sys.argv[1], 53))\n"
               "while True:\n"
               "    data, peer = s.recvfrom(4096)\n"
               "    q = dns.message.from_wire(data)\n"
               "    r = dns.message.make_response(q)\n"
               "    name, kind = q.question[0].name.to_text(), q.question[0].rdtype\n"
               "    if name not in zone:\n"
               "        r.set_rcode(dns.rcode.NXDOMAIN)\n"
               "    elif kind == 1:\n"
               "        r.answer.append(dns.rrset.from_text(name, 5, 'IN', 'A', zone[name]))\n"
               "    s.sendto(r.to_wire(), peer)\n")


def _ip(*args):
    subprocess.run(["ip", *args], check=True, capture_output=True)


def _wait_for_names(name: str, deadline: float) -> None:
    """Until the name server answers (a slow start of its Python would have a container's first
    lookup fail: "Temporary failure in name resolution")."""
    import dns.exception
    import dns.message
    import dns.query

    while True:
        try:
            dns.query.udp(dns.message.make_query(name, "A"), ALLOWED, timeout=0.5)
            return
        except (OSError, dns.exception.Timeout):
            if time.time() > deadline:
                raise
            time.sleep(0.1)


@contextlib.contextmanager
def outside_network(tmp_path_factory, zone: dict | None = None):
    """The outside, up while in the block; ``zone``: the names its name server answers (ZONE's by default)."""
    zone = ZONE if zone is None else zone
    tag = secrets.token_hex(3)
    ns, veth = f"lvt-out-{tag}", f"lvto{tag}"
    _ip("netns", "add", ns)
    servers = []
    try:
        _ip("link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns)
        _ip("addr", "add", f"{HOST_SIDE}/24", "dev", veth)
        _ip("link", "set", veth, "up")
        for address in (ALLOWED, DENIED):
            _ip("-n", ns, "addr", "add", f"{address}/24", "dev", "eth0")
        _ip("-n", ns, "link", "set", "eth0", "up")
        _ip("-n", ns, "link", "set", "lo", "up")
        for address in (ALLOWED, DENIED):
            root = tmp_path_factory.mktemp("www")
            (root / "who.txt").write_text(address)
            servers.append(subprocess.Popen(["ip", "netns", "exec", ns, sys.executable, "-m", "http.server", "--bind",
                                             address, "8080", "--directory", str(root)],
                                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        servers.append(subprocess.Popen(["ip", "netns", "exec", ns, sys.executable, "-c", NAME_SERVER, ALLOWED,
                                         *(f"{k}={v}" for k, v in zone.items())]))
        os.environ["LEVERET_DNS_UPSTREAM"] = ALLOWED   # the workers' (in this process) name server
        for address in (ALLOWED, DENIED):   # up, seen from the host
            deadline = time.time() + 20
            while True:
                try:
                    urllib.request.urlopen(f"http://{address}:8080/who.txt", timeout=2).read()
                    break
                except OSError:
                    if time.time() > deadline:
                        raise
                    time.sleep(0.1)
        _wait_for_names(next(iter(zone)), time.time() + 20)
        yield
    finally:
        os.environ.pop("LEVERET_DNS_UPSTREAM", None)
        for s in servers:
            s.kill()
            s.wait()
        subprocess.run(["ip", "link", "del", veth], capture_output=True)
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)
