"""A container's calls: what its function's code calls from inside it (``.remote``, ``.spawn``,
``FunctionCall.get`` / ``.cancel`` / ``.get_call_graph``, ``Function.from_name``), made on the
server with the container's token.

    SDK in the container ─connects to the container's socket─▶ CallsOpen ─▶ serve()
        Lookup │ Bind │ Call │ CallGet │ CallCancel │ CallGraph ─▶ the server (rpc.ContainerCalls, the container's token)
        ObjectCall (a named-object RPC as JSON: a Dict's get …) ─▶ the same RPC, if allowed (rpc.OBJECT_METHODS)
        VolumeSync (vol.commit() / vol.reload()) ─▶ the worker's mount of it (volumes.py)
        ◀─ Reply │ Result, under the request's tag
        MapStart, MapInputs … ─▶ a FunctionMap stream ─▶ MapOutputs … (acked), then a Reply
        Upload … (last) ─▶ a blob ─▶ Reply (its id);  Download ─▶ Chunk …, then a Reply

The container never holds a credential: the worker knows whose socket it is and makes the call
with the token the server gave that container, which reaches only the functions of its app and
deployed ones (the server's scope.py). Each request is handled on its own task, so a call waiting
on a long result does not hold up the others of the same connection.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import TYPE_CHECKING

from ..container import calls as C
from ..container import protocol
from .model import CallOutput, CallRefused
from .port_publish import tunnel_call
from .volumes import VolumeError

if TYPE_CHECKING:
    from .task_runner import ContainerTask

log = logging.getLogger("leveret.worker")


async def serve(task: "ContainerTask", reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Answer the calls of one connection until it closes (the container's code closed it, or ended)."""
    pending: set[asyncio.Task] = set()
    streams: dict[int, asyncio.Queue] = {}   # tag -> the frames of a map's inputs or an upload, in order
    try:
        while True:
            msg = await protocol.read_message(reader)
            kind = type(msg)
            if kind not in C.FROM_CALLER or kind is C.CallsOpen or kind is C.DirectOpen:
                raise protocol.ProtocolError(f"a calls connection sent {kind.__name__}")
            queue = streams.get(msg.tag)
            if kind is C.MapInputs or (kind is C.Upload and queue is not None):   # to its task, in order
                if queue is None:
                    raise protocol.ProtocolError(f"MapInputs for tag {msg.tag}, which started no map")
                queue.put_nowait(msg)
                if msg.last:
                    streams.pop(msg.tag)
                continue
            if queue is not None:
                raise protocol.ProtocolError(f"{kind.__name__} for tag {msg.tag}, whose map or upload has not ended")
            if kind is C.MapStart:
                relay = MapRelay(task, msg, writer)
                streams[msg.tag] = relay.inputs
                job = asyncio.ensure_future(relay.run())
            elif kind is C.Upload:
                queue = asyncio.Queue()
                queue.put_nowait(msg)
                if not msg.last:
                    streams[msg.tag] = queue
                job = asyncio.ensure_future(_upload(task, msg.tag, queue, writer))
            elif kind is C.Download:
                job = asyncio.ensure_future(_download(task, msg, writer))
            else:
                job = asyncio.ensure_future(_answer(task, msg, writer))
            pending.add(job)
            job.add_done_callback(pending.discard)
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    except protocol.ProtocolError as exc:   # that connection ends; the container and the worker go on
        log.warning("container %s: a calls connection sent a frame the worker cannot read: %s", task.container_id, exc)
    finally:
        for job in pending:
            job.cancel()   # the calls it waits on are cancelled with them (rpc.ContainerCalls)
        writer.close()


async def _upload(task: "ContainerTask", tag: int, chunks: asyncio.Queue, writer: asyncio.StreamWriter) -> None:
    """The caller's arguments over the inline limit, chunk by chunk, to a blob; the Reply holds its id."""
    async def upload() -> C.Reply:
        blob = task.calls().upload()
        try:
            while True:
                chunk = await chunks.get()
                await blob.write(chunk.data)
                if chunk.last:
                    return C.Reply(tag, value=await blob.finish())
        except BaseException:
            blob.cancel()
            raise

    await _answer(task, C.Reply(tag), writer, make=upload)


async def _download(task: "ContainerTask", msg: C.Download, writer: asyncio.StreamWriter) -> None:
    """A result's blob as Chunk frames (each written once the socket has room), then a Reply."""
    async def download() -> C.Reply:
        async for data in task.calls().blob_chunks(msg.blob_id):
            if writer.is_closing():
                break
            writer.write(protocol.encode(C.Chunk(msg.tag, data)))
            await writer.drain()
        return C.Reply(msg.tag)

    await _answer(task, msg, writer, make=download)


