"""Scheduler throughput and bin-packing, on one core, beside a first-fit baseline in the same run.

    python bench/scheduler.py [--nodes 1000] [--requests 10000] [--seeds 1-5]

- placements per second: 10,000 container requests scheduled onto 1,000 simulated nodes
  (mixed CPU-only and GPU nodes, labels, a few unhealthy), one schedule() call (the first seed);
- bin-packing efficiency, for each seed: requests are placed until the first one is rejected;
  used / allocatable CPU and memory at that point, for the scheduler and for first-fit (the
  first node that fits), on a workload of CPU and memory only and on one where 5% want a GPU and
  10% a zone.
Targets: >= 10,000 placements/s; packing at least first-fit's on every seed. Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src"))

from leveret.server.scheduler import Node, Request, Resources, Snapshot, schedule  # noqa: E402
from leveret.server.scheduler import filters  # noqa: E402


def cluster(n: int, rng: random.Random) -> Snapshot:
    nodes = []
    for i in range(n):
        gpus = 8 if i % 10 == 0 else 0
        nodes.append(Node(f"n{i}", Resources(rng.choice([8.0, 16.0, 32.0, 64.0]), rng.choice([32768, 65536, 131072]), gpus),
                          gpu_type="H100" if gpus else "", labels=(("zone", "abc"[i % 3]),), healthy=i % 97 != 0))
    return Snapshot(tuple(nodes))


def workload(n: int, rng: random.Random, constrained: bool = True) -> list[Request]:
    """Containers of assorted sizes; ``constrained``: 5% want a GPU and 10% a zone."""
    reqs = []
    for i in range(n):
        gpus = 1 if constrained and rng.random() < 0.05 else 0
        reqs.append(Request(f"r{i}", Resources(rng.choice([0.25, 0.5, 1.0, 2.0, 4.0]), rng.choice([256, 1024, 2048, 4096, 8192]), gpus),
                            gpu_type="H100" if gpus else "",
                            selector=(("zone", "a"),) if constrained and rng.random() < 0.1 else ()))
    return reqs


def first_fit_until_rejection(snapshot: Snapshot, reqs: list[Request]) -> tuple[float, float]:
    free = [n.free for n in snapshot.nodes]
    for req in reqs:
        for i, node in enumerate(snapshot.nodes):
            if filters.reject(req, node, free[i]) is None:
                free[i] = free[i] - req.resources
                break
        else:
            break
    return _efficiency(snapshot, free)


def ours_until_rejection(snapshot: Snapshot, reqs: list[Request], seed: int) -> tuple[float, float]:
    """The scheduler's packing when its first request is rejected: scheduled in one call, on a
    prefix of the requests long enough to hold that rejection (what comes after it is never used)."""
    n = 16_384
    while True:
        prefix = reqs[:n]
        plan = schedule(snapshot, prefix, rng=random.Random(seed))
        if plan.unschedulable or n >= len(reqs):
            break
        n *= 2
    first_rejected = min((int(u.request_id[1:]) for u in plan.unschedulable), default=len(prefix))
    by_node = {n.node_id: i for i, n in enumerate(snapshot.nodes)}
    free = [n.free for n in snapshot.nodes]
    req_by_id = {r.request_id: r for r in prefix}
    for p in plan.placements:
        if int(p.request_id[1:]) < first_rejected:
            i = by_node[p.node_id]
            free[i] = free[i] - req_by_id[p.request_id].resources
    return _efficiency(snapshot, free)


def _efficiency(snapshot: Snapshot, free) -> tuple[float, float]:
    healthy = [(n, f) for n, f in zip(snapshot.nodes, free) if n.healthy]
    cap_cpu = sum(n.capacity.cpu for n, _ in healthy)
    cap_mem = sum(n.capacity.memory_mb for n, _ in healthy)
    return (1 - sum(f.cpu for _, f in healthy) / cap_cpu, 1 - sum(f.memory_mb for _, f in healthy) / cap_mem)


def _seeds(text: str) -> list[int]:
    first, _, last = text.partition("-")
    return list(range(int(first), int(last or first) + 1))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--nodes", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--seeds", default="1-5", help="a seed, or a range FIRST-LAST")
    args = parser.parse_args()
    seeds = _seeds(args.seeds)
    rng = random.Random(seeds[0])
    snap, reqs = cluster(args.nodes, rng), workload(args.requests, rng)
    times = []
    for _ in range(3):
        t = time.perf_counter()
        plan = schedule(snap, reqs, rng=random.Random(seeds[0]))
        times.append(time.perf_counter() - t)
    best = min(times)
    packing, margins = {}, []
    for seed in seeds:
        nodes = cluster(args.nodes, random.Random(seed))
        for name, constrained in (("cpu_and_memory_only", False), ("with_gpu_and_zone_requests", True)):
            saturating = workload(args.requests * 10, random.Random(seed + 1), constrained)
            ours, first_fit = ours_until_rejection(nodes, saturating, seed), first_fit_until_rejection(nodes, saturating)
            packing.setdefault(name, {})[seed] = {
                "leveret": {"cpu": round(ours[0], 4), "memory": round(ours[1], 4)},
                "first_fit": {"cpu": round(first_fit[0], 4), "memory": round(first_fit[1], 4)}}
            margins += [ours[0] - first_fit[0], ours[1] - first_fit[1]]
    print(json.dumps({
        "nodes": args.nodes, "requests": args.requests,
        "placed": len(plan.placements), "unschedulable": len(plan.unschedulable),
        "placements_per_s": len(reqs) / best, "target": ">= 10000 placements/s",
        "seconds": [round(t, 4) for t in times],
        "binpack_at_first_rejection": packing,
        "binpack_worst_margin_over_first_fit": round(min(margins), 4),
        "binpack_target": "leveret >= first_fit on every seed, CPU and memory",
        "binpack_at_least_first_fit_on_every_seed": min(margins) >= 0,
    }, indent=2))


if __name__ == "__main__":
    main()
