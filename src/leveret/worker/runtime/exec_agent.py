"""A sandbox's exec agent: a shell inside it that starts its commands, in a millisecond where
`crun exec` takes several.

    the first exec (``take``): `crun exec` as always, and the agent started beside it (`crun exec` of the
        static busybox's shell running AGENT: the container's process, capabilities, seccomp and
        user namespace, as any exec gets), reading lines from the FIFO ``ctl``
    each exec after (it is listening: a reader holds ctl): FIFOs N.in, N.out, N.err, N.pid, N.st
        made in the agent's directory on the host ─▶ "x N CMDLINE" on ctl ─▶ the agent forks a
        shell that evals CMDLINE (cd, export, exec argv) with those FIFOs as its stdin, stdout and
        stderr, says its pid on N.pid and its exit status on N.st
    kill(signal): "k SIGNAL PID" on ctl: the agent signals it
    no agent listening (not started yet, or the sandbox's code killed it): `crun exec`

The directory is mounted read-only into the container: code in the sandbox can use its own agent
(it is no more than that code could do itself) but can neither make nor replace the FIFOs, and
the worker opens each FIFO without following links and checks it is one.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import shlex
import stat

from ..._shared.aio import to_the_end
from .base import ExecProcess, RuntimeStartError

log = logging.getLogger("leveret.worker")
INSIDE = "/opt/leveret/agent"
LINE_MAX = 64 * 1024          # a command's line on ctl (longer ones go through the runtime's exec)
WRITE_S = 5.0                 # how long the agent may take to read one     # where the container sees the agent's directory
AGENT = f"""exec 3<>{INSIDE}/ctl
while read -r op id rest <&3; do
  if [ "$op" = x ]; then
    d={INSIDE}/$id
    ( ( eval "$rest" ) <$d.in >$d.out 2>$d.err &
      echo $! >$d.pid
      wait $!
      echo $? >$d.st ) 3<&- &
  elif [ "$op" = k ]; then
    kill -s "$id" "$rest" 2>/dev/null
  fi
done
"""


class ExecAgent:
    """One container's agent: its directory on the host (``path``), mounted at INSIDE."""

    def __init__(self, path: str):
        self.path = path
        self.ctl = os.path.join(path, "ctl")
        self._next = 0
        self._starting: asyncio.Future | None = None
        self._writing = asyncio.Lock()
        os.makedirs(path, exist_ok=True)
        os.chmod(path, 0o755)
        _fifo(self.ctl)

    async def take(self, runtime, handle, argv: list[str], env: dict[str, str], cwd: str) -> "AgentExec | None":
        """``argv`` started through the agent; None where the runtime's exec is to start it: the agent
        is not listening (not yet, or the sandbox killed it: started now, for the next), or the
        command does not fit on a line."""
        ctl = self.listening()
        if ctl < 0:
            if self._starting is None or self._starting.done():
                self._starting = asyncio.ensure_future(_run(runtime, handle))
                self._starting.add_done_callback(_said)
            return None
        if not plain(argv, env, cwd):
            os.close(ctl)
            return None
        return await self.exec(ctl, argv, env, cwd)

    def listening(self) -> int:
        """A descriptor writing to ctl, if the agent reads it (else -1)."""
        try:
            fd = os.open(self.ctl, os.O_WRONLY | os.O_NONBLOCK | os.O_NOFOLLOW)
        except OSError as exc:
            if exc.errno in (errno.ENXIO, errno.ENOENT):   # no reader: not started, or gone
                return -1
            raise
        if not stat.S_ISFIFO(os.fstat(fd).st_mode):
            os.close(fd)
            return -1
        return fd

    async def exec(self, ctl: int, argv: list[str], env: dict[str, str], cwd: str) -> "AgentExec":
        """Start ``argv`` through the agent (``ctl``: from listening(), closed here)."""
        n = self._next = self._next + 1
        names = [os.path.join(self.path, f"{n}.{k}") for k in ("in", "out", "err", "pid", "st")]
        fds: dict[str, int] = {}
        try:
            for path in names:
                _fifo(path)
            for k, path in zip(("out", "err", "pid", "st"), names[1:]):
                fds[k] = _open(path, os.O_RDONLY)
            fds["in"] = _open(names[0], os.O_RDWR)   # (never blocks, and the agent's open of it neither)
        except BaseException:
            for fd in fds.values():
                os.close(fd)
            _unlink(names)
            raise
        words = [f"cd {shlex.quote(cwd)} || exit 126;"] if cwd else []
        words += [f"export {shlex.quote(f'{k}={v}')};" for k, v in env.items()]
        words.append("exec " + " ".join(shlex.quote(a) for a in argv))
        line = f"x {n} {' '.join(words)}\n".encode()
        try:
            async with self._writing:   # (a line longer than PIPE_BUF may go in pieces: one line at a time)
                await _write_all(ctl, line)
        except BaseException:
            for fd in fds.values():
                os.close(fd)
            _unlink(names)
            raise
        finally:
            os.close(ctl)
        try:
            return await AgentExec.made(self, fds, names)
        except BaseException:
            _unlink(names)
            raise

    def kill(self, pid: int, sig: int) -> None:
        ctl = self.listening()
        if ctl >= 0:
            try:
                os.write(ctl, f"k {int(sig)} {int(pid)}\n".encode())   # (shorter than PIPE_BUF: whole, or not at all)
            except (BlockingIOError, BrokenPipeError):   # it reads nothing now: the sandbox stopped it
                log.warning("a sandbox's exec agent took no signal for its command %d: it does not read", pid)
            finally:
                os.close(ctl)

    def close(self) -> None:
        if self._starting is not None:
            self._starting.cancel()


