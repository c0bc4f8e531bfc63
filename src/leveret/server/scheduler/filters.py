"""Filters: each says whether a node can take a request, and if not, why (a named reason).

A filter takes the request and the node's free resources (the scheduler's running view, not the
snapshot's), and returns None or one of the REASON_* constants users read in
`leveret function describe` and in the error of a call that can never be placed.
"""

from __future__ import annotations

from ..._shared import gpus
from .model import Node, Request, Resources

REASON_UNHEALTHY = "node is not healthy"
REASON_LABELS = "node lacks the labels the function selects"
REASON_GPU_TYPE = "node has no GPU of the type asked for"
REASON_GPU_COUNT = "not enough free GPUs"
REASON_CPU = "not enough free CPU"
REASON_MEMORY = "not enough free memory"
REASON_SLOTS = "node runs as many containers as it may (leveret worker --max-containers)"


def healthy(req: Request, node: Node, free: Resources) -> str | None:
    return None if node.healthy else REASON_UNHEALTHY


def labels(req: Request, node: Node, free: Resources) -> str | None:
    if not req.selector:
        return None
    have = dict(node.labels)
    return None if all(have.get(k) == v for k, v in req.selector) else REASON_LABELS


def gpu_type(req: Request, node: Node, free: Resources) -> str | None:
    if req.resources.gpus and not gpus.accepts(req.gpu_type, node.gpu_type):
        return REASON_GPU_TYPE
    return None


def gpu_count(req: Request, node: Node, free: Resources) -> str | None:
    return REASON_GPU_COUNT if req.resources.gpus > free.gpus else None


def cpu(req: Request, node: Node, free: Resources) -> str | None:
    return REASON_CPU if req.resources.cpu > free.cpu + 1e-9 else None


def memory(req: Request, node: Node, free: Resources) -> str | None:
    return REASON_MEMORY if req.resources.memory_mb > free.memory_mb else None


def slots(req: Request, node: Node, free: Resources) -> str | None:
    return REASON_SLOTS if node.max_containers and node.containers >= node.max_containers else None


# Static ones first (they hold whatever runs), then resources.
FILTERS = (healthy, labels, gpu_type, gpu_count, cpu, memory, slots)
STATIC = (healthy, labels, gpu_type)


def reject(req: Request, node: Node, free: Resources) -> str | None:
    """The first reason ``node`` cannot take ``req`` now, or None if it can."""
    for f in FILTERS:
        reason = f(req, node, free)
        if reason is not None:
            return reason
    return None


def could_ever(req: Request, node: Node) -> bool:
    """Whether ``node`` could take ``req`` if it were empty (and healthy)."""
    return (labels(req, node, node.capacity) is None and gpu_type(req, node, node.capacity) is None
            and req.resources.fits_in(node.capacity))
