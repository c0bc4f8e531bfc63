"""``schedule(snapshot, requests, rng=…) -> Plan``: pure, deterministic for a seed.

    nodes in four pools, each kept sorted by free CPU (GPU nodes: by free GPUs, then CPU):
        open CPU nodes; kept CPU nodes (they match a selector some function asks for:
        ``Snapshot.selected`` and the requests' own); open GPU nodes; kept GPU nodes
    a request tries them in order: a CPU request the CPU pools, then the GPU ones (GPUs stranded
    otherwise); a GPU request the GPU pools; one without a selector the open pool before the kept
    for each request, in order:
        in each pool it may use: bisect to the first node with enough of the sorted resource, walk
        up through the first CANDIDATES nodes that fit (for a GPU request: every GPU node that does)
        and take the one left with the least free (best fit, so idle nodes stay idle and drain):
        the larger of its CPU and memory left, as fractions of its capacity; on a GPU node,
        leaving GPUs free while its CPU or memory runs out strands them and counts against it
        none in any pool? every node's reason, counted; `ever` says whether an empty node could hold it
    placements update a private view of free resources; the snapshot is never changed.

``apply(plan, snapshot, requests)`` re-checks a plan against the (possibly newer) snapshot and
returns the snapshot with what still fits; what no longer fits is rejected with its reason.
"""

from __future__ import annotations

import bisect
import collections
import dataclasses
import random

from ..._shared import gpus as gpu_types
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
        if self.by_gpus and not req.resources.gpus:
            return 0   # (sorted by GPUs first: CPU is not in order)
        want = (req.resources.gpus, req.resources.cpu - 1e-9) if self.by_gpus else (req.resources.cpu - 1e-9,)
        return bisect.bisect_left(self.entries, want)

    def take(self, pos: int, i: int, used: Resources) -> None:
        del self.entries[pos]
        self.free[i] = self.free[i] - used
        bisect.insort(self.entries, self._key(i))


CANDIDATES = 48   # nodes that fit, tightest CPU first, compared on CPU and memory together


def _leftover(req: Resources, node: Node, free: Resources) -> float:
    """What stays free on ``node`` after ``req``, as a fraction of its capacity: the larger of its
    CPU and memory left (the best fit is the lowest: a node full in one resource but not the other
    has stranded the rest). On a GPU node, CPU or memory running out while GPUs stay free strands
    them: the gap between what is left of its GPUs and of its CPU and memory counts against it."""
    cap = node.capacity
    cpu = (free.cpu - req.cpu) / cap.cpu if cap.cpu else 0.0
    memory = (free.memory_mb - req.memory_mb) / cap.memory_mb if cap.memory_mb else 0.0
    if not cap.gpus:
        return max(cpu, memory)
    gpus = (free.gpus - req.gpus) / cap.gpus
    return cpu + memory + 4 * (max(0.0, gpus - cpu) + max(0.0, gpus - memory))


def _matches(selector: tuple, labels: frozenset) -> bool:
    return all(pair in labels for pair in selector)


def schedule(snapshot: Snapshot, requests: list[Request], *, rng: random.Random) -> Plan:
    nodes = list(snapshot.nodes)   # the running view: container counts change as placements are made
    free = [n.free for n in nodes]
    tiebreak = [rng.random() for _ in nodes]
    labels = [frozenset(n.labels) for n in nodes]
    selected = snapshot.selected | {r.selector for r in requests if r.selector}
    kept = [any(_matches(s, labels[i]) for s in selected) for i in range(len(nodes))]
    placeable = [i for i, n in enumerate(nodes) if n.healthy]
    cpu_open, cpu_kept, gpu_open, gpu_kept = (
        _Pool([i for i in placeable if bool(nodes[i].capacity.gpus) == g and kept[i] == k], free, tiebreak, by_gpus=g)
        for g, k in ((False, False), (False, True), (True, False), (True, True)))
    placements: list[Placement] = []
    unschedulable: list[Unschedulable] = []
    for req in requests:
        r = req.resources
        if r.gpus:
            pools = (gpu_kept,) if req.selector else (gpu_open, gpu_kept)
        else:
            pools = (cpu_kept, gpu_kept) if req.selector else (cpu_open, cpu_kept, gpu_open, gpu_kept)
        found = None
        for pool in pools:
            best = None
            seen = 0
            entries = pool.entries
            for pos in range(pool.start(req), len(entries)):
                i = entries[pos][-1]
                f = free[i]
                if (r.cpu > f.cpu + 1e-9 or r.memory_mb > f.memory_mb or r.gpus > f.gpus
                        or (req.selector and not _matches(req.selector, labels[i]))
                        or (r.gpus and not gpu_types.accepts(req.gpu_type, nodes[i].gpu_type))
                        or (nodes[i].max_containers and nodes[i].containers >= nodes[i].max_containers)):
                    continue
                score = _leftover(r, nodes[i], f)
                if best is None or score < best[0]:
                    best = (score, pos, i)
                seen += 1
                if seen == CANDIDATES and not r.gpus:   # GPU nodes are few: all are weighed
                    break
            if best is not None:
                found = (pool, best[1], best[2])
                break
        if found is None:
            unschedulable.append(_why(req, nodes, free))
            continue
        pool, pos, i = found
        pool.take(pos, i, r)
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
    new = dataclasses.replace(snapshot, nodes=tuple(by_id[n.node_id] for n in snapshot.nodes))
    return Applied(new, tuple(accepted), tuple(rejected))
