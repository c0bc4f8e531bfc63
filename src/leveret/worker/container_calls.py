"""A container's calls: what its function's code calls from inside it (``.remote``, ``.spawn``,
``FunctionCall.get`` / ``.cancel``, ``Function.from_name``), made on the server with the
container's token.

    SDK in the container ─connects to the container's socket─▶ CallsOpen ─▶ serve()
        Lookup │ Call │ CallGet │ CallCancel ─▶ the server (rpc.ContainerCalls, the container's token)
        ◀─ Reply │ Result, under the request's tag

The container never holds a credential: the worker knows whose socket it is and makes the call
with the token the server gave that container, which reaches only the functions of its app and
deployed ones (the server's scope.py). Each request is handled on its own task, so a call waiting
on a long result does not hold up the others of the same connection.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from ..container import calls as C
from ..container import protocol
from .model import CallOutput, CallRefused

if TYPE_CHECKING:
    from .task_runner import ContainerTask

log = logging.getLogger("leveret.worker")


async def serve(task: "ContainerTask", reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Answer the calls of one connection until it closes (the container's code closed it, or ended)."""
    pending: set[asyncio.Task] = set()
    try:
        while True:
            msg = await protocol.read_message(reader)
            if type(msg) not in C.FROM_CALLER or type(msg) is C.CallsOpen:
                raise protocol.ProtocolError(f"a calls connection sent {type(msg).__name__}")
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


async def _answer(task: "ContainerTask", msg, writer: asyncio.StreamWriter) -> None:
    try:
        reply = await _make(task, msg)
    except CallRefused as exc:
        reply = C.Reply(msg.tag, exc.error, exc.message)
    except Exception as exc:   # a bug here fails the call, never the worker
        log.exception("container %s: could not make its %s call", task.container_id, type(msg).__name__)
        reply = C.Reply(msg.tag, C.FAILED, f"the worker could not make this call: {type(exc).__name__}: {exc}")
    if not writer.is_closing():
        writer.write(protocol.encode(reply))


async def _make(task: "ContainerTask", msg):
    server = task.calls()
    if type(msg) is C.Lookup:
        function_id, is_generator = await server.lookup(msg.app_name, msg.function_name, msg.environment)
        return C.Reply(msg.tag, value=function_id, flag=is_generator)
    if type(msg) is C.Call:
        if msg.op == C.REMOTE:
            return _result(msg.tag, await server.remote(msg.function_id, msg.call_id, msg.args))
        if msg.op == C.SPAWN:
            return C.Reply(msg.tag, value=await server.spawn(msg.function_id, msg.call_id, msg.args))
        raise CallRefused(C.INVALID, f"unknown call op {msg.op}")
    if type(msg) is C.CallGet:
        out = await server.get(msg.call_id, msg.timeout)
        return C.Reply(msg.tag, C.TIMED_OUT, "timed out") if out is None else _result(msg.tag, out)
    await server.cancel(msg.call_id)   # CallCancel
    return C.Reply(msg.tag)


def _result(tag: int, out: CallOutput) -> C.Result:
    return C.Result(tag, out.status, out.gen_index, out.message, out.data, out.blob_id)
