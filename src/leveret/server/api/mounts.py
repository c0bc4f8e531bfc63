"""MountGetMissing, MountCreate, MountGet: the content-addressed files of functions' code and images."""

from __future__ import annotations

import hashlib

import grpc

from ..._shared.mounts import mount_id as mount_id_of
from ..._wire import api_pb2 as pb
from ..auth import WORKER



class MountsApi:
    """Mixed into the servicer (service.py)."""

    async def MountGetMissing(self, request, context):
        return pb.MountGetMissingResponse(missing=self.store.missing_blobs(list(request.sha256)))

    async def MountCreate(self, request, context):
        blobs = []
        for f in request.files:
            if f.content:
                if hashlib.sha256(f.content).hexdigest() != f.sha256:
                    await context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"{f.path}: content does not match its sha256")
                blobs.append((f.sha256, f.content))
        self.store.put_blobs(blobs)
        missing = self.store.missing_blobs([f.sha256 for f in request.files])
        if missing:
            await context.abort(grpc.StatusCode.FAILED_PRECONDITION, f"mount is missing the content of {len(missing)} file(s)")
        files = sorted(({"path": f.path, "sha256": f.sha256, "mode": f.mode} for f in request.files), key=lambda f: f["path"])
        mount_id = mount_id_of(files)
        self.store.put_mount(mount_id, files)
        return pb.MountCreateResponse(mount_id=mount_id)

    async def MountGet(self, request, context):
        caller = self.tokens.caller(context)
        if caller is None or (caller[0] == WORKER and not self.d.registry.may_read_mount(caller[1], request.mount_id)):
            await context.abort(grpc.StatusCode.PERMISSION_DENIED,
                                f"mount {request.mount_id} belongs to no container assigned to this worker")
        files = self.store.get_mount(request.mount_id)
        if files is None:
            await context.abort(grpc.StatusCode.NOT_FOUND, f"no mount {request.mount_id}")
        return pb.MountGetResponse(files=[
            pb.MountFile(path=f["path"], sha256=f["sha256"], mode=f["mode"], content=self.store.get_blob(f["sha256"]))
            for f in files
        ])
