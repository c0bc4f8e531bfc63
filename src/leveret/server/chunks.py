"""Volumes' content-addressed chunks: a file's bytes cut in CHUNK_BYTES pieces, each kept once as a
file named by its SHA-256, whatever volume or file holds it.

    VolumeChunksMissing(hashes) ─▶ those not here ─▶ VolumeChunkPut(hash, data): checked against
        its hash ─▶ temp file ─▶ rename (so a chunk is never seen part-written) ─▶ noted unsynced
    VolumeCommit ─▶ durable(its chunks): one sync of the disk if any of them is unsynced, before the
        commit's index is written (a thousand chunks cost one flush, not a thousand)
    VolumeChunkGet(hash) ─▶ its bytes

A worker on the server's host (one that finds ``.store-id`` here holding ``store_id``, as the server
tells it when it connects) skips the RPCs: it writes chunks here itself, in the same way (temp file,
rename), syncs the disk before its VolumeCommit, and reads them from here (worker/volumes.py).

Disk work runs in threads: the event loop never waits on it.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import secrets
import tempfile

from .._shared.volumes import CHUNK_BYTES, check_hash
from .errors import Invalid, NotFound


class ChunkStore:
    def __init__(self, directory: str):
        self.dir = directory
        os.makedirs(directory, mode=0o700, exist_ok=True)   # the users' data
        self._unsynced: set[str] = set()   # written since the last sync
        self.store_id = _store_id(directory)

    async def durable(self, digests) -> None:
        """These chunks are on disk for good once this returns (a commit refers to them next)."""
        if self._unsynced.isdisjoint(digests):
            return
        pending, self._unsynced = self._unsynced, set()
        try:
            await asyncio.to_thread(os.sync)
        except BaseException:
            self._unsynced |= pending
            raise

    def path(self, digest: str) -> str:
        check_hash(digest, Invalid)
        return os.path.join(self.dir, digest[:2], digest)

    async def missing(self, digests: list[str]) -> list[str]:
        return await asyncio.to_thread(lambda: [d for d in digests if not os.path.exists(self.path(d))])

    async def put(self, digest: str, data: bytes) -> None:
        if len(data) > CHUNK_BYTES:
            raise Invalid(f"a chunk is at most {CHUNK_BYTES} bytes, not {len(data)}")
        await asyncio.to_thread(self._put, digest, data)

    def _put(self, digest: str, data: bytes) -> None:
        final = self.path(digest)
        if hashlib.sha256(data).hexdigest() != digest:
            raise Invalid(f"chunk {digest[:12]}…: its bytes do not have that hash (sent corrupted): send it again")
        if os.path.exists(final):
            return
        os.makedirs(os.path.dirname(final), exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.dir, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.rename(tmp, final)
            self._unsynced.add(digest)
        except BaseException:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
            raise

    async def get(self, digest: str) -> bytes:
        def read() -> bytes:
            try:
                with open(self.path(digest), "rb") as f:
                    return f.read()
            except FileNotFoundError:
                raise NotFound(f"no chunk {digest[:12]}… on this server: upload it first (VolumeChunkPut)") from None

        return await asyncio.to_thread(read)


def _store_id(directory: str) -> str:
    """This store's id, kept in ``.store-id`` (made once, then read: a restart keeps it)."""
    path = os.path.join(directory, ".store-id")
    try:
        with open(path) as f:
            if found := f.read().strip():
                return found
    except FileNotFoundError:
        pass
    made = secrets.token_hex(16)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".incoming-")
    with os.fdopen(fd, "w") as f:
        f.write(made)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)
    return made
