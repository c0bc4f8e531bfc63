"""The server's Prometheus metrics: gauges read from the Dispatcher's live state at scrape time,
counters and histograms counted where their events happen.

    Dispatcher ─_publish (final outputs), _report_cold_start─▶ Recorder: plain ints and buckets
    GET /metrics ─▶ registry ─▶ DispatcherCollector.collect(): live state + the Recorder's counts

The Recorder keeps plain Python counts, not prometheus_client's Counter and Histogram: the server
is one event loop, so they need no locks, and counting a finished input costs a dict lookup and a
bisect. Labels use the app's and function's names (stable across runs and versions), so the
series of a redeployed function continue; the versions of one app that run at once add up.
"""

from __future__ import annotations

import bisect
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, ProcessCollector
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector

from .._shared.http import build_info
from .._shared.status import FINAL, OutputStatus, label as status_label
from .store.usage import day_of

if TYPE_CHECKING:
    from .dispatch import Dispatcher

# Upper bounds (seconds) of the histograms' buckets.
COLD_START_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
                   300.0, 900.0, 3600.0)
CONTAINER_STATES = ("starting", "ready", "stopping")
MiB = 1024 * 1024


class Histogram:
    """Counts per bucket and a sum; ``buckets()`` gives them cumulative, as Prometheus wants."""

    __slots__ = ("bounds", "counts", "sum")

    def __init__(self, bounds: tuple[float, ...]):
        self.bounds = bounds
        self.counts = [0] * (len(bounds) + 1)   # the last one: above every bound (+Inf)
        self.sum = 0.0

    def observe(self, value: float) -> None:
        self.counts[bisect.bisect_left(self.bounds, value)] += 1   # le: a value on a bound is in its bucket
        self.sum += value

    @property
    def count(self) -> int:
        return sum(self.counts)

    def buckets(self) -> list[tuple[str, int]]:
        out, total = [], 0
        for bound, n in zip((*map(repr, self.bounds), "+Inf"), self.counts):
            total += n
            out.append((bound, total))
        return out


class FunctionStats:
    """A function's finished inputs by status, their latency (in all, and its parts: queued, then
    in a container), its failures by exception type, the GPU seconds its ended containers held, and
    the CPU seconds and memory its containers used (byte-seconds, from their usage reports)."""

    __slots__ = ("key", "finished", "latency", "queue", "execution", "failures", "gpu_seconds", "cpu_seconds",
                 "memory_byte_seconds")

    def __init__(self, key: tuple[str, str]) -> None:
        self.key = key   # (app name, function name)
        self.finished = dict.fromkeys(FINAL, 0)
        self.latency = Histogram(LATENCY_BUCKETS)
        self.queue = Histogram(LATENCY_BUCKETS)
        self.execution = Histogram(LATENCY_BUCKETS)
        self.failures: dict[str, int] = {}
        self.gpu_seconds = 0.0
        self.cpu_seconds = 0.0
        self.memory_byte_seconds = 0.0


