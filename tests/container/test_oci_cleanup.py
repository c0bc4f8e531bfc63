"""After containers stop, crun leaves no bundle, mount or cgroup behind."""

import os
import shutil

import pytest

from leveret.testing import Cluster
from leveret.worker.runtime import cgroups
from leveret.worker.runtime.oci import cgroup_of
from apps import isolation

pytestmark = pytest.mark.container


def test_nothing_is_left_after_containers_stop(tmp_path):
    with Cluster(tmp_path, runtime="crun") as c:
        with isolation.app.run(show_logs=False):
            isolation.look.remote()
            ids = [ct.container_id for ct in c.containers()]
        c.wait_for(lambda _: not c.containers(), timeout=20)
        bundles = os.path.join(c.directory, "worker", "bundles")
        assert os.listdir(bundles) == []
        with open("/proc/self/mountinfo") as f:
            assert bundles not in f.read()
        for ct in ids:
            assert not any(os.path.exists(p) for p in cgroups.paths(cgroup_of(ct)))


def test_runc_runs_containers_too(tmp_path):
    with Cluster(tmp_path, runtime="runc") as c:
        assert c.runtime.describe().startswith("runc (cgroup ")
        with isolation.app.run(show_logs=False):
            seen = isolation.look.remote()
        assert max(seen["pids"]) < 100 and seen["hostname"] == seen["container"]   # its own pid namespace
        c.wait_for(lambda _: not c.containers(), timeout=20)


@pytest.mark.skipif(shutil.which("runsc") is None,
                    reason="runsc is not installed (gVisor's runtime, not a Debian package): its config and flags"
                           " are checked in tests/unit/test_runtimes.py")
def test_runsc_runs_containers_too(tmp_path):
    with Cluster(tmp_path, runtime="runsc") as c:
        assert c.runtime.describe().startswith("runsc (gVisor")
        with isolation.app.run(show_logs=False):
            seen = isolation.look.remote()
        assert max(seen["pids"]) < 100 and seen["hostname"] == seen["container"]
        c.wait_for(lambda _: not c.containers(), timeout=20)


def test_warm_crun_containers_serve_new_functions(tmp_path):
    with Cluster(tmp_path, runtime="crun", warm_containers=1) as c:
        c.wait_for(lambda d: c.agent.pool and c.agent.pool[0].writer is not None, timeout=30)
        warm = c.agent.pool[0]
        with isolation.app.run(show_logs=False):
            seen = isolation.look.remote()
        assert seen["container"] == warm.container_id and max(seen["pids"]) < 100
        c.wait_for(lambda d: len(c.agent.pool) == 1 and c.agent.pool[0] is not warm)
