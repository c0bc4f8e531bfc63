"""The server's calls the worker makes beside its stream, in the worker's terms: a large input's
arguments read from a blob (BlobGet), a large output written to one (BlobPut), a code mount's
files (MountGet), and the calls a container's code makes (ContainerCalls: nested ``.remote``,
``.spawn`` …, with the container's token). Link sets one on the Agent for each stream's channel.
"""

from __future__ import annotations

import asyncio
import itertools
from typing import AsyncIterator

import grpc

from .._wire import api_pb2 as pb
from .._wire import blobs
from .._wire.channel import Stub
from .._wire.direct import METHODS, wire_schema
from ..container import calls as C
from . import convert
from .model import CallOutput, CallRefused, MountFile


class ServerCalls:
    def __init__(self, channel, stub):
        self._channel = channel
        self._stub = stub

    def blob_chunks(self, blob_id: str) -> AsyncIterator[bytes]:
        """A blob's bytes, a chunk at a time."""
        return blobs.chunks(self._stub, blob_id)

    def upload(self) -> blobs.Upload:
        """A new blob, written a chunk at a time: ``await write(data)``, ``await finish()`` (its id), ``cancel()``."""
        return blobs.Upload(self._stub)

    async def mount_files(self, mount_id: str) -> list[MountFile]:
        return convert.mount_files(await self._stub.MountGet(pb.MountGetRequest(mount_id=mount_id)))

    def for_container(self, token: str) -> "ContainerCalls":
        """The calls of a container whose token is ``token``, on this stream's channel."""
        return ContainerCalls(Stub(self._channel, token))


# What the server's refusals are to a container's caller (the SDK raises the matching exception).
REFUSALS = {
    grpc.StatusCode.NOT_FOUND: C.NOT_FOUND,
    grpc.StatusCode.PERMISSION_DENIED: C.REFUSED,
    grpc.StatusCode.UNAUTHENTICATED: C.REFUSED,
    grpc.StatusCode.INVALID_ARGUMENT: C.INVALID,
    grpc.StatusCode.FAILED_PRECONDITION: C.INVALID,
}


# What a container's code asks of named objects (the server's token check allows them too: auth.py).
OBJECT_METHODS = frozenset({"ObjectGetOrCreate", "ObjectList", "DictUpdate", "DictGet", "DictLen", "DictContents",
                            "QueuePut", "QueueGet", "QueueLen", "QueueClear", "QueueNextItems",
                            "VolumeChunksMissing", "VolumeChunkPut", "VolumeChunkGet", "VolumeCommit", "VolumeList",
                            "VolumeGetFile", "VolumeChanges", "VolumeCopy", "TunnelOpen", "TunnelClose"})


DIRECT_METHODS = METHODS & OBJECT_METHODS
_direct_schema: dict | None = None


def _refused(err: grpc.aio.AioRpcError) -> CallRefused:
    code = err.code()
    if code in REFUSALS:
        return CallRefused(REFUSALS[code], err.details() or "")
    if code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED):
        return CallRefused(C.FAILED, f"the worker lost its server while making this call ({err.details() or code.name});"
                                     " call again once it is back")
    return CallRefused(C.FAILED, f"{code.name}: {err.details() or ''}")


def _output(o) -> CallOutput:
    return CallOutput(o.status, o.gen_index, o.message, o.data, o.data_blob_id)


