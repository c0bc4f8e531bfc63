"""Log hub: stores log lines, fans them out live to the readers following an app, and keeps the
stored lines under the retention limits (age and size), oldest first.

    worker LogBatch ─▶ add ─▶ store.add_logs ─▶ followers' queues ─▶ LogsStream (filters) ─▶ reader
    every PRUNE_EVERY_S: prune ─▶ lines older than the retention, then the oldest until under the size
"""

from __future__ import annotations

import asyncio
import logging
import time

from .._wire import api_pb2 as pb
from .store import Store
from .store.base import log_line_bytes

SYSTEM = pb.LOG_SOURCE_SYSTEM

DEFAULT_RETENTION_S = 7 * 86400.0
DEFAULT_MAX_BYTES = 1024 * 1024 * 1024
PRUNE_EVERY_S = 60.0
PRUNE_BATCH = 10_000     # lines deleted per transaction: the event loop is not held for long

log = logging.getLogger("leveret.server")


class LogHub:
    def __init__(self, store: Store, *, retention_s: float = DEFAULT_RETENTION_S, max_bytes: int = DEFAULT_MAX_BYTES):
        self.store = store
        self.retention_s = retention_s
        self.max_bytes = max_bytes
        self.size: int | None = None   # bytes stored (by log_line_bytes); counted at the first prune
        self._followers: dict[str, set[asyncio.Queue]] = {}

    def add(self, lines: list[pb.LogLine]) -> None:
        """Store lines (in order) and pass them, numbered, to the app's followers."""
        if not lines:
            return
        last = self.store.add_logs(
            [(ln.app_id, ln.function_name, ln.container_id, ln.input_id, ln.source, ln.ts, ln.text) for ln in lines]
        )
        first = last - len(lines) + 1
        if self.size is not None:
            self.size += sum(log_line_bytes(ln.text) for ln in lines)
        by_app: dict[str, list[pb.LogLine]] = {}
        for i, ln in enumerate(lines):
            ln.seq = first + i
            by_app.setdefault(ln.app_id, []).append(ln)
        for app_id, app_lines in by_app.items():
            for q in self._followers.get(app_id, ()):
                q.put_nowait(app_lines)

    def system(self, app_id: str, function_name: str, container_id: str, text: str, *, verbose: bool = False) -> None:
        self.add([pb.LogLine(ts=time.time(), source=SYSTEM, text=text, app_id=app_id,
                             function_name=function_name, container_id=container_id, verbose=verbose)])

    def follow(self, app_id: str) -> asyncio.Queue:
        q: asyncio.Queue = asyncio.Queue()
        self._followers.setdefault(app_id, set()).add(q)
        return q

    def unfollow(self, app_id: str, q: asyncio.Queue) -> None:
        qs = self._followers.get(app_id)
        if qs is not None:
            qs.discard(q)
            if not qs:
                del self._followers[app_id]

    def app_done(self, app_id: str) -> None:
        """Tell the app's followers that no more lines will come."""
        for q in self._followers.get(app_id, ()):
            q.put_nowait(None)

    # ------------------------------------------------------------------ retention

    def prune_step(self, now: float) -> int:
        """Delete one batch of lines past the limits, oldest first; return how many (0: within them)."""
        if self.size is None:
            self.size = self.store.logs_size()
        rows, freed = self.store.delete_logs_before(now - self.retention_s, PRUNE_BATCH)
        if not rows and self.size > self.max_bytes:
            rows, freed = self.store.delete_oldest_logs(self.size - self.max_bytes, PRUNE_BATCH)
        self.size = max(0, self.size - freed)
        return rows

    def prune(self, now: float) -> int:
        """Delete every line past the limits; return how many."""
        total = 0
        while n := self.prune_step(now):
            total += n
        return total

    async def prune_forever(self, every_s: float = PRUNE_EVERY_S) -> None:
        while True:
            try:
                total = 0
                while n := self.prune_step(time.time()):
                    total += n
                    await asyncio.sleep(0)   # between batches, the rest of the server runs
                if total:
                    log.info("deleted %d log line(s) past the retention limits", total)
            except Exception:  # a failed prune is tried again next time; it must not stop the server
                log.exception("could not delete old log lines")
            await asyncio.sleep(every_s)
