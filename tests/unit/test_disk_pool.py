"""The disk pool's logic over fake disks: no root, no mounts (the real loop disks: tests/container)."""

import asyncio
import logging
import os

import pytest

from leveret.worker.runtime.base import ContainerSpec, RuntimeStartError
from leveret.worker.runtime.disk import DiskPool, DiskReserveError, PlainDirs
from leveret.worker.runtime.fake import FakeDisks
from leveret.worker.runtime.process import ProcessRuntime

DEFAULT, RESERVE = 1000, 200


def run(coro):
    return asyncio.run(coro)


def pool(tmp_path, *, free_mb=100_000, pool_size=2, refill_after_s=0.0, **kw) -> tuple[DiskPool, FakeDisks]:
    """A pool over fake disks; by default refilled as soon as a disk is taken."""
    disks = FakeDisks(str(tmp_path / "disks"), free_mb=free_mb, **kw)
    return DiskPool(disks, default_mb=DEFAULT, reserve_mb=RESERVE, pool_size=pool_size,
                    refill_after_s=refill_after_s), disks


async def until(predicate, timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "not true in time"
        await asyncio.sleep(0.005)


async def filled(p: DiskPool) -> list:
    """The pool's ready disks, once it has been filled."""
    p.fill()
    await p.wait_filled()
    return list(p.ready)


def test_a_default_disk_comes_ready_from_the_pool_and_the_pool_is_refilled(tmp_path):
    p, disks = pool(tmp_path)

    async def main():
        ready = await filled(p)
        assert len(ready) == 2 and disks.calls == [("make", DEFAULT)] * 2
        disk = await p.take()
        assert disk is ready[0] and p.taken == {disk.name: disk}
        assert len(disks.calls) == 2   # nothing was made for it
        await p.wait_filled()
        assert len(p.ready) == 2 and disk not in p.ready
        await p.close()

    run(main())


def test_the_pool_is_refilled_a_while_after_a_take_not_while_the_container_starts(tmp_path):
    p, disks = pool(tmp_path, refill_after_s=0.05, pool_size=3)

    async def main():
        await filled(p)
        t0 = asyncio.get_running_loop().time()
        await p.take()
        await p.take()
        assert len(p.ready) == 1 and len(disks.calls) == 3   # one refill, later, for both
        await until(lambda: len(p.ready) == 3)
        assert asyncio.get_running_loop().time() - t0 >= 0.05 and len(disks.calls) == 5
        await p.close()

    run(main())


def test_a_take_that_empties_the_pool_refills_it_at_once(tmp_path):
    p, disks = pool(tmp_path, refill_after_s=60, pool_size=1)

    async def main():
        await filled(p)
        await p.take()
        await until(lambda: len(p.ready) == 1)   # not a minute later: the next start would make its own
        assert len(disks.calls) == 2
        await p.close()

    run(main())


def test_another_size_is_made_on_demand_and_leaves_the_pool_alone(tmp_path):
    p, disks = pool(tmp_path)

    async def main():
        ready = await filled(p)
        disk = await p.take(64)
        assert disk.size_mb == 64 and os.path.isdir(disk.path)
        assert p.ready == ready and disks.calls[-1] == ("make", 64)
        await p.close()

    run(main())


def test_an_empty_pool_makes_a_default_disk_on_demand(tmp_path):
    p, disks = pool(tmp_path, pool_size=0)

    async def main():
        disk = await p.take()
        assert disk.size_mb == DEFAULT and disks.calls == [("make", DEFAULT)]

    run(main())


def test_a_released_disk_is_deleted_and_never_handed_out_again(tmp_path):
    p, disks = pool(tmp_path, pool_size=1)

    async def main():
        first = await p.take()
        await p.release(first)
        assert not os.path.exists(first.path) and p.taken == {}
        assert ("destroy", DEFAULT) in disks.calls
        await p.wait_filled()
        second = await p.take()
        assert second.name != first.name and second.path != first.path
        await p.close()

    run(main())


def test_a_disk_past_the_reserve_is_refused_naming_the_worker_the_numbers_and_the_fix(tmp_path):
    # 1500 MiB free: one default disk leaves 500 (>= 200 kept); a second would leave -500.
    p, disks = pool(tmp_path, free_mb=1500, pool_size=0)
    p.owner = "worker wk-1"

    async def main():
        await p.take()
        with pytest.raises(DiskReserveError) as info:
            await p.take()
        return str(info.value)

    message = run(main())
    assert message.startswith(f"worker wk-1 has 1500 MiB free on {disks.root}, -500 MiB counting what its"
                              " containers' disks may still write and this container's 1000 MiB disk: under its"
                              " 200 MiB reserve. Free disk there, or lower --disk-reserve")
    assert isinstance(DiskReserveError("x"), RuntimeStartError)   # a container that cannot start, with the reason


def test_what_disks_have_written_counts_once_and_what_they_may_still_write_counts_too(tmp_path):
    p, disks = pool(tmp_path, free_mb=5000, pool_size=0)

    async def main():
        disk = await p.take()
        assert p.room_mb() == 4000                 # 1000 MiB may still be written to it
        disks.used_mb[disk.name] = 600             # it wrote 600 MiB: the worker's disk has 600 less free...
        disks.free_mb -= 600
        assert p.room_mb() == 4000                 # ...and the disk may write 600 less
        disks.free_mb -= 3000                      # something else filled the worker's disk
        assert p.room_mb() == 1000
        with pytest.raises(DiskReserveError):      # 1000 - 1000 < 200
            await p.take()
        assert (await p.take(700)).size_mb == 700  # 1000 - 700 >= 200

    run(main())


def test_the_pool_is_not_refilled_into_the_reserve(tmp_path):
    p, disks = pool(tmp_path, free_mb=2500)   # room for two default disks, then 500 left

    async def main():
        assert len(await filled(p)) == 2
        await p.take()
        await p.wait_filled()
        assert len(p.ready) == 1 and len(disks.calls) == 2   # a third would leave -500
        await p.take()                            # the ready one: already counted
        with pytest.raises(DiskReserveError):
            await p.take()

    run(main())


def test_a_disk_that_cannot_be_made_fails_the_start_with_the_reason_and_the_pool_does_not_spin(tmp_path, caplog):
    p, disks = pool(tmp_path, fail="mkfs.ext4 failed: no space")

    async def main():
        with caplog.at_level(logging.WARNING, "leveret.worker"):
            p.fill()
            await p.wait_filled()
        assert disks.calls == [("make", DEFAULT)] and p.ready == []   # tried once, said why, stopped
        with pytest.raises(RuntimeStartError, match="mkfs.ext4 failed: no space"):
            await p.take(64)
        assert p.taken == {} and p.committed_bytes() == 0

    run(main())
    assert "could not make a container disk ahead of need: mkfs.ext4 failed" in caplog.text


def test_a_disk_being_made_counts_against_the_reserve(tmp_path):
    p, disks = pool(tmp_path, free_mb=2000, pool_size=0)

    async def main():
        disks.hold = asyncio.Event()
        first = asyncio.ensure_future(p.take())   # 1000 MiB, still being made
        await asyncio.sleep(0)
        assert p.room_mb() == 1000
        with pytest.raises(DiskReserveError):     # 1000 - 1000 < 200, though nothing exists yet
            await p.take()
        disks.hold.set()
        await first

    run(main())


def test_close_waits_for_the_refill_and_removes_the_ready_disks(tmp_path):
    p, disks = pool(tmp_path)

    async def main():
        disks.hold = asyncio.Event()
        p.fill()
        await asyncio.sleep(0)
        closing = asyncio.ensure_future(p.close())
        await asyncio.sleep(0)
        assert not closing.done()                 # a disk is being made: it is removed once made
        disks.hold.set()
        await closing
        assert p.ready == [] and os.listdir(disks.root) == []
        p.fill()                                  # closed: nothing more is made
        assert len(disks.calls) == 2 and disks.calls[-1][0] == "destroy"

    run(main())


def test_leftovers_are_removed_and_named(tmp_path):
    p, disks = pool(tmp_path)
    os.makedirs(os.path.join(disks.root, "dk-old"))
    assert run(p.remove_leftovers()) == ["dk-old"]
    assert not os.path.exists(os.path.join(disks.root, "dk-old"))


def test_unbounded_disks_refuse_an_asked_size_and_keep_the_reserve(tmp_path):
    dirs = PlainDirs(str(tmp_path / "disks"), "this host has no loop devices")
    p = DiskPool(dirs, default_mb=DEFAULT, reserve_mb=RESERVE)
    assert p.pool_size == 0 and "unbounded (this host has no loop devices)" in p.describe()

    async def main():
        disk = await p.take()
        assert disk.size_mb == 0 and os.path.isdir(disk.path)
        with pytest.raises(RuntimeStartError, match="cannot give ephemeral_disk=64.*or drop ephemeral_disk="):
            await p.take(64)
        await p.release(disk)
        assert not os.path.exists(disk.path)
        p.reserve_mb = dirs.free_bytes() // (1024 * 1024) + 1   # more than the disk has free
        with pytest.raises(DiskReserveError, match="reserve"):
            await p.take()

    run(main())


def test_the_banner_says_what_a_disk_is_its_size_and_the_reserve(tmp_path):
    p, disks = pool(tmp_path)
    said = p.describe()
    assert said.startswith("fake disks, 1000 MiB unless ephemeral_disk= says") and "200 MiB of" in said
    assert "unbounded" in ProcessRuntime().describe_disk()


def test_the_process_runtime_refuses_an_asked_disk():
    spec = ContainerSpec("ct-1", ["true"], {}, "/", disk_mb=64)
    assert spec.needs_isolation == ["ephemeral_disk="]
    with pytest.raises(RuntimeStartError, match="cannot enforce ephemeral_disk="):
        run(ProcessRuntime().start(spec))


def test_the_default_disk_is_cut_so_that_every_container_and_the_pool_fit_beside_the_reserve(tmp_path):
    p, disks = pool(tmp_path, free_mb=18_600)
    p.default_mb = 10240
    p.fit_default(8)   # (18600 - 200) / (8 + 2) = 1840 -> 1792, a multiple of 256
    assert p.default_mb == 1792 and "(--container-disk, so that 8 fit)" in p.describe()

    async def main():
        await filled(p)
        taken = [await p.take() for _ in range(8)]
        await p.wait_filled()
        assert all(d.size_mb == 1792 for d in taken) and len(p.ready) == 2   # 10 x 1792 = 17920: 480 left
        await p.take()
        await p.take()
        with pytest.raises(DiskReserveError):   # the pool's disks were counted: an 11th would not fit
            await p.take()

    run(main())


def test_a_default_that_fits_is_kept_and_a_full_disk_still_gets_the_smallest(tmp_path):
    p, disks = pool(tmp_path, free_mb=1_000_000)
    p.fit_default(8)
    assert p.default_mb == DEFAULT and "so that" not in p.describe()
    disks.free_mb = 300
    p.fit_default(8)
    assert p.default_mb == 256   # a start is then refused, saying why


@pytest.mark.parametrize("option", [["--disk-reserve", "10"], ["--container-disk", "512"]])
def test_the_worker_refuses_disk_options_where_its_runtime_has_no_disks(option, tmp_path):
    from click.testing import CliRunner

    from leveret.cli.worker import worker

    done = CliRunner().invoke(worker, ["--server", "http://127.0.0.1:1", "--token", "t", "--runtime", "process",
                                       "--workdir", str(tmp_path), *option])
    assert done.exit_code == 2
    assert "the process runtime does not bound containers' disks" in done.output
    assert "run as root with --runtime crun, or drop them" in done.output
