"""How much of a container's output the worker passes on: a container that prints faster than
anyone can read must cost the worker, the server and the other containers only a bounded share.

    container line ─▶ RateGate (per container: lines/s and bytes/s, a token bucket)
                   ─▶ LogBuffer (per container: a bounded queue; batches take from each in turn)
                   ─▶ a few batches in flight on the stream to the server (the rest wait here)

What either drops is counted per container and reported as a line of its own (``drop_marker``).
"""

from __future__ import annotations

import time
from collections import deque

LINES_PER_S = 100_000            # per container, sustained; a second of it may come at once
BYTES_PER_S = 64 * 1024 * 1024
PENDING_LINES = 100_000          # per container, waiting for the stream to the server
PENDING_BYTES = 32 * 1024 * 1024

REASON_RATE = "this container printed faster than {:,} lines/s"
REASON_BYTES = "this container printed faster than {:,} MiB/s"
REASON_BACKLOG = "the server took lines slower than this container printed them"


def drop_marker(count: int, reason: str) -> str:
    return f"[leveret: {count:,} lines dropped: {reason}]"


class RateGate:
    """A token bucket of lines and of bytes; ``admit`` says whether a line may pass."""

    def __init__(self, lines_per_s: float = LINES_PER_S, bytes_per_s: float = BYTES_PER_S, clock=time.monotonic):
        self.lines_per_s, self.bytes_per_s = lines_per_s, bytes_per_s
        self._lines, self._bytes = float(lines_per_s), float(bytes_per_s)   # full: a second's burst
        self._clock = clock
        self._last = clock()
        self.dropped: dict[str, int] = {}   # reason -> lines

    def admit(self, nbytes: int) -> bool:
        if self._lines < 1 or self._bytes < nbytes:
            now = self._clock()
            elapsed, self._last = now - self._last, now
            self._lines = min(self.lines_per_s, self._lines + elapsed * self.lines_per_s)
            self._bytes = min(self.bytes_per_s, self._bytes + elapsed * self.bytes_per_s)
            if self._lines < 1 or self._bytes < nbytes:
                reason = (REASON_RATE.format(int(self.lines_per_s)) if self._lines < 1
                          else REASON_BYTES.format(int(self.bytes_per_s) // (1024 * 1024)))
                self.dropped[reason] = self.dropped.get(reason, 0) + 1
                return False
        self._lines -= 1
        self._bytes -= nbytes
        return True

    def exhausted(self) -> bool:
        """No line may pass now (a whole chunk of lines can be dropped at once)."""
        if self._lines >= 1:
            return False
        now = self._clock()
        elapsed, self._last = now - self._last, now
        self._lines = min(self.lines_per_s, self._lines + elapsed * self.lines_per_s)
        self._bytes = min(self.bytes_per_s, self._bytes + elapsed * self.bytes_per_s)
        return self._lines < 1

    def drop(self, lines: int) -> None:
        reason = REASON_RATE.format(int(self.lines_per_s))
        self.dropped[reason] = self.dropped.get(reason, 0) + lines

    def take_dropped(self) -> dict[str, int]:
        dropped, self.dropped = self.dropped, {}
        return dropped


class LogBuffer:
    """Lines waiting to go to the server, queued per container (bounded), taken in turn."""

    def __init__(self, max_lines: int = PENDING_LINES, max_bytes: int = PENDING_BYTES):
        self.max_lines, self.max_bytes = max_lines, max_bytes
        self._queues: dict[str, deque] = {}      # container -> lines, oldest first
        self._bytes: dict[str, int] = {}
        self.dropped: dict[str, int] = {}        # container -> lines dropped since asked
        self.count = 0

    def add(self, key: str, line, nbytes: int, *, force: bool = False) -> bool:
        """Queue a line; False (and counted) when its container's queue is full, unless ``force``."""
        q = self._queues.get(key)
        if q is None:
            q = self._queues[key] = deque()
            self._bytes[key] = 0
        elif not force and (len(q) >= self.max_lines or self._bytes[key] + nbytes > self.max_bytes):
            self.dropped[key] = self.dropped.get(key, 0) + 1
            return False
        q.append((line, nbytes))
        self._bytes[key] += nbytes
        self.count += 1
        return True

    def take(self, max_lines: int, max_bytes: int, key: str | None = None) -> list:
        """Up to ``max_lines`` lines and about ``max_bytes`` (at least one line): from every
        container in turn, a fair share each, or only from ``key``'s."""
        keys = [key] if key is not None else list(self._queues)
        out: list = []
        size = 0
        while keys and len(out) < max_lines and size < max_bytes:
            share = max(1, (max_lines - len(out)) // len(keys))
            for k in list(keys):
                q = self._queues.get(k)
                n = 0
                while q and n < share and size < max_bytes:
                    line, nbytes = q.popleft()
                    self._bytes[k] -= nbytes
                    out.append(line)
                    size += nbytes
                    n += 1
                if not q:
                    keys.remove(k)
                    self._queues.pop(k, None)
                    self._bytes.pop(k, None)
        self.count -= len(out)
        return out

    def take_dropped(self, key: str) -> int:
        return self.dropped.pop(key, 0)
