"""Container runtimes: see base.py for the interface."""

from .base import ContainerHandle, ContainerRuntime, ContainerSpec, ContainerStats, Mount, RuntimeStartError

__all__ = ["ContainerHandle", "ContainerRuntime", "ContainerSpec", "ContainerStats", "Mount", "RuntimeStartError",
           "get_runtime"]


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


def get_runtime(name: str, state_dir: str = "", *, unified_hidden: bool = False) -> ContainerRuntime:
    if name in ("crun", "runc", "runsc"):
        from .oci import OciRuntime

        return OciRuntime(name, state_dir, unified_hidden=unified_hidden)
    if name == "process":
        from .process import ProcessRuntime

        return ProcessRuntime()
    if name == "fake":
        from .fake import FakeRuntime

        return FakeRuntime()
    raise ValueError(f"unknown container runtime {name!r}: choose crun, runc, runsc or process")
