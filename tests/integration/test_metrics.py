"""/metrics of the server and of a worker, scraped over HTTP from an in-process cluster."""

import grpc
import pytest

import leveret
from leveret._wire import api_pb2, api_pb2_grpc
from leveret._shared.aio import run_sync
from leveret.testing import Cluster
from leveret.worker.runtime import ContainerStats
from leveret.worker.runtime.fake import FakeRuntime
from apps import basic
from apps import orchestration as o
from leveret.testing.nvml import FakeNvml
from leveret.worker import gpus
from _scrape import get, promtool_check, samples


def test_server_metrics_count_calls_and_cold_starts(tmp_path):
    with Cluster(tmp_path) as cluster:
        with basic.app.run(show_logs=False):
            assert basic.square.remote(3) == 9
            assert list(basic.square.map(range(20))) == [i * i for i in range(20)]
            for x in (3, 3):
                with pytest.raises(Exception, match="bad input"):
                    basic.fail.remote(x)
        with grpc.insecure_channel(cluster.url.removeprefix("http://")) as channel:   # a token it refuses
            with pytest.raises(grpc.RpcError) as refused:
                api_pb2_grpc.LeveretStub(channel).AppList(api_pb2.AppListRequest(), timeout=10,
                                                         metadata=[("authorization", "Bearer wrong")])
        assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
        status, content_type, text = get(cluster.http_url + "/metrics", cluster.token)
    assert status == 200 and content_type.startswith("text/plain")
    promtool_check(text)
    found = samples(text)
    labels = {("app", "basic"), ("function", "square")}
    assert found[("leveret_inputs_completed_total", frozenset({*labels, ("status", "success")}))] == 21
    assert found[("leveret_input_latency_seconds_count", frozenset(labels))] == 21
    assert found[("leveret_input_queue_seconds_count", frozenset(labels))] == 21   # the latency's parts
    assert found[("leveret_input_execution_seconds_count", frozenset(labels))] == 21
    assert found[("leveret_input_execution_seconds_sum", frozenset(labels))] <= \
        found[("leveret_input_latency_seconds_sum", frozenset(labels))]
    failed = frozenset({("app", "basic"), ("function", "fail"), ("exception", "CustomError")})
    assert found[("leveret_input_failures_total", failed)] == 2
    assert found[("leveret_cold_start_seconds_count", frozenset({("phase", "total")}))] >= 1
    assert found[("leveret_cold_start_seconds_count", frozenset({("phase", "first_input")}))] >= 1
    assert found[("leveret_workers_connected", frozenset())] == 1
    rpc = {("grpc_service", "leveret.v1.Leveret"), ("grpc_type", "unary")}
    assert found[("grpc_server_handled_total", frozenset({*rpc, ("grpc_method", "AppCreate"), ("grpc_code", "OK")}))] == 1
    assert found[("grpc_server_handled_total", frozenset({*rpc, ("grpc_method", "AppList"),
                                                          ("grpc_code", "UNAUTHENTICATED")}))] == 1
    assert found[("grpc_server_handling_seconds_count", frozenset({*rpc, ("grpc_method", "AppCreate")}))] == 1
    worker_stream = frozenset({("grpc_service", "leveret.v1.Leveret"), ("grpc_type", "bidi_stream"),
                               ("grpc_method", "WorkerConnect")})
    assert found[("grpc_server_in_flight", worker_stream)] == 1 and found[("grpc_server_started_total", worker_stream)] >= 1
    assert found[("leveret_build_info", frozenset({("version", leveret.__version__), ("component", "server")}))] == 1


def test_server_http_side_wants_the_server_token_except_for_healthz(tmp_path):
    with Cluster(tmp_path, start_worker=False) as cluster:
        assert get(cluster.http_url + "/healthz") == (200, "text/plain; charset=utf-8", "ok\n")
        status, _, body = get(cluster.http_url + "/metrics")
        assert status == 401 and "Authorization: Bearer" in body
        assert get(cluster.http_url + "/metrics", "wrong")[0] == 401
        _, worker_token = run_sync(cluster.server.tokens.create("host-2"))
        assert get(cluster.http_url + "/metrics", worker_token)[0] == 401   # a worker's token only connects a worker
        assert get(cluster.http_url + "/metrics", cluster.token)[0] == 200


