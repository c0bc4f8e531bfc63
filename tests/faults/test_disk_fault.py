"""Finding: a container's writable layer and /tmp were unbounded, so a container that filled them
filled the worker's disk, and the next function on that worker failed with the worker's own
`[Errno 28] No space left on device`.

Here the worker's directory is a small filesystem of its own (512 MiB), so that a container could
fill it: the container now fills only its own disk (ENOSPC inside it), and another function starts
and runs on the same worker.
"""

import errno
import os
import subprocess

import pytest

from leveret.testing import Cluster
from apps import disks

pytestmark = pytest.mark.container


@pytest.fixture
def small_worker_dir(tmp_path):
    """``tmp_path/cluster/worker`` on a 512 MiB ext4 of its own."""
    if os.geteuid() != 0:
        pytest.fail("container tests need root (CI runs as root): run the suite as root")
    image, target = tmp_path / "worker.img", tmp_path / "cluster" / "worker"
    target.mkdir(parents=True)
    with open(image, "wb") as f:
        f.truncate(512 * 1024 * 1024)
    subprocess.run(["mkfs.ext4", "-q", "-F", str(image)], check=True)
    subprocess.run(["mount", "-o", "loop", str(image), str(target)], check=True)
    yield tmp_path / "cluster"
    subprocess.run(["umount", "--lazy", str(target)], check=True)


def test_a_container_filling_its_disk_does_not_fail_another_function_on_its_worker(small_worker_dir):
    worker_dir = str(small_worker_dir / "worker")
    with Cluster(small_worker_dir, runtime="crun", container_disk_mb=128, disk_reserve_mb=64) as c:
        with disks.app.run(show_logs=False):
            filled = disks.fill_default.remote("/tmp/everything", 1024)   # twice the worker's disk, kept
            assert filled["errno"] == errno.ENOSPC and 64 <= filled["written_mb"] < 128, filled
            st = os.statvfs(worker_dir)
            assert st.f_bavail * st.f_frsize > 128 * 1024 * 1024   # the worker's disk still has room
            # A new container of another function: its code, bundle and disk are the worker's writes.
            assert disks.write_small.remote("/root/small") == {"written_mb": 4, "errno": 0, "error": ""}
            assert len({ct.function_name for ct in c.containers()}) == 2
