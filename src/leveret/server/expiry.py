"""Expiry of what named objects hold, as Modal's: a Dict's entry 7 days after its last read or write,
a Queue partition's values ``partition_ttl`` after its last put.

    DictGet / DictContents ─▶ Expiry.touched(dict id, keys): noted in memory (a read stays a read)
    every SWEEP_EVERY_S: the reads noted ─▶ store.dict_touch (their entries' clocks restart)
        ─▶ store.dict_expire (entries idle DICT_IDLE_S) ─▶ store.queue_sweep (partitions past their ttl)

A read is noted, not written, so that a get costs no write; the server keeps at most
MAX_NOTED of them between sweeps (past that, a sweep comes early), and a crash forgets at most a
sweep's worth, which shortens those entries' lives by as much. Queue partitions past their time
already read as empty (store/queues.py): the sweep only frees their rows.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from .store import Store

if TYPE_CHECKING:
    from .writes import WriteBehind

DICT_IDLE_S = 7 * 86400.0
SWEEP_EVERY_S = 60.0
SWEEP_BATCH = 10_000   # rows deleted per transaction: the writes queued behind it do not wait long
MAX_NOTED = 100_000

log = logging.getLogger("leveret.server")


class Expiry:
    def __init__(self, writes: "WriteBehind", clock):
        self.writes = writes
        self.clock = clock
        self._noted: set[tuple[str, bytes]] = set()
        self._early = asyncio.Event()

    def touched(self, dict_id: str, keys) -> None:
        """Entries of a Dict were read: they live DICT_IDLE_S from now."""
        self._noted.update((dict_id, k) for k in keys)
        if len(self._noted) >= MAX_NOTED:
            self._early.set()

    async def sweep(self) -> tuple[int, int]:
        """One pass: (Dict entries, Queue partitions) deleted."""
        noted, self._noted = self._noted, set()
        self._early.clear()
        if noted:
            await self.writes.run(Store.dict_touch, sorted(noted))
        entries = partitions = 0
        cut = self.clock.time() - DICT_IDLE_S
        while True:
            n = await self.writes.run(Store.dict_expire, cut, SWEEP_BATCH)
            entries += n
            if n < SWEEP_BATCH:
                break
        while True:
            n = await self.writes.run(Store.queue_sweep, SWEEP_BATCH)
            partitions += n
            if n < SWEEP_BATCH:
                break
        return entries, partitions

    async def sweep_forever(self, every_s: float = SWEEP_EVERY_S) -> None:
        while True:
            try:
                entries, partitions = await self.sweep()
                if entries or partitions:
                    log.info("expired %d Dict entr(ies) idle 7 days and %d Queue partition(s) past their ttl",
                             entries, partitions)
            except Exception:   # tried again next time; it must not stop the server
                log.exception("could not expire Dict entries and Queue partitions")
            sleep = asyncio.ensure_future(self.clock.sleep(every_s))
            early = asyncio.ensure_future(self._early.wait())
            await asyncio.wait({sleep, early}, return_when=asyncio.FIRST_COMPLETED)
            sleep.cancel()
            early.cancel()
