"""mount(2) and friends through libc: a fork and exec of mount(8) per container costs milliseconds."""

from __future__ import annotations

import ctypes
import os
import re

from .base import RuntimeStartError

libc = ctypes.CDLL(None, use_errno=True)
CLONE_NEWNS, MS_REC, MS_PRIVATE, MNT_DETACH = 0x00020000, 0x4000, 0x40000, 2


def check(rc: int, what: str) -> None:
    if rc != 0:
        err = ctypes.get_errno()
        raise RuntimeStartError(f"{what} failed: {os.strerror(err)}")


def mount(source: str, target: str, fstype: str, options: str, flags: int = 0) -> None:
    rc = libc.mount(source.encode(), target.encode(), fstype.encode() if fstype else None, flags,
                    options.encode() if options else None)
    check(rc, f"mounting {fstype or source} at {target}")


def umount(target: str) -> None:
    """Detach ``target`` now; what still uses the filesystem keeps it until it lets go."""
    check(libc.umount2(target.encode(), MNT_DETACH), f"unmounting {target}")


def mounts_under(path: str) -> list[str]:
    """The mount points at or under ``path`` in this process's mount namespace, deepest first. (A
    bind mount on the filesystem it comes from is invisible to os.path.ismount: same device.)"""
    path = os.path.abspath(path)
    found = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            point = re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), line.split()[4])
            if point == path or point.startswith(path + "/"):
                found.append(point)
    return sorted(found, key=len, reverse=True)
