"""Real containers: crun, overlayfs and cgroups (the suite runs as root with crun, tini and mmdebstrap)."""

import os

import pytest

from leveret.testing import Cluster
from leveret.worker.images.base import default_rootfs
from leveret.worker.runtime import cgroups
from leveret.worker.runtime.oci import cgroup_of, leaf_cgroup
from apps import isolation

pytestmark = pytest.mark.container


@pytest.fixture(scope="module")
def crun_cluster(tmp_path_factory):
    if os.geteuid() != 0:
        pytest.fail("container tests need root (CI runs as root): run the suite as root")
    with Cluster(tmp_path_factory.mktemp("crun"), runtime="crun") as c:
        with isolation.app.run(show_logs=False):
            yield c


def test_the_worker_says_which_runtime_and_cgroup_mode(crun_cluster):
    assert crun_cluster.runtime.describe().startswith(f"crun (cgroup {cgroups.detect()}")


def test_a_function_runs_in_its_own_pid_namespace_on_the_image(crun_cluster):
    seen = isolation.look.remote()
    assert seen["pid"] <= 3                     # tini is PID 1, the bootstrap its child
    assert max(seen["pids"]) < 100              # the host's processes are invisible
    assert seen["hostname"] == seen["container"]
    with open(os.path.join(default_rootfs(), "etc", "os-release")) as f:
        assert seen["release"] == f.read()      # the image's files, not the host's


def test_writes_stay_in_the_container_and_never_reach_the_image(crun_cluster):
    assert isolation.write_marker.remote("/root/marker")
    assert not os.path.exists(os.path.join(default_rootfs(), "root", "marker"))
    assert not isolation.exists.remote("/root/marker")   # another container (another function) cannot see it


def test_pids_limit_is_set_in_the_cgroup(crun_cluster):
    isolation.look.remote()
    ct = next(c for c in crun_cluster.containers() if c.function_name == "look")
    values = set()
    for path in cgroups.paths(leaf_cgroup(ct.container_id)):
        if os.path.exists(os.path.join(path, "pids.max")):
            with open(os.path.join(path, "pids.max")) as f:
                values.add(f.read().strip())
    assert values == {str(crun_cluster.agent.pids_limit)}


def test_a_fork_bomb_stops_at_the_pids_limit(crun_cluster):
    started, error = isolation.forkbomb.remote()
    assert started < crun_cluster.agent.pids_limit and error
    assert isolation.exists.remote("/") is True   # the worker and a fresh input are fine


def test_memory_limit_kills_with_an_out_of_memory_error_naming_the_limit(crun_cluster):
    import leveret

    assert isolation.hog.remote(8) == 8
    with pytest.raises(leveret.OutOfMemoryError, match="memory=64 MiB"):
        isolation.hog.remote(200)
    assert isolation.hog.remote(8) == 8   # a new container serves the next input


def test_cpu_and_memory_limits_are_in_the_cgroup(crun_cluster):
    isolation.limits.remote()
    ct = next(c for c in crun_cluster.containers() if c.function_name == "limits")
    found = {}
    for path in cgroups.paths(leaf_cgroup(ct.container_id)):
        for name in ("cpu.cfs_quota_us", "cpu.max"):
            if os.path.exists(os.path.join(path, name)):
                with open(os.path.join(path, name)) as f:
                    found[name] = f.read().split()[0]
    assert found.get("cpu.cfs_quota_us", found.get("cpu.max")) == "25000"
    # the memory limit is config.json's, set by the runtime on its cgroup (the leaf), not by the worker
    leaf, parent = (cgroups.memory_dir(g(ct.container_id)) for g in (leaf_cgroup, cgroup_of))
    name = "memory.limit_in_bytes" if os.path.exists(os.path.join(leaf, "memory.limit_in_bytes")) else "memory.max"
    with open(os.path.join(leaf, name)) as f:
        assert f.read().strip() == str(128 * 1024 * 1024)
    with open(os.path.join(parent, name)) as f:
        unlimited = f.read().strip()
        assert unlimited == "max" or int(unlimited) >= 1 << 62


def test_block_network_leaves_only_loopback(crun_cluster):
    assert isolation.interfaces.remote() == ["lo"]
    assert len(isolation.host_interfaces.remote()) > 1


def test_seccomp_refuses_syscalls_no_capability_guards(crun_cluster):
    assert isolation.keyctl_errno.remote() == (-1, 1)   # EPERM from the profile


def test_out_of_memory_fails_only_the_input_that_ran_out(crun_cluster):
    import leveret

    results = list(isolation.hog.map([200, 1, 1], return_exceptions=True))
    assert isinstance(results[0], leveret.OutOfMemoryError) and results[1:] == [1, 1]


def test_root_in_a_function_is_an_unprivileged_uid_outside(crun_cluster):
    seen = isolation.write_as_root.remote("/tmp/made-by-root")
    base = crun_cluster.runtime.userns.ensure().base
    assert seen["uid"] == seen["owner"] == 0 and seen["uid_map"] == ["0", str(base), "65536"] and base >= 1_000_000
    upper = os.path.join(crun_cluster.runtime._disk_of[seen["container"]].path, "upper")
    assert os.stat(os.path.join(upper, "tmp", "made-by-root")).st_uid == base   # on the host's disk: the mapped uid
    assert os.stat("/dev/null").st_uid == 0   # (the runtime chowns a container's stdio to its root: never the host's)

