"""Workers: joining (and rejoining: reconcile.py), the tokens that let them, being marked down when
silent past their lease, and leaving — what they ran counts as lost and runs elsewhere."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from .._shared.ids import new_id
from . import reconcile
from .model import ContainerEvent, ContainerState, Disconnect, WorkerInfo
from .state import WorkerConn
from .store import Store

if TYPE_CHECKING:
    from .dispatch import Dispatcher

log = logging.getLogger("leveret.server")


class WorkerRegistry:
    def __init__(self, dispatcher: "Dispatcher"):
        self.d = dispatcher

    def add(self, info: WorkerInfo, outbox: asyncio.Queue, *, token_id: str = "", worker_id: str = "",
            previous: WorkerConn | None = None) -> WorkerConn:
        """A worker joins (``worker_id``: one reconnecting under its earlier id; ``previous``: what the
        server kept of it while it was away); the containers it says it still runs are kept or
        stopped (reconcile.py) before anything is placed on it."""
        worker = WorkerConn(worker_id or new_id("wk"), info, outbox, token_id=token_id, last_seen=self.d.clock.time())
        self.d.writes.add(Store.add_worker, worker.worker_id, info.hostname, info.runtime,
                          {"cpu": info.cpu, "memory_mb": info.memory_mb, "max_containers": info.max_containers})
        self.d.workers[worker.worker_id] = worker
        reconcile.adopt(self.d, worker, info.containers, previous)
        for fn in list(self.d.functions.values()):
            self.d.placement.autoscale(fn, self.d.clock.time())
        return worker

    def heard_from(self, worker: WorkerConn) -> None:
        """A message from the worker (a heartbeat is one): its lease starts again."""
        worker.last_seen = self.d.clock.time()

    def with_token(self, token_id: str) -> WorkerConn | None:
        return next((w for w in self.d.workers.values() if w.token_id == token_id), None)

    def may_read_blob(self, token_id: str, blob_id: str) -> bool:
        """Whether ``blob_id`` holds the arguments of an input sent to a container of the worker holding ``token_id``."""
        worker = self.with_token(token_id)
        return worker is not None and any(   # or a snapshot its containers' images are built on (or mount)
            r.args_blob == blob_id for ct in worker.containers for r in ct.outstanding.values()) or any(
            blob_id in ct.function.spec.image or (ct.function.sandbox is not None and any(
                blob_id in image for image in ct.function.sandbox.mounted.values()))
            for ct in worker.containers)

    def may_read_mount(self, token_id: str, mount_id: str) -> bool:
        """Whether a container assigned to the worker holding ``token_id`` runs code from ``mount_id``."""
        worker = self.with_token(token_id)
        return worker is not None and any(
            mount_id == ct.function.spec.mount_id or mount_id in ct.function.spec.image
            for ct in worker.containers)

    def mark_down(self, worker: WorkerConn, why: str) -> None:
        """A worker that went silent (or lost its token): its containers count as lost and their inputs
        run elsewhere; its stream is ended, and any result it still sends is dropped."""
        if worker.down:
            return
        worker.down = True
        log.warning("worker %s marked down: %s", worker.worker_id, why)
        for app_id in {ct.function.app_id for ct in worker.containers}:
            self.d.logs.system(app_id, "", "", f"worker {worker.worker_id} marked down: {why}; its inputs run elsewhere")
        reconcile.note_end(self.d.ended, worker.worker_id, f"marked down: {why}")
        worker.outbox.put_nowait(Disconnect(self.d.ended[worker.worker_id]))
        worker.outbox.put_nowait(None)
        self.remove(worker)

    def stream_ended(self, worker: WorkerConn) -> None:
        """Its stream ended, not by the server's doing. A worker that takes its containers over when
        it restarts (info.reattach) may be back within its lease, restarted or reconnected: its
        containers running inputs then wait for it, in doubt (nothing more is sent to them; their
        inputs' attempts stand), and the rest end as lost. Past its lease (or for another worker,
        at once) all of them count as lost (remove)."""
        if self.d.workers.get(worker.worker_id) is not worker or worker.down:
            return
        if not worker.info.reattach:
            self.remove(worker)
            return
        if worker.away_since is not None:
            return
        worker.away_since = self.d.clock.time()
        worker.healthy = False   # nothing new is placed on it
        gone, worker.outbox = worker.outbox, asyncio.Queue()   # nobody reads this one: what goes there is lost
        gone.put_nowait(None)   # (its stream's end, if the server had not seen it yet)
        self.d.execs.worker_lost(worker)
        self.d.sandboxes.worker_lost(worker)
        doubt = 0
        for ct in list(worker.containers):
            if ct.ready and ct.outstanding and ct.function.sandbox is None:
                doubt += 1
                continue
            self.d.placement.on_event(ContainerEvent(ct.container_id, ContainerState.FAILED, exit_code=-1,
                                                     message=f"worker {worker.worker_id} disconnected"), worker_lost=True)
        log.warning("worker %s: its stream ended; %d container(s) running inputs wait for it to come back (lease %g s)",
                    worker.worker_id, doubt, self.d.worker_lease_s)

    def remove(self, worker: WorkerConn) -> None:
        """A worker disconnected: its containers are gone with it."""
        if self.d.workers.get(worker.worker_id) is not worker:
            return
        worker.down = True
        self.d.workers.pop(worker.worker_id, None)
        self.d.execs.worker_lost(worker)
        self.d.sandboxes.worker_lost(worker)
        self.d.writes.add(Store.worker_disconnected, worker.worker_id)
        for ct in list(worker.containers):
            self.d.placement.on_event(ContainerEvent(ct.container_id, ContainerState.FAILED, exit_code=-1,
                                                     message=f"worker {worker.worker_id} disconnected"), worker_lost=True)
