"""Calls: FunctionRemote (one stream per client, its ``.remote()`` calls multiplexed), FunctionMap
(a stream per ``.map()``), FunctionSpawn, FunctionCallGet, FunctionCallCancel, FunctionCallGraph
(the tree of calls made under a call, from the store).

A client names its calls (an ``fc-`` id it chose), so a request sent again after a reconnect finds
the call it made: a ``.remote()`` gets its result, a ``.spawn()`` its id, a ``.map()`` carries on
from the outputs it has and the inputs the server has stored. Outputs go to a map's client only
once they are stored, and ``acked`` counts inputs stored, so both sides agree on positions after a
server restart. A call whose stream ends without its result waits for its client a while
(``Dispatcher.detach``), then is cancelled.
"""

from __future__ import annotations

import asyncio

import grpc

from ..._shared.ids import KINDS
from ..._shared.aio import queue_items
from ..._wire import api_pb2 as pb
from ..._shared.status import FINAL
from .. import scope
from ..calls import CallState
from ..errors import NotFound
from ..model import Input, Output
from ..store import Store
from ..store.calls import CallGraphTooBig
from .convert import add_outputs, inputs as wire_inputs, set_output

RESPONSE_BYTES = 4 * 1024 * 1024   # data per outputs response, well under the message limit


def fitting(outputs: list, start: int, end: int | None = None) -> list:
    """The outputs from ``start`` (to ``end``) that fit in one response: at most RESPONSE_BYTES of
    data (but at least one); the reader asks again for the rest."""
    end = len(outputs) if end is None else end
    size, stop = 0, start
    while stop < end and (stop == start or size + len(outputs[stop].data) <= RESPONSE_BYTES):
        size += len(outputs[stop].data)
        stop += 1
    return outputs[start:stop]


def _bad_map_inputs(inputs: list[Input], expected_idx: int) -> str:
    """Why a FunctionMap message's inputs are wrong, or '' (they must be numbered 0, 1, 2, ... in order)."""
    for n, (idx, _, _) in enumerate(inputs, expected_idx):
        if idx != n:
            return f"map input number {n} arrived with idx={idx}: number inputs 0, 1, 2, ... in order"
    return ""


def _remote_response(tag: int, call_id: str, output: Output) -> pb.FunctionRemoteResponse:
    resp = pb.FunctionRemoteResponse(tag=tag, call_id=call_id)
    set_output(resp.output, output)
    return resp


def _map_response(call_id: str, outputs: list[Output], acked: int) -> pb.FunctionMapResponse:
    resp = pb.FunctionMapResponse(call_id=call_id, acked=acked)
    add_outputs(resp.outputs, outputs)
    return resp


def _get_response(outputs: list[Output], done: bool) -> pb.FunctionCallGetResponse:
    resp = pb.FunctionCallGetResponse(done=done)
    add_outputs(resp.outputs, outputs)
    return resp


def _bad_call_id(call_id: str) -> str:
    if call_id and (not call_id.startswith("fc-") or len(call_id) < 6 or len(call_id) > 64):
        return f"{call_id!r} is not a {KINDS['fc']} id: they look like 'fc-1a2b3c4d5e6f7a8b'"
    return ""


