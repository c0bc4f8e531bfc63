"""User namespaces: root inside a container is an unprivileged uid outside.

    IdRange.take(owner)   65,536 host ids of the worker's own (a file per range under RUN_DIR,
                          made O_EXCL, so workers sharing a host never share one): inside 0..65535
                          is outside base..base+65535
    mapped(range)         a user namespace with that mapping, held open by its file descriptor (a
                          helper process makes it and is gone at once)
    idmapped_bind(src, dst, ns)
                          a bind mount of src at dst through which files owned by uid N on disk are
                          seen as owned by N's image in ``ns`` (open_tree + mount_setattr(IDMAP) +
                          move_mount; Linux 5.12+)

An image's layers are shared by every container and stay owned by root on disk: a container's
overlay stacks idmapped binds of them (root's files are its root's), over an upper directory
written as the mapped ids (what it creates is owned by base + uid on the host). Its read-write
binds (volumes) get crun's "idmap" option: what it writes there is root's on disk, as functions
that share the volume expect. A snapshot reads the upper directory through the inverse mapping,
so its layer holds the ids as the container saw them.
"""

from __future__ import annotations

import ctypes
import fcntl
import os
import subprocess
import time
from typing import NamedTuple

from .base import RuntimeStartError
from .sysmount import libc as _libc

RUN_DIR = "/run/leveret/idmap"   # a file per range in use, holding its owner
FIRST = 1_000_000                # the first range's base (above the ids of a host's own users)
SIZE = 65536
RANGES = 4096                    # ranges to take from: bases up to FIRST + RANGES * SIZE (~269M)

_SYS_OPEN_TREE, _SYS_MOVE_MOUNT, _SYS_MOUNT_SETATTR = 428, 429, 442   # the same on x86_64 and aarch64
_OPEN_TREE_CLONE, _AT_RECURSIVE, _AT_EMPTY_PATH, _AT_FDCWD = 1, 0x8000, 0x1000, -100
_MOVE_MOUNT_F_EMPTY_PATH = 4
_MOUNT_ATTR_IDMAP = 0x00100000


class _MountAttr(ctypes.Structure):
    _fields_ = [("attr_set", ctypes.c_uint64), ("attr_clr", ctypes.c_uint64), ("propagation", ctypes.c_uint64),
                ("userns_fd", ctypes.c_uint64)]


class IdRange(NamedTuple):
    index: int
    base: int
    size: int = SIZE

    @classmethod
    def take(cls, owner: str, run_dir: str = RUN_DIR) -> "IdRange":
        """The range this owner (a worker's state directory) held before, else a free one."""
        os.makedirs(run_dir, exist_ok=True)
        with open(os.path.join(run_dir, ".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            return cls._take(owner, run_dir)

    @classmethod
    def _take(cls, owner: str, run_dir: str) -> "IdRange":
        free = None
        for i in range(RANGES):
            path = os.path.join(run_dir, str(i))
            try:
                with open(path) as f:
                    held_by = f.read()
            except FileNotFoundError:
                free = i if free is None else free
                continue
            if held_by == owner or not os.path.isdir(held_by):   # its own, or one whose worker is gone for good
                with open(path, "w") as f:
                    f.write(owner)
                return cls(i, FIRST + i * SIZE)
        for i in ([free] if free is not None else []) + list(range(RANGES)):
            try:
                fd = os.open(os.path.join(run_dir, str(i)), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                continue
            with os.fdopen(fd, "w") as f:
                f.write(owner)
            return cls(i, FIRST + i * SIZE)
        raise RuntimeStartError(f"all {RANGES} user id ranges of this host are taken (see {run_dir})")

    def uid_map(self) -> list[dict]:
        """config.json's linux.uidMappings (and gidMappings)."""
        return [{"containerID": 0, "hostID": self.base, "size": self.size}]


def mapped(inside: int, outside: int, size: int) -> int:
    """A file descriptor of a new user namespace whose ids inside..inside+size are outside's
    outside..outside+size (a helper process makes it; the descriptor keeps it)."""
    helper = subprocess.Popen(["unshare", "--user", "sh", "-c", "read x"], stdin=subprocess.PIPE,
                              stderr=subprocess.PIPE)
    try:
        ns = f"/proc/{helper.pid}/ns/user"
        own = os.readlink("/proc/self/ns/user")
        deadline = time.monotonic() + 10
        while True:   # until it has unshared
            try:
                if os.readlink(ns) != own:
                    break
            except OSError:
                pass
            if helper.poll() is not None or time.monotonic() > deadline:
                helper.kill()
                said = helper.communicate()[1].decode(errors="replace").strip()
                raise RuntimeStartError(f"could not make a user namespace: {said or 'its helper did not unshare'}")
            time.sleep(0.0005)
        for name in ("uid_map", "gid_map"):
            with open(f"/proc/{helper.pid}/{name}", "w") as f:
                f.write(f"{inside} {outside} {size}\n")
        return os.open(ns, os.O_RDONLY | os.O_CLOEXEC)
    finally:
        helper.kill()
        helper.communicate()


def _check(result: int, what: str) -> int:
    if result < 0:
        err = ctypes.get_errno()
        raise RuntimeStartError(f"could not {what}: {os.strerror(err)} (a container's user namespace needs Linux"
                                " 5.12+ and idmapped mounts on the worker's filesystems)")
    return result


def idmapped_bind(source: str, target: str, userns_fd: int) -> None:
    """A bind mount of ``source`` (and what is mounted under it) at ``target``, seen through ``userns_fd``'s mapping."""
    fd = _check(_libc.syscall(_SYS_OPEN_TREE, _AT_FDCWD, source.encode(), _OPEN_TREE_CLONE | os.O_CLOEXEC | _AT_RECURSIVE),
                f"clone the mount of {source}")
    try:
        attr = _MountAttr(_MOUNT_ATTR_IDMAP, 0, 0, userns_fd)
        _check(_libc.syscall(_SYS_MOUNT_SETATTR, fd, b"", _AT_EMPTY_PATH | _AT_RECURSIVE, ctypes.byref(attr),
                             ctypes.sizeof(attr)), f"idmap {source}")
        os.makedirs(target, exist_ok=True)
        _check(_libc.syscall(_SYS_MOVE_MOUNT, fd, b"", _AT_FDCWD, target.encode(), _MOVE_MOUNT_F_EMPTY_PATH),
               f"mount {source} at {target}")
    finally:
        os.close(fd)


class UserNamespaces:
    """A worker's id range and the two namespaces its mounts are seen through: ``to_host`` (the
    container's root is the range's base: its image's layers), ``from_host`` (the inverse: its
    upper directory as the container sees it, for snapshots)."""

    def __init__(self, owner: str):
        self.owner = owner
        self.range: IdRange | None = None
        self._to_host = self._from_host = -1

    def ensure(self) -> IdRange:
        if self.range is None:
            self.range = IdRange.take(self.owner)
        return self.range

    @property
    def to_host(self) -> int:
        if self._to_host < 0:
            r = self.ensure()
            self._to_host = mapped(0, r.base, r.size)
        return self._to_host

    @property
    def from_host(self) -> int:
        if self._from_host < 0:
            r = self.ensure()
            self._from_host = mapped(r.base, 0, r.size)
        return self._from_host

    def close(self) -> None:
        for fd in (self._to_host, self._from_host):
            if fd >= 0:
                os.close(fd)
        self._to_host = self._from_host = -1
