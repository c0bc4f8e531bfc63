"""A function's container on crun has a network of its own (runtime/network.py), as a sandbox's:
out through its host's NAT to an outside of the test's own (outside.py), names through its worker,
but neither the server's ports on the host's loopback, nor the host's other services, nor other
containers; block_network=True leaves it loopback alone; leveret.forward still reaches its port
through the gateway (its worker publishes it). (`--host-network`: test_worker_switches.py.)"""

import socket

import pytest
from outside import ALLOWED, HOST_SIDE, outside_network

from apps import network_app

pytestmark = pytest.mark.container


@pytest.fixture(scope="module")
def outside(tmp_path_factory):
    with outside_network(tmp_path_factory):
        yield


@pytest.fixture(scope="module")
def crun(tmp_path_factory, outside):
    from leveret.testing import Cluster

    with Cluster(tmp_path_factory.mktemp("function-network"), runtime="crun", max_containers=4) as c:
        with network_app.app.run(show_logs=False):
            yield c


def test_a_function_goes_out_through_nat_and_reaches_nothing_of_the_host(crun):
    host_service = socket.create_server(("0.0.0.0", 0))   # a service of the host's, on all its addresses
    host_port = host_service.getsockname()[1]
    server_port = crun.url.rpartition(":")[2]
    gateway_port = crun.server.gateway_url.rpartition(":")[2]
    try:
        assert network_app.fetch.remote(f"http://{ALLOWED}:8080/who.txt") == ALLOWED
        assert network_app.fetch.remote("http://allowed.test:8080/who.txt") == ALLOWED   # names: its worker's
        targets = [f"127.0.0.1:{server_port}", f"127.0.0.1:{gateway_port}", f"127.0.0.1:{host_port}",
                   f"{HOST_SIDE}:{host_port}"]
        assert network_app.probe.remote(targets) == {t: "closed" for t in targets}
        assert crun.agent.tasks and all(crun.agent.runtime.networks.of(c) for c in crun.agent.tasks)   # its own
    finally:
        host_service.close()


def test_block_network_leaves_loopback_alone(crun):
    assert network_app.interfaces.remote() == ["lo"]


def test_a_forwarded_port_reaches_the_gateway(crun):
    import urllib.request

    for url in network_app.forwarded.remote_gen(1.0):
        assert urllib.request.urlopen(url + "/", timeout=10).read() == b"hello from the container"
        listening = [s.sockets[0].getsockname()[0] for t in crun.agent.tasks.values() for servers in t.tunnels.values()
                     for s in servers]
        assert listening == ["127.0.0.1"]   # published at the worker's address towards its server only
