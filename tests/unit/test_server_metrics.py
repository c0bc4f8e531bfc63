"""The server's metrics through the real Dispatcher fed by hand, read back from its registry."""

import asyncio

import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from leveret._shared.status import OutputStatus
from leveret.server import metrics, views
from leveret.server.model import ContainerEvent, ContainerState, FunctionSpec, Output, Results, WorkerInfo
from _server import dispatcher
from test_dispatcher_rules import clock, told  # noqa: F401  (clock: a fixture, the dispatcher's fake time)

MiB = 1024 * 1024


def new_dispatcher(clock=None):
    d = dispatcher(clock=clock)
    outbox: asyncio.Queue = asyncio.Queue()
    d.registry.add(WorkerInfo(hostname="h", runtime="process (no isolation)", cpu=4, memory_mb=8192,
                              max_containers=8, gpus=2, gpu_type="H100"), outbox)
    return d, outbox


def value(reg, name, **labels):
    return reg.get_sample_value(name, labels)


def result(input_id, status=OutputStatus.SUCCESS):
    return input_id, 1, Output(0, int(status))


def test_gauges_show_live_state_and_counters_what_finished(clock):
    async def main():
        d, outbox = new_dispatcher(clock)
        reg = metrics.registry(d)
        app_id, _ = await d.create_app("shop", "")
        fid = d.create_function(app_id, FunctionSpec(name="price", cpu_request=0.5, memory_request_mb=256, max_containers=1))
        d.new_call(fid, "map", [(i, b"x", "") for i in range(3)], 3)
        (start,) = told(outbox, "start")
        labels = {"app": "shop", "function": "price"}
        assert value(reg, "leveret_inputs_queued", **labels) == 3
        assert value(reg, "leveret_containers", state="starting", **labels) == 1
        assert value(reg, "leveret_containers", state="ready", **labels) == 0
        (worker,) = [w.worker_id for w in views.workers(d, clock.now)]
        assert value(reg, "leveret_workers_connected") == 1
        assert value(reg, "leveret_worker_info", worker=worker, hostname="h", runtime="process (no isolation)",
                     gpu_type="H100") == 1
        assert value(reg, "leveret_worker_capacity_cpu_cores", worker=worker) == 4
        assert value(reg, "leveret_worker_allocated_cpu_cores", worker=worker) == 0.5
        assert value(reg, "leveret_worker_capacity_memory_bytes", worker=worker) == 8192 * MiB
        assert value(reg, "leveret_worker_allocated_memory_bytes", worker=worker) == 256 * MiB
        assert value(reg, "leveret_worker_capacity_gpus", worker=worker) == 2
        assert value(reg, "leveret_worker_allocated_gpus", worker=worker) == 0
        assert value(reg, "leveret_worker_capacity_containers", worker=worker) == 8
        assert value(reg, "leveret_worker_allocated_containers", worker=worker) == 1

        clock.now += 0.2   # placed at once; 0.2 s to ready
        d.placement.on_event(ContainerEvent(start.container_id, ContainerState.READY,
                                            phases={"runtime_start": 0.15, "imports": 0.04}))
        (batch,) = told(outbox, "inputs")
        assert value(reg, "leveret_inputs_running", **labels) == 2   # a window of 2 before the first timing
        assert value(reg, "leveret_inputs_queued", **labels) == 1
        assert value(reg, "leveret_containers", state="ready", **labels) == 1
        clock.now += 0.3
        d.on_results(Results(start.container_id, [
            result(batch.inputs[0].input_id), result(batch.inputs[1].input_id, OutputStatus.FAILURE)], busy_s=0.2))
        (batch,) = told(outbox, "inputs")
        clock.now += 0.5
        d.on_results(Results(start.container_id, [result(batch.inputs[0].input_id)], busy_s=0.1))

        assert value(reg, "leveret_inputs_completed_total", status="success", **labels) == 2
        assert value(reg, "leveret_inputs_completed_total", status="failure", **labels) == 1
        assert value(reg, "leveret_inputs_completed_total", status="timeout", **labels) == 0
        assert value(reg, "leveret_inputs_running", **labels) == 0
        assert value(reg, "leveret_inputs_queued", **labels) == 0
        # queued at 0: two finished at 0.5 s, one at 1.0 s
        assert value(reg, "leveret_input_latency_seconds_count", **labels) == 3
        assert value(reg, "leveret_input_latency_seconds_sum", **labels) == pytest.approx(2.0)
        assert value(reg, "leveret_input_latency_seconds_bucket", le="0.5", **labels) == 2
        assert value(reg, "leveret_input_latency_seconds_bucket", le="0.25", **labels) == 0
        assert value(reg, "leveret_input_latency_seconds_bucket", le="+Inf", **labels) == 3
        # the cold start is counted once, at the first output, phase by phase
        assert value(reg, "leveret_cold_start_seconds_count", phase="total") == 1
        assert value(reg, "leveret_cold_start_seconds_sum", phase="total") == pytest.approx(0.5)
        assert value(reg, "leveret_cold_start_seconds_sum", phase="first_input") == pytest.approx(0.3)
        assert value(reg, "leveret_cold_start_seconds_sum", phase="runtime_start") == pytest.approx(0.15)
        assert value(reg, "leveret_cold_start_seconds_bucket", phase="imports", le="0.05") == 1
        assert value(reg, "leveret_cold_start_seconds_bucket", phase="imports", le="0.025") == 0

        d.stop_app(app_id, "done")   # the counters outlive the app; its gauges go
        assert value(reg, "leveret_inputs_completed_total", status="success", **labels) == 2
        assert value(reg, "leveret_inputs_queued", **labels) is None

    asyncio.run(main())


