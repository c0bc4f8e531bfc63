"""Log hub: stores log lines, fans them out live to the readers following an app, and keeps the
stored lines under the retention limits (age and size), oldest first.

    worker LogBatch ─▶ rows (api/convert.py) ─▶ add ─▶ store.add_logs ─▶ followers' queues ─▶ LogsStream ─▶ reader

A line is a plain tuple all the way, (app_id, function_name, container_id, input_id, source, ts,
text), numbered in front and flagged verbose behind for followers: no message per line until the
reply to a reader.
    every PRUNE_EVERY_S: prune ─▶ lines older than the retention, then the oldest until under the size
"""

from __future__ import annotations

import asyncio
import logging
from itertools import repeat
from operator import itemgetter

from .clock import SystemClock
from .model import LogSource
from .store import Store
from .store.base import LOG_ROW_BYTES

SYSTEM = int(LogSource.SYSTEM)

DEFAULT_RETENTION_S = 7 * 86400.0
DEFAULT_MAX_BYTES = 1024 * 1024 * 1024
PRUNE_EVERY_S = 60.0
PRUNE_BATCH = 10_000     # lines deleted per transaction: the event loop is not held for long

log = logging.getLogger("leveret.server")


class LogHub:
    def __init__(self, store: Store, *, retention_s: float = DEFAULT_RETENTION_S, max_bytes: int = DEFAULT_MAX_BYTES,
                 clock=None):
        self.store = store
        self.clock = clock or SystemClock()   # the server's (server/clock.py): system lines' times, the retention's cut
        self.retention_s = retention_s
        self.max_bytes = max_bytes
        self.size: int | None = None   # bytes stored (by log_line_bytes); counted at the first prune
        self._followers: dict[str, set[asyncio.Queue]] = {}

    def add(self, rows: list[tuple], *, verbose: bool = False) -> None:
        """Store ``(app_id, function_name, container_id, input_id, source, ts, text)`` rows (in order)
        and pass them to the app's followers as ``(seq, *row, verbose)``."""
        if not rows:
            return
        last = self.store.add_logs(rows)
        first = last - len(rows) + 1
        if self.size is not None:
            self.size += sum(map(len, map(itemgetter(6), rows))) + len(rows) * LOG_ROW_BYTES
        if not self._followers:
            return
        apps = set(map(itemgetter(0), rows))
        for app_id in apps:
            qs = self._followers.get(app_id)
            if not qs:
                continue
            if len(apps) == 1:
                live = list(zip(range(first, last + 1), *zip(*rows), repeat(verbose)))
            else:
                live = [(first + i, *r, verbose) for i, r in enumerate(rows) if r[0] == app_id]
            for q in qs:
                q.put_nowait(live)

    def system(self, app_id: str, function_name: str, container_id: str, text: str, *, verbose: bool = False) -> None:
        self.add([(app_id, function_name, container_id, "", SYSTEM, self.clock.time(), text)], verbose=verbose)

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
                while n := self.prune_step(self.clock.time()):
                    total += n
                    await asyncio.sleep(0)   # between batches, the rest of the server runs
                if total:
                    log.info("deleted %d log line(s) past the retention limits", total)
            except Exception:  # a failed prune is tried again next time; it must not stop the server
                log.exception("could not delete old log lines")
            await self.clock.sleep(every_s)