class Recorder:
    """The events the gauges cannot show: finished inputs and cold starts, counted as they happen."""

    def __init__(self, dispatcher: "Dispatcher"):
        self.dispatcher = dispatcher
        self.by_name: dict[tuple[str, str], FunctionStats] = {}     # (app name, function name)
        self._by_function: dict[str, FunctionStats] = {}             # function id: its entry above
        self.cold_start: dict[str, Histogram] = {}                  # phase (and "total")
        self.rpc: dict = {}   # the gRPC API's, by method: api/rpc_metrics.RpcStats
        # use counted since it was last taken to the store (take_usage): (app, function) -> [cpu s, memory
        # byte-s, GPU s]
        self.unstored: dict[tuple[str, str], list[float]] = {}

    def finished(self, items: list, now: float) -> None:
        """Outputs ``(input, output, container_id)`` being published: count the final ones, and
        their latency from queued (its last attempt's, after a retry delay) to ``now``; a cancelled
        input's wait is not a latency."""
        call = stats = None
        for r, out, _ in items:
            status = out.status
            if status not in FINAL:
                continue
            if r.call is not call:
                call = r.call
                stats = self._by_function.get(call.function_id) or self._stats(call.function_id, call.app_id)
            stats.finished[status] += 1
            if status == OutputStatus.FAILURE:
                kind = exception_type(out.message)
                stats.failures[kind] = stats.failures.get(kind, 0) + 1
            if status != OutputStatus.CANCELLED:
                stats.latency.observe(now - r.queued_at)
                if r.sent_at >= r.queued_at:   # (sent to a container in its last attempt)
                    stats.queue.observe(r.sent_at - r.queued_at)
                    stats.execution.observe(now - r.sent_at)

    def direct_finished(self, fn, status: int, seconds: float) -> None:
        """A web request answered on a container's link (web_links.py): counted as an input."""
        stats = self._by_function.get(fn.function_id) or self._stats(fn.function_id, fn.app_id)
        stats.finished[status] += 1
        if status != OutputStatus.CANCELLED:
            stats.latency.observe(seconds)

    def function_stats(self, fn) -> FunctionStats:
        return self._by_function.get(fn.function_id) or self._stats(fn.function_id, fn.app_id)

    def used(self, ct, cpu_seconds: float, memory_byte_seconds: float) -> None:
        """A container's use over the interval of its latest usage report."""
        self._use(self.function_stats(ct.function), cpu_seconds, memory_byte_seconds, 0.0)

    def gpus_held(self, ct, now: float) -> None:
        """Count a container's GPUs × the seconds since they were last counted (from its placement):
        each usage taken, and at its end."""
        since = ct.gpus_counted_at or ct.placed_at
        if ct.resources.gpus and now > since:
            self._use(self.function_stats(ct.function), 0.0, 0.0, ct.resources.gpus * (now - since))
        ct.gpus_counted_at = max(now, since)

    def _use(self, stats: FunctionStats, cpu: float, memory: float, gpu: float) -> None:
        stats.cpu_seconds += cpu
        stats.memory_byte_seconds += memory
        stats.gpu_seconds += gpu
        v = self.unstored.get(stats.key)
        if v is None:
            v = self.unstored[stats.key] = [0.0, 0.0, 0.0]
        v[0] += cpu
        v[1] += memory
        v[2] += gpu

    def count_gpus(self, now: float) -> None:
        for ct in self.dispatcher.containers.values():   # (their app may have stopped)
            if ct.resources.gpus:
                self.gpus_held(ct, now)

    def usage(self, now: float) -> dict[tuple[str, str], tuple[float, float, float]]:
        """{(app, function): (CPU seconds, memory byte-seconds, GPU seconds)} since the server started
        (the metrics' counters), GPUs that containers hold now counted to ``now``."""
        self.count_gpus(now)
        return {key: used for key, s in self.by_name.items()
                if any(used := (s.cpu_seconds, s.memory_byte_seconds, s.gpu_seconds))}

    def take_usage(self, now: float) -> list[tuple[str, str, float, float, float, float]]:
        """The use counted since it was last taken, as the store's usage rows of ``now``'s day
        (store/usage.py); counted from here on anew."""
        self.count_gpus(now)
        day = day_of(now)
        rows = [(app, fn, day, *used) for (app, fn), used in self.unstored.items() if any(used)]
        self.unstored = {}
        return rows

    def _stats(self, function_id: str, app_id: str) -> FunctionStats:
        d = self.dispatcher
        fn, app = d.functions.get(function_id), d.apps.get(app_id)
        key = (app.name if app else app_id, fn.name if fn else function_id)
        stats = self.by_name.get(key)
        if stats is None:
            stats = self.by_name[key] = FunctionStats(key)
        if len(self._by_function) > 2 * len(d.functions) + 100:   # forget functions that are gone
            self._by_function = {k: v for k, v in self._by_function.items() if k in d.functions}
        self._by_function[function_id] = stats
        return stats

    def cold_started(self, phases: dict[str, float], total: float) -> None:
        """A container's first output: its cold start, phase by phase, and in total."""
        for phase, seconds in (*phases.items(), ("total", total)):
            hist = self.cold_start.get(phase)
            if hist is None:
                hist = self.cold_start[phase] = Histogram(COLD_START_BUCKETS)
            hist.observe(seconds)