class ContainerCalls:
    """One container's calls, made with its token: its ``.remote()`` calls share one FunctionRemote
    stream (as a client's do); each method raises CallRefused when the server will not."""

    def __init__(self, stub: Stub):
        self._stub = stub
        self._tags = itertools.count(1)
        self._pending: dict[int, asyncio.Future] = {}
        self._queue: asyncio.Queue | None = None
        self._reader: asyncio.Task | None = None

    async def _unary(self, method: str, request):
        try:
            return await getattr(self._stub, method)(request)
        except grpc.aio.AioRpcError as err:
            raise _refused(err) from None

    async def lookup(self, app_name: str, function_name: str, environment: str, version: int) -> tuple[str, bool]:
        found = await self._unary("FunctionLookup", pb.FunctionLookupRequest(
            app_name=app_name, function_name=function_name, environment_name=environment, version=version))
        return found.function_id, found.is_generator

    async def bind(self, function_id: str, params: str, options: str) -> str:
        resp = await self._unary("FunctionBind", pb.FunctionBindRequest(function_id=function_id, params=params,
                                                                        options=options))
        return resp.function_id

    async def spawn(self, function_id: str, call_id: str, args: bytes, args_blob: str, parent: str) -> str:
        resp = await self._unary("FunctionSpawn", pb.FunctionSpawnRequest(
            function_id=function_id, call_id=call_id, input=pb.Input(idx=0, args=args, args_blob_id=args_blob),
            parent_input_id=parent))
        return resp.call_id

    async def get(self, call_id: str, timeout: float) -> CallOutput | None:
        """Its first output, or None if it did not come within ``timeout`` seconds (negative: no limit)."""
        resp = await self._unary("FunctionCallGet", pb.FunctionCallGetRequest(call_id=call_id, timeout_s=timeout))
        return None if resp.timed_out else _output(resp.outputs[0])

    async def call_graph(self, call_id: str) -> list[list]:
        """The rows of the tree of calls under ``call_id`` (FunctionCallGraphResponse's inputs, as lists)."""
        resp = await self._unary("FunctionCallGraph", pb.FunctionCallGraphRequest(call_id=call_id))
        return [[i.input_id, i.call_id, i.parent_input_id, i.function_id, i.function_name, i.module_name, i.status,
                 i.container_id, i.idx] for i in resp.inputs]

    async def object_call(self, method: str, body: str) -> str:
        """A named-object RPC a container's code asked for, as protobuf's JSON mapping both ways."""
        from google.protobuf import json_format

        if method not in OBJECT_METHODS:
            raise CallRefused(C.REFUSED, f"{method} is not a request a container makes")
        try:
            request = json_format.Parse(body, getattr(pb, method + "Request")())
        except json_format.ParseError as exc:
            raise CallRefused(C.INVALID, f"{method}: {exc}") from None
        return json_format.MessageToJson(await self._unary(method, request), preserving_proto_field_name=True,
                                         always_print_fields_with_no_presence=True, indent=None)

    # A container's direct connection (direct_handover.py): the layouts its SDK writes the messages
    # of the direct port's methods by (its image may have no protobuf).

    @property
    def direct_schema(self) -> dict:
        global _direct_schema
        if _direct_schema is None:
            _direct_schema = wire_schema(DIRECT_METHODS)
        return _direct_schema

    # A volume mounted in the container (volumes.py): its files as (path, kind, size, mode, mtime, chunks).

    async def volume_changes(self, volume_id: str, since: int) -> tuple[int, list[tuple]]:
        resp = await self._unary("VolumeChanges", pb.VolumeChangesRequest(volume_id=volume_id, since_version=since))
        return resp.version, [(e.path, e.kind, e.size, e.mode, e.mtime, tuple(e.chunks)) for e in resp.entries]

    async def chunks_missing(self, digests: list[str]) -> set[str]:
        return set((await self._unary("VolumeChunksMissing", pb.VolumeChunksMissingRequest(hashes=digests))).hashes)

    async def chunk_get(self, digest: str) -> bytes:
        return (await self._unary("VolumeChunkGet", pb.VolumeChunkGetRequest(hash=digest))).data

    async def chunk_put(self, digest: str, data: bytes) -> None:
        await self._unary("VolumeChunkPut", pb.VolumeChunkPutRequest(hash=digest, data=data))

    async def volume_commit(self, volume_id: str, files: list[tuple], deletes: list[str]) -> int:
        """Write ``files`` and delete ``deletes`` (what a container changed): the new version."""
        resp = await self._unary("VolumeCommit", pb.VolumeCommitRequest(
            volume_id=volume_id, missing_ok=True, deletes=[pb.VolumeDelete(path=p, recursive=True) for p in deletes],
            files=[pb.VolumeFile(path=p, kind=k, size=s, mode=m, mtime=t, chunks=c) for p, k, s, m, t, c in files]))
        return resp.version

    async def cancel(self, call_id: str, *, terminate_containers: bool = False) -> None:
        await self._unary("FunctionCallCancel", pb.FunctionCallCancelRequest(
            call_id=call_id, terminate_containers=terminate_containers))

    async def remote(self, function_id: str, call_id: str, args: bytes, args_blob: str, parent: str) -> CallOutput:
        tag = next(self._tags)
        fut = asyncio.get_running_loop().create_future()
        self._pending[tag] = fut
        if self._queue is None:
            self._queue = asyncio.Queue()
            self._reader = asyncio.ensure_future(self._read(self._queue))
        self._queue.put_nowait(pb.FunctionRemoteRequest(tag=tag, function_id=function_id, call_id=call_id,
                                                        input=pb.Input(idx=0, args=args, args_blob_id=args_blob),
                                                        parent_input_id=parent))
        try:
            resp = await fut
        except asyncio.CancelledError:
            if self._pending.pop(tag, None) is not None and self._queue is not None:
                self._queue.put_nowait(pb.FunctionRemoteRequest(tag=tag, cancel=True))
            raise
        if resp.not_found:
            raise CallRefused(C.NOT_FOUND, resp.not_found)
        if resp.refused:
            raise CallRefused(C.REFUSED, resp.refused)
        if resp.invalid:
            raise CallRefused(C.INVALID, resp.invalid)
        return _output(resp.output)

    async def _read(self, queue: asyncio.Queue) -> None:
        from .._shared.aio import queue_items

        stream = self._stub.FunctionRemote(queue_items(queue))
        error: CallRefused = CallRefused(C.FAILED, "the server closed the stream of this container's calls")
        try:
            async for resp in stream:
                fut = self._pending.pop(resp.tag, None)
                if fut is not None and not fut.done():
                    fut.set_result(resp)
        except grpc.aio.AioRpcError as err:
            error = _refused(err)
        finally:
            queue.put_nowait(None)   # ends the request stream
            if self._queue is queue:
                self._queue = None
            for fut in self._pending.values():
                if not fut.done():
                    fut.set_exception(error)
            self._pending.clear()

    def map(self, function_id: str, call_id: str, parent: str) -> "ContainerMap":
        return ContainerMap(self._stub, function_id, call_id, parent)

    def upload(self) -> "ContainerUpload":
        """A blob of the container's arguments over the inline limit, written a chunk at a time."""
        return ContainerUpload(self._stub)

    async def blob_chunks(self, blob_id: str) -> AsyncIterator[bytes]:
        """A result's blob, a chunk at a time."""
        try:
            async for chunk in blobs.chunks(self._stub, blob_id):
                yield chunk
        except grpc.aio.AioRpcError as err:
            raise _refused(err) from None

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)


