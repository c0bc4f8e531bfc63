"""BlobPut and BlobGet: payloads over the inline limit, streamed in chunks (server/blobs.py keeps them)."""

from __future__ import annotations

import grpc

from ..._wire import api_pb2 as pb
from ..auth import WORKER
from ..blobs import BlobTooLarge
from ..errors import NotFound


class BlobsApi:
    """Mixed into the servicer: needs ``self.d`` (the Dispatcher, with its ``blobs``) and ``self.tokens``."""

    async def BlobPut(self, request_iterator, context):
        first = await anext(request_iterator, None)
        if first is None:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "a blob upload sent nothing")

        async def chunks():
            yield first.data
            async for chunk in request_iterator:
                yield chunk.data

        try:
            blob_id, size = await self.d.blobs.receive(chunks(), first.size or None)
        except BlobTooLarge as exc:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        except OSError as exc:
            await context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED,
                                f"the server could not store the payload ({exc.strerror or exc}): free disk where it keeps"
                                " blobs (leveret server --blob-dir)")
        return pb.BlobPutResponse(blob_id=blob_id, size=size)

    async def BlobGet(self, request, context):
        caller = self.tokens.caller(context)
        if caller is None or (caller[0] == WORKER and not self.d.registry.may_read_blob(caller[1], request.blob_id)):
            await context.abort(grpc.StatusCode.PERMISSION_DENIED,
                                f"blob {request.blob_id} holds no arguments of an input sent to this worker")
        try:
            source = self.d.blobs.send(request.blob_id)
            first = await anext(source, b"")
        except NotFound as exc:
            await context.abort(grpc.StatusCode.NOT_FOUND, exc.message)
        yield pb.BlobChunk(data=first)
        async for data in source:
            yield pb.BlobChunk(data=data)
