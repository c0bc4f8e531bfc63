"""Which workers' GPUs a request runs on (_shared/gpus.py), and the scheduler's filter that uses it."""

import random

import pytest

from leveret._shared import gpus
from leveret.server.scheduler import REASON_GPU_TYPE, Node, Request, Resources, Snapshot, schedule


@pytest.mark.parametrize("requested, offered, runs", [
    ("", "T4", True), ("H100", "H100", True), ("H100", "H200", True), ("H100!", "H200", False),
    ("H100!", "H100", True), ("A100-80GB", "A100", True), ("A100", "A100", True),
    ("A100", "A100-40GB", True), ("A100-80GB", "A100-40GB", False), ("A100-40GB", "A100-80GB", False),
    ("A100-80GB", "A100-80GB", True), ("A10", "A10G", True),
    ("A10G", "A10", True), ("B200+", "B300", True), ("B200", "B300", False), ("L4", "L40S", False),
    ("T4", "", False), ("X9", "X9", True), ("X9", "T4", False), ("h100", "h200", True)])
def test_a_request_runs_on_the_types_it_accepts(requested, offered, runs):
    assert gpus.accepts(requested, offered) is runs


def test_the_scheduler_places_an_h100_request_on_an_h200_but_not_an_exact_one():
    snap = Snapshot((Node("h200", Resources(8, 8192, 2), gpu_type="H200"),))
    plan = schedule(snap, [Request("up", Resources(1, 512, 1), gpu_type="H100"),
                           Request("exact", Resources(1, 512, 1), gpu_type="H100!")], rng=random.Random(0))
    assert [p.request_id for p in plan.placements] == ["up"]
    (pending,) = plan.unschedulable
    assert pending.request_id == "exact" and dict(pending.reasons) == {REASON_GPU_TYPE: 1} and not pending.ever


def test_a_fallback_list_travels_as_its_types_in_order():
    assert gpus.options("") == [""]
    assert gpus.options("h100,A100-80GB") == ["H100", "A100-80GB"]
