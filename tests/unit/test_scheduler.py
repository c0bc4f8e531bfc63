"""The scheduler: properties over generated clusters, and the reasons users read."""

import dataclasses
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from leveret.server.scheduler import (
    REASON_CPU, REASON_GPU_TYPE, REASON_LABELS, REASON_MEMORY, REASON_UNHEALTHY, Node, Plan, Request, Resources,
    Snapshot, apply, schedule,
)
from leveret.server.scheduler import filters

GPU_TYPES = ["", "A100", "H100"]


@st.composite
def nodes(draw, i):
    gpus = draw(st.sampled_from([0, 0, 0, 4, 8]))
    capacity = Resources(draw(st.sampled_from([2.0, 4.0, 8.0, 16.0])), draw(st.sampled_from([2048, 8192, 32768])), gpus)
    used = Resources(draw(st.floats(0, capacity.cpu)), draw(st.integers(0, capacity.memory_mb)), draw(st.integers(0, gpus)))
    max_containers = draw(st.sampled_from([0, 0, 2, 8]))
    return Node(f"n{i}", capacity, used, gpu_type=draw(st.sampled_from(GPU_TYPES[1:])) if gpus else "",
                labels=(("zone", draw(st.sampled_from(["a", "b"]))),), healthy=draw(st.booleans()) or draw(st.booleans()),
                max_containers=max_containers, containers=draw(st.integers(0, max_containers)))


@st.composite
def clusters(draw):
    n = draw(st.integers(1, 12))
    return Snapshot(tuple(draw(nodes(i)) for i in range(n)))


@st.composite
def requests(draw):
    n = draw(st.integers(0, 30))
    out = []
    for i in range(n):
        gpus = draw(st.sampled_from([0, 0, 1, 2]))
        out.append(Request(f"r{i}", Resources(draw(st.sampled_from([0.125, 0.5, 1.0, 2.0, 4.0])),
                                               draw(st.sampled_from([128, 512, 2048, 8192])), gpus),
                           gpu_type=draw(st.sampled_from(GPU_TYPES)) if gpus else "",
                           selector=draw(st.sampled_from([(), (("zone", "a"),)]))))
    return out


def _before(snapshot: Snapshot, node: Node) -> Node:
    return next(n for n in snapshot.nodes if n.node_id == node.node_id)


def _allocated(snapshot: Snapshot, plan: Plan, reqs):
    by_id = {r.request_id: r for r in reqs}
    used = {n.node_id: n.allocated for n in snapshot.nodes}
    for p in plan.placements:
        used[p.node_id] = used[p.node_id] + by_id[p.request_id].resources
    return used


@settings(max_examples=150, deadline=None)
@given(clusters(), requests(), st.integers(0, 2**32))
def test_no_node_is_overcommitted_and_every_placement_passes_every_filter(snapshot, reqs, seed):
    plan = schedule(snapshot, reqs, rng=random.Random(seed))
    by_node = {n.node_id: n for n in snapshot.nodes}
    used = _allocated(snapshot, plan, reqs)
    for node_id, alloc in used.items():
        node = by_node[node_id]
        if alloc != node.allocated:
            assert alloc.fits_in(node.capacity)
    by_id = {r.request_id: r for r in reqs}
    free = {n.node_id: n.free for n in snapshot.nodes}
    for p in plan.placements:       # in order, each against what was free (and running) when it was placed
        req, node = by_id[p.request_id], by_node[p.node_id]
        assert filters.reject(req, node, free[p.node_id]) is None
        free[p.node_id] = free[p.node_id] - req.resources
        by_node[p.node_id] = dataclasses.replace(node, containers=node.containers + 1)
    for node in by_node.values():   # no node runs more containers than it may
        assert not node.max_containers or node.containers <= max(node.max_containers, _before(snapshot, node).containers)
    assert {p.request_id for p in plan.placements} | {u.request_id for u in plan.unschedulable} == set(by_id)


