"""Volumes in containers: each mount a host directory, bind-mounted at its path, that the worker
fills from the server and commits back from.

    a container of a function with volumes={...} starts ─▶ prepare: the volume's files (as of its
        newest version) written into <workdir>/volumes/<container>/<n>, their chunks fetched into
        this worker's cache (<workdir>/volume-chunks) once, whatever mounts them ─▶ Mount(dir, path)
    vol.commit() in the container (a VolumeSync frame) ─▶ commit: the files whose size or mtime
        changed since they were written here are hashed, their missing chunks sent, and one
        VolumeCommit writes them and deletes what went ─▶ the new version
    vol.reload() ─▶ reload: what changed on the server since, each file written beside its old self
        and renamed over it (a reader has the old file or the new one, never a part)
    the container ends ─▶ release: commit (not for read-only mounts), then the directory goes

On the server's host (it says where its chunk store is, and the worker finds the store's id there,
and owns it) the chunks go straight to and come straight from the server's store: a commit hashes
each changed file and writes the chunks the store lacks, syncs the disk, then VolumeCommit; a reload
copies from there into the mount. Elsewhere they travel as VolumeChunkPut / VolumeChunkGet.

``Synced`` is what the worker knows of a mount: the version its files came from and, for each file,
the (size, mtime_ns) it had once written, and its entry; a difference is a change to commit.
The server is asked with the container's token (rpc.ContainerCalls).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import mmap
import os
import shutil
import tempfile
from dataclasses import dataclass, field

from .._shared.volumes import CHUNK_BYTES, DIRECTORY, FILE, read_chunks
from .runtime import Mount

log = logging.getLogger("leveret.worker")

FETCH_CONCURRENCY = 8   # chunks fetched (or sent) at once


class VolumeError(Exception):
    """What the container's code is told when a commit or reload cannot be made (its text names why)."""


