"""The default image: a minimal Debian with python3, made with mmdebstrap from the host's own
Debian release and apt sources, once per machine, and shared by every container as the read-only
lower layer of its overlay.

The cache lives in $LEVERET_IMAGE_CACHE, else /var/cache/leveret/images as root, else
~/.cache/leveret/images. A build is done in a temporary directory and renamed into place, under a
lock, so concurrent workers build it once and a failed build leaves nothing behind.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import tempfile

PACKAGES = ["python3"]


def cache_dir() -> str:
    configured = os.environ.get("LEVERET_IMAGE_CACHE")
    if configured:
        return configured
    if os.geteuid() == 0:
        return "/var/cache/leveret/images"
    return os.path.expanduser("~/.cache/leveret/images")


def host_suite() -> str:
    with open("/etc/os-release") as f:
        for line in f:
            if line.startswith("VERSION_CODENAME="):
                return line.split("=", 1)[1].strip().strip('"')
    raise RuntimeError("cannot tell this host's Debian release from /etc/os-release (VERSION_CODENAME)")


def default_rootfs(cache: str | None = None) -> str:
    """Path of the default image's root filesystem, built first if needed (blocking: seconds)."""
    cache = cache or cache_dir()
    suite = host_suite()
    target = os.path.join(cache, f"debian-{suite}-{'-'.join(PACKAGES)}")
    rootfs = os.path.join(target, "rootfs")
    if os.path.isdir(rootfs):
        return rootfs
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
            os.rename(tmp, target)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return rootfs
