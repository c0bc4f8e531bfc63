"""Hosts made of network namespaces: each its own loopback, reached by the others over a bridge."""

import subprocess
import sys

import pytest
from netns import Network, require_netns
from procs import LineLog

pytestmark = pytest.mark.e2e

PORT = 7070


@pytest.fixture
def network():
    require_netns()
    with Network(2) as net:
        yield net


PROBE = """
import socket, sys
try:
    socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5).close()
    print("connected")
except OSError as exc:
    print(type(exc).__name__)
"""


def probe(network, host, address):
    proc = network.run_in(host, [sys.executable, "-c", PROBE, address, str(PORT)], stdout=subprocess.PIPE, text=True)
    out, _ = proc.communicate(timeout=30)
    return out.strip()


def test_each_namespace_is_a_host_of_its_own(network):
    a, b, *_ = network.hosts
    listener = network.run_in(
        a, [sys.executable, "-c", "import socket\ns = socket.create_server(('0.0.0.0', %d))\nprint('up', flush=True)\n"
                              "while True: s.accept()[0].close()" % PORT],
        stdout=subprocess.PIPE, text=True)
    LineLog(listener.stdout).wait_for_line("up")
    assert probe(network, a, "127.0.0.1") == "connected"
    assert probe(network, b, "127.0.0.1") == "ConnectionRefusedError"   # b's loopback is b's own
    assert probe(network, b, a.address) == "connected"                  # a is reached over the bridge
    root = subprocess.run([sys.executable, "-c", PROBE, a.address, str(PORT)], capture_output=True, text=True, timeout=30)
    assert root.stdout.strip() == "connected"                           # and from the root namespace, by the gateway