@dataclass
class Synced:
    volume_id: str
    directory: str
    read_only: bool
    prefix: str                                  # the sub_path, with a trailing "/", or ""
    version: int = 0
    files: dict = field(default_factory=dict)    # path in the mount -> (size, mtime_ns, entry)
    dirs: set = field(default_factory=set)       # directories made empty (kept as entries)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class VolumeMounts:
    def __init__(self, workdir: str, *, over_rpc: bool = False):
        self.root = os.path.join(workdir, "volumes")
        self.cache = os.path.join(workdir, "volume-chunks")
        self._mounts: dict[str, list[Synced]] = {}   # container id -> its mounts
        self._fetching: dict[str, asyncio.Future] = {}
        self.store: str | None = None   # the server's chunk store, where this worker can use it directly
        self._over_rpc = over_rpc         # never use it directly (the worker's --chunks-over-rpc)

    def use_store(self, directory: str, store_id: str) -> None:
        """The server's chunk store is ``directory``: used directly if it is this host's (it holds
        ``store_id``) and this worker's user owns it; else chunks go through RPCs."""
        if self._over_rpc:
            return
        try:
            with open(os.path.join(directory, ".store-id")) as f:
                same = f.read().strip() == store_id
            owned = os.stat(directory).st_uid == os.geteuid()
        except OSError:
            same = owned = False
        self.store = directory if same and owned else None
        log.info("volumes' chunks: %s", f"the server's store at {directory}" if self.store else "through the server's RPCs")

    # ------------------------------------------------------------------ a container's life

    async def prepare(self, container_id: str, mounts, calls) -> list[Mount]:
        """Fill a directory for each of the container's volume mounts: the runtime's Mounts."""
        made = []
        for n, vm in enumerate(mounts):
            directory = os.path.join(self.root, container_id, str(n))
            os.makedirs(directory, exist_ok=True)
            prefix = vm.sub_path.strip("/") + "/" if vm.sub_path.strip("/") else ""
            synced = Synced(vm.volume_id, directory, vm.read_only, prefix)
            await self._pull(synced, calls)
            made.append(synced)
        self._mounts[container_id] = made
        return [Mount(s.directory, vm.path, read_only=s.read_only) for s, vm in zip(made, mounts)]

    async def release(self, container_id: str, calls) -> None:
        """The container ended: what it wrote is committed (Modal's commit at exit), then its
        directories go. A failure is logged: the end must still reach the server."""
        for synced in self._mounts.pop(container_id, []):
            if not synced.read_only and calls is not None:
                try:
                    await self._push(synced, calls)
                except Exception:
                    log.exception("container %s: could not commit volume %s at its end", container_id, synced.volume_id)
        shutil.rmtree(os.path.join(self.root, container_id), ignore_errors=True)

    async def sync(self, container_id: str, op: str, volume_id: str, calls) -> int:
        """The container's ``vol.commit()`` or ``vol.reload()``: the version its mount is at after."""
        mounts = [s for s in self._mounts.get(container_id, []) if s.volume_id == volume_id]
        if not mounts:
            raise VolumeError(f"volume {volume_id} is not mounted in this container: mount it with"
                              " @app.function(volumes={'/path': vol})")
        if op == "commit":
            writable = [m for m in mounts if not m.read_only]
            if not writable:
                raise VolumeError("this volume is mounted read-only here: it cannot be committed from this container")
            for synced in writable:
                await self._push(synced, calls)
        elif op == "reload":
            for synced in mounts:
                await self._pull(synced, calls)
        else:
            raise VolumeError(f"unknown volume operation {op!r}")
        return max(m.version for m in mounts)

    # ------------------------------------------------------------------ server → directory

    async def _pull(self, s: Synced, calls) -> None:
        async with s.lock:
            version, entries = await calls.volume_changes(s.volume_id, s.version)
            mine = [(p[len(s.prefix):], *rest) for p, *rest in entries if p.startswith(s.prefix) and p != s.prefix]
            files = [e for e in mine if e[1] == FILE]
            await self._fetch({c for e in files for c in e[5]}, calls)
            for path, kind, *_ in mine:
                target = os.path.join(s.directory, path)
                if kind == DIRECTORY:
                    os.makedirs(target, exist_ok=True)
                    s.dirs.add(path)
                elif kind != FILE:   # deleted there
                    s.files.pop(path, None)
                    s.dirs.discard(path)
                    await asyncio.to_thread(_remove, target)
            sem = asyncio.Semaphore(FETCH_CONCURRENCY)

            async def write(entry: tuple) -> None:
                path, _, _, mode, mtime, chunks = entry
                async with sem:
                    st = await asyncio.to_thread(self._write, os.path.join(s.directory, path), chunks, mode, mtime)
                s.files[path] = (st.st_size, st.st_mtime_ns, entry)

            await asyncio.gather(*(write(e) for e in files))
            s.version = version

    async def _fetch(self, digests: set[str], calls) -> None:
        """Have these chunks in the cache (each fetched once, whoever else waits for it)."""
        wanted = [d for d in digests if not os.path.exists(self._cached(d))]
        sem = asyncio.Semaphore(FETCH_CONCURRENCY)

        async def one(digest: str) -> None:
            running = self._fetching.get(digest)
            if running is not None:
                await running
                return
            fut = self._fetching[digest] = asyncio.get_running_loop().create_future()
            try:
                async with sem:
                    data = await calls.chunk_get(digest)
                await asyncio.to_thread(self._store, digest, data)
                fut.set_result(None)
            except BaseException as exc:
                fut.set_exception(exc)
                fut.exception()   # retrieved: the waiters (if any) get it too
                raise
            finally:
                self._fetching.pop(digest, None)

        await asyncio.gather(*(one(d) for d in wanted))

    def _cached(self, digest: str) -> str:
        return os.path.join(self.store or self.cache, digest[:2], digest)

    def _store(self, digest: str, data: bytes) -> None:
        """A fetched chunk written where _cached says (a temp file renamed there)."""
        if hashlib.sha256(data).hexdigest() != digest:
            raise VolumeError(f"chunk {digest[:12]}… came from the server with other contents: reload again")
        path = self._cached(digest)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        except BaseException:
            _remove(tmp)
            raise

    def _write(self, target: str, chunks: tuple, mode: int, mtime: float) -> os.stat_result:
        """A file from its chunks, written beside where it goes and renamed there: its stat."""
        directory = os.path.dirname(target)
        if os.path.isfile(directory) or os.path.islink(directory):
            os.unlink(directory)   # a file there before is now a directory
        os.makedirs(directory, exist_ok=True)
        if os.path.isdir(target) and not os.path.islink(target):
            shutil.rmtree(target)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".leveret-")
        try:
            with os.fdopen(fd, "wb") as out:
                for digest in chunks:   # copied by the kernel, chunk by chunk
                    with open(self._cached(digest), "rb") as f:
                        left = os.fstat(f.fileno()).st_size
                        while left > 0:
                            sent = os.sendfile(out.fileno(), f.fileno(), None, left)
                            if sent == 0:
                                break
                            left -= sent
                os.fchmod(out.fileno(), mode or 0o644)
            os.utime(tmp, (mtime, mtime))
            st = os.stat(tmp)
            os.replace(tmp, target)
            return st
        except BaseException:
            _remove(tmp)
            raise

    # ------------------------------------------------------------------ directory → server

    async def _push(self, s: Synced, calls) -> None:
        async with s.lock:
            now_files, now_dirs = await asyncio.to_thread(_scan, s.directory)
            changed = [p for p, (size, mtime_ns) in now_files.items()
                       if p not in s.files or s.files[p][:2] != (size, mtime_ns)]
            gone = [p for p in s.files if p not in now_files] + [d for d in s.dirs if d not in now_dirs]
            new_dirs = [d for d in now_dirs if d not in s.dirs]
            if not (changed or gone or new_dirs):
                return
            sem = asyncio.Semaphore(FETCH_CONCURRENCY)
            touched: set[str] = set()   # the store's directories a chunk went into (local store)

            async def send(path: str) -> tuple:
                async with sem:
                    if self.store is None:
                        return await self._send_file(s, path, calls)
                    entry, dirs = await asyncio.to_thread(self._store_file, os.path.join(s.directory, path), path)
                    touched.update(dirs)
                    return entry

            entries = list(await asyncio.gather(*(send(p) for p in changed)))
            if touched:   # the chunks' names are on disk too before the commit names them
                await asyncio.to_thread(_fsync_dirs, touched | {self.store})
            entries += [(d, DIRECTORY, 0, 0o755, 0.0, ()) for d in new_dirs]
            version = await calls.volume_commit(
                s.volume_id, [(s.prefix + p, *rest) for p, *rest in entries], [s.prefix + p for p in gone])
            for path, *rest in entries:
                if rest[0] == FILE:
                    s.files[path] = (*now_files[path], (path, *rest))
            for p in gone:
                s.files.pop(p, None)
                s.dirs.discard(p)
            s.dirs.update(new_dirs)
            s.version = max(s.version, version)   # others' commits since are brought by the next reload

    async def _send_file(self, s: Synced, path: str, calls) -> tuple:
        """One changed file: its chunks hashed, those the server lacks sent; its entry."""
        full = os.path.join(s.directory, path)
        digests, size = [], 0
        with open(full, "rb") as f:
            st = os.fstat(f.fileno())
            while True:
                batch = await asyncio.to_thread(read_chunks, f, 2)
                if not batch:
                    break
                missing = await calls.chunks_missing([d for d, _ in batch])
                await asyncio.gather(*(calls.chunk_put(d, data) for d, data in batch if d in missing))
                digests += [d for d, _ in batch]
                size += sum(len(data) for _, data in batch)
        return path, FILE, size, st.st_mode & 0o7777, st.st_mtime, tuple(digests)


    def _store_file(self, full: str, path: str) -> tuple[tuple, set]:
        """One changed file's chunks put in the server's store, each durable (fdatasync) before this
        returns: its entry, and the store's directories a chunk was renamed into. Each chunk is
        copied by the kernel into a temp file of the store and hashed there (the container may still
        be writing the file: what is hashed is what is kept)."""
        digests, size, dirs = [], 0, set()
        with open(full, "rb") as f:
            st = os.fstat(f.fileno())
            while True:
                fd, tmp = tempfile.mkstemp(dir=self.store, prefix=".incoming-")
                try:
                    n = _copy(f.fileno(), fd, size, CHUNK_BYTES)
                    if n == 0:
                        break
                    with mmap.mmap(fd, n, access=mmap.ACCESS_READ) as data:
                        digest = hashlib.sha256(data).hexdigest()
                    target = self._cached(digest)
                    if os.path.exists(target):   # kept before, maybe not yet synced by its writer
                        _fdatasync(target)
                    else:
                        os.fdatasync(fd)
                        os.makedirs(os.path.dirname(target), exist_ok=True)
                        os.rename(tmp, target)
                        dirs.add(os.path.dirname(target))
                finally:
                    os.close(fd)
                    _remove(tmp)   # gone already where it was renamed
                digests.append(digest)
                size += n
                if n < CHUNK_BYTES:
                    break
        return (path, FILE, size, st.st_mode & 0o7777, st.st_mtime, tuple(digests)), dirs


