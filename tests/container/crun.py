"""A crun cluster for a test module's fixture (tests/container/)."""

import os

import pytest


def crun_cluster_running(tmp_path_factory, name: str, app, *, deploy=(), **cluster):
    """A cluster whose worker runs crun containers, with ``app`` running (and ``deploy``'s apps
    deployed) while the module's tests use it: for a module-scoped fixture to yield from.
    ``cluster``: more of Cluster's options (warm_containers=...)."""
    from leveret.testing import Cluster

    if os.geteuid() != 0:
        pytest.fail("container tests need root (CI runs as root): run the suite as root")
    with Cluster(tmp_path_factory.mktemp(name), runtime="crun", **cluster) as c:
        for other in deploy:
            other.deploy()
        with app.run(show_logs=False):
            yield c
