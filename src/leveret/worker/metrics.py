"""A worker's Prometheus metrics (``leveret worker --metrics HOST:PORT``), read when scraped:

    GET /metrics (Authorization: Bearer <the token the worker holds>)
        ─▶ WorkerCollector: the agent's containers ─▶ runtime.stats(handle) (cgroups, or /proc)

Per container: CPU seconds and memory bytes (crun / runc: from its cgroup; the process runtime:
its main process only, see runtime/process.py; the fake runtime: what a test set). Per worker:
containers running, the warm pool, the image cache.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from aiohttp import web
from prometheus_client import CollectorRegistry, ProcessCollector
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from .._shared.http import Listener, bearer_check, metrics_handler, token_equals

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
        labels = ("container", "app_id", "function")
        cpu = CounterMetricFamily("leveret_container_cpu_seconds", "CPU time a container's processes used.", labels=labels)
        memory = GaugeMetricFamily("leveret_container_memory_bytes", "Memory a container's processes hold.", labels=labels)
        for task in [*agent.tasks.values(), *agent.pool]:
            stats = _stats(agent, task)
            if stats is None:
                continue
            key = (task.container_id, task.a.app_id if task.a else "", task.a.definition.name if task.a else "")
            if stats.cpu_seconds is not None:
                cpu.add_metric(key, stats.cpu_seconds)
            if stats.memory_bytes is not None:
                memory.add_metric(key, stats.memory_bytes)
        yield cpu
        yield memory
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
