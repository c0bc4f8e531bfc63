"""Container disks: a container's writable layer (its overlay's upper and work directories, and so
its /tmp) lives on a filesystem of the size its function asked for (``ephemeral_disk=``), so a
container that fills it gets ENOSPC itself while the worker's own disk stays untouched.

    DiskPool.take(size) ─▶ a ready disk of the default size from the pool, or one made now
                        └─ refused (DiskReserveError) when the worker's free disk, less what its
                           disks may still write, less the new disk, would fall under its reserve
    DiskPool.release(disk) ─▶ unmounted and deleted: a disk never serves a second container
    refill, in the background ─▶ the pool back to ``pool_size`` ready disks, off the cold start
                              (a while after a take; at once when the take emptied it)

Makers are the adapter that touches files and mounts: ``LoopDisks`` (loopdisk.py: a sparse file,
formatted ext4 and loop-mounted; needs root and loop devices), ``PlainDirs`` (here: a directory on
the worker's disk, unbounded, where loop devices are missing) and ``FakeDisks`` (fake.py, for tests).

Vocabulary: *size* (what a disk holds, MiB), *used* (what its file takes of the worker's disk now:
a sparse file fills as the container writes), *room* (the worker's free disk less what its disks
may still write), *reserve* (room the worker keeps for itself: leveret worker --disk-reserve).
"""

from __future__ import annotations

import abc
import asyncio
import dataclasses
import logging
import os
import shutil
import secrets

from .base import RuntimeStartError

DEFAULT_DISK_MB = 10240     # a container's disk when its function sets no ephemeral_disk=, at most
MIN_FITTED_MB = 256         # the least a default disk is cut to (fit_default)
DEFAULT_RESERVE_MB = 2048   # of the worker's own disk, never given to containers
POOL_SIZE = 2               # disks of the default size kept ready
REFILL_AFTER_S = 0.5        # the pool is refilled this long after a disk is taken: not while the
                            # container that took it starts (on a small host that cost it ~10 ms);
                            # at once when the take emptied it (the next start would make its own)
MiB = 1024 * 1024

log = logging.getLogger("leveret.worker")


@dataclasses.dataclass(frozen=True)
class Disk:
    name: str
    path: str       # a directory: the container's upper and work directories go inside
    size_mb: int    # 0: unbounded


class DiskReserveError(RuntimeStartError):
    """The worker keeps its reserve: no new container's disk fits."""


class DiskMaker(abc.ABC):
    """Makes and removes disks under ``root`` (a directory on the worker's disk)."""

    bounded: bool    # False: a disk is a plain directory and can fill the worker's disk
    kind: str        # what a disk is, for the worker's banner
    why = ""         # why disks are not bounded here

    def __init__(self, root: str):
        self.root = root

    @abc.abstractmethod
    async def make(self, name: str, size_mb: int, *, background: bool = False) -> Disk:
        """A new, empty disk; raise RuntimeStartError saying why if it cannot be made. ``background``:
        for the pool, at a low priority."""

    @abc.abstractmethod
    async def destroy(self, disk: Disk) -> None:
        """Unmount and delete it, with all it holds. Idempotent."""

    @abc.abstractmethod
    def used_bytes(self, disk: Disk) -> int:
        """What the disk takes of the worker's disk now."""

    @abc.abstractmethod
    async def remove_leftovers(self, keep: frozenset = frozenset()) -> list[str]:
        """Remove the disks under ``root`` that an earlier worker left (it was killed), but those named
        in ``keep`` (of containers re-attached to); their names."""

    def free_bytes(self) -> int:
        """Free space on the filesystem holding ``root``."""
        path = self.root
        while not os.path.exists(path):
            path = os.path.dirname(path)
        st = os.statvfs(path)
        return st.f_bavail * st.f_frsize