async def _run(runtime, handle) -> None:
    """The agent, by the runtime's own exec, for as long as it runs (the container's end ends it)."""
    from .spawn import spawn

    proc = await spawn(*runtime.command("exec", *runtime.exec_flags, handle.container_id,
                                        f"{os.path.dirname(INSIDE)}/busybox", "sh", "-c", AGENT),
                       stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL,
                       stderr=asyncio.subprocess.DEVNULL, start_new_session=True)
    try:
        await proc.wait()
    except asyncio.CancelledError:
        proc.kill()
        raise


def _said(ended: asyncio.Future) -> None:
    if not ended.cancelled() and ended.exception() is not None:
        log.warning("a sandbox's exec agent could not run (its commands start with the runtime's exec): %s",
                    ended.exception())


def plain(argv: list[str], env: dict[str, str], cwd: str) -> bool:
    """Whether a command fits on one line of ctl (no newline in it, and not too long)."""
    parts = (*argv, *env, *env.values(), cwd)
    return not any("\n" in s for s in parts) and sum(map(len, parts)) < LINE_MAX // 2


async def _write_all(fd: int, data: bytes) -> None:
    """All of ``data`` to the FIFO ``fd`` (non-blocking), waiting for room; RuntimeStartError if the
    agent takes nothing for WRITE_S (the sandbox stopped it)."""
    loop = asyncio.get_running_loop()
    view, deadline = memoryview(data), loop.time() + WRITE_S
    while view:
        try:
            view = view[os.write(fd, view):]
        except BlockingIOError:
            room = loop.create_future()
            loop.add_writer(fd, lambda: room.done() or room.set_result(None))
            try:
                await asyncio.wait_for(room, max(0.0, deadline - loop.time()))
            except asyncio.TimeoutError:
                raise RuntimeStartError("the sandbox's exec agent takes no command: is it stopped?") from None
            finally:
                loop.remove_writer(fd)


def _unlink(paths) -> None:
    for path in paths:
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass


def _fifo(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    os.mkfifo(path, 0o666)
    os.chmod(path, 0o666)   # (the container's root is another uid outside: a user namespace)


def _open(path: str, flags: int) -> int:
    fd = os.open(path, flags | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC)
    if not stat.S_ISFIFO(os.fstat(fd).st_mode):
        os.close(fd)
        raise RuntimeStartError(f"{path} is not the exec agent's FIFO")
    return fd


class _Writer:
    """The command's stdin: write / drain / close, as StdinPipe uses a StreamWriter."""

    def __init__(self, fd: int):
        self.fd = fd
        self._buffer = bytearray()

    def write(self, data: bytes) -> None:
        self._buffer += data

    async def drain(self) -> None:
        loop = asyncio.get_running_loop()
        while self._buffer and self.fd >= 0:
            try:
                n = os.write(self.fd, self._buffer)
                del self._buffer[:n]
            except BlockingIOError:
                ready = loop.create_future()
                loop.add_writer(self.fd, lambda: ready.done() or ready.set_result(None))
                try:
                    await ready
                finally:
                    loop.remove_writer(self.fd)

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def write_eof(self) -> None:
        self.close()

    def can_write_eof(self) -> bool:
        return True


class _AgentProcess:
    """What ExecSession reads of a process: its streams, its pid, its exit."""

    def __init__(self, agent: ExecAgent, fds: dict[str, int], names: list[str]):
        self.agent, self.names = agent, names
        self.stdin = _Writer(fds["in"])
        self.stdout = self.stderr = None
        self.pid = 0                 # the command's, in the container (never a host's pid)
        self.returncode: int | None = None
        self._transports: list[asyncio.BaseTransport] = []

    async def _readers(self, fds: dict[str, int]) -> list[asyncio.StreamReader]:
        """out, err, st and pid as streams (those not reached closed, if one cannot be)."""
        loop = asyncio.get_running_loop()
        readers, keys = [], ["out", "err", "st", "pid"]
        try:
            while keys:
                reader = asyncio.StreamReader(limit=2 ** 16)
                transport, _ = await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader),
                                                            os.fdopen(fds[keys.pop(0)], "rb", 0))
                self._transports.append(transport)
                readers.append(reader)
        except BaseException:
            for k in keys:
                os.close(fds[k])
            raise
        return readers

    def close(self) -> None:
        """Its pipes closed and its FIFOs' names gone."""
        for transport in self._transports:
            transport.close()
        self._transports.clear()
        self.stdin.close()
        _unlink(self.names)

    async def wait(self) -> int:
        if self.returncode is None:
            said = (await self._status.read()).strip()
            code = int(said) if said.isdigit() else -1
            self.returncode = 128 - code if code > 128 else code   # 128 + N: killed by signal N
            self.close()
        return self.returncode


class AgentExec(ExecProcess):
    @classmethod
    async def made(cls, agent: ExecAgent, fds: dict[str, int], names: list[str]) -> "AgentExec":
        proc = _AgentProcess(agent, fds, names)
        try:
            # handed to the loop whole, even when cancelled meanwhile (as spawn.py's pipes, and why)
            proc.stdout, proc.stderr, proc._status, pid = await to_the_end(proc._readers(fds))
            said = (await asyncio.wait_for(pid.read(), 10)).strip()
        except BaseException:
            proc.close()
            raise
        if not said.isdigit():
            proc.close()
            raise RuntimeStartError("the exec agent did not start the command")
        proc.pid = int(said)
        return cls(proc)

    def signal(self, sig: int) -> None:
        if self.proc.returncode is None and self.proc.pid > 0:
            self.proc.agent.kill(self.proc.pid, sig)

    def kill_all(self) -> None:
        self.signal(9)
        self.proc.close()
