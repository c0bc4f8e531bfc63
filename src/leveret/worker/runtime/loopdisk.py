"""Loop disks: each container disk is a sparse file under the worker's directory, formatted ext4
and mounted through a loop device. Its size bounds what the container can write: past it, the
container's writes fail with ENOSPC, and the worker's disk never holds more than the file's size.

    make:     NAME.img (sparse, SIZE) ─▶ mkfs.ext4 (no journal, no reserved blocks, inode tables
              left to read as zeros: ~10-30 ms) ─▶ mount -o loop at NAME/ (~10 ms; the loop device
              goes away with the last unmount)
    destroy:  unmount (detached: what still holds it keeps it until it lets go) ─▶ delete NAME.img
    leftovers (a killed worker's): unmount what is mounted under the root, detach loop devices
    backed by its files, delete the rest

The kernel needs no quota support for this, only loop devices (and ext4).
"""

from __future__ import annotations

import asyncio
import fcntl
import glob
import os
import shutil

from .base import RuntimeStartError
from .disk import MiB, Disk, DiskMaker
from .sysmount import umount
from .spawn import spawn

MKFS = ["mkfs.ext4", "-q", "-F", "-m", "0", "-O", "^has_journal", "-E", "lazy_itable_init=1,nodiscard"]
# A fresh sparse file reads as zeros, so the inode tables need no zeroing thread after mounting.
MOUNT_OPTIONS = "loop,noinit_itable"
LOOP_CLR_FD = 0x4C01


class LoopDisks(DiskMaker):
    bounded = True
    kind = "ext4 on a loop device per container"

    async def make(self, name: str, size_mb: int, *, background: bool = False) -> Disk:
        os.makedirs(self.root, exist_ok=True)
        image, path = self._image(name), os.path.join(self.root, name)
        try:
            fd = os.open(image, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                os.ftruncate(fd, size_mb * MiB)
            finally:
                os.close(fd)
            os.mkdir(path, 0o700)
            nice = ["nice", "-n", "19"] if background else []   # a refill yields to containers starting
            await _run([*nice, *MKFS, image])
            await _run([*nice, "mount", "-o", MOUNT_OPTIONS, image, path])
        except BaseException as exc:
            self._destroy(Disk(name, path, size_mb))
            if isinstance(exc, OSError):
                raise RuntimeStartError(f"could not make a {size_mb} MiB disk at {path}: {exc}") from exc
            raise
        return Disk(name, path, size_mb)

    async def destroy(self, disk: Disk) -> None:
        # In a thread: the last unmount writes out what the container left unwritten (seconds, for
        # a container that wrote gigabytes), and the worker's event loop must not wait for that.
        await asyncio.to_thread(self._destroy, disk)

    def _destroy(self, disk: Disk) -> None:
        if os.path.ismount(disk.path):
            umount(disk.path)
        try:
            os.rmdir(disk.path)
        except FileNotFoundError:
            pass
        try:   # the loop device holds the file open until the filesystem lets go; the space is freed then
            os.unlink(self._image(disk.name))
        except FileNotFoundError:
            pass

    def used_bytes(self, disk: Disk) -> int:
        try:
            return os.stat(self._image(disk.name)).st_blocks * 512
        except FileNotFoundError:
            return 0

    async def remove_leftovers(self, keep: frozenset = frozenset()) -> list[str]:
        if not os.path.isdir(self.root):
            return []
        root = os.path.realpath(self.root) + "/"
        kept = tuple(root + name for name in keep)
        with open("/proc/self/mountinfo") as f:
            mounted = [line.split()[4].replace("\\040", " ") for line in f]
        for target in sorted((m for m in mounted if m.startswith(root) and not m.startswith(kept)), reverse=True):
            umount(target)
        _detach_loops(root, tuple(root + name + ".img" for name in keep))
        names = sorted({n[:-4] for n in os.listdir(self.root) if n.endswith(".img")} - keep)
        if not keep:
            await asyncio.to_thread(shutil.rmtree, self.root, True)
            return names
        for entry in set(os.listdir(self.root)) - keep - {n + ".img" for n in keep}:
            path = os.path.join(self.root, entry)
            await asyncio.to_thread(shutil.rmtree, path, True) if os.path.isdir(path) else os.unlink(path)
        return names

    def _image(self, name: str) -> str:
        return os.path.join(self.root, name + ".img")


async def _run(argv: list[str]) -> None:
    proc = await spawn(*argv, stdin=asyncio.subprocess.DEVNULL,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    out, _ = await proc.communicate()
    if proc.returncode != 0:
        said = out.decode(errors="replace").strip() or f"exit code {proc.returncode}"
        raise RuntimeStartError(f"{argv[0]} failed: {said}")


def _detach_loops(root: str, keep: tuple[str, ...] = ()) -> None:
    """Loop devices still backed by files under ``root`` (a mount that was never made, or ended
    with a namespace) are let go; what still holds one keeps it until it lets go (auto-clear)."""
    for backing in glob.glob("/sys/block/loop*/loop/backing_file"):
        try:
            with open(backing) as f:
                path = f.read().strip().removesuffix(" (deleted)")
        except OSError:
            continue
        if not path.startswith(root) or path in keep:
            continue
        device = "/dev/" + backing.split("/")[3]
        try:
            fd = os.open(device, os.O_RDONLY)
        except OSError:
            continue
        try:
            fcntl.ioctl(fd, LOOP_CLR_FD)
        except OSError:
            pass   # in use: it is cleared when its last user lets go
        finally:
            os.close(fd)
