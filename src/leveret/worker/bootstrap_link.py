"""The bootstrap's side of a container's socket, on the worker: its first frame says who connects
(the bootstrap with Hello, Warm or Rejoin; the function's code for its calls, CallsOpen:
container_calls.py, or a web link's handover, DirectOpen: direct_handover.py); then the
bootstrap's outputs, log lines and streamed blobs are relayed until it goes.

    Warm ─▶ (assigned) Load(spec, code, secrets) ─▶ Hello ─▶ inputs ⇄ Outputs / Log / Blob
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING

from .._shared.status import OutputStatus
from ..container import protocol
from . import container_calls, direct_handover, reattach
from .container_spec import code_files
from .model import Results

if TYPE_CHECKING:
    from .task_runner import ContainerTask

log = logging.getLogger("leveret.worker")

# What a container may say of an output (the protocol's numbers are _shared.status's); any other
# number it sends is an internal failure.
STATUSES = frozenset({protocol.STATUS_SUCCESS, protocol.STATUS_FAILURE, protocol.STATUS_GENERATOR_ITEM,
                      protocol.STATUS_GENERATOR_DONE, protocol.STATUS_CANCELLED, protocol.STATUS_INTERNAL_FAILURE})
INTERNAL_FAILURE = int(OutputStatus.INTERNAL_FAILURE)


async def serve(task: "ContainerTask", reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """The bootstrap's connection (its first frame Warm or Hello), or one of the function's code
    for the calls it makes (CallsOpen: container_calls.py; DirectOpen: direct_handover.py)."""
    try:
        first = await protocol.read_message(reader)
        if isinstance(first, protocol.CallsOpen):
            await container_calls.serve(task, reader, writer)
            return
        if isinstance(first, protocol.DirectOpen):
            await direct_handover.serve(task, reader, writer)
            writer.close()
            return
        if task.writer is not None:   # the bootstrap is connected already
            writer.close()
            return
        if isinstance(first, protocol.Rejoin):   # a container taken over (reattach.py)
            if task.adopted is None:
                raise protocol.ProtocolError("it says Rejoin to a worker that did not take it over")
            reattach.rejoined(task, first)
        task.hello = first
        if isinstance(task.hello, protocol.Warm):
            task.writer = writer
            task.warm_at = time.time()
            await task.assigned.wait()
            if task.a is None:   # stopped before it got a function
                writer.close()
                return
            t_load = time.time()
            try:
                spec, files = await code_files(task.agent, task.a.definition)
            except Exception as exc:   # e.g. the code's mount could not be fetched
                task._end(writer, f"could not load the function's code into a warm container: {exc}")
                return
            task._write(protocol.Load(spec, files, task.container_id, dict(task.a.definition.secret_env)))
            task.hello = await protocol.read_message(reader)
            task._load_s = time.time() - t_load
        if not isinstance(task.hello, (protocol.Hello, protocol.Rejoin)):
            raise protocol.ProtocolError(f"its first frame is {type(task.hello).__name__}, not Hello")
    except protocol.ProtocolError as exc:
        task._end(writer, f"container could not start: {exc}")
        return
    except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
        writer.close()
        return
    task.writer = writer
    if task.stop_requested is not None:
        task._write(protocol.Stop())
    elif task.pending_inputs:
        task._send(task.pending_inputs)
        task.pending_inputs = []
    task.connected.set()
    try:
        while True:
            msg = await protocol.read_message(reader)
            if isinstance(msg, protocol.Outputs):
                if None in msg.data:   # data streamed as a blob: its id instead
                    await task.relay.resolve(msg)
                forward_outputs(task, msg)
            elif isinstance(msg, protocol.Log):
                task.logs.log_frame(msg)
            elif isinstance(msg, protocol.Blob):
                await task.relay.chunk(msg.input_id, msg.data)
            elif isinstance(msg, protocol.BlobAbort):
                task.relay.abort(msg.input_id)
            elif type(msg) not in protocol.FROM_CONTAINER:
                raise protocol.ProtocolError(f"it sent {type(msg).__name__}, which only a worker sends")
    except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
        pass   # cancelled: the worker stops (the stream's callback would print the cancellation otherwise)
    except protocol.ProtocolError as exc:   # it ends, never the worker
        log.warning("container %s sent a frame the worker cannot read: %s", task.container_id, exc)
        task._end(writer, f"container sent a frame its worker cannot read: {exc}")
    except Exception:  # a bug handling a frame ends this container, never the worker
        log.exception("container %s sent a frame the worker could not handle", task.container_id)
        task._end(writer, "")
    finally:
        writer.close()
        task.relay.close()


def forward_outputs(task: "ContainerTask", outputs: protocol.Outputs) -> None:
    task.logs.flush()   # what it printed, and what of that was dropped, goes before its outputs
    if task.timer is not None:
        for iid, status in zip(outputs.input_ids, outputs.statuses):
            if status != protocol.STATUS_GENERATOR_ITEM:
                task.timer.finished(iid)
    for input_id, status in zip(outputs.input_ids, outputs.statuses):
        if status != protocol.STATUS_GENERATOR_ITEM:
            task.held.pop(input_id, None)
    statuses = outputs.statuses
    if not STATUSES.issuperset(statuses):
        statuses = [s if s in STATUSES else INTERNAL_FAILURE for s in statuses]
    task.agent.results(Results(task.container_id, outputs.input_ids, outputs.attempts, statuses, outputs.data,
                               outputs.gen_indexes, outputs.messages, outputs.busy_s))
