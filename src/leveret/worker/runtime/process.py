"""``process`` runtime: a container is a plain child process. No isolation — labelled so.

For hosts without root or without an OCI runtime. Mount sources are used in place: the
bootstrap is told the host paths, so ``Mount.target`` is informational only here. Devices are
the host's, all of them: those a spec names are only checked to be there. With no cgroup
of its own, a container's ``stats`` are its main process's (from /proc): the processes a function
starts itself are not counted.
"""

from __future__ import annotations

import asyncio
import os
import signal

from ...container.environment import ENV_CONTAINER_ID
from .base import (ContainerHandle, ContainerRuntime, ContainerSpec, ContainerStats, ExecProcess, RuntimeStartError,
                   read_device, set_window, take_terminal)
from .spawn import Process, spawn


class ProcessHandle(ContainerHandle):
    def __init__(self, container_id: str, proc: Process, cwd: str = "", env: dict | None = None):
        self.container_id = container_id
        self.proc = proc
        self.cwd, self.env = cwd, env or {}   # what a command run "inside" it gets
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        self.stdin = proc.stdin

    async def wait(self) -> int:
        return await self.proc.wait()

    def kill(self, sig: int = signal.SIGKILL) -> None:
        # The whole process group, even after its leader exited: what the function started goes too.
        try:
            os.killpg(self.proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass


class ProcessRuntime(ContainerRuntime):
    name = "process"
    isolated = False

    async def start(self, spec: ContainerSpec) -> ContainerHandle:
        if spec.needs_isolation:
            options = ", ".join(spec.needs_isolation)
            raise RuntimeStartError(
                f"this worker runs containers without isolation (process runtime) and cannot enforce {options};"
                " run the worker as root with --runtime crun")
        for path in spec.devices:
            read_device(path)
        env = {k: v for k, v in os.environ.items() if not k.startswith("LEVERET_")}
        env.update(spec.env)
        try:
            proc = await spawn(
                *spec.argv,
                cwd=spec.workdir,
                env=env,
                stdin=asyncio.subprocess.PIPE if spec.stdin else asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                start_new_session=True,
            )
        except OSError as exc:
            raise RuntimeStartError(f"could not start {spec.argv[0]!r}: {exc}") from exc
        return ProcessHandle(spec.container_id, proc, spec.workdir, env)

    async def exec(self, handle: ContainerHandle, argv: list[str], *, stdin: bool = False, tty: bool = False,
                   env: dict[str, str] | None = None, size: tuple[int, int] = (0, 0), cwd: str = "") -> ExecProcess:
        assert isinstance(handle, ProcessHandle)
        pipe, master, slave = asyncio.subprocess.PIPE, None, None
        if tty:
            master, slave = os.openpty()
            if all(size):   # before it starts: the first thing a shell asks
                set_window(master, *size)
        try:   # no namespaces to enter: the container's directory and environment
            proc = await spawn(
                *argv, cwd=cwd or handle.cwd or None, env={**handle.env, **(env or {})},
                stdin=slave if tty else pipe if stdin else asyncio.subprocess.DEVNULL,
                stdout=slave if tty else pipe, stderr=slave if tty else pipe,
                start_new_session=not tty, preexec_fn=take_terminal if tty else None)
        except OSError as exc:
            if master is not None:
                os.close(master)
            raise RuntimeStartError(f"could not run {argv[0]!r}: {exc}") from exc
        finally:
            if slave is not None:
                os.close(slave)
        return ExecProcess(proc, master)

    async def remove(self, handle: ContainerHandle) -> None:
        handle.kill(signal.SIGKILL)
        for pid in _marked(handle.container_id):   # what left its session (a daemon's double fork) goes too
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass

    def stats(self, handle: ContainerHandle) -> ContainerStats | None:
        """The main process's CPU time (and its waited-for children's) and resident memory."""
        assert isinstance(handle, ProcessHandle)
        try:
            with open(f"/proc/{handle.proc.pid}/stat") as f:
                fields = f.read().rpartition(")")[2].split()   # after the command name, which may hold spaces
            with open(f"/proc/{handle.proc.pid}/statm") as f:
                resident_pages = int(f.read().split()[1])
        except (OSError, IndexError, ValueError):
            return None
        ticks = sum(int(v) for v in fields[11:15])   # utime, stime, cutime, cstime
        return ContainerStats(ticks / _CLOCK_TICKS, resident_pages * _PAGE_SIZE)


def _marked(container_id: str) -> list[int]:
    """This user's processes whose environment names the container (ENV_CONTAINER_ID, inherited by all
    they start unless they clear it): without namespaces or a cgroup, all that tells them apart."""
    mark = f"{ENV_CONTAINER_ID}={container_id}".encode()
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/environ", "rb") as f:
                if mark in f.read().split(b"\0"):
                    found.append(int(pid))
        except OSError:   # gone, or another user's
            pass
    return found


_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
