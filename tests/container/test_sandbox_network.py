"""A sandbox's network, from inside it, against an "outside" of the test's own: a network namespace
holding two documentation addresses (198.51.100.2 and .3, each serving HTTP; .2 is also the name
server of the zone .test, the workers' upstream here), reached from the host through a veth. A
sandbox has a private network by default (NAT out; neither the host nor other sandboxes reachable;
names through its worker), an egress allowlist lets through only its CIDRs or the addresses of its
domains and writes each refusal to the app's logs, and ports reach the gateway through its
worker's host."""

import os
import secrets
import subprocess
import time
import urllib.request

import pytest
from outside import ALLOWED, DENIED, HOST_SIDE, outside_network

import leveret
from leveret.server.store import Store
from leveret.worker.runtime import network

pytestmark = pytest.mark.container

PROBE = ("import socket, sys\n"
         "for target in sys.argv[1:]:\n"
         "    host, port = target.rsplit(':', 1)\n"
         "    try:\n"
         "        socket.create_connection((host, int(port)), timeout=3).close(); print(target, 'open')\n"
         "    except OSError as e:\n"
         "        print(target, 'closed', e.errno)\n")


@pytest.fixture(scope="module")
def outside(tmp_path_factory):
    with outside_network(tmp_path_factory):
        yield


@pytest.fixture(scope="module")
def crun(tmp_path_factory):
    from leveret.testing import Cluster

    with Cluster(tmp_path_factory.mktemp("sandbox-network"), runtime="crun", max_containers=8) as c:
        yield c


@pytest.fixture(scope="module")
def app(crun):
    return leveret.App.lookup("sandbox-network-" + secrets.token_hex(3), create_if_missing=True)


def _probe(sb, *targets) -> dict:
    p = sb.exec("python3", "-c", PROBE, *targets)
    out = p.stdout.read()
    assert p.wait() == 0, p.stderr.read()
    return {line.split()[0]: line.split()[1] for line in out.splitlines()}


def test_a_sandbox_goes_out_through_nat_and_reaches_neither_the_host_nor_other_sandboxes(crun, app, outside):
    import socket

    server_port = crun.url.rpartition(":")[2]
    host_service = socket.create_server(("0.0.0.0", 0))   # a service of the host's, on all its addresses
    host_port = host_service.getsockname()[1]
    first = leveret.Sandbox.create("python3", "-m", "http.server", "8000", app=app, cpu=0.1)
    second = leveret.Sandbox.create(app=app, cpu=0.1)
    first.wait_until_ready(timeout=60)
    second.wait_until_ready(timeout=60)
    nets = [crun.agent.runtime.networks.of(crun.server.dispatcher.sandboxes.get(sb.object_id).container_id)
            for sb in (first, second)]
    assert all(nets) and nets[0].address != nets[1].address
    p = second.exec("python3", "-c", "import urllib.request as u; print(u.urlopen('http://%s:8080/who.txt').read().decode())"
                    % DENIED)
    assert p.stdout.read() == f"{DENIED}\n" and p.wait() == 0   # out, as any program would
    socket.create_connection((nets[1].gateway, host_port), timeout=3).close()   # the host reaches it there itself
    targets = [f"{nets[0].address}:8000", f"{nets[1].gateway}:{host_port}", f"{HOST_SIDE}:{host_port}",
               f"127.0.0.1:{server_port}"]
    assert _probe(second, *targets) == {t: "closed" for t in targets}
    assert _probe(first, "127.0.0.1:8000") == {"127.0.0.1:8000": "open"}   # its own loopback is its own
    host_service.close()
    for sb in (first, second):
        sb.terminate()


def test_an_egress_allowlist_lets_only_its_cidrs_through_and_logs_each_refusal(crun, app, outside):
    sb = leveret.Sandbox.create(app=app, outbound_cidr_allowlist=[f"{ALLOWED}/32"], cpu=0.1)
    sb.wait_until_ready(timeout=60)
    assert _probe(sb, f"{ALLOWED}:8080", f"{DENIED}:8080") == {f"{ALLOWED}:8080": "open", f"{DENIED}:8080": "closed"}
    text = f"network: refused TCP to {DENIED}:8080: outside its outbound allowlists"
    crun.wait_stored(lambda rows: any(r[7] == text for r in rows), Store.get_logs, app.app_id, timeout=20)
    sb.terminate()
    nothing = leveret.Sandbox.create(app=app, cidr_allowlist=[], cpu=0.1)   # the older name; empty: nowhere
    nothing.wait_until_ready(timeout=60)
    assert _probe(nothing, f"{ALLOWED}:8080") == {f"{ALLOWED}:8080": "closed"}
    nothing.terminate()


RESOLVE = ("import socket, sys\n"
           "for name in sys.argv[1:]:\n"
           "    try:\n"
           "        print(name, socket.gethostbyname(name))\n"
           "    except OSError as e:\n"
           "        print(name, 'unresolved')\n")