async def _answer(task: "ContainerTask", msg, writer: asyncio.StreamWriter, make=None) -> None:
    """Make the call ``msg`` asks for (or ``make()``'s) and write its answer, or the error that stopped it."""
    try:
        reply = await (make() if make is not None else _make(task, msg))
    except CallRefused as exc:
        reply = C.Reply(msg.tag, exc.error, exc.message)
    except Exception as exc:   # a bug here fails the call, never the worker
        log.exception("container %s: could not make its %s call", task.container_id, type(msg).__name__)
        reply = C.Reply(msg.tag, C.FAILED, f"the worker could not make this call: {type(exc).__name__}: {exc}")
    if not writer.is_closing():
        writer.write(protocol.encode(reply))


def _environment(task: "ContainerTask") -> str:
    """The environment of the container's app (kept as NAME@ENV by the server), "" for main's: what
    its code's calls that name none mean."""
    return (task.a.app_name if task.a is not None else "").partition("@")[2]


async def _make(task: "ContainerTask", msg):
    server = task.calls()
    if type(msg) is C.Lookup:
        function_id, is_generator = await server.lookup(msg.app_name, msg.function_name,
                                                        msg.environment or _environment(task), msg.version)
        return C.Reply(msg.tag, value=function_id, flag=is_generator)
    if type(msg) is C.Bind:
        return C.Reply(msg.tag, value=await server.bind(msg.function_id, msg.params, msg.options))
    if type(msg) is C.Call:
        call = (msg.function_id, msg.call_id, msg.args, msg.args_blob, msg.input_id)
        if msg.op == C.REMOTE:
            return _result(msg.tag, await server.remote(*call))
        if msg.op == C.SPAWN:
            return C.Reply(msg.tag, value=await server.spawn(*call))
        raise CallRefused(C.INVALID, f"unknown call op {msg.op}")
    if type(msg) is C.CallGet:
        out = await server.get(msg.call_id, msg.timeout)
        return C.Reply(msg.tag, C.TIMED_OUT, "timed out") if out is None else _result(msg.tag, out)
    if type(msg) is C.ObjectCall:
        if msg.method in ("TunnelOpen", "TunnelClose"):   # (its port published, where it has its own network)
            return C.Reply(msg.tag, value=await tunnel_call(task, server, msg.method, msg.body))
        body = msg.body
        if _environment(task) and '"environment_name": ""' in body:   # (one named none: its app's)
            found = json.loads(body)
            found["environment_name"] = _environment(task)
            body = json.dumps(found)
        return C.Reply(msg.tag, value=await server.object_call(msg.method, body))
    if type(msg) is C.VolumeSync:
        try:
            version = await task.agent.volumes.sync(task.container_id, msg.op, msg.volume_id, server)
        except VolumeError as exc:
            raise CallRefused(C.INVALID, str(exc)) from None
        return C.Reply(msg.tag, value=str(version))
    if type(msg) is C.CallGraph:
        return C.Reply(msg.tag, value=json.dumps(await server.call_graph(msg.call_id)))
    await server.cancel(msg.call_id, terminate_containers=msg.terminate)   # CallCancel
    return C.Reply(msg.tag)


class MapRelay:
    """One map a container's code makes: its inputs, in order, to the server's stream; the outputs
    and acknowledgements back as MapOutputs; a Reply when it is over (with the error, if failed)."""

    def __init__(self, task: "ContainerTask", start: C.MapStart, writer: asyncio.StreamWriter):
        self.task, self.start, self.writer = task, start, writer
        self.inputs: asyncio.Queue = asyncio.Queue()

    async def run(self) -> None:
        tag, error, message = self.start.tag, 0, ""
        stream = None
        sender = None
        try:
            stream = self.task.calls().map(self.start.function_id, self.start.call_id, self.start.input_id)
            sender = asyncio.ensure_future(self._send(stream))
            async for acked, rows in stream.outputs():
                columns = zip(*[(idx, o.status, o.gen_index, o.message, o.data, o.blob_id) for idx, o in rows])
                self._write(C.MapOutputs(tag, acked, *(columns if rows else [()] * 6)))
            if sender.done() and sender.exception() is not None:
                raise sender.exception()
        except CallRefused as exc:
            error, message = exc.error, exc.message
        except asyncio.CancelledError:   # its connection closed: the server lets go of the call
            if stream is not None:
                stream.cancel()
            raise
        except Exception as exc:   # a bug here fails the map, never the worker
            log.exception("container %s: its map failed in the worker", self.task.container_id)
            error, message = C.FAILED, f"the worker could not relay this map: {type(exc).__name__}: {exc}"
        finally:
            if sender is not None:
                sender.cancel()
        if error and stream is not None:
            stream.cancel()
        self._write(C.Reply(tag, error, message))

    async def _send(self, stream) -> None:
        while True:
            batch = await self.inputs.get()
            await stream.send(list(batch.args), list(batch.blob_ids), batch.last)
            if batch.last:
                return

    def _write(self, msg) -> None:
        if not self.writer.is_closing():
            self.writer.write(protocol.encode(msg))


def _result(tag: int, out: CallOutput) -> C.Result:
    return C.Result(tag, out.status, out.gen_index, out.message, out.data, out.blob_id)