class ContainerMap:
    """A map a container's code makes, on a FunctionMap stream of its own: ``send`` its inputs in
    order (their numbers follow on), read ``outputs`` as the server stores them."""

    def __init__(self, stub: Stub, function_id: str, call_id: str, parent: str):
        self._stream = stub.FunctionMap()
        self._head: dict | None = {"function_id": function_id, "call_id": call_id, "parent_input_id": parent}
        self._sent = 0

    async def send(self, args: list, blob_ids: list, last: bool) -> None:
        inputs = [pb.Input(idx=self._sent + i, args=a, args_blob_id=b) for i, (a, b) in enumerate(zip(args, blob_ids))]
        self._sent += len(inputs)
        request = pb.FunctionMapRequest(inputs=inputs, total=self._sent if last else 0, last=last, **(self._head or {}))
        self._head = None
        try:
            await self._stream.write(request)
            if last:
                await self._stream.done_writing()
        except grpc.aio.AioRpcError as err:
            raise _refused(err) from None

    async def outputs(self):
        """(acked, [(idx, CallOutput)]) as each response comes, until the map is over."""
        try:
            while True:
                resp = await self._stream.read()
                if resp is grpc.aio.EOF:
                    return
                yield resp.acked, [(o.idx, _output(o)) for o in resp.outputs]
        except grpc.aio.AioRpcError as err:
            raise _refused(err) from None

    def cancel(self) -> None:
        self._stream.cancel()


class ContainerUpload:
    """blobs.Upload for a container's arguments, its failures as CallRefused."""

    def __init__(self, stub: Stub):
        self._upload = blobs.Upload(stub)

    async def write(self, data: bytes) -> None:
        try:
            await self._upload.write(data)
        except grpc.aio.AioRpcError as err:
            raise _refused(err) from None
        except ValueError as exc:   # over MAX_PAYLOAD
            raise CallRefused(C.INVALID, str(exc).replace("the result", "the arguments")) from None

    async def finish(self) -> str:
        try:
            return await self._upload.finish()
        except grpc.aio.AioRpcError as err:
            raise _refused(err) from None

    def cancel(self) -> None:
        self._upload.cancel()
