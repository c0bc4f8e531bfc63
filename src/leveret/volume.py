"""``Volume``: a tree of files kept on the server under a name, as Modal's v2 ``modal.Volume``.

    vol = leveret.Volume.from_name("models", create_if_missing=True)
    with vol.batch_upload() as batch:              # from a client: files in, one commit
        batch.put_file("weights.bin", "/v1/weights.bin")
        batch.put_directory("data/", "/data")
    vol.listdir("/v1"), b"".join(vol.read_file("/v1/weights.bin"))
    vol.remove_file("/data", recursive=True); vol.copy_files(["/v1/weights.bin"], "/v2/")
    @app.function(volumes={"/models": vol})        # in a container: a directory; vol.commit() / vol.reload()

Files are cut into chunks of 8 MiB named by their SHA-256, kept once on the server whatever holds
them (an upload sends only the chunks the server lacks). Each commit is atomic: a reader sees the
volume before it or after it. Every method has an ``.aio`` form.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import os
import posixpath
import typing

from ._object import _Object
from ._shared.volumes import read_chunks, volume_path
from ._utils.synchronize import synchronize
from .exception import InvalidError

UPLOAD_CONCURRENCY = 4   # chunks in flight at once


class FileEntryType(enum.IntEnum):
    UNSPECIFIED = 0
    FILE = 1
    DIRECTORY = 2
    SYMLINK = 3


class FileEntry(typing.NamedTuple):
    """A file or directory of a volume, as ``listdir`` says (Modal's FileEntry)."""
    path: str
    type: FileEntryType
    mtime: int
    size: int


def _path(p) -> str:
    return volume_path(str(p), InvalidError)


def _b64(data: bytes) -> str:
    import base64

    return base64.b64encode(data).decode()


class Volume(_Object, kind="volume", type_prefix="vo"):

    @classmethod
    def from_name(cls, name: str, *, environment_name: str | None = None, create_if_missing: bool = False,
                  version: int | None = None):
        """A handle on the Volume of this name (made at first use, with ``create_if_missing``).
        Leveret's volumes behave as Modal's v2: ``version`` may be None or 2."""
        if version not in (None, 2):
            raise InvalidError(f"version={version!r}: Leveret's volumes are Modal's version 2 (leave version unset)")
        obj = super().from_name(name, environment_name=environment_name, create_if_missing=create_if_missing)
        obj._new_attributes = {"version": 2}
        return obj

    @classmethod
    def _handle(cls, *args, **kwargs):
        obj = super()._handle(*args, **kwargs)
        obj._read_only, obj._sub_path = False, ""   # how it is mounted: read_only(), with_mount_options()
        return obj

    @classmethod
    @contextlib.contextmanager
    def ephemeral(cls, *, environment_name: str | None = None, client=None):
        """A Volume for the length of a ``with`` block, deleted at its end."""
        with cls._ephemeral(environment_name, client) as vol:
            yield vol

    # ------------------------------------------------------------------ how it is mounted

    def read_only(self) -> "Volume":
        """This volume, to mount read-only (``volumes={"/data": vol.read_only()}``)."""
        return self.with_mount_options(read_only=True, sub_path=self._sub_path or None)

    def with_mount_options(self, *, read_only: bool = False, sub_path: str | None = None) -> "Volume":
        """This volume, to mount read-only and/or only its directory ``sub_path``."""
        import copy

        other = copy.copy(self)
        other._read_only = bool(read_only)
        other._sub_path = _path(sub_path) if sub_path else ""
        return other

    # ------------------------------------------------------------------ from anywhere

    async def _rpc(self, method: str, **fields) -> dict:
        client = await self._live()
        return await client.object_call(method, {"volume_id": self._object_id, **fields})

    async def _listdir(self, path: str, recursive: bool) -> list[FileEntry]:
        resp = await self._rpc("VolumeList", path=_path(path), recursive=recursive)
        return [_entry(e) for e in resp["entries"]]

    @synchronize
    async def listdir(self, path: str = "/", *, recursive: bool = False) -> list[FileEntry]:
        """The files and directories in ``path`` (everything under it with ``recursive``); a file's
        path gives that file."""
        return await self._listdir(path, recursive)

    @synchronize
    async def iterdir(self, path: str = "/", *, recursive: bool = True):
        """As ``listdir``, an entry at a time (recursive by default, as Modal's)."""
        for entry in await self._listdir(path, recursive):
            yield entry

    async def _read_file(self, path: str):
        client = await self._live()
        resp = await self._rpc("VolumeGetFile", path=_path(path))
        for digest in resp["file"]["chunks"]:
            yield await _chunk_get(client, digest)

    @synchronize
    async def read_file(self, path: str):
        """The bytes of the file at ``path``, a chunk at a time (as of the version it was found in)."""
        async for data in self._read_file(path):
            yield data

    @synchronize
    async def read_file_into_fileobj(self, path: str, fileobj: typing.IO[bytes]) -> int:
        """Write the file at ``path`` into ``fileobj``; returns how many bytes."""
        n = 0
        async for data in self._read_file(path):
            fileobj.write(data)
            n += len(data)
        return n

    @synchronize
    async def remove_file(self, path: str, *, recursive: bool = False) -> None:
        """Remove a file, or with ``recursive`` a directory and all in it (a new version)."""
        await self._rpc("VolumeCommit", deletes=[{"path": _path(path), "recursive": recursive}])

    @synchronize
    async def copy_files(self, src_paths: typing.Sequence[str], dst_path: str, *, recursive: bool = False) -> None:
        """Copy files (directories with ``recursive``) into directory ``dst_path``, or to that path for
        one file. The copies share the originals' chunks: nothing is uploaded again."""
        if isinstance(src_paths, (str, os.PathLike)):
            raise InvalidError("copy_files takes a list of source paths: copy_files([src], dst)")
        await self._rpc("VolumeCopy", src_paths=[_path(p) for p in src_paths], dst_path=_path(dst_path),
                        recursive=recursive)

    def batch_upload(self, force: bool = False) -> "VolumeUploadContextManager":
        """A block whose ``put_file`` / ``put_directory`` are uploaded and committed at its end, at
        once. A file already at a path is an error unless ``force``."""
        return VolumeUploadContextManager(self, force)

    # ------------------------------------------------------------------ in a container that mounts it

    @synchronize
    async def commit(self) -> None:
        """Make what this container wrote to the volume's mount the volume's new version."""
        await self._sync("commit")

    @synchronize
    async def reload(self) -> None:
        """Bring this container's mount of the volume to its newest version."""
        await self._sync("reload")

    async def _sync(self, op: str) -> None:
        from ._context import is_local

        if is_local():
            raise InvalidError(f"Volume.{op}() is for code in a container that mounts the volume"
                               " (@app.function(volumes={...})); from here, batch_upload() commits files and"
                               " listdir/read_file read the newest version")
        client = await self._live()
        await client.volume_sync(op, self._object_id)


class VolumeUploadContextManager:
    """``with vol.batch_upload() as batch: batch.put_file(...)``: uploads and commits at the end."""

    def __init__(self, volume: Volume, force: bool):
        self._volume = volume
        self._force = force
        self._files: list[tuple[object, str, int | None]] = []   # (local path or file object, remote path, mode)

    def put_file(self, local_file, remote_path: str, mode: int | None = None) -> None:
        """A local file (a path, or a binary file object) to ``remote_path``; ``mode``: its
        permission bits (default: the local file's, else 0o644)."""
        remote = _path(remote_path)
        if not remote:
            raise InvalidError("put_file needs a file's path in the volume, not its root")
        if isinstance(local_file, (str, os.PathLike)) and not os.path.isfile(local_file):
            raise InvalidError(f"{os.fspath(local_file)!r} is not a file here" +
                               (": use put_directory for a directory" if os.path.isdir(local_file) else ""))
        self._files.append((local_file, remote, mode))

    def put_directory(self, local_path, remote_path: str, recursive: bool = True) -> None:
        """The files of a local directory (and its subdirectories, with ``recursive``) under ``remote_path``."""
        local = os.fspath(local_path)
        if not os.path.isdir(local):
            raise InvalidError(f"{local!r} is not a directory here")
        base = _path(remote_path)
        for root, dirs, files in os.walk(local):
            rel = os.path.relpath(root, local)
            for name in sorted(files):
                full = os.path.join(root, name)
                if os.path.isfile(full):
                    self._files.append((full, posixpath.join(base, "" if rel == "." else rel, name).lstrip("/"), None))
            if not recursive:
                dirs.clear()

    def __enter__(self):
        return self

    def __exit__(self, exc_type, *exc) -> None:
        if exc_type is None:
            from ._shared.aio import run_sync

            run_sync(self._commit())

    async def __aenter__(self):
        return self

    async def __aexit__(self, exc_type, *exc) -> None:
        if exc_type is None:
            from ._shared.aio import run_async

            await run_async(self._commit())

    async def _commit(self) -> None:
        client = await self._volume._live()
        sem = asyncio.Semaphore(UPLOAD_CONCURRENCY)

        async def one(local, remote: str, mode: int | None) -> dict:
            async with sem:
                return await _upload(client, local, remote, mode)

        files = await asyncio.gather(*(one(*f) for f in self._files))
        await self._volume._rpc("VolumeCommit", files=list(files), no_overwrite=not self._force)


async def _upload(client, local, remote: str, mode: int | None) -> dict:
    """Send the chunks of one local file the server lacks; its VolumeFile (as JSON)."""
    import time

    owned = isinstance(local, (str, os.PathLike))
    f = open(local, "rb") if owned else local
    try:
        if owned:
            st = os.fstat(f.fileno())
            mode = st.st_mode & 0o7777 if mode is None else mode
            mtime = st.st_mtime
        else:
            mtime = time.time()
        digests, size = [], 0
        while True:
            batch = await asyncio.to_thread(read_chunks, f, 2)
            if not batch:
                break
            missing = set((await client.object_call("VolumeChunksMissing", {"hashes": [d for d, _ in batch]}))["hashes"])
            await asyncio.gather(*(_chunk_put(client, d, data) for d, data in batch if d in missing))
            digests += [d for d, _ in batch]
            size += sum(len(data) for _, data in batch)
    finally:
        if owned:
            f.close()
    return {"path": remote, "kind": 1, "size": size, "mode": 0o644 if mode is None else mode, "mtime": mtime,
            "chunks": digests}


async def _chunk_put(client, digest: str, data: bytes) -> None:
    from ._client import Client

    if isinstance(client, Client):   # protobuf at hand: no base64 on the way
        from ._wire import api_pb2 as pb

        await client.call("VolumeChunkPut", pb.VolumeChunkPutRequest(hash=digest, data=data))
    else:
        await client.object_call("VolumeChunkPut", {"hash": digest, "data": _b64(data)})


async def _chunk_get(client, digest: str) -> bytes:
    from ._client import Client

    if isinstance(client, Client):
        from ._wire import api_pb2 as pb

        return (await client.call("VolumeChunkGet", pb.VolumeChunkGetRequest(hash=digest))).data
    import base64

    return base64.b64decode((await client.object_call("VolumeChunkGet", {"hash": digest}))["data"])


def _entry(e: dict) -> FileEntry:
    return FileEntry(e["path"], FileEntryType(int(e["kind"])), int(float(e["mtime"])), int(e["size"]))


__all__ = ["FileEntry", "FileEntryType", "Volume", "VolumeUploadContextManager"]
