"""The default image (debian_slim): a minimal Debian with python3 and pip, made with mmdebstrap from the host's own
Debian release and apt sources, once per machine, and shared by every container as the read-only
lower layer of its overlay.

The cache lives in $LEVERET_IMAGE_CACHE, else /var/cache/leveret/images as root, else
~/.cache/leveret/images. A build is done in a temporary directory and renamed into place, under a
lock, so concurrent workers build it once and a failed build leaves nothing behind.
"""

from __future__ import annotations

import fcntl
import glob
import os
import shutil
import subprocess
import tempfile

PACKAGES = ["python3", "python3-pip"]


def cache_dir() -> str:
    configured = os.environ.get("LEVERET_IMAGE_CACHE")
    if configured:
        return configured
    if os.geteuid() == 0:
        return "/var/cache/leveret/images"
    return os.path.expanduser("~/.cache/leveret/images")


def private_dir(path: str) -> str:
    """Create ``path`` readable by its owner only: images hold setuid binaries and secrets' traces."""
    os.makedirs(path, mode=0o700, exist_ok=True)
    os.chmod(path, 0o700)
    return path


def host_suite() -> str:
    with open("/etc/os-release") as f:
        for line in f:
            if line.startswith("VERSION_CODENAME="):
                return line.split("=", 1)[1].strip().strip('"')
    raise RuntimeError("cannot tell this host's Debian release from /etc/os-release (VERSION_CODENAME)")


def debian_slim(python_version: str = "", nonce: str = "", cache: str | None = None) -> str:
    """The debian_slim base for ``python_version`` (refused with the version the mirror has, if it
    has another). ``nonce`` (force_build) makes a fresh build."""
    if python_version:
        from .builder import BuildError, available_python

        offered = available_python()
        if offered and offered != python_version:
            raise BuildError(f"debian_slim(python_version={python_version!r}): Debian {host_suite()} offers python"
                             f" {offered} only; use python_version={offered!r}")
    return default_rootfs(cache, nonce)


def _target(cache: str | None, nonce: str) -> str:
    return os.path.join(cache or cache_dir(), f"debian-{host_suite()}-{'-'.join(PACKAGES)}" + (f"-{nonce}" if nonce else ""))


def is_built(nonce: str = "", cache: str | None = None) -> bool:
    return os.path.isdir(os.path.join(_target(cache, nonce), "rootfs"))


def default_rootfs(cache: str | None = None, nonce: str = "") -> str:
    """Path of the default image's root filesystem, built first if needed (blocking: seconds)."""
    cache = cache or cache_dir()
    suite = host_suite()
    target = _target(cache, nonce)
    rootfs = os.path.join(target, "rootfs")
    if os.path.isdir(rootfs):
        return rootfs
    private_dir(cache)
    if shutil.which("mmdebstrap") is None:
        raise RuntimeError("mmdebstrap is not installed (it builds the default image): apt-get install mmdebstrap")
    os.makedirs(cache, exist_ok=True)
    with open(os.path.join(cache, ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if os.path.isdir(rootfs):
            return rootfs
        tmp = tempfile.mkdtemp(dir=cache, prefix=".build-")
        try:
            done = subprocess.run(
                ["mmdebstrap", "--variant=apt", "--include=" + ",".join(PACKAGES), suite, os.path.join(tmp, "rootfs")],
                capture_output=True, text=True)
            if done.returncode != 0:
                raise RuntimeError(f"mmdebstrap failed (exit {done.returncode}):\n{done.stderr[-2000:]}")
            # pip installs into the image's Python: it is the image's own, not a system to protect
            for marker in glob.glob(os.path.join(tmp, "rootfs", "usr", "lib", "python3*", "EXTERNALLY-MANAGED")):
                os.unlink(marker)
            os.rename(tmp, target)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return rootfs
