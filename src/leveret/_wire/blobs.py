"""Payloads over the inline limit travel as blobs, streamed in chunks beside the calls.

    client ─BlobPut─▶ server (a file per blob) ─BlobGet─▶ worker ─socket frames─▶ container
    container ─socket frames─▶ worker ─BlobPut─▶ server ─BlobGet─▶ client

Arguments and results up to ``INLINE_LIMIT`` go inside the messages as they always did; larger ones
are uploaded first and the input or output carries the blob's id. No side holds more than a chunk
of a blob it only passes on (the server and the worker), and a payload over ``MAX_PAYLOAD`` is
refused with an error that names the limit and the fix.
"""

from __future__ import annotations

import tempfile
from typing import IO, AsyncIterator

from .._shared.payloads import CHUNK_BYTES, MAX_PAYLOAD, too_large


async def put(stub, data: bytes, what: str = "the arguments") -> str:
    """Upload ``data`` as a blob; return its id."""
    from . import api_pb2 as pb

    if len(data) > MAX_PAYLOAD:
        from .._shared.errors import InvalidError

        raise InvalidError(too_large(what, len(data), MAX_PAYLOAD))
    view = memoryview(data)

    async def chunks():
        yield pb.BlobChunk(data=view[:CHUNK_BYTES].tobytes(), size=len(data))
        for start in range(CHUNK_BYTES, len(data), CHUNK_BYTES):
            yield pb.BlobChunk(data=view[start:start + CHUNK_BYTES].tobytes())

    return (await stub.BlobPut(chunks())).blob_id


class Upload:
    """A blob written a chunk at a time as it is produced (a container's large result): ``write``
    each chunk (it waits while the server is behind), then ``finish`` for its id, or ``cancel``."""

    def __init__(self, stub):
        self._call = stub.BlobPut()
        self.size = 0

    async def write(self, data: bytes) -> None:
        from . import api_pb2 as pb

        if self.size + len(data) > MAX_PAYLOAD:
            raise ValueError(too_large("the result", self.size + len(data), MAX_PAYLOAD))
        self.size += len(data)
        await self._call.write(pb.BlobChunk(data=data))

    async def finish(self) -> str:
        await self._call.done_writing()
        return (await self._call).blob_id

    def cancel(self) -> None:
        self._call.cancel()


async def chunks(stub, blob_id: str) -> AsyncIterator[bytes]:
    """A blob's bytes, a chunk at a time."""
    from . import api_pb2 as pb

    async for chunk in stub.BlobGet(pb.BlobGetRequest(blob_id=blob_id)):
        yield chunk.data


async def get(stub, blob_id: str) -> IO[bytes]:
    """A blob in a temporary file (deleted once closed), positioned at its start: a large payload is
    unpickled from the file, never held twice in memory."""
    import asyncio

    f = tempfile.TemporaryFile()
    try:
        loop = asyncio.get_running_loop()
        async for data in chunks(stub, blob_id):
            await loop.run_in_executor(None, f.write, data)
        f.seek(0)
    except BaseException:
        f.close()
        raise
    return f
