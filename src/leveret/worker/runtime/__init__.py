"""Container runtimes: see base.py for the interface."""

from .base import ContainerHandle, ContainerRuntime, ContainerSpec, ContainerStats, Mount, NetworkSpec, RuntimeStartError

__all__ = ["ContainerHandle", "ContainerRuntime", "ContainerSpec", "ContainerStats", "Mount", "NetworkSpec",
           "RuntimeStartError", "get_runtime"]


def choose_runtime(name: str) -> tuple[str, str]:
    """Resolve ``auto``: crun where it can run (root, crun, tini and mmdebstrap installed), else
    process. Returns the runtime and, for auto's fallback, why (for the worker's banner)."""
    if name != "auto":
        return name, ""
    import os
    import shutil

    from .oci import TINI

    missing = [tool for tool in ("crun", "mmdebstrap") if shutil.which(tool) is None]
    if not os.path.exists(TINI):
        missing.append("tini")
    if os.geteuid() != 0:
        return "process", " — isolated containers need root"
    if missing:
        return "process", f" — isolated containers need {', '.join(missing)} (apt-get install {' '.join(missing)})"
    return "crun", ""


def get_runtime(name: str, state_dir: str = "", *, unified_hidden: bool = False, disk_mb: int = 0,
                disk_reserve_mb: int | None = None) -> ContainerRuntime:
    """``disk_mb``: a container's disk when its function sets no ephemeral_disk= (0: the default);
    ``disk_reserve_mb``: what the worker keeps free of its own disk (None: the default)."""
    if name in ("crun", "runc", "runsc"):
        from .disk import DEFAULT_DISK_MB, DEFAULT_RESERVE_MB
        from .oci import CrunRuntime, RuncRuntime
        from .runsc import RunscRuntime

        oci = {"crun": CrunRuntime, "runc": RuncRuntime, "runsc": RunscRuntime}[name]
        return oci(state_dir, unified_hidden=unified_hidden, disk_mb=disk_mb or DEFAULT_DISK_MB,
                   disk_reserve_mb=DEFAULT_RESERVE_MB if disk_reserve_mb is None else disk_reserve_mb)
    if disk_mb or disk_reserve_mb is not None:
        raise ValueError(f"the {name} runtime does not bound containers' disks: a default disk size or a disk"
                         " reserve needs crun, runc or runsc")
    if name == "process":
        from .process import ProcessRuntime

        return ProcessRuntime()
    if name == "fake":
        from .fake import FakeRuntime

        return FakeRuntime()
    raise ValueError(f"unknown container runtime {name!r}: choose crun, runc, runsc or process")
