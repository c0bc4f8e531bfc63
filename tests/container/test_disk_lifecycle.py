"""Container disks' lifecycle for real: deleted with their container, refused past the worker's
reserve, a killed worker's removed at the next start; the loop disk adapter itself."""

import asyncio
import errno
import glob
import os
import time

import pytest

import leveret
from leveret.testing import Cluster
from leveret.worker.runtime.disk import DiskPool
from leveret.worker.runtime.loopdisk import LoopDisks
from leveret.worker.runtime.oci import CrunRuntime
from apps import disks

pytestmark = pytest.mark.container
MiB = 1024 * 1024


def loops_backed_by(root: str) -> list[str]:
    found = []
    for backing in glob.glob("/sys/block/loop*/loop/backing_file"):
        try:
            with open(backing) as f:
                if f.read().startswith(os.path.realpath(root)):
                    found.append(backing.split("/")[3])
        except OSError:
            pass
    return found


def mounts_under(root: str) -> list[str]:
    with open("/proc/self/mountinfo") as f:
        return [line.split()[4] for line in f if line.split()[4].startswith(os.path.realpath(root))]


def wait_until(predicate, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"not true within {timeout} s: {predicate}")
        time.sleep(0.02)


def test_a_containers_disk_is_deleted_when_it_stops(tmp_path):
    with Cluster(tmp_path, runtime="crun") as c:
        root = os.path.join(c.directory, "worker", "disks")
        with disks.app.run(show_logs=False):
            disks.fill.remote("/tmp/kept", 8, keep=True)
            used = [d.path for d in c.runtime.disks.taken.values()]
            assert len(used) == 1 and used[0] in mounts_under(root)
        c.wait_for(lambda _: not c.containers(), timeout=20)
        assert c.runtime.disks.taken == {}
        assert used[0] not in mounts_under(root) and not os.path.exists(used[0] + ".img")
        wait_until(lambda: set(mounts_under(root)) == {d.path for d in c.runtime.disks.ready})   # a refill may be running
    assert mounts_under(root) == [] and not glob.glob(os.path.join(root, "*.img"))   # closed with the worker
    wait_until(lambda: loops_backed_by(root) == [])


def test_the_reserve_refuses_new_containers_with_the_reason(tmp_path):
    with Cluster(tmp_path, runtime="crun", disk_reserve_mb=10**9) as c:
        with disks.app.run(show_logs=False):
            with pytest.raises(leveret.ExecutionError) as info:
                disks.write_small.remote("/tmp/x")
        message = str(info.value)
        assert f"worker {c.agent.worker_id} has " in message and " MiB free on " in message, message
        assert "under its 1000000000 MiB reserve. Free disk there, or lower --disk-reserve" in message
        assert c.runtime.disks.ready == []   # nor did the pool take what the reserve keeps


def test_a_killed_workers_disks_are_removed_at_the_next_start(tmp_path):
    state = str(tmp_path / "worker")

    async def leave_disks():
        pool = DiskPool(LoopDisks(os.path.join(state, "disks")), default_mb=64, pool_size=1)
        taken = await pool.take(32)
        pool.fill()
        await pool.wait_filled()
        return [taken.path, pool.ready[0].path]   # never released: as if the worker was killed

    left = asyncio.run(leave_disks())
    assert set(mounts_under(state)) == set(left) and len(loops_backed_by(state)) == 2
    os.unlink(left[0] + ".img")   # a mounted disk whose file is gone counts too
    runtime = CrunRuntime(state)
    asyncio.run(runtime.remove_leftovers())
    assert mounts_under(state) == [] and not os.path.exists(os.path.join(state, "disks"))
    wait_until(lambda: loops_backed_by(state) == [])


def test_a_loop_disk_bounds_what_is_written_and_its_file_is_sparse(tmp_path):
    maker = LoopDisks(str(tmp_path / "disks"))

    async def main():
        disk = await maker.make("dk-test", 32)
        try:
            st = os.statvfs(disk.path)
            assert 24 <= st.f_blocks * st.f_frsize // MiB <= 32
            assert maker.used_bytes(disk) < 2 * MiB            # sparse: formatted, nearly empty
            with pytest.raises(OSError) as info:
                with open(os.path.join(disk.path, "big"), "wb") as f:
                    for _ in range(40):
                        f.write(b"x" * MiB)
                    f.flush()
                    os.fsync(f.fileno())
            assert info.value.errno == errno.ENOSPC
            assert maker.used_bytes(disk) <= 33 * MiB
        finally:
            await maker.destroy(disk)
        assert not os.path.exists(disk.path) and os.listdir(maker.root) == []

    asyncio.run(main())
    wait_until(lambda: loops_backed_by(str(tmp_path)) == [])
