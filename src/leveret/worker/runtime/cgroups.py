"""Which cgroup layout the host has: ``v2`` (unified), ``hybrid`` (v1 controllers plus a v2
hierarchy at /sys/fs/cgroup/unified) or ``v1``. Read from the mount table."""

from __future__ import annotations

V2, HYBRID, V1 = "v2", "hybrid", "v1"


import os


def _mounts(mountinfo: str | None) -> list[tuple[str, str]]:
    """(mount point, "cgroup" | "cgroup2") of every cgroup hierarchy."""
    if mountinfo is None:
        with open("/proc/self/mountinfo") as f:
            mountinfo = f.read()
    found = []
    for line in mountinfo.splitlines():
        left, _, right = line.partition(" - ")
        fields, fstype = left.split(), right.split()[0] if right else ""
        if len(fields) >= 5 and fstype in ("cgroup", "cgroup2"):
            found.append((fields[4], fstype))
    return found


def detect(mountinfo: str | None = None) -> str:
    mounts = _mounts(mountinfo)
    v2_at = {point for point, fstype in mounts if fstype == "cgroup2"}
    v1 = any(fstype == "cgroup" for _, fstype in mounts)
    if "/sys/fs/cgroup" in v2_at:
        return V2
    if v1 and v2_at:
        return HYBRID
    return V1


def paths(cgroup: str, mountinfo: str | None = None) -> list[str]:
    """Where the cgroup ``cgroup`` (e.g. /leveret/ct-…) is, in every hierarchy of the host."""
    return [os.path.join(point, cgroup.lstrip("/")) for point, _ in _mounts(mountinfo)]


def remove(cgroup: str) -> None:
    """Remove what is left of an (empty) cgroup in every hierarchy; no error where it is gone."""
    for path in paths(cgroup):
        try:
            os.rmdir(path)
        except OSError:
            pass