def test_cancelled_inputs_count_but_add_no_latency(clock):
    async def main():
        d, outbox = new_dispatcher(clock)
        reg = metrics.registry(d)
        app_id, _ = await d.create_app("a", "")
        fid = d.create_function(app_id, FunctionSpec(name="f"))
        call = d.new_call(fid, "map", [(i, b"x", "") for i in range(4)], 4)
        d.cancel_call(call, "the client went away")
        assert value(reg, "leveret_inputs_completed_total", app="a", function="f", status="cancelled") == 4
        assert value(reg, "leveret_input_latency_seconds_count", app="a", function="f") == 0

    asyncio.run(main())


def test_runs_of_one_app_name_add_up_in_one_series(clock):
    """Two runs (or deployed versions) of an app at once: one series per name, never a duplicate."""

    async def main():
        d, outbox = new_dispatcher(clock)
        reg = metrics.registry(d)
        for _ in range(2):
            app_id, _ = await d.create_app("a", "")
            fid = d.create_function(app_id, FunctionSpec(name="f"))
            d.new_call(fid, "spawn", [(0, b"x", "")], 1)
        assert value(reg, "leveret_inputs_queued", app="a", function="f") == 2
        assert value(reg, "leveret_containers", app="a", function="f", state="starting") == 2
        families = list(text_string_to_metric_families(generate_latest(reg).decode()))
        samples = [(s.name, tuple(sorted(s.labels.items()))) for f in families for s in f.samples]
        assert len(samples) == len(set(samples))

    asyncio.run(main())


def test_each_dispatcher_has_its_own_registry(clock):
    async def main():
        (d1, _), (d2, _) = new_dispatcher(clock), new_dispatcher(clock)
        r1, r2 = metrics.registry(d1), metrics.registry(d2)
        d2.registry.remove(next(iter(d2.workers.values())))
        assert value(r1, "leveret_workers_connected") == 1
        assert value(r2, "leveret_workers_connected") == 0

    asyncio.run(main())


def test_histogram_buckets_are_cumulative_and_a_value_on_a_bound_is_in_its_bucket():
    h = metrics.Histogram((0.1, 1.0))
    for v in (0.05, 0.1, 0.5, 1.0, 7.0):
        h.observe(v)
    assert h.buckets() == [("0.1", 2), ("1.0", 4), ("+Inf", 5)]
    assert h.count == 5 and h.sum == pytest.approx(8.65)
