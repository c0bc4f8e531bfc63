"""MountGetMissing, MountCreate, MountGet: the content-addressed files of functions' code and images."""

from __future__ import annotations

import hashlib

import grpc

from ..._shared.mounts import mount_id as mount_id_of
from ..._wire import api_pb2 as pb
from ..auth import WORKER
from ..store import Store



class MountsApi:
    """Mixed into the servicer (service.py)."""

    async def MountGetMissing(self, request, context):
        return pb.MountGetMissingResponse(missing=await self.reads.run(Store.missing_blobs, list(request.sha256)))

    async def MountCreate(self, request, context):
        blobs = []
        for f in request.files:
            if f.content:
                if hashlib.sha256(f.content).hexdigest() != f.sha256:
                    await context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"{f.path}: content does not match its sha256")
                blobs.append((f.sha256, f.content))
        if blobs:
            self.writes.add(Store.put_blobs, blobs)
        missing = await self.reads.run(Store.missing_blobs, [f.sha256 for f in request.files])   # after the put
        if missing:
            await context.abort(grpc.StatusCode.FAILED_PRECONDITION, f"mount is missing the content of {len(missing)} file(s)")
        files = sorted(({"path": f.path, "sha256": f.sha256, "mode": f.mode} for f in request.files), key=lambda f: f["path"])
        mount_id = mount_id_of(files)
        await self.writes.run(Store.put_mount, mount_id, files)
        return pb.MountCreateResponse(mount_id=mount_id)

    async def MountGet(self, request, context):
        caller = self.tokens.caller(context)
        if caller is None or (caller[0] == WORKER and not self.d.registry.may_read_mount(caller[1], request.mount_id)):
            await context.abort(grpc.StatusCode.PERMISSION_DENIED,
                                f"mount {request.mount_id} belongs to no container assigned to this worker")
        files = await self.reads.run(_mount_files, request.mount_id)
        if files is None:
            await context.abort(grpc.StatusCode.NOT_FOUND, f"no mount {request.mount_id}")
        return pb.MountGetResponse(files=[
            pb.MountFile(path=f["path"], sha256=f["sha256"], mode=f["mode"], content=content) for f, content in files])


def _mount_files(store: Store, mount_id: str) -> list[tuple[dict, bytes | None]] | None:
    """A mount's files with their contents, or None."""
    files = store.get_mount(mount_id)
    return None if files is None else [(f, store.get_blob(f["sha256"])) for f in files]
