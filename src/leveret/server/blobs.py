"""The server's blobs: payloads over the inline limit, a file each, streamed in and out in chunks.

    BlobPut (client: large arguments; worker: large results) ─▶ receive: chunks ─▶ temp file
        ─▶ fsync ─▶ rename ─▶ row in payload_blobs (store/payloads.py) ─▶ its id
    BlobGet ─▶ send: the file, a chunk at a time
    an input or output stored with the blob's id ─▶ the row names its call
    retention deletes a call ─▶ its blobs; a blob no call took within ORPHAN_AFTER_S ─▶ deleted

Memory stays at a chunk per stream whatever the size; file writes and reads run in threads, and
its row goes through the store's writer thread, so the event loop never waits on the disk. A blob
is acknowledged (its id returned) only once it and its row are on disk.
"""

from __future__ import annotations

import asyncio
import logging
import os
import tempfile
from typing import AsyncIterator

from .._shared.ids import new_id
from .._shared.payloads import CHUNK_BYTES, MAX_PAYLOAD, too_large
from .clock import SystemClock
from .errors import NotFound
from .reads import Reads
from .store import Store
from .writes import WriteBehind

log = logging.getLogger("leveret.server")

ORPHAN_AFTER_S = 3600.0   # a blob no input or output names by then was abandoned (its client or container died)
PRUNE_BATCH = 1000


class BlobTooLarge(Exception):
    pass


class BlobStore:
    def __init__(self, directory: str, writes: WriteBehind, reads: Reads, clock=None):
        self.dir = directory
        self.writes = writes
        self.reads = reads
        self.clock = clock or SystemClock()   # the server's (server/clock.py): when a blob counts as abandoned
        os.makedirs(directory, mode=0o700, exist_ok=True)   # payloads are the users' data

    def path(self, blob_id: str) -> str:
        if not blob_id.startswith("bl-") or "/" in blob_id or len(blob_id) < 6:
            raise NotFound(f"{blob_id!r} is not a blob id")
        return os.path.join(self.dir, blob_id[3:5], blob_id)

    async def receive(self, chunks: AsyncIterator[bytes], size: int | None = None) -> tuple[str, int]:
        """Store the chunks as a new blob; return (its id, its size). ``size`` (if the sender said)
        is checked against the limit before anything is written."""
        if size is not None and size > MAX_PAYLOAD:
            raise BlobTooLarge(too_large("the payload", size, MAX_PAYLOAD))
        blob_id = new_id("bl")
        final = self.path(blob_id)
        os.makedirs(os.path.dirname(final), exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.dir, prefix=".incoming-")
        written = 0
        try:
            with os.fdopen(fd, "wb") as f:
                pending: list[bytes] = []
                async for data in chunks:
                    written += len(data)
                    if written > MAX_PAYLOAD:
                        raise BlobTooLarge(too_large("the payload", written, MAX_PAYLOAD))
                    pending.append(data)
                    if sum(map(len, pending)) >= 4 * CHUNK_BYTES:
                        batch, pending = pending, []
                        await asyncio.to_thread(f.writelines, batch)
                await asyncio.to_thread(_finish, f, pending)
            os.rename(tmp, final)
        except BaseException:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
            raise
        await self.writes.run(Store.add_blob, blob_id, written)
        return blob_id, written

    async def send(self, blob_id: str) -> AsyncIterator[bytes]:
        """A blob's bytes, a chunk at a time; NotFound if there is no such blob."""
        try:
            f = open(self.path(blob_id), "rb")
        except FileNotFoundError:
            raise NotFound(f"no blob {blob_id} (deleted with its call after the server's call retention,"
                           " or the id is wrong)") from None
        with f:
            while data := await asyncio.to_thread(f.read, CHUNK_BYTES):
                yield data

    def delete(self, blob_ids: list[str]) -> None:
        """Delete blobs: their files now, their rows with the store's next writes."""
        for blob_id in blob_ids:
            try:
                os.unlink(self.path(blob_id))
            except (FileNotFoundError, NotFound):
                pass
        self.writes.add(Store.delete_blob_rows, blob_ids)

    async def delete_of_calls(self, call_ids: list[str]) -> None:
        """Retention deleted these calls: their blobs go too."""
        self.delete(await self.reads.run(Store.blobs_of_calls, call_ids))

    async def prune_orphans_forever(self, every_s: float = 60.0) -> None:
        while True:
            await self.clock.sleep(every_s)
            try:
                n = await self.prune_orphans(self.clock.time())
                if n:
                    log.info("deleted %d blob(s) that no call took within %.0f s", n, ORPHAN_AFTER_S)
            except Exception:   # tried again next time; it must not stop the server
                log.exception("could not delete abandoned blobs")

    async def prune_orphans(self, now: float) -> int:
        """Delete blobs that no call took within ORPHAN_AFTER_S; return how many."""
        n = 0
        while ids := await self.reads.run(Store.unattached_blobs, now - ORPHAN_AFTER_S, PRUNE_BATCH):
            self.delete(ids)
            n += len(ids)
        return n


def default_blob_dir(db: str) -> str:
    """Beside a SQLite database; elsewhere (PostgreSQL, a database in memory) a directory of this
    process's, said in the log: a server on PostgreSQL should be given --blob-dir."""
    from .store.sqlite import sqlite_path

    if not db.startswith("postgres") and sqlite_path(db) != ":memory:":
        return os.path.join(os.path.dirname(os.path.abspath(sqlite_path(db))), "blobs")
    directory = tempfile.mkdtemp(prefix="leveret-blobs-")
    log.warning("large payloads are kept in %s, which is not kept across restarts: give the server --blob-dir",
                directory)
    return directory


def _finish(f, pending: list[bytes]) -> None:
    f.writelines(pending)
    f.flush()
    os.fsync(f.fileno())