@settings(max_examples=100, deadline=None)
@given(clusters(), requests(), st.integers(0, 2**32))
def test_same_seed_same_plan(snapshot, reqs, seed):
    assert schedule(snapshot, reqs, rng=random.Random(seed)) == schedule(snapshot, reqs, rng=random.Random(seed))


@settings(max_examples=100, deadline=None)
@given(clusters(), requests(), st.integers(0, 2**32))
def test_applying_a_plan_to_its_own_snapshot_accepts_it_all(snapshot, reqs, seed):
    plan = schedule(snapshot, reqs, rng=random.Random(seed))
    applied = apply(plan, snapshot, {r.request_id: r for r in reqs})
    assert applied.accepted == plan.placements and applied.rejected == ()


@settings(max_examples=100, deadline=None)
@given(clusters(), requests(), st.integers(0, 2**32))
def test_a_stale_plan_is_rechecked_and_rejected_parts_change_nothing(snapshot, reqs, seed):
    plan = schedule(snapshot, reqs, rng=random.Random(seed))
    busier = Snapshot(tuple(Node(n.node_id, n.capacity, n.capacity, n.gpu_type, n.labels, n.healthy) for n in snapshot.nodes))
    applied = apply(plan, busier, {r.request_id: r for r in reqs})
    assert applied.accepted == () and len(applied.rejected) == len(plan.placements)
    assert applied.snapshot == busier     # nothing fits a full cluster: nothing changed


def test_best_fit_packs_the_fullest_node_that_fits():
    snap = Snapshot((Node("empty", Resources(8, 8192)), Node("half", Resources(8, 8192), Resources(4, 4096))))
    plan = schedule(snap, [Request("r", Resources(2, 1024))], rng=random.Random(0))
    assert plan.placements[0].node_id == "half"


def test_requests_without_gpus_keep_off_gpu_nodes_and_gpu_requests_take_the_tightest():
    snap = Snapshot((Node("gpu8", Resources(32, 65536, 8), gpu_type="H100"),
                     Node("gpu2", Resources(32, 65536, 8), Resources(0, 0, 6), gpu_type="H100"),
                     Node("cpu", Resources(4, 8192))))
    plan = schedule(snap, [Request("c", Resources(1, 512)), Request("g", Resources(1, 512, 2), gpu_type="H100")],
                    rng=random.Random(0))
    assert {p.request_id: p.node_id for p in plan.placements} == {"c": "cpu", "g": "gpu2"}


def test_single_gpu_requests_fill_small_hosts_first_and_keep_a_whole_8_gpu_host_for_an_8_gpu_request():
    snap = Snapshot((Node("gpu8", Resources(64, 262144, 8), gpu_type="H100"),
                     Node("gpu2", Resources(16, 65536, 2), gpu_type="H100"),
                     Node("gpu4", Resources(32, 131072, 4), Resources(0, 0, 3), gpu_type="H100")))
    reqs = [Request(f"one-{i}", Resources(1, 1024, 1), gpu_type="H100") for i in range(3)]
    plan = schedule(snap, [*reqs, Request("eight", Resources(8, 8192, 8), gpu_type="H100")], rng=random.Random(0))
    placed = {p.request_id: p.node_id for p in plan.placements}
    assert placed["eight"] == "gpu8" and sorted(placed[r.request_id] for r in reqs) == ["gpu2", "gpu2", "gpu4"]


def test_reasons_are_named_and_counted_and_say_whether_it_can_ever_fit():
    snap = Snapshot((Node("a", Resources(2, 1024), Resources(2, 0)), Node("b", Resources(8, 512)),
                     Node("c", Resources(8, 8192), healthy=False), Node("d", Resources(8, 8192, 4), gpu_type="A100")))
    plan = schedule(snap, [Request("big", Resources(1, 1024)), Request("h100", Resources(1, 512, 1), gpu_type="H100"),
                           Request("zoned", Resources(1, 128), selector=(("zone", "x"),))], rng=random.Random(0))
    why = {u.request_id: u for u in plan.unschedulable}
    assert set(why) == {"h100", "zoned"} or set(why) == {"big", "h100", "zoned"}
    assert dict(why["h100"].reasons)[REASON_GPU_TYPE] == 3 and not why["h100"].ever   # a, b and d (A100)
    assert dict(why["zoned"].reasons)[REASON_LABELS] == 3 and dict(why["zoned"].reasons)[REASON_UNHEALTHY] == 1
    assert "cannot be placed" in why["zoned"].describe()


