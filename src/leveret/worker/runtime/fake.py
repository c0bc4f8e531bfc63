"""A recording fake runtime for unit tests: no processes, every call recorded; and fake disks
(``FakeDisks``) for the disk pool's tests.

A fake container "runs" until it is killed, or until the test calls ``exit(container_id, code)``;
tests write to its stdout / stderr with ``feed``. ``feed`` and ``exit`` may be called from any
thread: they run on the loop that started the container. With a script
(``leveret.testing.scripted.ScriptedBootstrap``) a fake container also talks to its worker as the
real bootstrap does, and ends where its script says: a crash at any moment, with no process.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import shutil
import signal

from .base import ContainerHandle, ContainerRuntime, ContainerSpec, ContainerStats, RuntimeStartError
from .disk import MiB, Disk, DiskMaker


@dataclasses.dataclass
class Call:
    verb: str
    container_id: str
    detail: object = None


class FakeHandle(ContainerHandle):
    def __init__(self, runtime: "FakeRuntime", spec: ContainerSpec):
        self.container_id = spec.container_id
        self.spec = spec
        self._runtime = runtime
        self.stdout = asyncio.StreamReader()
        self.stderr = asyncio.StreamReader()
        self.loop = asyncio.get_running_loop()
        self._exit: asyncio.Future[int] = self.loop.create_future()

    def finish(self, code: int) -> None:
        if not self._exit.done():
            self.stdout.feed_eof()
            self.stderr.feed_eof()
            self._exit.set_result(code)

    async def wait(self) -> int:
        return await asyncio.shield(self._exit)

    def kill(self, sig: int = signal.SIGKILL) -> None:
        self._runtime.calls.append(Call("kill", self.container_id, sig))
        self.finish(-sig)


class FakeRuntime(ContainerRuntime):
    name = "fake"
    isolated = False

    def __init__(self, fail_start: str | None = None, script=None):
        self.script = script   # a leveret.testing.scripted.ScriptedBootstrap: what its containers run
        self.calls: list[Call] = []
        self.handles: dict[str, FakeHandle] = {}
        self.fail_start = fail_start
        self.usage: dict[str, ContainerStats] = {}   # what stats() says, by container id (tests set it)

    async def start(self, spec: ContainerSpec) -> ContainerHandle:
        self.calls.append(Call("start", spec.container_id, spec))
        if self.fail_start:
            raise RuntimeStartError(self.fail_start)
        handle = FakeHandle(self, spec)
        self.handles[spec.container_id] = handle
        if self.script is not None:
            handle.process = asyncio.get_running_loop().create_task(self.script.run(handle))
        return handle

    async def remove(self, handle: ContainerHandle) -> None:
        self.calls.append(Call("remove", handle.container_id))
        handle.kill(signal.SIGKILL)

    def stats(self, handle: ContainerHandle) -> ContainerStats | None:
        return self.usage.get(handle.container_id)

    def feed(self, container_id: str, data: bytes, fd: int = 1) -> None:
        h = self.handles[container_id]
        h.loop.call_soon_threadsafe((h.stdout if fd == 1 else h.stderr).feed_data, data)

    def exit(self, container_id: str, code: int) -> None:
        h = self.handles[container_id]
        h.loop.call_soon_threadsafe(h.finish, code)

    def verbs(self) -> list[str]:
        return [c.verb for c in self.calls]


class FakeDisks(DiskMaker):
    """Disks as plain directories under ``root``, with the free space and each disk's use the test
    sets (MiB); records what it was asked. ``hold`` (an Event) keeps makes waiting until it is set."""

    bounded = True
    kind = "fake disks"

    def __init__(self, root: str, *, free_mb: int = 100_000, fail: str = ""):
        super().__init__(root)
        self.free_mb = free_mb
        self.used_mb: dict[str, int] = {}
        self.fail = fail
        self.hold: asyncio.Event | None = None
        self.calls: list[tuple] = []

    async def make(self, name: str, size_mb: int, *, background: bool = False) -> Disk:
        self.calls.append(("make", size_mb))
        if self.hold is not None:
            await self.hold.wait()
        if self.fail:
            raise RuntimeStartError(self.fail)
        path = os.path.join(self.root, name)
        os.makedirs(path)
        return Disk(name, path, size_mb)

    async def destroy(self, disk: Disk) -> None:
        self.calls.append(("destroy", disk.size_mb))
        shutil.rmtree(disk.path, ignore_errors=True)

    def used_bytes(self, disk: Disk) -> int:
        return self.used_mb.get(disk.name, 0) * MiB

    def free_bytes(self) -> int:
        return self.free_mb * MiB

    async def remove_leftovers(self, keep: tuple[str, ...] = ()) -> list[str]:
        names = sorted(os.listdir(self.root)) if os.path.isdir(self.root) else []
        shutil.rmtree(self.root, ignore_errors=True)
        return names