def exception_type(message: str) -> str:
    """The exception's type a failure's message starts with ("KeyError: 'x'" -> "KeyError"), else "other"."""
    kind = message.partition(":")[0].strip()
    return kind if kind and len(kind) <= 100 and kind.replace(".", "").replace("_", "").isalnum() else "other"


class DispatcherCollector(Collector):
    """Everything under ``leveret_`` on the server's /metrics, read when it is scraped."""

    def __init__(self, dispatcher: "Dispatcher"):
        self.dispatcher = dispatcher

    def describe(self):
        return []   # nothing to check at registration: one collector per registry

    def collect(self):
        d, rec = self.dispatcher, self.dispatcher.metrics
        names = ("app", "function")
        queued = GaugeMetricFamily("leveret_inputs_queued", "Inputs waiting for a container (or a retry delay).", labels=names)
        running = GaugeMetricFamily("leveret_inputs_running", "Inputs sent to a container and not finished.", labels=names)
        containers = GaugeMetricFamily("leveret_containers", "Containers by state.", labels=(*names, "state"))
        load: dict[tuple[str, str], list[int]] = {}
        for app in d.apps.values():
            for fn in app.functions:
                row = load.setdefault((app.name, fn.name), [0, 0, 0, 0, 0])
                row[0] += fn.queued + fn.retry_waiting
                row[1] += fn.running
                for ct in fn.containers.values():
                    row[4 if ct.stopping else 3 if ct.ready else 2] += 1
        for key, row in load.items():
            queued.add_metric(key, row[0])
            running.add_metric(key, row[1])
            for state, n in zip(CONTAINER_STATES, row[2:]):
                containers.add_metric((*key, state), n)
        yield build_info("server")
        yield from (queued, running, containers)
        yield from self._workers(d)
        finished = CounterMetricFamily("leveret_inputs_completed", "Inputs with a final output, by its status.",
                                       labels=(*names, "status"))
        latency = HistogramMetricFamily("leveret_input_latency_seconds",
                                        "Seconds from an input's queueing to its final output.", labels=names)
        queue = HistogramMetricFamily("leveret_input_queue_seconds",
                                      "Seconds an input waited to be sent to a container (its last attempt).",
                                      labels=names)
        execution = HistogramMetricFamily("leveret_input_execution_seconds",
                                          "Seconds from an input's sending to a container to its final output.",
                                          labels=names)
        failures = CounterMetricFamily("leveret_input_failures", "Inputs whose function raised, by exception type.",
                                       labels=(*names, "exception"))
        gpus = CounterMetricFamily("leveret_function_gpu_seconds", "GPUs × seconds its containers held them"
                                   " (from placement to their end).", labels=names)
        cpus = CounterMetricFamily("leveret_function_cpu_seconds", "CPU seconds its containers used.", labels=names)
        memory = CounterMetricFamily("leveret_function_memory_gib_seconds", "GiB × seconds of memory its containers"
                                     " used (from their usage reports).", labels=names)
        for key, (cpu_s, memory_bs, gpu_s) in rec.usage(d.clock.time()).items():
            cpus.add_metric(key, cpu_s)
            memory.add_metric(key, memory_bs / 2 ** 30)
            if gpu_s:
                gpus.add_metric(key, gpu_s)
        for key, stats in rec.by_name.items():
            by_label: dict[str, int] = {}
            for status, n in stats.finished.items():
                by_label[status_label(status)] = by_label.get(status_label(status), 0) + n
            for label, n in by_label.items():
                finished.add_metric((*key, label), n)
            latency.add_metric(key, stats.latency.buckets(), stats.latency.sum)
            queue.add_metric(key, stats.queue.buckets(), stats.queue.sum)
            execution.add_metric(key, stats.execution.buckets(), stats.execution.sum)
            for kind, n in stats.failures.items():
                failures.add_metric((*key, kind), n)
        cold = HistogramMetricFamily("leveret_cold_start_seconds",
                                     "Seconds of a container's cold start, by phase (and in total).", labels=("phase",))
        for phase, hist in rec.cold_start.items():
            cold.add_metric((phase,), hist.buckets(), hist.sum)
        yield from (finished, latency, queue, execution, failures, cold, gpus, cpus, memory)
        yield from _rpc(rec.rpc)

    @staticmethod
    def _workers(d: "Dispatcher"):
        yield GaugeMetricFamily("leveret_workers_connected", "Workers connected to this server.", value=len(d.workers))
        info = GaugeMetricFamily("leveret_worker_info", "A connected worker (always 1).",
                                 labels=("worker", "hostname", "runtime", "gpu_type"))
        families = {name: GaugeMetricFamily(f"leveret_worker_{name}", doc, labels=("worker",)) for name, doc in (
            ("capacity_cpu_cores", "CPU cores the worker offers."),
            ("allocated_cpu_cores", "CPU cores its containers reserve."),
            ("capacity_memory_bytes", "Memory the worker offers."),
            ("allocated_memory_bytes", "Memory its containers reserve."),
            ("capacity_gpus", "GPUs the worker offers."),
            ("allocated_gpus", "GPUs its containers hold."),
            ("capacity_containers", "Most containers the worker runs at once (--max-containers)."),
            ("allocated_containers", "Containers placed on the worker."),
        )}
        for w in d.workers.values():
            i, a, key = w.info, w.allocated, (w.worker_id,)
            info.add_metric((w.worker_id, i.hostname, i.runtime, i.gpu_type), 1)
            for name, value in (("capacity_cpu_cores", i.cpu), ("allocated_cpu_cores", a.cpu),
                                ("capacity_memory_bytes", i.memory_mb * MiB), ("allocated_memory_bytes", a.memory_mb * MiB),
                                ("capacity_gpus", i.gpus), ("allocated_gpus", a.gpus),
                                ("capacity_containers", i.max_containers), ("allocated_containers", len(w.containers))):
                families[name].add_metric(key, value)
        yield info
        yield from families.values()


