"""The server's calls the worker makes beside its stream, in the worker's terms: a large input's
arguments read from a blob (BlobGet), a large output written to one (BlobPut), a code mount's
files (MountGet). Link sets one on the Agent for each stream's channel.
"""

from __future__ import annotations

from typing import AsyncIterator

from .._wire import api_pb2 as pb
from .._wire import blobs
from . import convert
from .model import MountFile


class ServerCalls:
    def __init__(self, stub):
        self._stub = stub

    def blob_chunks(self, blob_id: str) -> AsyncIterator[bytes]:
        """A blob's bytes, a chunk at a time."""
        return blobs.chunks(self._stub, blob_id)

    def upload(self) -> blobs.Upload:
        """A new blob, written a chunk at a time: ``await write(data)``, ``await finish()`` (its id), ``cancel()``."""
        return blobs.Upload(self._stub)

    async def mount_files(self, mount_id: str) -> list[MountFile]:
        return convert.mount_files(await self._stub.MountGet(pb.MountGetRequest(mount_id=mount_id)))
