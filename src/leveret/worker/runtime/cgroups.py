"""Which cgroup layout the host has: ``v2`` (unified), ``hybrid`` (v1 controllers plus a v2
hierarchy at /sys/fs/cgroup/unified) or ``v1``. Read from the mount table."""

from __future__ import annotations

import os

V2, HYBRID, V1 = "v2", "hybrid", "v1"


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


def remove(cgroup: str) -> bool:
    """Remove what is left of an (empty) cgroup in every hierarchy; no error where it is gone. Say
    whether it is gone everywhere (not while processes are still in it, exiting)."""
    gone = True
    for path in paths(cgroup):
        try:
            os.rmdir(path)
        except FileNotFoundError:
            pass
        except OSError:
            gone = False
    return gone


GONE_S = 5.0   # how long a removed container's processes may take to leave its cgroups


async def remove_when_empty(*cgroups: str) -> bool:
    """Remove ``cgroups`` (children before parents), trying again while processes still in them exit,
    for up to GONE_S; whether they are gone."""
    import asyncio

    deadline = asyncio.get_running_loop().time() + GONE_S
    while not all([remove(cgroup) for cgroup in cgroups]):   # a list: each is tried every time
        if asyncio.get_running_loop().time() > deadline:
            return False
        await asyncio.sleep(0.02)
    return True


def controller_root(controller: str, mountinfo: str | None = None) -> str:
    """Where the hierarchy with ``controller`` (memory, cpuacct, ...) is mounted: its v1 hierarchy,
    else the v2 one (on a v2 host, or one with no v1 hierarchy at all)."""
    mounts = _mounts(mountinfo)
    for point, fstype in mounts:
        if fstype == "cgroup" and os.path.basename(point).split(",").count(controller):
            return point
    if detect(mountinfo) == V2:
        return "/sys/fs/cgroup"
    unified = [point for point, fstype in mounts if fstype == "cgroup2"]
    if unified and len(unified) == len(mounts):
        return unified[0]
    raise OSError(f"no cgroup hierarchy with the {controller} controller is mounted")


def memory_dir(cgroup: str, mountinfo: str | None = None) -> str:
    """The directory of ``cgroup`` in the hierarchy that has the memory controller."""
    return os.path.join(controller_root("memory", mountinfo), cgroup.lstrip("/"))


class UsageReader:
    """Reads what a cgroup's processes use: CPU seconds (v1 cpuacct.usage, v2 cpu.stat's
    usage_usec) and memory bytes (v1 memory.usage_in_bytes, v2 memory.current; page cache
    included). Finds the hierarchies once; each read is two small files."""

    def __init__(self, mountinfo: str | None = None):
        self.cpu_root = self._root("cpuacct", mountinfo)
        self.memory_root = self._root("memory", mountinfo)

    @staticmethod
    def _root(controller: str, mountinfo: str | None) -> str | None:
        try:
            return controller_root(controller, mountinfo)
        except OSError:
            return None

    def cpu_seconds(self, cgroup: str) -> float | None:
        if self.cpu_root is None:
            return None
        path = os.path.join(self.cpu_root, cgroup.lstrip("/"))
        text = _read(os.path.join(path, "cpuacct.usage"))
        if text is not None:
            return int(text) / 1e9
        for line in (_read(os.path.join(path, "cpu.stat")) or "").splitlines():
            key, _, value = line.partition(" ")
            if key == "usage_usec":
                return int(value) / 1e6
        return None

    def memory_bytes(self, cgroup: str) -> int | None:
        if self.memory_root is None:
            return None
        path = os.path.join(self.memory_root, cgroup.lstrip("/"))
        for name in ("memory.usage_in_bytes", "memory.current"):
            text = _read(os.path.join(path, name))
            if text is not None:
                return int(text)
        return None


def _read(path: str) -> str | None:
    try:
        with open(path) as f:
            return f.read().strip()
    except (OSError, ValueError):
        return None


def swap_accounting(mode: str | None = None, root: str = "/sys/fs/cgroup") -> bool:
    """Whether the kernel accounts swap per cgroup, so that a memory limit can also forbid swapping
    past it (config.json's memory.swap; a runtime fails to start a container whose swap it cannot set).
    v1: the memory hierarchy has memory.memsw.*; v2: cgroups with the memory controller have
    memory.swap.max (the root has no memory files: look one level down)."""
    if (mode or detect()) == V2:
        try:
            children = [entry.path for entry in os.scandir(root) if entry.is_dir()]
        except OSError:
            return False
        return any(os.path.exists(os.path.join(child, "memory.swap.max")) for child in children)
    try:
        return os.path.exists(os.path.join(controller_root("memory"), "memory.memsw.limit_in_bytes"))
    except OSError:
        return False


def hit_memory_limit(directory: str, limit: int) -> bool:
    """Whether the processes of the memory cgroup at ``directory`` (or of the cgroups below it)
    ever ran into a memory limit of ``limit`` bytes. It is read after the runtime removed the
    container's own cgroup, a child of ``directory`` that held the limit.

    v2 counts OOM kills in memory.events up the tree, so the parent has them. v1 counts them only
    in the cgroup that ran out, which is gone; there the parent's peak usage (its children's
    charges count in it) reaching the limit stands in: the caller pairs it with a SIGKILL."""
    try:
        with open(os.path.join(directory, "memory.events")) as f:
            return any(line.split()[0] == "oom_kill" and int(line.split()[1]) > 0 for line in f)
    except OSError:
        pass
    try:
        with open(os.path.join(directory, "memory.max_usage_in_bytes")) as peak:
            return int(peak.read()) >= limit
    except (OSError, ValueError):
        return False