def _copy(src: int, dst: int, offset: int, count: int) -> int:
    """Up to ``count`` bytes of ``src`` from ``offset`` appended to ``dst`` by the kernel: how many
    (fewer at the file's end)."""
    done = 0
    while done < count:
        sent = os.sendfile(dst, src, offset + done, count - done)
        if sent == 0:
            break
        done += sent
    return done


def _fdatasync(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fdatasync(fd)
    finally:
        os.close(fd)


def _fsync_dirs(dirs: set[str]) -> None:
    for d in dirs:
        fd = os.open(d, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _scan(directory: str) -> tuple[dict, set]:
    """A mount's files ({path: (size, mtime_ns)}) and its empty directories, as they are now."""
    files, empty = {}, set()
    for root, dirs, names in os.walk(directory):
        rel = os.path.relpath(root, directory)
        for name in names:
            if name.startswith(".leveret-"):
                continue   # a file being written by a reload
            full = os.path.join(root, name)
            st = os.lstat(full)
            if not os.path.islink(full) and os.path.isfile(full):
                files[name if rel == "." else f"{rel}/{name}"] = (st.st_size, st.st_mtime_ns)
        if rel != "." and not dirs and not names:
            empty.add(rel)
    return files, empty


def _remove(path: str) -> None:
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path, ignore_errors=True)
    else:
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
