"""VolumeChunksMissing, VolumeChunkPut, VolumeChunkGet, VolumeCommit, VolumeList, VolumeGetFile,
VolumeChanges, VolumeCopy (server/volumes.py, server/chunks.py); a Volume is made, listed and
deleted as any named object (api/objects.py)."""

from __future__ import annotations

from ..._shared.volumes import CHUNK_BYTES
from ..._wire import api_pb2 as pb
from .. import volumes
from ..errors import Invalid
from ..store.volumes import VolumeEntry
from . import refusals_as_status


def volume_file(e: VolumeEntry) -> pb.VolumeFile:
    return pb.VolumeFile(path=e.path, kind=e.kind, size=e.size, mode=e.mode, mtime=e.mtime, chunks=e.chunks,
                         version=e.version)


def _entry(f: pb.VolumeFile) -> VolumeEntry:
    if f.kind not in (1, 2):
        raise Invalid(f"{f.path!r}: kind {f.kind} is neither a file (1) nor a directory (2)")
    chunks = tuple(f.chunks)
    if f.kind == 1 and len(chunks) * CHUNK_BYTES < f.size:
        raise Invalid(f"{f.path!r}: {len(chunks)} chunk(s) cannot hold {f.size} bytes")
    return VolumeEntry(volumes.path(f.path), f.kind, f.size if f.kind == 1 else 0, f.mode & 0o7777, f.mtime,
                       chunks if f.kind == 1 else (), 0)


class VolumesApi:
    """Mixed into the servicer: needs ``self.d`` (the Dispatcher: its store's threads, its ``chunks``)."""

    async def VolumeChunksMissing(self, request, context):
        async with refusals_as_status(context):
            return pb.VolumeChunksMissingResponse(hashes=await self.d.chunks.missing(list(request.hashes)))

    async def VolumeChunkPut(self, request, context):
        async with refusals_as_status(context):
            await self.d.chunks.put(request.hash, request.data)
            return pb.VolumeChunkPutResponse()

    async def VolumeChunkGet(self, request, context):
        async with refusals_as_status(context):
            return pb.VolumeChunkGetResponse(data=await self.d.chunks.get(request.hash))

    async def VolumeCommit(self, request, context):
        async with refusals_as_status(context):
            files = [_entry(f) for f in request.files]
            wanted = sorted({c for f in files for c in f.chunks})
            missing = await self.d.chunks.missing(wanted)
            if missing:
                raise Invalid(f"{len(missing)} chunk(s) of this commit are not on the server (the first:"
                              f" {missing[0][:12]}…): upload them first (VolumeChunkPut)")
            await self.d.chunks.durable(wanted)
            deletes = [(volumes.path(d.path), d.recursive) for d in request.deletes]
            version, count, size = await self.d.writes.run(volumes.commit, request.volume_id, files, deletes,
                                                           no_overwrite=request.no_overwrite,
                                                           missing_ok=request.missing_ok)
            return pb.VolumeCommitResponse(version=version, files=count, bytes=size)

    async def VolumeList(self, request, context):
        async with refusals_as_status(context):
            version, entries = await self.d.writes.run(volumes.listing, request.volume_id, volumes.path(request.path),
                                                       request.recursive)
            return pb.VolumeListResponse(version=version, entries=[volume_file(e) for e in entries])

    async def VolumeGetFile(self, request, context):
        async with refusals_as_status(context):
            entry = await self.d.writes.run(volumes.get_file, request.volume_id, volumes.path(request.path))
            return pb.VolumeGetFileResponse(file=volume_file(entry))

    async def VolumeChanges(self, request, context):
        async with refusals_as_status(context):
            version, entries = await self.d.writes.run(volumes.changes, request.volume_id, request.since_version)
            return pb.VolumeChangesResponse(version=version, entries=[volume_file(e) for e in entries])

    async def VolumeCopy(self, request, context):
        async with refusals_as_status(context):
            version, count, size = await self.d.writes.run(
                volumes.copy, request.volume_id, [volumes.path(p) for p in request.src_paths],
                volumes.path(request.dst_path), request.recursive)
            return pb.VolumeCommitResponse(version=version, files=count, bytes=size)
