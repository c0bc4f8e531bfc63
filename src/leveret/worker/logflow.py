"""How much of a container's output the worker passes on: a container that prints faster than
anyone can read must cost the worker, the server and the other containers only a bounded share.

    container lines ─▶ RateGate (per container: lines/s and bytes/s, a token bucket)
                    ─▶ LogBuffer (per container: a bounded queue; batches take from each in turn)
                    ─▶ a few batches in flight on the stream to the server (the rest wait here)

Lines travel in runs: the lines of one read of a container's output (one source, one input, one
time) stay one list, so the cost per line is a few C-level list operations, not Python calls.

What either drops is counted per container and reported as a line of its own (``drop_marker``).
"""

from __future__ import annotations

import time
from bisect import bisect_right
from collections import deque
from itertools import accumulate
from typing import NamedTuple

LINES_PER_S = 100_000            # per container, sustained; a second of it may come at once
BYTES_PER_S = 64 * 1024 * 1024
# Per container, waiting for the stream to the server. A line's wait here is about the queue's
# length over the rate the server takes lines (over 100,000 lines/s): 3,000 keeps a flooding
# container's lines well under 0.1 s behind its output on a loaded host; what does not fit is
# dropped and counted.
PENDING_LINES = 3_000
PENDING_BYTES = 32 * 1024 * 1024

REASON_RATE = "this container printed faster than {:,} lines/s"
REASON_BYTES = "this container printed faster than {:,} MiB/s"
REASON_BACKLOG = "the server took lines slower than this container printed them"


def drop_marker(count: int, reason: str) -> str:
    return f"[leveret: {count:,} lines dropped: {reason}]"


class Run(NamedTuple):
    """Consecutive lines of one container that share a source, an input and a time."""

    head: tuple          # (app_id, function_name, container_id), one object per container
    source: int
    input_id: str
    ts: float
    texts: list


def _fit(texts: list, lines: float, nbytes: float) -> tuple[int, int]:
    """How many of ``texts`` (a prefix) fit in ``lines`` lines and ``nbytes`` bytes, and their bytes.
    The room may be below zero (forced lines, such as drop markers, go in over a queue's bound): none fit."""
    k = max(0, min(len(texts), int(lines)))
    size = sum(map(len, texts[:k] if k < len(texts) else texts))
    if size > nbytes:
        sizes = list(accumulate(map(len, texts[:k])))
        k = bisect_right(sizes, nbytes)
        size = sizes[k - 1] if k else 0
    return k, size


class RateGate:
    """A token bucket of lines and of bytes; ``admit`` says how many lines may pass."""

    def __init__(self, lines_per_s: float = LINES_PER_S, bytes_per_s: float = BYTES_PER_S, clock=time.monotonic):
        self.lines_per_s, self.bytes_per_s = lines_per_s, bytes_per_s
        self._lines, self._bytes = float(lines_per_s), float(bytes_per_s)   # full: a second's burst
        self._clock = clock
        self._last = clock()
        self.dropped: dict[str, int] = {}   # reason -> lines

    def _refill(self) -> None:
        now = self._clock()
        elapsed, self._last = now - self._last, now
        self._lines = min(self.lines_per_s, self._lines + elapsed * self.lines_per_s)
        self._bytes = min(self.bytes_per_s, self._bytes + elapsed * self.bytes_per_s)

    def admit(self, texts: list) -> tuple[int, int]:
        """How many of ``texts`` (a prefix) may pass, and their bytes; the rest are counted as dropped."""
        self._refill()
        k, size = _fit(texts, self._lines, self._bytes)
        if k < len(texts):
            reason = (REASON_RATE.format(int(self.lines_per_s)) if self._lines < k + 1
                      else REASON_BYTES.format(int(self.bytes_per_s) // (1024 * 1024)))
            self.dropped[reason] = self.dropped.get(reason, 0) + len(texts) - k
        self._lines -= k
        self._bytes -= size
        return k, size

    def exhausted(self) -> bool:
        """No line may pass now (a whole chunk of lines can be dropped at once)."""
        if self._lines >= 1:
            return False
        self._refill()
        return self._lines < 1

    def drop(self, lines: int) -> None:
        reason = REASON_RATE.format(int(self.lines_per_s))
        self.dropped[reason] = self.dropped.get(reason, 0) + lines

    def take_dropped(self) -> dict[str, int]:
        dropped, self.dropped = self.dropped, {}
        return dropped


class LogBuffer:
    """Runs of lines waiting to go to the server, queued per container (bounded), taken in turn."""

    def __init__(self, max_lines: int = PENDING_LINES, max_bytes: int = PENDING_BYTES):
        self.max_lines, self.max_bytes = max_lines, max_bytes
        self._queues: dict[str, deque] = {}      # container -> [run, bytes], oldest first
        self._lines: dict[str, int] = {}
        self._bytes: dict[str, int] = {}
        self.dropped: dict[str, int] = {}        # container -> lines dropped since asked
        self.count = 0                           # lines queued, all containers

    def add(self, key: str, run: Run, nbytes: int, *, force: bool = False) -> int:
        """Queue a run of ``nbytes`` bytes; return how many of its lines (a prefix) were queued: the
        rest did not fit in its container's queue and are counted as dropped, unless ``force``."""
        q = self._queues.get(key)
        if q is None:
            q = self._queues[key] = deque()
            self._lines[key] = self._bytes[key] = 0
        n = len(run.texts)
        if not force and (self._lines[key] + n > self.max_lines or self._bytes[key] + nbytes > self.max_bytes):
            n, nbytes = _fit(run.texts, self.max_lines - self._lines[key], self.max_bytes - self._bytes[key])
            self.dropped[key] = self.dropped.get(key, 0) + len(run.texts) - n
            if not n:
                return 0
            run = run._replace(texts=run.texts[:n])
        q.append([run, nbytes])
        self._lines[key] += n
        self._bytes[key] += nbytes
        self.count += n
        return n

    def take(self, max_lines: int, max_bytes: int, key: str | None = None) -> list[Run]:
        """Runs of up to ``max_lines`` lines and about ``max_bytes`` (at least one line): from every
        container in turn, a fair share each, or only from ``key``'s."""
        keys = [key] if key is not None else list(self._queues)
        out: list[Run] = []
        lines = size = 0
        while keys and lines < max_lines and size < max_bytes:
            share = max(1, (max_lines - lines) // len(keys))
            for k in list(keys):
                q = self._queues.get(k)
                n = 0
                while q and n < share and size < max_bytes:
                    entry = q[0]
                    run, nbytes = entry
                    cut = len(run.texts)
                    if cut > share - n or size + nbytes > max_bytes:   # the part that fits, at least a line
                        cut, part = _fit(run.texts, share - n, max_bytes - size)
                        if not cut:
                            cut, part = 1, len(run.texts[0])
                    if cut < len(run.texts):   # the rest stays first in the queue
                        entry[0], entry[1] = run._replace(texts=run.texts[cut:]), nbytes - part
                        run, nbytes = run._replace(texts=run.texts[:cut]), part
                    else:
                        q.popleft()
                    out.append(run)
                    m = len(run.texts)
                    self._lines[k] -= m
                    self._bytes[k] -= nbytes
                    size += nbytes
                    n += m
                lines += n
                if not q:
                    keys.remove(k)
                    self._queues.pop(k, None)
                    self._lines.pop(k, None)
                    self._bytes.pop(k, None)
                elif n == 0:
                    keys.remove(k)
        self.count -= lines
        return out

    def take_dropped(self, key: str) -> int:
        return self.dropped.pop(key, 0)
