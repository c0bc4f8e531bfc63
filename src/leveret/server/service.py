"""gRPC handlers: thin translations between the wire and the Dispatcher."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from operator import itemgetter

import grpc

log = logging.getLogger("leveret.server")

from .._mounts import mount_id as mount_id_of
from .._utils.async_utils import queue_items
from .._wire import api_pb2 as pb
from .._wire import api_pb2_grpc
from . import views
from .api.blobs import BlobsApi
from .api.calls import CallsApi
from .api.containers import ContainersApi
from .api.functions import FunctionsApi
from .auth import WORKER, Tokens
from .dispatch import Dispatcher
from .logs import LogHub
from .reconcile import rejoin
from .retention import DEFAULT_CALL_RETENTION_S, gone
from .store import NO_FILTER, LogFilter
from .errors import NotFound

FOREVER = None
_APP_STATES = {"ephemeral": pb.APP_STATE_EPHEMERAL, "deploying": pb.APP_STATE_EPHEMERAL,
               "deployed": pb.APP_STATE_DEPLOYED, "draining": pb.APP_STATE_DEPLOYED, "stopped": pb.APP_STATE_STOPPED}


HISTORY_ROWS = 10_000             # stored lines read per query
RESPONSE_BYTES = 4 * 1024 * 1024  # text per LogsStreamResponse, well under the message limit


def _chunks(rows: list[tuple]) -> list[list[tuple]]:
    """Rows in groups of at most RESPONSE_BYTES of text (one longer line goes alone)."""
    if sum(map(len, map(itemgetter(7), rows))) <= RESPONSE_BYTES:
        return [rows] if rows else []
    chunks, chunk, size = [], [], 0
    for row in rows:
        n = len(row[7])
        if chunk and size + n > RESPONSE_BYTES:
            chunks.append(chunk)
            chunk, size = [], 0
        chunk.append(row)
        size += n
    if chunk:
        chunks.append(chunk)
    return chunks


def _log_responses(rows: list[tuple]) -> list[pb.LogsStreamResponse]:
    """Stored rows ``(seq, app_id, function_name, container_id, input_id, source, ts, text)``, or live
    ones with ``verbose`` behind, as replies."""
    return [pb.LogsStreamResponse(lines=[
        pb.LogLine(seq=r[0], app_id=r[1], function_name=r[2], container_id=r[3], input_id=r[4], source=r[5],
                   ts=r[6], text=r[7], verbose=len(r) > 8 and r[8]) for r in chunk]) for chunk in _chunks(rows)]


def _after(rows: list[tuple], seq: int) -> list[tuple]:
    """The rows (in seq order) numbered after ``seq``."""
    if not rows or rows[0][0] > seq:
        return rows
    return [r for r in rows if r[0] > seq]


async def _abort_not_found(context, what: str):
    await context.abort(grpc.StatusCode.NOT_FOUND, what)


class LeveretService(BlobsApi, CallsApi, ContainersApi, FunctionsApi, api_pb2_grpc.LeveretServicer):
    def __init__(self, dispatcher: Dispatcher, logs: LogHub, tokens: Tokens, *,
                 call_retention_s: float = DEFAULT_CALL_RETENTION_S):
        self.d = dispatcher
        self.call_retention_s = call_retention_s
        self.store = dispatcher.store
        self.logs = logs
        self.tokens = tokens

    def pruned_call(self, call_id: str) -> str:
        """Why a call is not in the store (CallsApi asks)."""
        return gone(call_id, self.call_retention_s)

    # ------------------------------------------------------------------ apps

    async def AppCreate(self, request, context):
        if not request.name:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "an app needs a name: App('my-app')")
        app_id, version = self.d.create_app(request.name, request.description, deploy=request.deploy)
        return pb.AppCreateResponse(app_id=app_id, version=version)

    async def AppPublish(self, request, context):
        try:
            version, replaced = self.d.deployments.publish(request.app_id, time.time())
        except NotFound as exc:
            await _abort_not_found(context, exc.message)
        return pb.AppPublishResponse(version=version, replaced_app_id=replaced)

    def _app_info(self, info: dict) -> pb.AppInfo:
        functions = views.function_names(self.d, info["id"])
        return pb.AppInfo(app_id=info["id"], name=info["name"], state=_APP_STATES.get(info["state"], pb.APP_STATE_STOPPED),
                          version=info["version"], description=info["description"], created_at=info["created_at"],
                          stopped_at=info["stopped_at"] or 0.0, stop_reason=info["stop_reason"] or "",
                          functions=functions, live=info["state"] == "deployed")

    async def AppList(self, request, context):
        return pb.AppListResponse(apps=[self._app_info(a) for a in self.store.list_apps(include_stopped=request.all)])

    async def AppHistory(self, request, context):
        versions = self.store.app_versions(request.name)
        if not versions:
            await _abort_not_found(context, f"no deployed app named {request.name!r}: `leveret app list` shows the apps")
        return pb.AppHistoryResponse(versions=[self._app_info(v) for v in versions])

    async def AppRollback(self, request, context):
        try:
            app_id, version, source = self.d.deployments.rollback(request.name, request.version, time.time())
        except NotFound as exc:
            await _abort_not_found(context, exc.message)
        return pb.AppRollbackResponse(app_id=app_id, version=version, from_version=source)

    async def AppStop(self, request, context):
        n = self.d.stop_app(request.app_id, request.reason or "stopped by its client")
        return pb.AppStopResponse(cancelled_inputs=n)

    async def AppHeartbeat(self, request, context):
        try:
            self.d.heartbeat(request.app_id)
        except NotFound as exc:
            await _abort_not_found(context, exc.message)
        return pb.AppHeartbeatResponse()

    async def AppLookup(self, request, context):
        if request.name_or_id.startswith("ct-"):   # a container's app (leveret container logs)
            ct = self.store.get_container(request.name_or_id)
            fn = self.store.get_function(ct["function_id"]) if ct else None
            if fn is None:
                await _abort_not_found(context, f"no container {request.name_or_id}: `leveret container list`")
            request = pb.AppLookupRequest(name_or_id=fn[0])
        live = self.d.find_live_app(request.name_or_id)
        app = {"id": live.app_id, "name": live.name, "state": live.state} if live is not None else \
            self.store.find_app(request.name_or_id)
        if app is None:
            await _abort_not_found(context, f"no app named {request.name_or_id!r}: `leveret run FILE` or"
                                            " `leveret deploy FILE` creates one")
        return pb.AppLookupResponse(app_id=app["id"], name=app["name"],
                                    state=_APP_STATES.get(app["state"], pb.APP_STATE_STOPPED))

    # ------------------------------------------------------------------ mounts

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
            await _abort_not_found(context, f"no mount {request.mount_id}")
        return pb.MountGetResponse(files=[
            pb.MountFile(path=f["path"], sha256=f["sha256"], mode=f["mode"], content=self.store.get_blob(f["sha256"]))
            for f in files
        ])

    # ------------------------------------------------------------------ logs

    async def LogsStream(self, request, context):
        app = self.store.get_app(request.app_id)
        if app is None:
            await _abort_not_found(context, f"no app {request.app_id}")
        flt = LogFilter(function_name=request.function_name, container_id=request.container_id,
                        since=request.since or None, until=request.until or None, search=request.search)
        live = request.follow and request.app_id in self.d.apps
        q = self.logs.follow(request.app_id) if live else None
        try:
            last = request.after_seq
            if request.history:
                if request.tail:
                    rows = self.store.tail_logs(request.app_id, request.tail, flt)
                    rows = [r for r in rows if r[0] > last]
                    # what the tail left out is older than it: following starts after the newest line
                    last = max(last, self.store.last_log_seq()) if q is not None else last
                    for resp in _log_responses(rows):
                        yield resp
                else:
                    while True:
                        rows = self.store.get_logs(request.app_id, last, HISTORY_ROWS, flt)
                        if not rows:
                            break
                        last = rows[-1][0]
                        for resp in _log_responses(rows):
                            yield resp
            if q is None:
                yield pb.LogsStreamResponse(app_done=True)
                return
            yield pb.LogsStreamResponse()  # tells the reader it is following from here on
            while True:
                rows = await q.get()
                done = rows is None
                fresh = [] if done else _after(rows, last)
                while not done and not q.empty():
                    more = q.get_nowait()
                    if more is None:
                        done = True
                    else:
                        fresh = fresh + _after(more, last)   # not +=: the hub's lists are shared
                if fresh:
                    last = fresh[-1][0]
                    if flt != NO_FILTER:
                        fresh = [r for r in fresh if flt.matches(r[2], r[3], r[6], r[7])]
                for resp in _log_responses(fresh):
                    yield resp
                if done:
                    yield pb.LogsStreamResponse(app_done=True)
                    return
        finally:
            if q is not None:
                self.logs.unfollow(request.app_id, q)

    # ------------------------------------------------------------------ workers

    async def WorkerConnect(self, request_iterator, context):
        caller = self.tokens.caller(context)
        token_id = caller[1] if caller is not None and caller[0] == WORKER else ""
        first = await anext(request_iterator, None)
        if first is None or first.WhichOneof("msg") != "register":
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "a worker's first message must register it")
        reuse = rejoin(self.d, first.register, token_id)   # a reconnect keeps its id, its old stream ends
        if token_id and (other := self.d.registry.with_token(token_id)) is not None:
            await context.abort(grpc.StatusCode.ALREADY_EXISTS,
                                f"worker token {token_id} is in use by {other.worker_id}: make one token per"
                                " worker with `leveret token create`")
        outbox: asyncio.Queue = asyncio.Queue()
        worker = self.d.registry.add(first.register, outbox, token_id=token_id, worker_id=reuse)
        reader = asyncio.get_running_loop().create_task(self._read_worker(worker, request_iterator))
        reader.add_done_callback(lambda _: outbox.put_nowait(None))
        try:
            yield pb.ServerToWorker(worker_id=worker.worker_id)
            yield pb.ServerToWorker(heartbeat_s=self.d.heartbeat_s)
            async for msg in queue_items(outbox):
                yield msg
        finally:
            reader.cancel()
            self.d.registry.remove(worker)

    async def WorkerTokenCreate(self, request, context):
        token_id, token = self.tokens.create(request.name or "worker")
        return pb.WorkerTokenCreateResponse(token_id=token_id, token=token)

    async def WorkerTokenList(self, request, context):
        return pb.WorkerTokenListResponse(tokens=[
            pb.WorkerTokenInfo(token_id=t["id"], name=t["name"], created_at=t["created_at"],
                               revoked_at=t["revoked_at"] or 0.0,
                               connected_worker_id=getattr(self.d.registry.with_token(t["id"]), "worker_id", ""))
            for t in self.store.worker_tokens()])

    async def WorkerTokenRevoke(self, request, context):
        if not self.tokens.revoke(request.token_id):
            await _abort_not_found(context, f"no worker token {request.token_id} in use: `leveret token list`")
        worker = self.d.registry.with_token(request.token_id)
        if worker is not None:
            self.d.registry.mark_down(worker, "its token was revoked")
        return pb.WorkerTokenRevokeResponse(disconnected_worker_id=worker.worker_id if worker else "")

    async def WorkerList(self, request, context):
        now = time.time()
        return pb.WorkerListResponse(workers=[
            pb.WorkerState(worker_id=w.worker_id, info=w.info, token_id=w.token_id, last_seen_s=now - w.last_seen,
                           containers=len(w.containers), cpu_reserved=w.allocated.cpu,
                           memory_reserved_mb=w.allocated.memory_mb)
            for w in self.d.workers.values()])

    async def _read_worker(self, worker, request_iterator) -> None:
        d = self.d
        async for msg in request_iterator:
            if worker.down:
                return   # marked down (silent past its lease): what it sends now is dropped
            worker.last_seen = time.time()
            kind = msg.WhichOneof("msg")
            try:
                if kind == "results":
                    d.on_results(msg.results, worker)
                elif kind == "logs":
                    try:
                        self.logs.add_batch(msg.logs)
                    finally:   # the worker sends more as batches are stored: its backlog waits there, bounded
                        worker.outbox.put_nowait(pb.ServerToWorker(logs_stored=1))
                elif kind == "event":
                    d.placement.on_event(msg.event, worker=worker)
                elif kind == "exec_output":
                    d.execs.output(msg.exec_output, worker)
                elif kind == "usage":
                    d.placement.on_usage(msg.usage, worker, time.time())
            except Exception:  # a bug handling one message must not cut the worker off
                log.exception("could not handle a worker's %s message", kind)
