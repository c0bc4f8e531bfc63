"""The interface between the worker and whatever isolates containers.

The worker talks to containers only through ``ContainerRuntime``: ``start`` a spec, read the
handle's stdout / stderr, ``wait`` for its exit, ``kill`` it, ``remove`` what it left behind.
Implementations: ``process`` (no isolation), ``fake`` (records calls, for tests); the OCI runtime
(crun / runc / runsc) implements the same interface.
"""

from __future__ import annotations

import abc
import asyncio
import dataclasses


@dataclasses.dataclass(frozen=True)
class Mount:
    source: str
    target: str
    read_only: bool = True


@dataclasses.dataclass(frozen=True)
class ContainerSpec:
    container_id: str
    argv: list[str]
    env: dict[str, str]
    workdir: str
    mounts: list[Mount] = dataclasses.field(default_factory=list)
    cpu: float = 0.0        # cores; 0 = no limit
    memory_mb: int = 0      # 0 = no limit


class ContainerHandle(abc.ABC):
    """A started container. ``stdout`` and ``stderr`` stream its file descriptors 1 and 2."""

    container_id: str
    stdout: asyncio.StreamReader
    stderr: asyncio.StreamReader

    @abc.abstractmethod
    async def wait(self) -> int:
        """Wait for the container to exit; return its exit code (negative: killed by signal)."""

    @abc.abstractmethod
    def kill(self, sig: int) -> None:
        """Send ``sig`` to every process of the container; no error if it already exited."""


class ContainerRuntime(abc.ABC):
    name: str
    isolated: bool

    @abc.abstractmethod
    async def start(self, spec: ContainerSpec) -> ContainerHandle:
        """Start a container; raise RuntimeStartError with a readable reason if it cannot."""

    @abc.abstractmethod
    async def remove(self, handle: ContainerHandle) -> None:
        """Release everything the container held (bundle, mounts, cgroups). Idempotent."""

    def describe(self) -> str:
        return self.name if self.isolated else f"{self.name} (no isolation)"


class RuntimeStartError(Exception):
    """A container could not be started; the message says why."""
