"""A reconnecting worker's containers: which the server keeps and which it stops.

    worker ─register: the containers it still runs (id, function, app, ready), its previous id─▶
        WorkerConnect ─▶ Dispatcher.add_worker ─▶ adopt ─▶ decide (pure)
            kept: ready, idle containers of their function again, their resources counted on
                  the worker; queued inputs go to them at once
            the rest: a StopContainer each, with the reason
        ─▶ Reconciled (kept, stopped) to the worker, after its worker_id

When its link broke, the server already gave the inputs those containers ran back to the queue
(or failed them, by the usual rules); a late result of one of those attempts is dropped, as any
result of an attempt given up on. A worker's warm containers (no function yet) are not reported:
they stay its own.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import TYPE_CHECKING, Iterable, Mapping

from .model import PreviousEnd, Reconciled, Reported, StopContainer, WorkerInfo
from .store import Store

if TYPE_CHECKING:
    from .dispatch import Dispatcher
    from .state import WorkerConn

log = logging.getLogger("leveret.server")

REASON_FUNCTION_GONE = "its function no longer runs on this server (its app stopped, or was not restored)"
REASON_NOT_READY = "it was still starting when its worker lost the server"
REASON_KNOWN_ELSEWHERE = "the server has a container of that id on another worker"
REASON_NO_ROOM = "its function already has max_containers containers"
ENDS_KEPT = 1000   # why the server ended a worker's stream, kept for as many workers (the oldest go)


@dataclasses.dataclass(frozen=True)
class Decision:
    keep: tuple[str, ...]
    stop: tuple[tuple[str, str], ...]   # (container_id, why)


def decide(reported: Iterable[Reported], room: Mapping[str, tuple[str, int]], known: Iterable[str]) -> Decision:
    """Which reported containers to keep: those that were ready, of a function that still runs
    (``room``: function_id -> (its app_id, how many more containers it may have)), under an id the
    server does not already know (``known``). The rest are stopped, each with its reason."""
    left = {function_id: n for function_id, (_, n) in room.items()}
    known = set(known)
    keep, stop = [], []
    for r in reported:
        app_id, _ = room.get(r.function_id, ("", 0))
        if r.container_id in known:
            why = REASON_KNOWN_ELSEWHERE
        elif r.function_id not in room or app_id != r.app_id:
            why = REASON_FUNCTION_GONE
        elif not r.ready:
            why = REASON_NOT_READY
        elif left[r.function_id] <= 0:
            why = REASON_NO_ROOM
        else:
            left[r.function_id] -= 1
            keep.append(r.container_id)
            continue
        stop.append((r.container_id, why))
    return Decision(tuple(keep), tuple(stop))


def rejoin(d: "Dispatcher", info: WorkerInfo, token_id: str) -> tuple[str, "WorkerConn | None"]:
    """The id a registering worker gets back: the one it had, when it reconnects under it and no
    other worker has it now ("": a new one); and, for a worker that takes its containers over
    (info.reattach), what the server kept of it while it was away (its containers in doubt), or
    None. Its old stream, if the server has not seen it end yet, ends now, provided it was made
    with the same token."""
    previous = d.workers.get(info.previous_worker_id)
    if previous is not None and previous.token_id == token_id:
        if info.reattach:
            d.registry.stream_ended(previous)
        if previous.away_since is not None:
            del d.workers[previous.worker_id]
            return previous.worker_id, previous
        d.registry.mark_down(previous, "it reconnected on a new stream")
    wanted = info.previous_worker_id
    return (wanted if wanted.startswith("wk-") and wanted not in d.workers else ""), None


def take_back(d: "Dispatcher", worker: "WorkerConn", previous: "WorkerConn",
              reported: tuple[Reported, ...]) -> tuple[Reported, ...]:
    """A worker back within its lease: the containers the server kept for it (in doubt) that it
    still runs are its again, with the inputs they hold; inputs they no longer hold run again (a
    result lost with a killed worker, or inputs lost on the way); those it does not report ended
    with their worker. What was said to them while it was away (a stop, a cancel) is said again.
    Returns the reported containers left for ``decide``."""
    from .model import CancelInputs, ContainerEvent, ContainerState

    by_id = {r.container_id: r for r in reported}
    back = 0
    for ct in list(previous.containers):
        r = by_id.pop(ct.container_id, None)
        if r is None:
            d.placement.on_event(ContainerEvent(ct.container_id, ContainerState.FAILED, exit_code=-1,
                                                message=f"worker {worker.worker_id} came back without it"),
                                 worker_lost=True)
            continue
        back += 1
        previous.containers.discard(ct)
        ct.worker = worker
        worker.containers.add(ct)
        worker.allocated = worker.allocated + ct.resources
        held = set(r.inputs)
        d.attempts.requeue([rec for input_id, rec in ct.outstanding.items() if input_id not in held])
        if ct.stopping:
            worker.outbox.put_nowait(StopContainer(ct.container_id, ct.stop_reason))
        cancelled = [input_id for input_id, rec in ct.outstanding.items() if rec.cancelled]
        if cancelled:
            worker.outbox.put_nowait(CancelInputs(ct.container_id, cancelled))
        d.logs.system(ct.function.app_id, ct.function.name, ct.container_id,
                      f"container kept for its worker {worker.worker_id}, which came back", verbose=True)
    if back or previous.containers:
        log.info("worker %s came back after %.1f s: %d container(s) kept for it are its again", worker.worker_id,
                 d.clock.time() - previous.away_since, back)
    for fn in {ct.function for ct in worker.containers}:   # inputs that run again
        d.pump(fn)
    return tuple(by_id.values())


def adopt(d: "Dispatcher", worker: "WorkerConn", reported: tuple[Reported, ...],
          previous: "WorkerConn | None" = None) -> None:
    """Take back what the server kept for it while it was away (``previous``: take_back), then apply
    ``decide`` to the rest of what a (re)connecting worker reports: keep, stop, and tell it which;
    and why its last stream was ended (it may not have read it, if it was cut off)."""
    from .state import DEFAULT_MAX_CONTAINERS, ContainerRec

    why = d.ended.pop(worker.worker_id, "")
    if why:
        worker.outbox.put_nowait(PreviousEnd(why))
    if previous is not None:
        reported = take_back(d, worker, previous, reported)
    if not reported:
        return
    room = {}
    for fn in d.functions.values():
        app = d.apps.get(fn.app_id)
        if app is not None and not app.stopped:
            running = sum(1 for c in fn.containers.values() if not c.stopping)
            room[fn.function_id] = (fn.app_id, (fn.spec.max_containers or DEFAULT_MAX_CONTAINERS) - running)
    decision = decide(reported, room, d.containers)
    worker.outbox.put_nowait(Reconciled(decision.keep, [cid for cid, _ in decision.stop]))
    now = d.clock.time()
    adopted = {}
    function_of = {r.container_id: r.function_id for r in reported}
    for container_id in decision.keep:
        fn = d.functions[function_of[container_id]]
        ct = ContainerRec(container_id, fn, worker, resources=fn.request, ready=True, idle_since=now,
                          placed_at=now, waiting_since=now, ready_at=now)
        d.containers[container_id] = ct
        fn.containers[container_id] = ct
        worker.containers.add(ct)
        worker.allocated = worker.allocated + ct.resources
        d.writes.add(Store.adopt_container, container_id, fn.function_id, fn.app_id, worker.worker_id)
        d.logs.system(fn.app_id, fn.name, container_id,
                      f"container kept after its worker {worker.worker_id} reconnected", verbose=True)
        adopted[fn.function_id] = fn
    for container_id, why in decision.stop:
        worker.outbox.put_nowait(StopContainer(container_id, why))
    log.info("worker %s reconnected with %d container(s): kept %d, stopping %d", worker.worker_id, len(reported),
             len(decision.keep), len(decision.stop))
    for fn in adopted.values():
        d.pump(fn)


def note_end(ended: dict[str, str], worker_id: str, why: str) -> None:
    """Keep why the server ended ``worker_id``'s stream, to tell it when it reconnects; at most
    ENDS_KEPT workers' (those that never come back go, oldest first)."""
    ended.pop(worker_id, None)
    ended[worker_id] = why
    while len(ended) > ENDS_KEPT:
        del ended[next(iter(ended))]
