"""WorkerConnect (a worker's one stream, both ways), worker tokens and the worker list."""

from __future__ import annotations

import asyncio
import functools
import logging

import grpc

from ..._shared.aio import queue_items
from ..._wire import api_pb2 as pb
from ..auth import WORKER
from .. import views
from ..errors import Invalid
from ..model import LogsStored
from ..reconcile import rejoin
from ..store import Store
from . import convert, refusals_as_status

log = logging.getLogger("leveret.server")



class WorkersApi:
    """Mixed into the servicer (service.py)."""

    async def WorkerConnect(self, request_iterator, context):
        caller = self.tokens.caller(context)
        token_id = caller[1] if caller is not None and caller[0] == WORKER else ""
        first = await anext(request_iterator, None)
        if first is None or first.WhichOneof("msg") != "register":
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "a worker's first message must register it")
        info = convert.worker_info(first.register)
        reuse, previous = rejoin(self.d, info, token_id)   # a reconnect keeps its id, its old stream ends
        if token_id and (other := self.d.registry.with_token(token_id)) is not None:
            await context.abort(grpc.StatusCode.ALREADY_EXISTS,
                                f"worker token {token_id} is in use by {other.worker_id}: make one token per"
                                " worker with `leveret token create`")
        outbox: asyncio.Queue = asyncio.Queue()
        worker = self.d.registry.add(info, outbox, token_id=token_id, worker_id=reuse, previous=previous)
        worker.address = _peer_host(context.peer() or "")
        reader = asyncio.get_running_loop().create_task(self._read_worker(worker, request_iterator))
        reader.add_done_callback(lambda _: outbox.put_nowait(None))
        try:   # (written with context.write: grpc's consumer of a response generator adds a hop per message)
            await context.write(pb.ServerToWorker(worker_id=worker.worker_id))
            await context.write(pb.ServerToWorker(heartbeat_s=self.d.heartbeat_s))
            if self.direct is not None:
                await context.write(pb.ServerToWorker(direct_port=self.direct_address()))
            if self.d.chunks is not None:
                await context.write(pb.ServerToWorker(chunk_store=pb.ChunkStore(directory=self.d.chunks.dir,
                                                                                store_id=self.d.chunks.store_id)))
            to_worker = convert.to_worker
            async for command in queue_items(outbox):   # the Dispatcher's commands (model.py)
                await context.write(to_worker(command))
        finally:
            reader.cancel()
            self.d.registry.stream_ended(worker)

    async def WorkerTokenCreate(self, request, context):
        async with refusals_as_status(context):
            if request.proxy and request.scope:
                raise Invalid("a proxy token has no scope: it opens web functions only; drop one of the two")
            token_id, token = await self.tokens.create(
                request.name or ("proxy" if request.proxy else "user" if request.scope else "worker"),
                proxy=request.proxy, scope=request.scope)
        return pb.WorkerTokenCreateResponse(token_id=token_id, token=token)

    async def WorkerTokenList(self, request, context):
        return pb.WorkerTokenListResponse(tokens=[
            pb.WorkerTokenInfo(token_id=t["id"], name=t["name"], created_at=t["created_at"],
                               revoked_at=t["revoked_at"] or 0.0, scope=t["scope"],
                               connected_worker_id=getattr(self.d.registry.with_token(t["id"]), "worker_id", ""))
            for t in await self.reads.run(Store.worker_tokens)])

    async def WorkerTokenRevoke(self, request, context):
        if not await self.tokens.revoke(request.token_id):
            await context.abort(grpc.StatusCode.NOT_FOUND, f"no token {request.token_id} in use: `leveret token list`")
        worker = self.d.registry.with_token(request.token_id)
        if worker is not None:
            self.d.registry.mark_down(worker, "its token was revoked")
        return pb.WorkerTokenRevokeResponse(disconnected_worker_id=worker.worker_id if worker else "")

    async def DashboardLink(self, request, context):
        return pb.DashboardLinkResponse(http_url=self.http_url, code=self.tokens.login_code(context))

    async def TokenFlowCreate(self, request, context):
        async with refusals_as_status(context):
            flow, secret = self.tokens.flows.create(request.name)
        return pb.TokenFlowCreateResponse(flow_id=flow.flow_id, wait_secret=secret, code=flow.code,
                                          web_url=f"{self.http_url}/token-flow/{flow.flow_id}")

    async def TokenFlowWait(self, request, context):
        async with refusals_as_status(context):
            found = await self.tokens.flows.wait(request.flow_id, request.wait_secret,
                                                 min(max(request.timeout_s, 0.0), 60.0))
        if found is None:
            return pb.TokenFlowWaitResponse(timed_out=True)
        token_id, token, scope = found
        return pb.TokenFlowWaitResponse(token_id=token_id, token=token, scope=scope)

    async def WorkerList(self, request, context):
        return pb.WorkerListResponse(workers=[
            pb.WorkerState(worker_id=w.worker_id, info=convert.worker_info_message(self.d.workers[w.worker_id].info),
                           token_id=w.token_id, last_seen_s=w.last_seen_s, containers=w.containers,
                           cpu_reserved=w.cpu_reserved, memory_reserved_mb=w.memory_reserved_mb,
                           gpus_reserved=w.gpus_reserved)
            for w in views.workers(self.d, self.d.clock.time())])

    async def _read_worker(self, worker, request_iterator) -> None:
        d = self.d
        async for msg in request_iterator:
            if worker.down:
                return   # marked down (silent past its lease): what it sends now is dropped
            d.registry.heard_from(worker)
            kind = msg.WhichOneof("msg")
            try:
                if kind == "results":
                    d.on_results(convert.results(msg.results), worker)
                elif kind == "logs":
                    told = functools.partial(worker.outbox.put_nowait, LogsStored(1))
                    try:
                        stored = self.logs.add(convert.log_rows(msg.logs))
                    except Exception:
                        told()   # a bad batch is dropped: the worker may send its next
                        raise
                    # the worker sends more once a batch is stored: its backlog waits there, bounded
                    stored.add_done_callback(lambda _, told=told: told())
                elif kind == "event":
                    event = convert.container_event(msg.event)
                    if event is not None:
                        d.placement.on_event(event, worker=worker)
                elif kind == "exec_output":
                    exec_id, out = convert.exec_output(msg.exec_output)
                    if not d.sandboxes.output(exec_id, out, worker):
                        d.execs.output(exec_id, out, worker)
                elif kind == "snapshot_done":
                    d.sandboxes.snapshot_done(convert.snapshot_done(msg.snapshot_done), worker)
                elif kind == "mount_done":
                    d.sandboxes.mount_done(convert.mount_done(msg.mount_done), worker)
                elif kind == "usage":
                    d.placement.on_usage(convert.usage(msg.usage), worker, d.clock.time())
            except Exception:  # a bug handling one message must not cut the worker off
                log.exception("could not handle a worker's %s message", kind)


def _peer_host(peer: str) -> str:
    """The address of gRPC's peer string ("ipv4:10.0.0.3:5123", "ipv6:[::1]:5123"); "" for others."""
    kind, _, rest = peer.partition(":")
    if kind == "ipv4":
        return rest.rpartition(":")[0]
    if kind == "ipv6":
        return rest.rpartition(":")[0].strip("[]")
    return ""
