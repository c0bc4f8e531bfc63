"""Log hub: numbers log lines, stores them, fans them out live to the readers following an app,
and keeps the stored lines under the retention limits (age and size), oldest first.

    worker LogBatch ─▶ rows (api/convert.py) ─▶ add: numbered ─┬▶ store.add_logs (on the writer thread)
                                                              └▶ followers' queues ─▶ LogsStream (filters) ─▶ reader

Lines reach followers as they come, not once stored: before the results that follow them, as the
worker sent them. The hub numbers them, after the highest seq the store has given (``load()``),
so that a line has its seq before it is stored.

A line is a plain tuple all the way, (app_id, function_name, container_id, input_id, source, ts,
text), numbered in front and flagged verbose behind for followers: no message per line until the
reply to a reader.
    every PRUNE_EVERY_S: prune ─▶ lines older than the retention, then the oldest until under the size
"""

from __future__ import annotations

import asyncio
import functools
import logging
from itertools import repeat
from operator import itemgetter

from .clock import SystemClock
from .errors import StorageFull
from .model import LogSource
from .reads import Reads
from .store import Store
from .store.base import LOG_ROW_BYTES
from .writes import WriteBehind

SYSTEM = int(LogSource.SYSTEM)

DEFAULT_RETENTION_S = 7 * 86400.0
DEFAULT_MAX_BYTES = 1024 * 1024 * 1024
PRUNE_EVERY_S = 60.0
PRUNE_BATCH = 10_000     # lines deleted per transaction: the writes queued behind it do not wait long

log = logging.getLogger("leveret.server")


class LogHub:
    def __init__(self, writes: WriteBehind, reads: Reads, *, retention_s: float = DEFAULT_RETENTION_S,
                 max_bytes: int = DEFAULT_MAX_BYTES, clock=None):
        self.writes = writes
        self.reads = reads
        self.clock = clock or SystemClock()   # the server's (server/clock.py): system lines' times, the retention's cut
        self.retention_s = retention_s
        self.max_bytes = max_bytes
        self.size: int | None = None   # bytes stored (by log_line_bytes); counted at the first prune
        self.last_seq = 0              # of the last line numbered
        self._followers: dict[str, set[asyncio.Queue]] = {}

    async def load(self) -> None:
        """Number lines after the highest seq the store has given: before the first line comes."""
        self.last_seq = await self.reads.run(Store.last_log_seq)

    def add(self, rows: list[tuple], *, verbose: bool = False) -> asyncio.Future:
        """Number ``(app_id, function_name, container_id, input_id, source, ts, text)`` rows (in
        order), queue them for the store and pass them to the app's followers now, as ``(seq, *row,
        verbose)``. The future returned is done once they are stored; it fails if they could not be
        (which is logged here)."""
        if not rows:
            done = asyncio.get_running_loop().create_future()
            done.set_result(None)
            return done
        first = self.last_seq + 1
        last = self.last_seq = first + len(rows) - 1
        stored = self.writes.run(Store.add_logs, rows, first)
        stored.add_done_callback(functools.partial(self._stored, rows))
        if not self._followers:
            return stored
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
        return stored

    def _stored(self, rows: list[tuple], stored: asyncio.Future) -> None:
        if stored.cancelled():
            return
        if stored.exception() is not None and not isinstance(stored.exception(), StorageFull):   # said once (writes.py)
            log.error("could not store %d log line(s)", len(rows), exc_info=stored.exception())
        elif self.size is not None:
            self.size += sum(map(len, map(itemgetter(6), rows))) + len(rows) * LOG_ROW_BYTES

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

    async def prune_step(self, now: float) -> int:
        """Delete one batch of lines past the limits, oldest first; return how many (0: within them)."""
        if self.size is None:
            # a scan, on the reader: lines stored while it runs are counted if it sees them
            self.size = await self.reads.run(Store.logs_size)
        rows, freed = await self.writes.run(Store.delete_logs_before, now - self.retention_s, PRUNE_BATCH)
        if not rows and self.size > self.max_bytes:
            rows, freed = await self.writes.run(Store.delete_oldest_logs, self.size - self.max_bytes, PRUNE_BATCH)
        self.size = max(0, self.size - freed)
        return rows

    async def prune(self, now: float) -> int:
        """Delete every line past the limits, a batch (one transaction) at a time; return how many."""
        total = 0
        while n := await self.prune_step(now):
            total += n
        return total

    async def prune_forever(self, every_s: float = PRUNE_EVERY_S) -> None:
        while True:
            try:
                total = await self.prune(self.clock.time())
                if total:
                    log.info("deleted %d log line(s) past the retention limits", total)
            except Exception:  # a failed prune is tried again next time; it must not stop the server
                log.exception("could not delete old log lines")
            await self.clock.sleep(every_s)
