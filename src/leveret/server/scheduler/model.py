"""What the scheduler reads and writes: plain, immutable values.

A ``Snapshot`` of nodes (capacity, what is allocated, labels, health) and ``Request``s for
containers go in; a ``Plan`` of placements and of requests that cannot be placed, each with its
reasons, comes out.
"""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class Resources:
    cpu: float = 0.0
    memory_mb: int = 0
    gpus: int = 0

    def __add__(self, other: "Resources") -> "Resources":
        return Resources(self.cpu + other.cpu, self.memory_mb + other.memory_mb, self.gpus + other.gpus)

    def __sub__(self, other: "Resources") -> "Resources":
        return Resources(self.cpu - other.cpu, self.memory_mb - other.memory_mb, self.gpus - other.gpus)

    def fits_in(self, other: "Resources") -> bool:
        return self.cpu <= other.cpu + 1e-9 and self.memory_mb <= other.memory_mb and self.gpus <= other.gpus


@dataclasses.dataclass(frozen=True)
class Node:
    node_id: str
    capacity: Resources
    allocated: Resources = Resources()
    gpu_type: str = ""
    labels: tuple[tuple[str, str], ...] = ()
    healthy: bool = True
    max_containers: int = 0        # 0: no limit on how many containers it runs
    containers: int = 0            # how many it runs now

    @property
    def free(self) -> Resources:
        return self.capacity - self.allocated


@dataclasses.dataclass(frozen=True)
class Request:
    request_id: str
    resources: Resources
    gpu_type: str = ""                          # "" = any (or none when no GPUs are asked)
    selector: tuple[tuple[str, str], ...] = ()  # labels the node must carry


@dataclasses.dataclass(frozen=True)
class Snapshot:
    nodes: tuple[Node, ...]
    # Selectors some function of the cluster asks for: a request that asks for none of them places
    # on nodes they match only when no other node fits, which keeps those nodes for their functions.
    selected: frozenset[tuple[tuple[str, str], ...]] = frozenset()


@dataclasses.dataclass(frozen=True)
class Placement:
    request_id: str
    node_id: str


@dataclasses.dataclass(frozen=True)
class Unschedulable:
    request_id: str
    reasons: tuple[tuple[str, int], ...]   # (reason, how many nodes gave it), most common first
    ever: bool                             # False: no node could ever hold it, even empty

    def describe(self) -> str:
        said = "; ".join(f"{n} node(s): {reason}" for reason, n in self.reasons) or "no nodes"
        return f"{'waiting: ' if self.ever else 'cannot be placed: '}{said}"


@dataclasses.dataclass(frozen=True)
class Plan:
    placements: tuple[Placement, ...]
    unschedulable: tuple[Unschedulable, ...]
