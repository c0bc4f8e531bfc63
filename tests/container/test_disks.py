"""Container disks for real: loop-mounted ext4 under crun containers (the suite runs as root)."""

import errno
import os
import subprocess

import pytest

from leveret.testing import Cluster
from apps import disks

pytestmark = pytest.mark.container


def allocated_mb(path: str) -> float:
    """What the files under ``path`` take of its filesystem: nothing mounted below counted (other
    filesystems, nor binds of the same one: a user namespace's idmapped image layers)."""
    with open("/proc/self/mountinfo") as f:
        points = [line.split()[4] for line in f]
    skip = [f"--exclude={p}" for p in points if p.startswith(os.path.realpath(path) + "/")]
    out = subprocess.run(["du", "-skx", *skip, path], check=True, capture_output=True, text=True).stdout
    return int(out.split()[0]) / 1024


@pytest.fixture(scope="module")
def crun_cluster(tmp_path_factory):
    if os.geteuid() != 0:
        pytest.fail("container tests need root (CI runs as root): run the suite as root")
    with Cluster(tmp_path_factory.mktemp("disks"), runtime="crun") as c:
        with disks.app.run(show_logs=False):
            yield c


def test_the_runtime_says_its_disks_are_loop_mounted_ext4(crun_cluster):
    said = crun_cluster.runtime.describe_disk()
    default = crun_cluster.runtime.disks.default_mb   # 10240, or less where 4 would not fit here
    assert said.startswith(f"ext4 on a loop device per container, {default} MiB unless ephemeral_disk= says"), said


def test_a_container_past_its_disk_gets_enospc_in_its_root_and_tmp_and_nothing_else_is_hurt(crun_cluster):
    before = allocated_mb(crun_cluster.directory)
    in_root = disks.fill.remote("/root/big", 100)
    assert in_root["errno"] == errno.ENOSPC, in_root
    assert 32 <= in_root["written_mb"] < 64
    in_tmp = disks.fill.remote("/tmp/big", 100, keep=True)   # kept: its disk stays full
    assert in_tmp["errno"] == errno.ENOSPC and 32 <= in_tmp["written_mb"] < 64, in_tmp
    assert disks.write_small.remote("/root/small") == {"written_mb": 4, "errno": 0, "error": ""}
    assert disks.write_small.remote("/tmp/small")["errno"] == 0   # another function on this worker is fine
    grew = allocated_mb(crun_cluster.directory) - before
    assert grew < 100, f"the worker's disk grew by {grew:.0f} MiB"


def test_df_inside_shows_the_asked_size_and_tmp_is_on_it(crun_cluster):
    seen = disks.df.remote("/")
    assert 48 <= seen["size_mb"] <= 64, seen            # ext4 keeps a few MiB for itself
    assert disks.df.remote("/tmp")["size_mb"] == seen["size_mb"]   # /tmp is the same filesystem
    assert seen["tmp_mode"] == "0o1777"
    default = crun_cluster.runtime.disks.default_mb
    assert 0.9 * default <= disks.default_df.remote("/") <= default



def test_a_container_writes_to_its_own_disk_and_its_socket_directory_only(crun_cluster):
    tried = ["/", "/tmp", "/root", "SOCKET", "CODE", "/opt/leveret/lib/leveret"]
    written = disks.writable.remote(tried)
    assert written[:3] == ["/", "/tmp", "/root"] and len(written) == 4   # the socket's: a warm container's code goes there
