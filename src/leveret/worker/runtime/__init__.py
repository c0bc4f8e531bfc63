"""Container runtimes: see base.py for the interface."""

from .base import ContainerHandle, ContainerRuntime, ContainerSpec, Mount, RuntimeStartError

__all__ = ["ContainerHandle", "ContainerRuntime", "ContainerSpec", "Mount", "RuntimeStartError", "get_runtime"]


def get_runtime(name: str) -> ContainerRuntime:
    if name == "process":
        from .process import ProcessRuntime

        return ProcessRuntime()
    if name == "fake":
        from .fake import FakeRuntime

        return FakeRuntime()
    raise ValueError(f"unknown container runtime {name!r}: choose 'process' (the OCI runtimes come with the containers work)")