class CallsApi:
    """Mixed into the servicer: needs ``self.d`` (the Dispatcher), ``self.reads`` (the store's reader) and
    ``self.tokens`` (who calls: a container's token reaches only what scope.py allows)."""

    async def _call(self, function_id: str, kind: str, inputs, total, call_id: str,
                    container_id: str = "", parent: str = "") -> CallState | str:
        """The call ``call_id`` if the server holds it (a request sent again), else a new one; a
        string says why there is none (its function is not running). Waits for nothing but to
        find a function not running here in the store (a deployed version replaced since).
        ``container_id``: the container whose token asks (OutOfScope if the function is beyond it),
        and ``parent`` the input whose code asks, if it runs there (the call is cancelled with it)."""
        if call_id:
            call = self.d.calls.get(call_id)
            if call is not None:
                scope.check_function(self.d, container_id, self.d.functions[call.function_id])
                self.d.reattach(call)
                return call
        try:
            fn = self.d.functions.get(function_id) or await self.d.find_function(function_id)
            scope.check_function(self.d, container_id, fn)
            parent = scope.parent_input(self.d, container_id, parent)
            scope.check_self_call(self.d, fn, parent)
            return self.d.new_call(fn.function_id, kind, inputs, total, call_id, parent_input=parent)
        except NotFound as exc:
            return exc.message

    async def _readable_call(self, call_id: str, container_id: str, context) -> CallState | None:
        """The call ``call_id`` if the server holds it, after checking a container's token reaches it
        (a stored call is read only with the server's token: a container's sees held calls only)."""
        call = self.d.calls.get(call_id)
        try:
            if call is not None:
                scope.check_function(self.d, container_id, self.d.functions[call.function_id])
            elif container_id:
                raise scope.OutOfScope(f"function call {call_id} is not running here: a container reads the"
                                       " calls the server holds (its app's, or deployed functions')")
        except scope.OutOfScope as exc:
            await context.abort(grpc.StatusCode.PERMISSION_DENIED, exc.message)
        return call

    async def _stored_outputs(self, call_id: str) -> tuple[list, bool] | None:
        """A call the server no longer holds, from the store: (its outputs, done), or None."""
        found = await self.reads.run(_stored_call, call_id)
        if found is None:
            return None
        total, rows = found
        outs = [Output(*r) for r in rows]
        return outs, total is not None and sum(1 for o in outs if o.status in FINAL) >= total

    async def FunctionRemote(self, request_iterator, context):
        outbox: asyncio.Queue = asyncio.Queue()
        calls: dict[int, CallState] = {}
        container_id = self.tokens.container_of(context)

        def answer(call: CallState, tag: int) -> None:
            if calls.pop(tag, None) is not None:
                outbox.put_nowait(_remote_response(tag, call.call_id, call.outputs[0]))

        async def read() -> None:
            async for req in request_iterator:
                if req.cancel:
                    call = calls.pop(req.tag, None)
                    if call is not None:
                        self.d.cancel_call(call, "cancelled by its client")
                    continue
                why = _bad_call_id(req.call_id)
                if not why and req.again and req.call_id not in self.d.calls:
                    stored = await self._stored_outputs(req.call_id)
                    if stored is not None:   # it finished, or its app stopped, while the client was away
                        outs, _ = stored
                        why = "" if outs else f"call {req.call_id} did not finish: its app was stopped first"
                        if outs:
                            outbox.put_nowait(_remote_response(req.tag, req.call_id, outs[0]))
                            continue
                try:
                    call = why or await self._call(req.function_id, "remote", wire_inputs((req.input,)), 1,
                                                   req.call_id, container_id, req.parent_input_id)
                except scope.OutOfScope as exc:
                    outbox.put_nowait(pb.FunctionRemoteResponse(tag=req.tag, refused=exc.message))
                    continue
                except scope.WouldWaitForever as exc:
                    outbox.put_nowait(pb.FunctionRemoteResponse(tag=req.tag, invalid=exc.message))
                    continue
                if isinstance(call, str):
                    outbox.put_nowait(pb.FunctionRemoteResponse(tag=req.tag, not_found=call))
                    continue
                calls[req.tag] = call
                if call.outputs:
                    answer(call, req.tag)
                else:
                    call.on_output = lambda c, tag=req.tag: answer(c, tag)

        reader = asyncio.get_running_loop().create_task(read())
        reader.add_done_callback(lambda _: outbox.put_nowait(None))
        try:
            async for msg in queue_items(outbox):
                yield msg
        finally:
            reader.cancel()
            for call in list(calls.values()):
                self.d.detach(call)   # its client may come back (a reconnect); if not, it is cancelled

    async def FunctionMap(self, request_iterator, context):
        first = await anext(request_iterator, None)
        if first is None:
            return
        bad = _bad_call_id(first.call_id)
        if bad:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, bad)
        container_id = self.tokens.container_of(context)
        if first.resume:
            call = await self._readable_call(first.call_id, container_id, context)
            if call is None:
                async for resp in self._stored_map(first.call_id, first.from_output, context):
                    yield resp
                return
            self.d.reattach(call)
            expected = call.sent
        else:
            expected = 0
        inputs = wire_inputs(first.inputs)
        bad = _bad_map_inputs(inputs, expected)
        if bad:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, bad)
        if not first.resume:
            try:
                call = await self._call(first.function_id, "spawn_map" if first.spawn else "map", inputs,
                                        first.total if first.last else None, first.call_id, container_id,
                                        first.parent_input_id)
            except scope.OutOfScope as exc:
                await context.abort(grpc.StatusCode.PERMISSION_DENIED, exc.message)
            except scope.WouldWaitForever as exc:
                await context.abort(grpc.StatusCode.FAILED_PRECONDITION, exc.message)
            if isinstance(call, str):
                await context.abort(grpc.StatusCode.NOT_FOUND, call)
        reader = asyncio.get_running_loop().create_task(
            self._read_map_inputs(call, first, inputs, request_iterator, first.resume))
        reader.add_done_callback(lambda _: call.wake())
        sent = first.from_output if first.resume else 0
        acked = -1
        try:
            while True:
                if len(call.outputs) <= sent and call.sent == acked and not call.done:
                    await call.wait_change()
                if reader.done() and not reader.cancelled() and reader.exception() is not None:
                    await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(reader.exception()))
                stored_inputs, known_outputs = call.sent, len(call.outputs)
                await self.d.writes.durable()   # what is told below is stored: a restart keeps it
                outs = fitting(call.outputs, sent, known_outputs) if known_outputs > sent else []
                sent += len(outs)
                if outs or stored_inputs != acked:
                    acked = stored_inputs
                    yield _map_response(call.call_id, outs, acked)
                if call.done and sent >= len(call.outputs):
                    break
        except BaseException:
            if reader.done() and not reader.cancelled() and reader.exception() is not None:
                self.d.cancel_call(call, "its client sent a bad request")
            else:
                self.d.detach(call)   # its client may come back (a reconnect); if not, it is cancelled
            raise
        finally:
            reader.cancel()

    async def _stored_map(self, call_id: str, from_output: int, context):
        """A map resumed after the server let go of it: its stored outputs, if it finished."""
        stored = await self._stored_outputs(call_id)
        if stored is None or not stored[1]:
            await context.abort(grpc.StatusCode.NOT_FOUND, f"call {call_id} is gone: its app was stopped while"
                                                           " its client was away (the server restarted without it)")
        outs, _ = stored
        while from_output < len(outs):
            page = fitting(outs, from_output)
            from_output += len(page)
            yield _map_response(call_id, page, len(outs))

    async def _read_map_inputs(self, call: CallState, first, first_inputs: list[Input], request_iterator,
                               resumed: bool) -> None:
        req = first
        while True:
            if req is not first or resumed:
                inputs = first_inputs if req is first else wire_inputs(req.inputs)
                bad = _bad_map_inputs(inputs, call.sent)
                if bad:
                    raise ValueError(bad)
                if inputs:
                    self.d.add_inputs(call, inputs)
                    call.wake()   # its acknowledgement goes out once they are stored
            if req.last:
                if req.total != call.sent:
                    raise ValueError(f"map request says total={req.total} but sent {call.sent} inputs")
                if call.total is None:
                    self.d.finish_inputs(call, req.total)
                return
            req = await anext(request_iterator, None)
            if req is None:
                raise ValueError("map request stream ended without its last message")

    async def FunctionSpawn(self, request, context):
        bad = _bad_call_id(request.call_id)
        if bad:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, bad)
        if (request.again and request.call_id not in self.d.calls
                and await self.reads.run(Store.get_call, request.call_id)):
            return pb.FunctionSpawnResponse(call_id=request.call_id)   # stored before the client lost the answer
        try:
            call = await self._call(request.function_id, "spawn", wire_inputs((request.input,)), 1, request.call_id,
                                    self.tokens.container_of(context), request.parent_input_id)
        except scope.OutOfScope as exc:
            await context.abort(grpc.StatusCode.PERMISSION_DENIED, exc.message)
        except scope.WouldWaitForever as exc:
            await context.abort(grpc.StatusCode.FAILED_PRECONDITION, exc.message)
        if isinstance(call, str):
            await context.abort(grpc.StatusCode.NOT_FOUND, call)
        await self.d.writes.durable()
        return pb.FunctionSpawnResponse(call_id=call.call_id)

    async def FunctionCallGet(self, request, context):
        call = await self._readable_call(request.call_id, self.tokens.container_of(context), context)
        timeout = None if request.timeout_s < 0 else request.timeout_s
        if call is not None:
            if not await call.wait_beyond(request.from_index, timeout):
                return pb.FunctionCallGetResponse(timed_out=True)
            outs = fitting(call.outputs, request.from_index)
            return _get_response(outs, call.done and request.from_index + len(outs) >= len(call.outputs))
        stored = await self._stored_outputs(request.call_id)
        if stored is None:
            await context.abort(grpc.StatusCode.NOT_FOUND, self.pruned_call(request.call_id))
        outs, done = stored
        if len(outs) <= request.from_index and not done:
            await context.abort(grpc.StatusCode.NOT_FOUND,
                                f"function call {request.call_id} did not finish: its app was stopped first")
        page = fitting(outs, request.from_index)
        return _get_response(page, done and request.from_index + len(page) >= len(outs))

    async def FunctionCallCancel(self, request, context):
        call = await self._readable_call(request.call_id, self.tokens.container_of(context), context)
        if call is None and await self._stored_outputs(request.call_id) is None:   # a finished one: nothing to do
            await context.abort(grpc.StatusCode.NOT_FOUND, self.pruned_call(request.call_id))
        n = 0 if call is None else self.d.cancel_call(call, "cancelled by a client",
                                                      terminate_containers=request.terminate_containers)
        return pb.FunctionCallCancelResponse(cancelled_inputs=n)

    async def FunctionCallGraph(self, request, context):
        await self._readable_call(request.call_id, self.tokens.container_of(context), context)
        try:
            found = await self.reads.run(_call_graph, request.call_id)
        except CallGraphTooBig as exc:
            await context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, f"{exc}: too many to return at once; ask for the"
                                " graph of a call further down (a child's FunctionCall.from_id(...).get_call_graph())")
        if found is None:
            await context.abort(grpc.StatusCode.NOT_FOUND, self.pruned_call(request.call_id))
        rows, definitions = found
        modules = {fid: pb.FunctionDefinition.FromString(d).module for fid, d in definitions.items()}
        return pb.FunctionCallGraphResponse(inputs=[pb.CallGraphInput(
            input_id=iid, call_id=cid, parent_input_id=parent if cid != request.call_id else "", function_id=fid,
            function_name=name, idx=idx, status=status, container_id=container, module_name=modules.get(fid, ""))
            for iid, cid, parent, fid, name, idx, status, container in rows])


def _call_graph(store: Store, call_id: str) -> tuple[list[tuple], dict[str, bytes]] | None:
    """A call's graph (Store.call_graph) and the definitions of the functions in it, or None."""
    rows = store.call_graph(call_id)
    if rows is None:
        return None
    definitions = {}
    for fid in {row[3] for row in rows}:
        found = store.get_function(fid)
        if found is not None:
            definitions[fid] = found[2]
    return rows, definitions


def _stored_call(store: Store, call_id: str) -> tuple[int | None, list[tuple]] | None:
    """(total, its outputs) of a stored call, or None."""
    row = store.get_call(call_id)
    return None if row is None else (row[2], store.get_outputs(call_id, 0))
