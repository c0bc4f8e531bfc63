"""The scheduler: pure functions over a snapshot of the cluster (see README.md)."""

from .core import Applied, apply, schedule
from .filters import REASON_CPU, REASON_GPU_COUNT, REASON_GPU_TYPE, REASON_LABELS, REASON_MEMORY, REASON_UNHEALTHY
from .model import Node, Placement, Plan, Request, Resources, Snapshot, Unschedulable

__all__ = [
    "Applied", "Node", "Placement", "Plan", "REASON_CPU", "REASON_GPU_COUNT", "REASON_GPU_TYPE", "REASON_LABELS",
    "REASON_MEMORY", "REASON_UNHEALTHY", "Request", "Resources", "Snapshot", "Unschedulable", "apply", "schedule",
]