def test_worker_metrics_show_each_containers_usage(tmp_path):
    runtime = FakeRuntime()
    with Cluster(tmp_path, runtime=runtime, worker_metrics=True) as cluster:
        url = cluster.worker_metrics_url + "/metrics"
        assert get(url)[0] == 401
        with basic.app.run(show_logs=False):
            basic.square.spawn(2)
            cluster.wait_for(lambda d: runtime.handles)
            (container_id,) = runtime.handles
            runtime.usage[container_id] = ContainerStats(cpu_seconds=1.5, memory_bytes=64 * 1024 * 1024)
            status, _, text = get(url, cluster.token)
    assert status == 200
    promtool_check(text)
    found = samples(text)
    labels = frozenset({("container", container_id), ("app", "basic"), ("function", "square")})
    assert found[("leveret_container_cpu_seconds_total", labels)] == 1.5
    assert found[("leveret_container_memory_bytes", labels)] == 64 * 1024 * 1024
    assert found[("leveret_worker_containers_running", frozenset())] == 1
    assert found[("leveret_worker_warm_containers", frozenset())] == 0
    assert found[("leveret_build_info", frozenset({("version", leveret.__version__), ("component", "worker")}))] == 1


def test_gpu_metrics_per_gpu_per_container_and_gpu_seconds_per_function(tmp_path):
    """A fake NVML: two H100s, one busy with a container's process (NVML's process accounting)."""
    nvml = FakeNvml([{"model": "NVIDIA H100 80GB HBM3", "memory_mb": 81559, "utilization": 37, "power_w": 312.5},
                     {"model": "NVIDIA H100 80GB HBM3", "memory_mb": 81559, "power_w": None}])
    with Cluster(tmp_path, gpus=gpus.discover(nvml), worker_metrics=True) as cluster:
        with o.gpu_app.run(show_logs=False):
            call = o.holds_gpu_pid.spawn(30)
            cluster.wait_for(lambda d: any(ct.ready and ct.outstanding for ct in d.containers.values()))
            (task,) = cluster.agent.tasks.values()
            index = task.gpus[0].index
            pid = _main_pid(task)
            nvml.gpus[index].update(processes={pid: 5 * 2 ** 30}, memory_used_mb=5 * 1024)
            _, _, text = get(cluster.worker_metrics_url + "/metrics", cluster.token)
            call.cancel()
        _, _, server_text = get(cluster.http_url + "/metrics", cluster.token)
    promtool_check(text)
    found = samples(text)
    gpu0 = frozenset({("gpu", "0"), ("uuid", nvml.gpus[0]["uuid"]), ("model", "NVIDIA H100 80GB HBM3")})
    gpu1 = frozenset({("gpu", "1"), ("uuid", nvml.gpus[1]["uuid"]), ("model", "NVIDIA H100 80GB HBM3")})
    assert found[("leveret_gpu_utilization_ratio", gpu0)] == 0.37
    assert found[("leveret_gpu_power_watts", gpu0)] == 312.5 and ("leveret_gpu_power_watts", gpu1) not in found
    assert found[("leveret_gpu_memory_used_bytes", gpu0 if index == 0 else gpu1)] == 5 * 2 ** 30
    held = frozenset({("container", task.container_id), ("app", "gpus"), ("function", "holds_gpu_pid")})
    assert found[("leveret_container_gpu_memory_bytes", held)] == 5 * 2 ** 30
    assert found[("leveret_worker_free_gpus", frozenset())] == 1
    promtool_check(server_text)
    seconds = samples(server_text)[("leveret_function_gpu_seconds_total",
                                    frozenset({("app", "gpus"), ("function", "holds_gpu_pid")}))]
    assert 0 < seconds < 60


def _main_pid(task) -> int:
    """The host pid of the container's main process (the process runtime: the worker's child)."""
    return task.handle.proc.pid


def test_usage_per_function_counts_the_cpu_and_memory_its_containers_used(tmp_path):
    # usage reports every 0.5 s (a third of the lease): a second of work is a few of them
    with Cluster(tmp_path, worker_lease_s=1.5) as cluster:
        with basic.app.run(show_logs=False):
            assert basic.sleepy.remote(1.5) == 1.5
        _, _, text = get(cluster.http_url + "/metrics", cluster.token)
    found = samples(text)
    labels = frozenset({("app", "basic"), ("function", "sleepy")})
    assert found[("leveret_function_memory_gib_seconds_total", labels)] > 0   # a python process for > 1 s
    assert found[("leveret_function_cpu_seconds_total", labels)] >= 0


def test_usage_is_kept_across_a_server_restart_by_day(tmp_path):
    """The dashboard's usage is the store's daily sums and what was counted since: a restarted server
    still shows what the function used (the metrics' counters start from zero, as counters do)."""
    import json

    with Cluster(tmp_path, worker_lease_s=1.5):
        with basic.app.run(show_logs=False):
            assert basic.sleepy.remote(1.5) == 1.5
    with Cluster(tmp_path) as again:   # the same store
        status, _, body = get(again.http_url + "/api/usage", again.token)
        _, _, metrics = get(again.http_url + "/metrics", again.token)
    assert status == 200
    [row] = [u for u in json.loads(body) if (u["app"], u["function"]) == ("basic", "sleepy")]
    assert row["memory_gib_seconds"] > 0 and row["cpu_seconds"] >= 0
    assert "leveret_function_memory_gib_seconds_total{" not in metrics