def _rpc(by_method: dict):
    """The gRPC API's calls, by go-grpc-prometheus's names and labels."""
    labels = ("grpc_service", "grpc_method", "grpc_type")
    started = CounterMetricFamily("grpc_server_started", "RPCs started on the server.", labels=labels)
    handled = CounterMetricFamily("grpc_server_handled", "RPCs completed on the server, by status code.",
                                  labels=(*labels, "grpc_code"))
    in_flight = GaugeMetricFamily("grpc_server_in_flight", "RPCs being handled now (streams open).", labels=labels)
    seconds = HistogramMetricFamily("grpc_server_handling_seconds", "Seconds from an RPC's start to its end"
                                    " (a stream's whole life).", labels=labels)
    for method, stats in sorted(by_method.items()):
        service, _, name = method.lstrip("/").rpartition("/")
        key = (service, name, stats.type)
        started.add_metric(key, stats.started)
        in_flight.add_metric(key, stats.in_flight)
        seconds.add_metric(key, stats.seconds.buckets(), stats.seconds.sum)
        for code, n in sorted(stats.handled.items()):
            handled.add_metric((*key, code), n)
    yield from (started, handled, in_flight, seconds)


def registry(dispatcher: "Dispatcher") -> CollectorRegistry:
    """A registry of its own for one server (a process may run several): its metrics, and the
    process's (CPU, memory, open files)."""
    reg = CollectorRegistry(auto_describe=False)
    reg.register(DispatcherCollector(dispatcher))
    ProcessCollector(registry=reg)
    return reg
