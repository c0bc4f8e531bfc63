"""Child processes for the worker's event loop, started the cheap way.

uvloop (the worker's loop) starts a child with fork(): the worker's whole address space copied
into page tables for a process that execs at once, ~17 ms in a 200 MB worker, on every `crun
run`, `crun exec`, `ip` and `nft`. subprocess.Popen uses vfork() (nothing copied: ~0.3 ms). So
``spawn`` starts the child with Popen and gives asyncio what it needs of it:

    Popen(argv) ─▶ its pipes as asyncio streams (connect_read_pipe / connect_write_pipe)
                ─▶ its end: a pidfd (Linux 5.3+) the loop watches, then waitpid
                   (a thread that waits where there is no pidfd)

``Process`` answers as asyncio.subprocess.Process does (stdin, stdout, stderr, pid, returncode,
wait, communicate, send_signal, terminate, kill).

One thing vfork shows: a child's ru_maxrss (getrusage) starts at its parent's high-water mark,
which the kernel carries across exec; /proc/self/status's VmHWM is its own memory's. (It matters
only for the process runtime, whose containers are the worker's own children.)
"""

from __future__ import annotations

import asyncio
import os
import subprocess

from ..._shared.aio import to_the_end

PIPE, DEVNULL = subprocess.PIPE, subprocess.DEVNULL
LIMIT = 2 ** 16   # a stream's buffer, as asyncio's subprocesses have


class Process:
    def __init__(self, popen: subprocess.Popen):
        self._popen = popen
        self.pid = popen.pid
        self.stdin: asyncio.StreamWriter | None = None
        self.stdout: asyncio.StreamReader | None = None
        self.stderr: asyncio.StreamReader | None = None
        self._ended: asyncio.Future = asyncio.get_running_loop().create_future()
        self._transports: list[asyncio.BaseTransport] = []

    @property
    def returncode(self) -> int | None:
        return self._popen.returncode

    async def wait(self) -> int:
        return await asyncio.shield(self._ended)

    async def communicate(self, input: bytes | None = None) -> tuple[bytes | None, bytes | None]:
        try:
            if self.stdin is not None:
                if input:
                    self.stdin.write(input)
                    try:
                        await self.stdin.drain()
                    except (BrokenPipeError, ConnectionResetError):
                        pass
                self.stdin.close()
            out, err = await asyncio.gather(_read_all(self.stdout), _read_all(self.stderr))
            await self.wait()
            return out, err
        finally:   # (cancelled too: the worker stopping) nothing of it is read any more
            self.close_pipes()

    def close_pipes(self) -> None:
        """Let go of its pipes (what is still in them is lost): once nothing will read them."""
        for transport in self._transports:
            transport.close()

    def send_signal(self, sig: int) -> None:
        if self._popen.returncode is None:
            self._popen.send_signal(sig)

    def terminate(self) -> None:
        self._popen.terminate()

    def kill(self) -> None:
        self._popen.kill()

    def _end(self) -> None:
        if self.stdin is not None:   # nothing reads it any more
            self.stdin.close()
        if not self._ended.done():
            self._ended.set_result(self._popen.returncode)

    def _watch(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            fd = os.pidfd_open(self.pid)
        except (AttributeError, OSError):   # no pidfd here: a thread waits
            loop.run_in_executor(None, self._popen.wait).add_done_callback(lambda _: self._end())
            return

        def ended() -> None:
            if self._popen.poll() is None:
                return
            loop.remove_reader(fd)
            os.close(fd)
            self._end()

        loop.add_reader(fd, ended)
        ended()   # (it may have ended already)


class _PipeProtocol(asyncio.StreamReaderProtocol):
    def eof_received(self) -> bool:
        super().eof_received()
        return False   # a pipe at its end is done: its transport closes (uvloop keeps it open on True)


async def _read_all(stream: asyncio.StreamReader | None) -> bytes | None:
    return None if stream is None else await stream.read()


async def spawn(*argv: str, stdin=None, stdout=None, stderr=None, start_new_session: bool = False,
                **popen) -> Process:
    """``argv`` started now (as asyncio.create_subprocess_exec, but by vfork): PIPE, DEVNULL or None
    (this process's) for each of its standard streams."""
    p = subprocess.Popen(argv, stdin=stdin, stdout=stdout, stderr=stderr, start_new_session=start_new_session,
                         **popen)
    proc = Process(p)
    handed: list = []
    try:
        # Its pipes go to the loop whole even when the caller is cancelled meanwhile: uvloop closes
        # the descriptor of a pipe whose hand-over was cut short but not its file object, which
        # closes that number again when collected, by then another file's (found by CI: a
        # container's set-up failing with EBADF after a cancelled `nft`).
        await to_the_end(_connect(proc, p, handed))
    except BaseException:
        proc.close_pipes()
        for pipe in (p.stdin, p.stdout, p.stderr):
            if pipe is not None and pipe not in handed:
                pipe.close()
        p.kill()
        p.wait()
        raise
    proc._watch()
    return proc


async def _connect(proc: Process, p: subprocess.Popen, handed: list) -> None:
    loop = asyncio.get_running_loop()
    if p.stdin is not None:
        handed.append(p.stdin)
        transport, protocol = await loop.connect_write_pipe(
            lambda: asyncio.StreamReaderProtocol(asyncio.StreamReader(limit=LIMIT)), p.stdin)
        proc.stdin = asyncio.StreamWriter(transport, protocol, None, loop)
        proc._transports.append(transport)
    for name in ("stdout", "stderr"):
        pipe = getattr(p, name)
        if pipe is not None:
            handed.append(pipe)
            setattr(proc, name, await read_pipe(pipe, proc))


async def read_pipe(pipe, owner) -> asyncio.StreamReader:
    """A stream of what comes through ``pipe`` (a file object, which its transport closes); the
    transport joins ``owner._transports`` (closed by ``owner.close_pipes``). Not to be cancelled
    half-way (see spawn): callers hand their pipes over in ``to_the_end``."""
    reader = asyncio.StreamReader(limit=LIMIT)
    transport, _ = await asyncio.get_running_loop().connect_read_pipe(lambda: _PipeProtocol(reader), pipe)
    owner._transports.append(transport)
    return reader
