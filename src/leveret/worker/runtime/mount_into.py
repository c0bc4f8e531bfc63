"""An image's files mounted, read-only, at a path of a running container (a sandbox's mount_image).

    its layers ─▶ one layer: a bind of it; more: an overlay of them staged in the bundle
               (a container with a user namespace: of their idmapped binds, as its root is made)
    ─▶ open_tree(OPEN_TREE_CLONE): a detached copy of that mount, read-only (and idmapped)
    ─▶ a helper process (setns needs one thread): into the container's mount namespace, its root
       the container's, mkdir -p the path, move_mount the detached copy there
    unmount: the helper, there, umount2(path, MNT_DETACH)

The path is resolved inside the container (its symlinks lead nowhere outside it); the helper runs
the worker's own Python.
"""

from __future__ import annotations

import ctypes
import os
import sys

from .base import RuntimeStartError
from .spawn import PIPE, spawn
from .sysmount import libc
from .userns import _AT_EMPTY_PATH, _AT_FDCWD, _AT_RECURSIVE, _MOUNT_ATTR_IDMAP, _OPEN_TREE_CLONE, _SYS_MOUNT_SETATTR, \
    _SYS_OPEN_TREE, _MountAttr, _check

_MOUNT_ATTR_RDONLY = 0x1

# argv: container init's pid, the detached mount's fd ("-1": unmount), the path in the container
HELPER = r"""
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
def check(rc, what):
    if rc != 0:
        sys.exit(f"{what}: {os.strerror(ctypes.get_errno())}")
pid, fd, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
root = os.open(f"/proc/{pid}/root", os.O_RDONLY | os.O_DIRECTORY)
check(libc.setns(os.open(f"/proc/{pid}/ns/mnt", os.O_RDONLY), 0x00020000), "entering its mount namespace")
os.fchdir(root)
os.chroot(".")
if fd < 0:
    check(libc.umount2(path.encode(), 2), f"unmounting {path}")
else:
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as exc:
        sys.exit(f"making {path}: {exc.strerror}")
    check(libc.syscall(429, fd, b"", -100, path.encode(), 4), f"mounting at {path}")
"""


def detached(source: str, userns_fd: int = -1) -> int:
    """A read-only detached copy of the mount at ``source`` (idmapped through ``userns_fd`` if given): its fd."""
    fd = _check(libc.syscall(_SYS_OPEN_TREE, _AT_FDCWD, source.encode(), _OPEN_TREE_CLONE | os.O_CLOEXEC | _AT_RECURSIVE),
                f"clone the mount of {source}")
    try:
        attr = _MountAttr(_MOUNT_ATTR_RDONLY | (_MOUNT_ATTR_IDMAP if userns_fd >= 0 else 0), 0, 0, max(userns_fd, 0))
        _check(libc.syscall(_SYS_MOUNT_SETATTR, fd, b"", _AT_EMPTY_PATH | _AT_RECURSIVE, ctypes.byref(attr),
                            ctypes.sizeof(attr)), f"make {source} read-only")
    except BaseException:
        os.close(fd)
        raise
    return fd


async def into(pid: int, path: str, fd: int) -> None:
    """Attach the detached mount ``fd`` at ``path`` in the mount namespace of process ``pid`` (-1: unmount ``path``)."""
    proc = await spawn(sys.executable, "-I", "-c", HELPER, str(pid), str(fd), path, stdout=PIPE, stderr=PIPE,
                       pass_fds=[fd] if fd >= 0 else [])
    _, err = await proc.communicate()
    if proc.returncode:
        said = err.decode(errors="replace").strip().splitlines()
        raise RuntimeStartError(f"could not {'unmount' if fd < 0 else 'mount'} at {path}: "
                                + (said[-1] if said else f"exit code {proc.returncode}"))


async def mount_image(runtime, handle, lowers: tuple[str, ...], path: str) -> None:
    """``lowers`` (an image's layers, top first) read-only at ``path`` in the OCI container ``handle``."""
    import secrets
    import shutil

    from .sysmount import mount, mounts_under, umount
    from .userns import idmapped_bind

    userns = runtime.userns.to_host if handle.container_id in runtime._userns_of else -1
    if len(lowers) == 1:
        fd = detached(lowers[0], userns)
    else:   # an overlay of them, staged in its bundle, of which the container gets a copy
        stage = os.path.join(handle.bundle, "image-mounts", secrets.token_hex(4))
        try:
            layers = []
            for i, layer in enumerate(lowers):
                if userns >= 0:
                    idmapped_bind(layer, os.path.join(stage, str(i)), userns)
                layers.append(os.path.join(stage, str(i)) if userns >= 0 else layer)
            os.makedirs(os.path.join(stage, "merged"))
            mount("overlay", os.path.join(stage, "merged"), "overlay", f"lowerdir={':'.join(layers)}")
            fd = detached(os.path.join(stage, "merged"))
        finally:
            for point in mounts_under(stage):
                umount(point)
            shutil.rmtree(stage, ignore_errors=True)
    try:
        await into(runtime.init_pid(handle), path, fd)
    finally:
        os.close(fd)
