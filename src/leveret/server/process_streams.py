"""A sandbox process's records on the server (sandboxes.py drives them): its output streams, held
from the first byte nobody read, and its stdin's progress.

    worker ─ExecOutput(data)─▶ Stream.add ─▶ readers waiting at an offset (Stream.read) ─▶ let_go
    ProcessWrite ─▶ stdin_at / stdin_unread (what the worker holds that the pipe has not taken)
"""

from __future__ import annotations

import asyncio
import dataclasses
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .sandboxes import SandboxRec
    from .state import WorkerConn

READ_CHUNK = 1024 * 1024     # most bytes in one ProcessRead message
STDIN_WINDOW = 4 * 1024 * 1024   # stdin passed on to a process's worker that its pipe has not taken yet, at most


class Stream:
    """One output stream of a process: the bytes from ``start`` on that nobody has read yet."""

    def __init__(self):
        self.data = bytearray()
        self.start = 0          # offset of data[0] in the stream
        self.eof = False
        self._changed = asyncio.Event()

    @property
    def end(self) -> int:
        return self.start + len(self.data)

    def add(self, data: bytes) -> None:
        self.data += data
        self._wake()

    def close(self) -> None:
        self.eof = True
        self._wake()

    def _wake(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def read(self, offset: int) -> tuple[bytes, int, bool]:
        """(data, its offset, eof) from ``offset`` on (or from the oldest byte kept, if that was let
        go of), waiting for some if there is none yet; data b"" and eof True at its end."""
        while True:
            offset = max(offset, self.start)
            if offset < self.end:
                at = offset - self.start
                return bytes(self.data[at:at + READ_CHUNK]), offset, False
            if self.eof:
                return b"", offset, True
            await self._changed.wait()

    def let_go(self, upto: int) -> int:
        """What comes before ``upto`` was read: dropped. Returns how many bytes that freed."""
        n = min(upto, self.end) - self.start
        if n <= 0:
            return 0
        del self.data[:n]
        self.start += n
        return n


@dataclasses.dataclass(eq=False)
class ProcessRec:
    process_id: str
    sandbox: "SandboxRec"
    streams: dict = dataclasses.field(default_factory=lambda: {1: Stream(), 2: Stream()})
    worker: "WorkerConn | None" = None
    stdin_at: int = 0             # stdin bytes passed on so far
    stdin_closed: bool = False
    stdin_unread: int = 0         # of those, what its pipe has not taken yet
    stdin_room: asyncio.Event = dataclasses.field(default_factory=asyncio.Event)
    done: bool = False
    exit_code: int = 0
    reason: str = ""
    ended_by: str = ""            # exit | terminated | timeout | failed
    ended_at: float = 0.0
    internal: bool = False        # the server's own (a readiness probe): no activity, forgotten once it ended
    finished: asyncio.Event = dataclasses.field(default_factory=asyncio.Event)

    def finish(self, exit_code: int, reason: str, ended_by: str, now: float) -> None:
        if self.done:
            return
        self.done, self.exit_code, self.reason, self.ended_by = True, exit_code, reason, ended_by
        self.ended_at = now
        for s in self.streams.values():
            s.close()
        self.finished.set()
        self.stdin_room.set()   # a writer waiting for room learns it ended
