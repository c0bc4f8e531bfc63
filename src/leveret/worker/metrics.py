"""A worker's Prometheus metrics (``leveret worker --metrics HOST:PORT``), read when scraped:

    GET /metrics (Authorization: Bearer <the token the worker holds>)
        ─▶ WorkerCollector: the agent's containers ─▶ runtime.stats(handle) (cgroups, or /proc)

Per container: CPU seconds and memory bytes (crun / runc: from its cgroup; the process runtime:
its main process only, see runtime/process.py; the fake runtime: what a test set), and the GPU
memory its processes hold (NVML's process accounting). Per GPU (found by NVML): utilisation,
memory used, power. Per worker: containers running, the warm pool, the image cache.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from aiohttp import web
from prometheus_client import CollectorRegistry, ProcessCollector
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from .._shared.http import Listener, bearer_check, build_info, metrics_handler, token_equals
from ..container.protocol import ENV_CONTAINER_ID
from . import gpus

if TYPE_CHECKING:
    from .agent import Agent
    from .task_runner import ContainerTask


class WorkerCollector(Collector):
    def __init__(self, agent: "Agent"):
        self.agent = agent

    def describe(self):
        return []   # nothing to check at registration: one collector per registry

    def collect(self):
        agent = self.agent
        labels = ("container", "app", "function")
        cpu = CounterMetricFamily("leveret_container_cpu_seconds", "CPU time a container's processes used.", labels=labels)
        memory = GaugeMetricFamily("leveret_container_memory_bytes", "Memory a container's processes hold.", labels=labels)
        for task in [*agent.tasks.values(), *agent.pool]:
            stats = _stats(agent, task)
            if stats is None:
                continue
            key = (task.container_id, *_names(task))
            if stats.cpu_seconds is not None:
                cpu.add_metric(key, stats.cpu_seconds)
            if stats.memory_bytes is not None:
                memory.add_metric(key, stats.memory_bytes)
        yield cpu
        yield memory
        yield from _gpus(agent)
        yield build_info("worker")
        yield GaugeMetricFamily("leveret_worker_containers_running", "Containers running a function here.",
                                value=len(agent.tasks))
        yield GaugeMetricFamily("leveret_worker_warm_containers", "Warm containers waiting for a function.",
                                value=len(agent.pool))
        yield GaugeMetricFamily("leveret_worker_free_gpus", "GPUs no container holds.", value=len(agent.gpu_pool.free))
        images = agent._images
        if images is not None:
            yield CounterMetricFamily("leveret_worker_image_layer_cache_hits", "Image layers found built.",
                                      value=images.hits)
            yield CounterMetricFamily("leveret_worker_image_layer_cache_misses", "Image layers built here.",
                                      value=images.misses)
            try:
                layers = len(os.listdir(images.layers))
            except OSError:
                layers = 0
            yield GaugeMetricFamily("leveret_worker_image_layers", "Image layers in the worker's cache.", value=layers)


def _gpus(agent: "Agent"):
    samples = gpus.sample(agent.gpu_pool.inventory)
    if not samples:
        return
    labels = ("gpu", "uuid", "model")
    models = {g.index: g.model for g in agent.gpu_pool.inventory.gpus}
    families = {name: GaugeMetricFamily(f"leveret_gpu_{name}", doc, labels=labels) for name, doc in (
        ("utilization_ratio", "How busy the GPU was over NVML's last sample period (0-1)."),
        ("memory_used_bytes", "GPU memory in use."),
        ("power_watts", "The GPU's power draw."))}
    held: dict[str, int] = {}   # container id: GPU memory its processes hold
    by_id = {t.container_id: t for t in agent.tasks.values()}
    for s in samples:
        key = (str(s.index), s.uuid, models.get(s.index, ""))
        families["utilization_ratio"].add_metric(key, s.utilization)
        families["memory_used_bytes"].add_metric(key, s.memory_used)
        if s.power_w is not None:
            families["power_watts"].add_metric(key, s.power_w)
        for pid, used in s.processes.items():
            container_id = _container_of(pid, by_id)
            if container_id:
                held[container_id] = held.get(container_id, 0) + used
    yield from families.values()
    memory = GaugeMetricFamily("leveret_container_gpu_memory_bytes", "GPU memory a container's processes hold.",
                               labels=("container", "app", "function"))
    for container_id, used in held.items():
        memory.add_metric((container_id, *_names(by_id[container_id])), used)
    yield memory


def _names(task: "ContainerTask") -> tuple[str, str]:
    """(app, function) of a container, by name as the server's metrics label them ("" for a warm one)."""
    a = task.a
    return (a.app_name or a.app_id, a.definition.name) if a else ("", "")


def _container_of(pid: int, containers: dict) -> str:
    """Which of ``containers`` (by id) host process ``pid`` runs in: by its cgroup (crun, runc), else
    by the container id its environment holds (the process runtime); "" if none."""
    try:
        with open(f"/proc/{pid}/cgroup") as f:
            for part in f.read().replace("\n", "/").split("/"):
                if part in containers:
                    return part
        with open(f"/proc/{pid}/environ", "rb") as f:
            for item in f.read().split(b"\0"):
                if item.startswith(ENV_CONTAINER_ID.encode() + b"="):
                    found = item.partition(b"=")[2].decode()
                    return found if found in containers else ""
    except OSError:   # gone, or not ours to read
        pass
    return ""


def _stats(agent: "Agent", task: "ContainerTask"):
    if task.handle is None:
        return None   # not started yet (its image may be building)
    try:
        return agent.runtime.stats(task.handle)
    except Exception:   # a container that ends mid-scrape must not fail the scrape
        return None


def registry(agent: "Agent") -> CollectorRegistry:
    reg = CollectorRegistry(auto_describe=False)
    reg.register(WorkerCollector(agent))
    ProcessCollector(registry=reg)
    return reg


async def serve(agent: "Agent", listen: str) -> Listener:
    """Serve the agent's /metrics on ``listen``, for the token it holds."""
    app = web.Application(middlewares=[bearer_check(token_equals(agent.token))])
    app.router.add_get("/metrics", metrics_handler(registry(agent)))
    return await Listener.start(app, listen)
