"""``schedule(snapshot, requests, rng=…) -> Plan``: pure, deterministic for a seed.

    for each request, in order:
        nodes without GPUs first (for a request without GPUs), kept sorted by free CPU;
        nodes with GPUs, kept sorted by free GPUs then free CPU
        bisect to the first node with enough of the sorted resource, walk up through the first
        CANDIDATES nodes that pass every filter (for a GPU request: every GPU node that does) and
        take the one left with the least CPU and memory free (best fit, so idle nodes stay idle and
        drain); on a GPU node, leaving GPUs free while its CPU or memory runs out strands them and
        counts against it
        none? every node's reason, counted; `ever` says whether an empty node could hold it
    placements update a private view of free resources; the snapshot is never changed.

``apply(plan, snapshot, requests)`` re-checks a plan against the (possibly newer) snapshot and
returns the snapshot with what still fits; what no longer fits is rejected with its reason.
"""

from __future__ import annotations

import bisect
import collections
import dataclasses
import random

from . import filters
from .model import Node, Placement, Plan, Request, Resources, Snapshot, Unschedulable


class _Pool:
    """Nodes of one kind, sorted by a key of their free resources."""

    def __init__(self, indexes: list[int], free: list[Resources], tiebreak: list[float], by_gpus: bool):
        self.by_gpus = by_gpus
        self.free = free
        self.tiebreak = tiebreak
        self.entries = sorted(self._key(i) for i in indexes)

    def _key(self, i: int) -> tuple:
        f = self.free[i]
        return (f.gpus, f.cpu, self.tiebreak[i], i) if self.by_gpus else (f.cpu, self.tiebreak[i], i)

    def start(self, req: Request) -> int:
        want = (req.resources.gpus, req.resources.cpu - 1e-9) if self.by_gpus else (req.resources.cpu - 1e-9,)
        return bisect.bisect_left(self.entries, want)

    def take(self, pos: int, i: int, used: Resources) -> None:
        del self.entries[pos]
        self.free[i] = self.free[i] - used
        bisect.insort(self.entries, self._key(i))


CANDIDATES = 4   # nodes that pass every filter, tightest CPU first, compared on CPU and memory together


def _leftover(req: Resources, node: Node, free: Resources) -> float:
    """What stays free on ``node`` after ``req``, as fractions of its capacity: the best fit is the
    lowest. On a GPU node, CPU or memory running out while GPUs stay free strands them: the gap
    between what is left of its GPUs and of its CPU and memory counts against it."""
    cap = node.capacity
    cpu = (free.cpu - req.cpu) / cap.cpu if cap.cpu else 0.0
    memory = (free.memory_mb - req.memory_mb) / cap.memory_mb if cap.memory_mb else 0.0
    if not cap.gpus:
        return cpu + memory
    gpus = (free.gpus - req.gpus) / cap.gpus
    return cpu + memory + 4 * (max(0.0, gpus - cpu) + max(0.0, gpus - memory))


def schedule(snapshot: Snapshot, requests: list[Request], *, rng: random.Random) -> Plan:
    nodes = list(snapshot.nodes)   # the running view: container counts change as placements are made
    free = [n.free for n in nodes]
    tiebreak = [rng.random() for _ in nodes]
    cpu_pool = _Pool([i for i, n in enumerate(nodes) if n.capacity.gpus == 0], free, tiebreak, by_gpus=False)
    gpu_pool = _Pool([i for i, n in enumerate(nodes) if n.capacity.gpus > 0], free, tiebreak, by_gpus=True)
    placements: list[Placement] = []
    unschedulable: list[Unschedulable] = []
    for req in requests:
        pools = (gpu_pool,) if req.resources.gpus else (cpu_pool, gpu_pool)
        found = None
        for pool in pools:
            start = pool.start(req) if pool is not gpu_pool or req.resources.gpus else 0
            best = None
            seen = 0
            for pos in range(start, len(pool.entries)):
                i = pool.entries[pos][-1]
                if filters.reject(req, nodes[i], free[i]) is None:
                    score = _leftover(req.resources, nodes[i], free[i])
                    if best is None or score < best[0]:
                        best = (score, pos, i)
                    seen += 1
                    if seen == CANDIDATES and not req.resources.gpus:   # GPU nodes are few: all are weighed
                        break
            if best is not None:
                found = (pool, best[1], best[2])
                break
        if found is None:
            unschedulable.append(_why(req, nodes, free))
            continue
        pool, pos, i = found
        pool.take(pos, i, req.resources)
        if nodes[i].max_containers:
            nodes[i] = dataclasses.replace(nodes[i], containers=nodes[i].containers + 1)
        placements.append(Placement(req.request_id, nodes[i].node_id))
    return Plan(tuple(placements), tuple(unschedulable))


def _why(req: Request, nodes: list[Node], free: list[Resources]) -> Unschedulable:
    """Why no node takes ``req``: against what is free now if some node could ever hold it, else
    against each node's whole capacity (what would stop it even on an empty node)."""
    healthy = [n for n in nodes if n.healthy]
    # With no healthy node at all, nothing is known to refuse it: it waits for nodes to join or recover.
    ever = not healthy or any(filters.could_ever(req, n) for n in healthy)
    views = free if ever else [n.capacity for n in nodes]
    reasons = collections.Counter(filters.reject(req, n, f) for n, f in zip(nodes, views))
    reasons.pop(None, None)
    ordered = tuple(sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0])))
    return Unschedulable(req.request_id, ordered, ever)


@dataclasses.dataclass(frozen=True)
class Applied:
    snapshot: Snapshot                                # with the accepted placements allocated
    accepted: tuple[Placement, ...]
    rejected: tuple[tuple[Placement, str], ...]       # (placement, why it no longer fits)


def apply(plan: Plan, snapshot: Snapshot, requests: dict[str, Request]) -> Applied:
    """Re-check ``plan`` against ``snapshot`` (the current state): pure, like ``schedule``."""
    by_id = {n.node_id: n for n in snapshot.nodes}
    accepted, rejected = [], []
    for p in plan.placements:
        node, req = by_id.get(p.node_id), requests[p.request_id]
        if node is None:
            rejected.append((p, "node is gone"))
            continue
        reason = filters.reject(req, node, node.free)
        if reason is not None:
            rejected.append((p, reason))
            continue
        by_id[p.node_id] = dataclasses.replace(node, allocated=node.allocated + req.resources,
                                               containers=node.containers + 1)
        accepted.append(p)
    new = Snapshot(tuple(by_id[n.node_id] for n in snapshot.nodes))
    return Applied(new, tuple(accepted), tuple(rejected))
