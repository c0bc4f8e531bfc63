"""`leveret worker --host-network`: functions' containers on crun keep the host's network (what a
function needs to reach a service on its worker's loopback), where by default each has its own."""

import pytest

from apps import network_app

pytestmark = pytest.mark.container


def test_host_network_keeps_the_hosts(tmp_path):
    from leveret.testing import Cluster

    with Cluster(tmp_path, runtime="crun", max_containers=2, host_network=True) as c:
        with network_app.app.run(show_logs=False):
            port = c.url.rpartition(":")[2]
            assert network_app.probe.remote([f"127.0.0.1:{port}"]) == {f"127.0.0.1:{port}": "open"}
            assert c.agent.runtime.networks.of(next(iter(c.agent.tasks))) is None