def test_waiting_when_capacity_is_only_in_use():
    snap = Snapshot((Node("a", Resources(4, 4096), Resources(4, 4096)),))
    [u] = schedule(snap, [Request("r", Resources(2, 1024))], rng=random.Random(0)).unschedulable
    assert u.ever and dict(u.reasons) == {REASON_CPU: 1} and u.describe().startswith("waiting")
    [u] = schedule(snap, [Request("r", Resources(1, 9000))], rng=random.Random(0)).unschedulable
    assert not u.ever and REASON_MEMORY in dict(u.reasons)


def test_with_no_healthy_node_a_request_waits():
    [u] = schedule(Snapshot(()), [Request("r", Resources(1, 128))], rng=random.Random(0)).unschedulable
    assert u.ever and u.describe() == "waiting: no nodes"
    down = Snapshot((Node("a", Resources(8, 8192), healthy=False),))
    [u] = schedule(down, [Request("r", Resources(1, 128))], rng=random.Random(0)).unschedulable
    assert u.ever and dict(u.reasons) == {REASON_UNHEALTHY: 1}


def test_a_node_at_its_most_containers_takes_no_more():
    full = Node("full", Resources(8, 8192), max_containers=2, containers=2)
    roomy = Node("roomy", Resources(8, 8192), max_containers=3, containers=1)
    plan = schedule(Snapshot((full, roomy)), [Request(f"r{i}", Resources(0.5, 128)) for i in range(3)],
                    rng=random.Random(0))
    assert [p.node_id for p in plan.placements] == ["roomy", "roomy"]
    (u,) = plan.unschedulable
    assert u.ever and dict(u.reasons) == {filters.REASON_SLOTS: 2}


def test_a_request_without_a_selector_keeps_off_nodes_a_function_selects_while_others_fit():
    snap = Snapshot((Node("zone-a", Resources(8, 8192), labels=(("zone", "a"),)),
                     Node("zone-b", Resources(8, 8192), labels=(("zone", "b"),))),
                    selected=frozenset({(("zone", "a"),)}))   # some function asks for zone a
    plan = schedule(snap, [Request(f"r{i}", Resources(2, 1024)) for i in range(5)], rng=random.Random(0))
    placed = [p.node_id for p in plan.placements]
    assert placed == ["zone-b"] * 4 + ["zone-a"]   # zone a only once zone b is full
    zoned = schedule(snap, [Request("z", Resources(2, 1024), selector=(("zone", "a"),))], rng=random.Random(0))
    assert [p.node_id for p in zoned.placements] == ["zone-a"]


def test_a_selector_among_the_requests_keeps_its_nodes_too():
    snap = Snapshot((Node("zone-a", Resources(4, 4096), labels=(("zone", "a"),)),
                     Node("zone-b", Resources(4, 4096), labels=(("zone", "b"),))))
    reqs = [Request("free", Resources(2, 1024)), Request("zoned", Resources(4, 4096), selector=(("zone", "a"),))]
    plan = schedule(snap, reqs, rng=random.Random(0))
    assert {p.request_id: p.node_id for p in plan.placements} == {"free": "zone-b", "zoned": "zone-a"}


def test_best_fit_weighs_the_resource_left_most_free():
    # the same CPU left on both; "balanced" is left with little memory too, "lopsided" with most of it
    snap = Snapshot((Node("lopsided", Resources(8, 65536), Resources(4, 0)),
                     Node("balanced", Resources(8, 8192), Resources(4, 4096))))
    plan = schedule(snap, [Request("r", Resources(2, 2048))], rng=random.Random(0))
    assert plan.placements[0].node_id == "balanced"
