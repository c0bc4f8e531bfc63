"""The worker's switches for functions that cannot live as containers do by default on crun:
`leveret worker --host-network` keeps them on the host's network (to reach a service on its
loopback), `--no-user-namespace` keeps their root root outside (an image that cannot work in a
user namespace). Each on a cluster of its own."""

import pytest

from apps import isolation, network_app

pytestmark = pytest.mark.container


def test_host_network_keeps_the_hosts(tmp_path):
    from leveret.testing import Cluster

    with Cluster(tmp_path, runtime="crun", max_containers=2, host_network=True) as c:
        with network_app.app.run(show_logs=False):
            port = c.url.rpartition(":")[2]
            assert network_app.probe.remote([f"127.0.0.1:{port}"]) == {f"127.0.0.1:{port}": "open"}
            assert c.agent.runtime.networks.of(next(iter(c.agent.tasks))) is None


def test_no_user_namespace_keeps_root_root(tmp_path):
    from leveret.testing import Cluster

    with Cluster(tmp_path, runtime="crun", max_containers=2, user_namespaces=False) as c:
        with isolation.app.run(show_logs=False):
            seen = isolation.write_as_root.remote("/tmp/made-by-root")
            assert seen["uid"] == 0 and seen["uid_map"] == ["0", "0", "4294967295"]
            assert seen["container"] not in c.runtime._userns_of
