"""Container runtimes: see base.py for the interface."""

from .base import ContainerHandle, ContainerRuntime, ContainerSpec, Mount, RuntimeStartError

__all__ = ["ContainerHandle", "ContainerRuntime", "ContainerSpec", "Mount", "RuntimeStartError", "get_runtime"]


def get_runtime(name: str, state_dir: str = "", *, unified_hidden: bool = False) -> ContainerRuntime:
    if name in ("crun", "runc"):
        from .oci import OciRuntime

        return OciRuntime(name, state_dir, unified_hidden=unified_hidden)
    if name == "process":
        from .process import ProcessRuntime

        return ProcessRuntime()
    if name == "fake":
        from .fake import FakeRuntime

        return FakeRuntime()
    raise ValueError(f"unknown container runtime {name!r}: choose crun, runc or process")