class PlainDirs(DiskMaker):
    """No limit: a container's writable layer is a directory on the worker's disk."""

    bounded = False

    def __init__(self, root: str, why: str):
        super().__init__(root)
        self.why = why
        self.kind = f"unbounded ({why})"

    async def make(self, name: str, size_mb: int, *, background: bool = False) -> Disk:
        path = os.path.join(self.root, name)
        os.makedirs(path)
        return Disk(name, path, 0)

    async def destroy(self, disk: Disk) -> None:
        await asyncio.to_thread(shutil.rmtree, disk.path, True)

    def used_bytes(self, disk: Disk) -> int:
        return 0

    async def remove_leftovers(self, keep: frozenset = frozenset()) -> list[str]:
        names = sorted(set(os.listdir(self.root)) - keep) if os.path.isdir(self.root) else []
        for name in names:
            await asyncio.to_thread(shutil.rmtree, os.path.join(self.root, name), True)
        return names


class DiskPool:
    """The disks of one worker's containers: ready ones of the default size, and those taken."""

    def __init__(self, maker: DiskMaker, *, default_mb: int = DEFAULT_DISK_MB, reserve_mb: int = DEFAULT_RESERVE_MB,
                 pool_size: int = POOL_SIZE, refill_after_s: float = REFILL_AFTER_S):
        self.maker = maker
        self.default_mb = default_mb
        self.reserve_mb = reserve_mb
        self.pool_size = pool_size if maker.bounded else 0   # a directory is made at once
        self.ready: list[Disk] = []
        self.taken: dict[str, Disk] = {}
        self._making: dict[str, int] = {}   # name -> size of disks being made
        self._refill: asyncio.Task | None = None
        self.refill_after_s = refill_after_s
        self._refill_timer: asyncio.TimerHandle | None = None
        self._closed = False
        self.owner = "this worker"          # who refuses, in messages (the agent sets its worker id)
        self._fitted = 0                    # fit_default: how many containers' default disks fit

    def describe(self) -> str:
        reserve = f"{self.reserve_mb} MiB of {self.maker.root} kept free (--disk-reserve)"
        if not self.maker.bounded:
            return f"{self.maker.kind} — a container can fill the worker's disk; {reserve}"
        fitted = f", so that {self._fitted} fit" if self._fitted else ""
        return (f"{self.maker.kind}, {self.default_mb} MiB unless ephemeral_disk= says (--container-disk{fitted}),"
                f" {self.pool_size} kept ready; {reserve}")

    def fit_default(self, containers: int) -> None:
        """Cut the default disk so that ``containers`` of them and the pool's fit in the free space
        there is now, beside the reserve: every disk counts in full (sparse files may fill), so 8
        containers of 10 GiB need 100 GiB free. Rounded down to 256 MiB; at least MIN_FITTED_MB."""
        if not self.maker.bounded:
            return
        share = (self.maker.free_bytes() // MiB - self.reserve_mb) // (containers + self.pool_size) // 256 * 256
        if share < self.default_mb:
            self.default_mb = max(MIN_FITTED_MB, share)
            self._fitted = containers

    # ------------------------------------------------------------------ accounting

    def committed_bytes(self) -> int:
        """What the disks (ready, taken and being made) may still take of the worker's disk."""
        total = sum(size * MiB for size in self._making.values())
        for disk in [*self.ready, *self.taken.values()]:
            if disk.size_mb:
                total += max(0, disk.size_mb * MiB - self.maker.used_bytes(disk))
        return total

    def room_mb(self) -> int:
        """The worker's free disk less what its disks may still write, in MiB (negative: overcommitted)."""
        return (self.maker.free_bytes() - self.committed_bytes()) // MiB

    def _check_reserve(self, new_mb: int) -> None:
        room = self.room_mb() - new_mb
        if room < self.reserve_mb:
            free = self.maker.free_bytes() // MiB
            counted = f" and this container's {new_mb} MiB disk" if new_mb else ""
            raise DiskReserveError(
                f"{self.owner} has {free} MiB free on {self.maker.root}, {room} MiB counting what its containers'"
                f" disks may still write{counted}: under its {self.reserve_mb} MiB reserve. Free disk there, or"
                " lower --disk-reserve (or give containers smaller disks: ephemeral_disk=, --container-disk)")

    # ------------------------------------------------------------------ disks for containers

    async def take(self, size_mb: int = 0) -> Disk:
        """A disk of ``size_mb`` MiB (0: the default) for a new container, or DiskReserveError."""
        if size_mb and not self.maker.bounded:
            raise RuntimeStartError(
                f"this worker cannot bound a container's disk ({self.maker.why}), so it cannot give"
                f" ephemeral_disk={size_mb}: run it as root on a host with loop devices and mkfs.ext4, or drop"
                " ephemeral_disk=")
        size = size_mb or self.default_mb
        pooled = size == self.default_mb and bool(self.ready)
        self._check_reserve(size if self.maker.bounded and not pooled else 0)
        disk = self.ready.pop(0) if pooled else await self._make(size)
        self.taken[disk.name] = disk
        if self.refill_after_s <= 0 or not self.ready:   # (empty: the next container would make its own, slower)
            self.fill()
        elif self._refill_timer is None and len(self.ready) < self.pool_size:
            self._refill_timer = asyncio.get_running_loop().call_later(self.refill_after_s, self._refill_due)
        return disk

    def _refill_due(self) -> None:
        self._refill_timer = None
        self.fill()

    async def release(self, disk: Disk) -> None:
        """The container is gone: its disk is deleted, never reused."""
        self.taken.pop(disk.name, None)
        try:
            await self.maker.destroy(disk)
        except (OSError, RuntimeStartError) as exc:   # left for the next start's remove_leftovers
            log.warning("could not remove the container disk %s: %s", disk.path, exc)

    async def _make(self, size_mb: int, *, background: bool = False) -> Disk:
        name = "dk-" + secrets.token_hex(6)
        self._making[name] = size_mb
        try:
            return await self.maker.make(name, size_mb, background=background)
        finally:
            del self._making[name]

    # ------------------------------------------------------------------ the pool

    def fill(self) -> None:
        """Bring the pool back to size in the background (one disk at a time)."""
        if self._closed or len(self.ready) >= self.pool_size:
            return
        if self._refill is None or self._refill.done():
            self._refill = asyncio.get_running_loop().create_task(self._fill())

    async def _fill(self) -> None:
        while not self._closed and len(self.ready) < self.pool_size:
            if self.room_mb() - self.default_mb < self.reserve_mb:
                return   # kept for the worker; a container that needs a disk says so
            try:
                disk = await self._make(self.default_mb, background=True)
            except Exception as exc:   # a start that needs a disk makes its own, and says why if it cannot
                log.warning("could not make a container disk ahead of need: %s", exc)
                return
            if self._closed:
                await self.maker.destroy(disk)
                return
            self.ready.append(disk)

    async def wait_filled(self) -> None:
        """Until the refill in progress (if any) is done: for tests and benchmarks."""
        if self._refill is not None:
            await asyncio.shield(self._refill)

    async def remove_leftovers(self, keep: tuple[Disk, ...] = ()) -> list[str]:
        """What an earlier worker left, but ``keep`` (its containers' re-attached to: taken again)."""
        for disk in keep:
            self.taken[disk.name] = disk
        return await self.maker.remove_leftovers(frozenset(d.name for d in keep))

    async def close(self) -> None:
        """The worker is leaving: ready disks are removed (taken ones go with their containers)."""
        self._closed = True
        if self._refill_timer is not None:
            self._refill_timer.cancel()
        if self._refill is not None:
            await asyncio.gather(self._refill, return_exceptions=True)
        ready, self.ready = self.ready, []
        for disk in ready:
            await self.release(disk)


def choose_maker(root: str) -> DiskMaker:
    """Loop disks where this host can make them (root, loop devices, mkfs.ext4), else plain directories."""
    if os.geteuid() != 0:
        return PlainDirs(root, "loop disks need root")
    if not os.path.exists("/dev/loop-control"):
        return PlainDirs(root, "this host has no loop devices (/dev/loop-control)")
    missing = [tool for tool in ("mkfs.ext4", "mount") if shutil.which(tool) is None]
    if missing:
        return PlainDirs(root, f"loop disks need {', '.join(missing)}: apt-get install e2fsprogs mount")
    from .loopdisk import LoopDisks

    return LoopDisks(root)
