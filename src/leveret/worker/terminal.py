"""A command's terminal, from the worker's side: the master end of its pseudo-terminal, read and
written on the event loop (an exec with a tty: execs.py; a sandbox's command with pty=True:
sandbox_runner.py).

    readable ─▶ on_data(bytes) … ─▶ no process holds the other end any more (EIO) ─▶ ``ended``
    pause() / resume(): not read while its reader has no room (its output waits in the terminal,
        and a command writing more waits, as on a slow terminal)
    write(bytes): what it takes now, the rest when its input queue drains
"""

from __future__ import annotations

import asyncio
import os
from typing import Callable

READ = 64 * 1024


class Terminal:
    def __init__(self, fd: int, on_data: Callable[[bytes], None]):
        os.set_blocking(fd, False)
        self.fd = fd
        self.on_data = on_data
        self.loop = asyncio.get_running_loop()
        self.ended: asyncio.Future = self.loop.create_future()   # its last output was read
        self._paused = False
        self._unwritten = bytearray()
        self.loop.add_reader(fd, self._readable)

    def pause(self) -> None:
        if not self._paused and not self.ended.done():
            self._paused = True
            self.loop.remove_reader(self.fd)

    def resume(self) -> None:
        if self._paused and not self.ended.done():
            self._paused = False
            self.loop.add_reader(self.fd, self._readable)

    def write(self, data: bytes) -> None:
        self._unwritten += data
        self._flush()

    def resize(self, rows: int, cols: int) -> None:
        from .runtime.base import set_window

        set_window(self.fd, rows, cols)

    def close(self) -> None:
        """Hang up: a shell on it gets SIGHUP."""
        if self.fd < 0:
            return
        self.loop.remove_reader(self.fd)
        self.loop.remove_writer(self.fd)
        os.close(self.fd)
        self.fd = -1
        if not self.ended.done():
            self.ended.set_result(None)

    def _readable(self) -> None:
        try:
            data = os.read(self.fd, READ)
        except BlockingIOError:
            return
        except OSError:   # EIO: no process holds its other end any more
            data = b""
        if data:
            self.on_data(data)
            return
        self.loop.remove_reader(self.fd)
        if not self.ended.done():
            self.ended.set_result(None)

    def _flush(self) -> None:
        if self.fd < 0:
            self._unwritten.clear()
            return
        try:
            while self._unwritten:
                del self._unwritten[:os.write(self.fd, self._unwritten)]
        except BlockingIOError:   # its input queue is full: on when it drains
            self.loop.add_writer(self.fd, self._flush)
            return
        except OSError:
            self._unwritten.clear()
        self.loop.remove_writer(self.fd)
