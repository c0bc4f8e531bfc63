"""A command's stdin pipe, written in the order its pieces came, each once the pipe took the one
before (drained): how much it took is said back (``taken(n)``), so the server sends its client's
next bytes only as the command reads them; a command that reads nothing holds its writer back, and
the worker holds at most the server's window of it."""

from __future__ import annotations

import asyncio
from typing import Callable

from . import model as m


class StdinPipe:
    def __init__(self, taken: Callable[[int], None]):
        self._taken = taken
        self._order = asyncio.Lock()

    def feed(self, pipe: asyncio.StreamWriter, given: m.ExecInput) -> None:
        asyncio.ensure_future(self._write(pipe, given))

    async def _write(self, pipe: asyncio.StreamWriter, given: m.ExecInput) -> None:
        async with self._order:   # in order, each waiting for the pipe to take the one before
            try:
                if given.data:
                    pipe.write(given.data)
                    await pipe.drain()
                if given.eof:
                    pipe.close()
            except (BrokenPipeError, ConnectionResetError, RuntimeError):
                pass   # it stopped reading (or ended): what it would have read is dropped
            if given.data:
                self._taken(len(given.data))