def _resolve(sb, *names) -> dict:
    p = sb.exec("python3", "-c", RESOLVE, *names)
    out = p.stdout.read()
    assert p.wait() == 0, p.stderr.read()
    return dict(line.split() for line in out.splitlines())


def test_names_resolve_through_the_worker_and_a_domain_allowlist_allows_only_their_addresses(crun, app, outside):
    anywhere = leveret.Sandbox.create(app=app, cpu=0.1)
    anywhere.wait_until_ready(timeout=60)
    assert _resolve(anywhere, "allowed.test", "denied.test", "nowhere.test") == {
        "allowed.test": ALLOWED, "denied.test": DENIED, "nowhere.test": "unresolved"}
    anywhere.terminate()

    sb = leveret.Sandbox.create(app=app, outbound_domain_allowlist=["*.allowed.test"], cpu=0.1)
    sb.wait_until_ready(timeout=60)
    # before it asked for a name, not even the address it will have
    assert _probe(sb, f"{ALLOWED}:8080") == {f"{ALLOWED}:8080": "closed"}
    assert _resolve(sb, "www.allowed.test", "denied.test") == {"www.allowed.test": ALLOWED, "denied.test": "unresolved"}
    assert _probe(sb, "www.allowed.test:8080", f"{DENIED}:8080") == {"www.allowed.test:8080": "open",
                                                                      f"{DENIED}:8080": "closed"}
    texts = {"network: refused DNS for denied.test: not in its outbound_domain_allowlist",
             f"network: refused TCP to {DENIED}:8080: outside its outbound allowlists"}
    crun.wait_stored(lambda rows: texts <= {r[7] for r in rows}, Store.get_logs, app.app_id, timeout=20)
    sb.terminate()

    both = leveret.Sandbox.create(app=app, outbound_domain_allowlist=["allowed.test"],
                                  outbound_cidr_allowlist=[f"{DENIED}/32"], cpu=0.1)
    both.wait_until_ready(timeout=60)
    assert _resolve(both, "allowed.test") == {"allowed.test": ALLOWED}
    assert _probe(both, f"{ALLOWED}:8080", f"{DENIED}:8080") == {f"{ALLOWED}:8080": "open", f"{DENIED}:8080": "open"}
    both.terminate()


def test_bad_allowlists_are_refused_with_the_fix(app):
    with pytest.raises(leveret.exception.InvalidError, match="not a CIDR"):
        leveret.Sandbox.create(app=app, outbound_cidr_allowlist=["198.51.100.0/33"])
    with pytest.raises(leveret.exception.InvalidError, match="a list of CIDRs"):
        leveret.Sandbox.create(app=app, outbound_cidr_allowlist="10.0.0.0/8")
    with pytest.raises(leveret.exception.InvalidError, match="do not go together"):
        leveret.Sandbox.create(app=app, outbound_cidr_allowlist=[ALLOWED], block_network=True)
    with pytest.raises(leveret.exception.InvalidError, match="'-bad-/' is not a domain"):
        leveret.Sandbox.create(app=app, outbound_domain_allowlist=["pypi.org", "-bad-/"])
    with pytest.raises(leveret.exception.InvalidError, match="outbound_cidr_allowlist= only"):
        leveret.Sandbox.create(app=app, outbound_cidr_allowlist=[ALLOWED], cidr_allowlist=[ALLOWED])


def test_a_port_reaches_the_gateway_from_a_private_network(crun, app, tmp_path):
    sb = leveret.Sandbox.create("sh", "-c", "echo from-inside > /tmp/hi.txt && cd /tmp && exec python3 -m http.server 8000",
                                app=app, encrypted_ports=[8000], readiness_probe=leveret.Probe.with_tcp(8000), cpu=0.1)
    sb.wait_until_ready(timeout=60)
    url = sb.tunnels()[8000].url
    deadline = time.time() + 20
    while True:
        try:
            body = urllib.request.urlopen(url + "/hi.txt", timeout=5).read()
            break
        except OSError:
            if time.time() > deadline:
                raise
            time.sleep(0.2)
    assert body == b"from-inside\n"
    sb.terminate()


def test_ended_sandboxes_leave_no_network_behind(crun, app):
    sb = leveret.Sandbox.create(app=app, outbound_cidr_allowlist=[ALLOWED], cpu=0.1)
    sb.wait_until_ready(timeout=60)
    container_id = crun.server.dispatcher.sandboxes.get(sb.object_id).container_id
    net = crun.agent.runtime.networks.of(container_id)
    assert os.path.exists(net.netns)
    sb.terminate()
    sb.wait(raise_on_termination=False)
    crun.wait_for(lambda d: container_id not in crun.agent.tasks, timeout=30)
    assert crun.agent.runtime.networks.of(container_id) is None
    assert not os.path.exists(net.netns)
    assert not os.path.exists(f"/sys/class/net/{net.veth}")
    assert not os.path.exists(os.path.join(network.RUN_DIR, str(net.slot)))
    rules = subprocess.run(["nft", "list", "table", "inet", network.TABLE], capture_output=True, text=True).stdout
    assert f"c{net.slot} " not in rules and f'"{net.veth}"' not in rules
