"""Taking over the containers a killed worker left running (Nomad's client state), on crun / runc.

A container outlives its worker: `RUNTIME run` runs in a session of its own, and its stdout /
stderr (the container's, which it passes on) are pipes that live as long as it does. While no
worker reads them, what is written to them fails (EPIPE; a child process not ignoring SIGPIPE dies
of it): Python's prints in a function go over its socket instead, and wait for the next worker.

    READY ─▶ record(handle): its bundle, the runtime process's pid, its disk, network, user
             namespace and memory limit (the worker keeps it beside the container: reattach.py)
    a worker starting on that state directory ─▶ adopt(container id, record):
        the runtime process still lives, and its command line names the container
        ─▶ its pipes read again through /proc/PID/fd/1 and 2, its end seen on a pidfd
        ─▶ its disk and network the runtime's again (its name server, which lived in the
           killed worker, served anew) ─▶ an OciHandle like the one the worker had

A process that is not the worker's child has no exit status the worker can read: an adopted
container's ``wait`` returns EXIT_UNKNOWN and its handle says so (``exit_known``).
"""

from __future__ import annotations

import asyncio
import dataclasses
import os

from ..._shared.aio import to_the_end
from .disk import Disk
from .network import Net
from .spawn import read_pipe

EXIT_UNKNOWN = -1
RECORD_VERSION = 1


class AdoptedProcess:
    """The runtime process of a container an earlier worker started, as spawn.Process answers
    (what OciHandle uses of it: pid, returncode, wait, stdout, stderr)."""

    stdin = None

    def __init__(self, pid: int):
        self.pid = pid
        self.returncode: int | None = None
        self.stdout = self.stderr = None
        self._transports: list = []
        self._ended: asyncio.Future = asyncio.get_running_loop().create_future()

    async def open(self) -> None:
        """Its pipes read, its end watched; OSError if it is gone."""
        loop = asyncio.get_running_loop()
        pidfd = os.pidfd_open(self.pid)
        try:
            await to_the_end(self._read_pipes())
        except BaseException:
            os.close(pidfd)
            self.close_pipes()
            raise

        def ended() -> None:
            loop.remove_reader(pidfd)
            os.close(pidfd)
            self.returncode = EXIT_UNKNOWN
            if not self._ended.done():
                self._ended.set_result(EXIT_UNKNOWN)

        loop.add_reader(pidfd, ended)

    async def _read_pipes(self) -> None:
        for name, fd in (("stdout", 1), ("stderr", 2)):
            pipe = os.open(f"/proc/{self.pid}/fd/{fd}", os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
            setattr(self, name, await read_pipe(os.fdopen(pipe, "rb", buffering=0), self))

    async def wait(self) -> int:
        return await asyncio.shield(self._ended)

    def close_pipes(self) -> None:
        for transport in self._transports:
            transport.close()


def record(runtime, handle) -> dict:
    """What a worker starting here after this one needs to take the container over."""
    disk = runtime._disk_of.get(handle.container_id)
    net = runtime.networks.of(handle.container_id)
    return {"version": RECORD_VERSION, "id": handle.container_id, "bundle": handle.bundle, "pid": handle.proc.pid,
            "memory_limit": handle.memory_limit, "disk": dataclasses.asdict(disk) if disk else None,
            "net": net._asdict() if net else None, "userns": handle.container_id in runtime._userns_of}


def runs(pid: int, container_id: str) -> bool:
    """Whether ``pid`` is the runtime's `run` of ``container_id`` (not a process that took its pid since)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            argv = f.read().split(b"\0")
    except OSError:
        return False
    return b"run" in argv and container_id.encode() in argv


async def adopt(runtime, state: dict):
    """An OciHandle of the container an earlier worker recorded (``record``), or None: it ended, or
    the record is not one this worker reads. Its disk and network are the runtime's again."""
    from .oci import OciHandle

    if state.get("version") != RECORD_VERSION or not runs(state["pid"], state["id"]):
        return None
    container_id = state["id"]   # the runtime's (a warm container's keeps the id it started with)
    proc = AdoptedProcess(state["pid"])
    try:
        await proc.open()
    except OSError:
        return None
    if state["net"]:
        try:
            await runtime.networks.adopt(container_id, Net(**state["net"]))
        except Exception:
            proc.close_pipes()
            raise
    if state["disk"]:
        runtime._disk_of[container_id] = Disk(**state["disk"])
    if state["userns"]:
        runtime._userns_of.add(container_id)
    handle = OciHandle(runtime, container_id, state["bundle"], proc, state["memory_limit"])
    handle.exit_known = False
    return handle
