"""Read models of the server's live state: what `leveret function describe | stats`, `leveret
container list` and the dashboard show. Plain dataclasses read from the Dispatcher's records (and
the store for history); the API converts them to the wire (api/), the dashboard to JSON. Nothing
here changes state, and tests read the server through these, not through the Dispatcher's dicts.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from .._shared.status import NAMES
from .state import DEFAULT_MAX_CONTAINERS, ContainerRec, FunctionState
from .errors import NotFound
from .store import Store
from .store.history import InputRow

if TYPE_CHECKING:
    from .dispatch import Dispatcher


@dataclasses.dataclass(frozen=True)
class ContainerView:
    container_id: str
    worker_id: str
    worker_hostname: str
    state: str            # starting | ready | stopping
    running: int          # inputs sent to it without a result yet
    idle_s: float         # seconds idle (0 while busy)
    age_s: float
    app_id: str
    app_name: str
    function_name: str
    cpu_cores: float      # over the last heartbeat interval; < 0: unknown
    memory_bytes: int     # < 0: unknown


@dataclasses.dataclass(frozen=True)
class ScaleEventView:
    ts: float
    text: str


@dataclasses.dataclass(frozen=True)
class FunctionView:
    function_id: str
    function_name: str
    app_id: str
    app_name: str
    version: int
    queued: int           # waiting for a container or a retry delay
    running: int
    containers: list[ContainerView]
    pending: list[str]    # why containers it wants are not placed
    events: list[ScaleEventView]   # latest scale decisions, oldest first
    backoff: str          # set while starts are held back after crashes
    settings: str         # the autoscaling settings, one line
    schedule: str         # the schedule and its next tick
    crash_streak: int     # containers in a row that ended by themselves
    app_state: str        # ephemeral | deployed | draining | stopped | ...


@dataclasses.dataclass(frozen=True)
class FunctionStatsView:
    function_id: str
    queued: int
    running: int
    containers: int
    outputs_by_status: dict[str, int]
    inputs: int
    latency_p50_s: float
    latency_p95_s: float
    latency_p99_s: float
    containers_started: int
    cold_start_p50_s: float


@dataclasses.dataclass(frozen=True)
class WorkerView:
    worker_id: str
    hostname: str
    runtime: str
    gpus: int
    gpu_type: str
    labels: dict[str, str]
    token_id: str         # "" when it joined with the server's token
    last_seen_s: float    # seconds since its last message
    containers: int
    cpu_reserved: float
    memory_reserved_mb: int
    gpus_reserved: int
    cpu: float = 0.0          # its capacity
    memory_mb: int = 0
    max_containers: int = 0


@dataclasses.dataclass(frozen=True)
class Totals:
    """What the server holds in memory now."""

    apps: int             # running: runs, deployed versions (live and draining), deploys in progress
    calls: int            # unfinished, or read from memory (a run's spawned calls)
    containers: int
    workers: int


@dataclasses.dataclass(frozen=True)
class InputView:
    """An input and how it ended (or where it is now), with its retried attempts (``earlier``,
    where the reader asked for them): `leveret function calls | call show`, the dashboard."""

    input_id: str
    call_id: str
    idx: int
    status: str           # success, failure, ...; queued, running or unfinished without a final output
    queued_at: float
    started_at: float     # when its last attempt was sent to a container (0: never)
    finished_at: float    # 0: not finished
    attempt: int          # the attempt that ended it, or the one under way
    message: str
    container_id: str
    traceback: str
    earlier: list["InputView"]

    @property
    def duration_s(self) -> float | None:
        return self.finished_at - self.started_at if self.started_at and self.finished_at else None


def input_view(d: "Dispatcher", row: InputRow) -> InputView:
    status, attempt = NAMES.get(row.status, f"status {row.status}"), row.attempt
    if not row.status:   # no final output yet: where the server holds it now
        r = d.inputs.get(row.input_id)
        status = "unfinished" if r is None else "running" if r.container is not None else "queued"
        attempt = r.attempt if r is not None else attempt
    earlier = [InputView(row.input_id, row.call_id, row.idx, NAMES.get(a.status, f"status {a.status}"), row.queued_at,
                         a.started_at, a.finished_at, a.attempt, a.message, a.container_id, a.traceback, [])
               for a in row.earlier]
    return InputView(row.input_id, row.call_id, row.idx, status, row.queued_at, row.started_at, row.finished_at, attempt,
                     row.message, row.container_id, row.traceback, earlier)


def workers(d: "Dispatcher", now: float) -> list[WorkerView]:
    return [WorkerView(worker_id=w.worker_id, hostname=w.info.hostname, runtime=w.info.runtime, gpus=w.info.gpus,
                       gpu_type=w.info.gpu_type, labels=dict(w.info.labels), token_id=w.token_id,
                       last_seen_s=now - w.last_seen, containers=len(w.containers), cpu_reserved=w.allocated.cpu,
                       memory_reserved_mb=w.allocated.memory_mb, gpus_reserved=w.allocated.gpus, cpu=w.info.cpu,
                       memory_mb=w.info.memory_mb, max_containers=w.info.max_containers)
            for w in d.workers.values()]


def totals(d: "Dispatcher") -> Totals:
    return Totals(apps=len(d.apps), calls=len(d.calls), containers=len(d.containers), workers=len(d.workers))


def holds_call(d: "Dispatcher", call_id: str) -> bool:
    """Whether the call is in the server's memory (else it is read from the store)."""
    return call_id in d.calls


def find_function(d: "Dispatcher", app_name_or_id: str, function_name: str):
    """A running app's function (an app by id, else the live version of that name, else its newest
    run); NotFound naming what there is."""
    app = d.find_live_app(app_name_or_id)
    if app is None:
        raise NotFound(f"no running app {app_name_or_id!r}: `leveret app list` shows the apps")
    fn = app.function(function_name)
    if fn is None:
        names = ", ".join(f.name for f in app.functions) or "none"
        raise NotFound(f"app {app.name!r} has no function {function_name!r} (it has: {names})")
    return app, fn


def _settings(fn: FunctionState) -> str:
    spec = fn.spec
    settings = [f"max_containers={spec.max_containers or DEFAULT_MAX_CONTAINERS}",
                f"min_containers={spec.min_containers}", f"buffer_containers={spec.buffer_containers}",
                f"scaledown_window={spec.scaledown_window_s} s"]
    if spec.max_inputs > 1:
        settings.append(f"@concurrent(max_inputs={spec.max_inputs},"
                        f" target_inputs={spec.target_inputs or spec.max_inputs})")
    req = fn.request
    settings.append(f"reserves cpu={req.cpu:g}, memory={req.memory_mb} MiB" + (f", {req.gpus} GPU" if req.gpus else ""))
    return ", ".join(settings)


async def app_id(d: "Dispatcher", app_name_or_id: str) -> str:
    """The app a name or id means: a running one of that name (or id), else the newest stored app of
    that name, or a stored id; NotFound naming where to look."""
    live = d.find_live_app(app_name_or_id) if app_name_or_id else None
    if live is not None:
        return live.app_id
    stored = await d.reads.run(Store.find_app, app_name_or_id) if app_name_or_id else None
    if stored is None:
        raise NotFound(f"no app {app_name_or_id!r}: `leveret app list --all` shows the apps, stopped ones too")
    return stored["id"]


async def app_info(d: "Dispatcher", app_name_or_id: str) -> dict:
    """The stored row of the app ``app_id`` finds (name, state, version, ...)."""
    info = await d.reads.run(Store.app_info, await app_id(d, app_name_or_id))
    if info is None:
        raise NotFound(f"no app {app_name_or_id!r}: `leveret app list --all` shows the apps, stopped ones too")
    return info


async def stored_function(d: "Dispatcher", app_name_or_id: str, function_name: str) -> tuple[dict, str, bytes]:
    """A function of an app that is not running (a stopped run, an earlier deployed version), from
    the store: (the app's row, the function's id, its definition); NotFound naming what there is."""
    app = await d.reads.run(Store.find_app, app_name_or_id)
    if app is None:
        raise NotFound(f"no app {app_name_or_id!r}: `leveret app list --all` shows the apps, stopped ones too")
    functions = await d.reads.run(Store.functions_of, app["id"])
    for function_id, name, encoded in functions:
        if name == function_name:
            return app, function_id, encoded
    names = ", ".join(sorted({n for _, n, _ in functions})) or "none"
    raise NotFound(f"app {app['name']!r} ({app['id']}) has no function {function_name!r} (it had: {names})")


async def describe_any(d: "Dispatcher", app_name_or_id: str, function_name: str, now: float) -> FunctionView:
    """A running function's state (``describe``), else (a stopped app's) its settings, from the store."""
    if d.find_live_app(app_name_or_id) is not None:
        return describe(d, app_name_or_id, function_name, now)
    app, function_id, encoded = await stored_function(d, app_name_or_id, function_name)
    fn = FunctionState(function_id, app["id"], d.read_spec(encoded))
    return FunctionView(function_id=function_id, function_name=function_name, app_id=app["id"],
                        app_name=app["name"], version=app.get("version", 0), queued=0, running=0, containers=[],
                        pending=[], events=[], backoff="", settings=_settings(fn), schedule="", crash_streak=0,
                        app_state=app["state"])


def describe(d: "Dispatcher", app_name_or_id: str, function_name: str, now: float) -> FunctionView:
    app, fn = find_function(d, app_name_or_id, function_name)
    backoff = ""
    if now < fn.hold_until:
        backoff = f"{fn.crash_streak} crash(es) in a row: next start in {fn.hold_until - now:.1f} s"
    return FunctionView(
        function_id=fn.function_id, function_name=fn.name, app_id=app.app_id, app_name=app.name, version=app.version,
        queued=fn.queued + fn.retry_waiting, running=fn.running,
        containers=[container(d, c, now) for c in fn.containers.values()],
        pending=[fn.pending] if fn.pending else [], events=[ScaleEventView(ts, text) for ts, text in fn.events],
        backoff=backoff, settings=_settings(fn), schedule=d.deployments.describe_schedule(fn, now),
        crash_streak=fn.crash_streak, app_state=app.state)


def container(d: "Dispatcher", c: ContainerRec, now: float) -> ContainerView:
    app = d.apps.get(c.function.app_id)
    return ContainerView(
        container_id=c.container_id, worker_id=c.worker.worker_id, worker_hostname=c.worker.info.hostname,
        state="stopping" if c.stopping else "ready" if c.ready else "starting", running=len(c.outstanding) + c.direct,
        idle_s=now - c.idle_since if c.idle_since is not None and not c.outstanding and not c.direct else 0.0,
        age_s=now - c.placed_at, app_id=c.function.app_id, app_name=app.name if app else "",
        function_name=c.function.name, cpu_cores=c.usage[0], memory_bytes=c.usage[1])


def containers(d: "Dispatcher", app_name_or_id: str, now: float) -> list[ContainerView]:
    """Running containers, of one app (its live version, by name) or of all, oldest first."""
    if app_name_or_id:
        app = d.find_live_app(app_name_or_id)
        if app is None:
            raise NotFound(f"no running app {app_name_or_id!r}: `leveret app list` shows the apps")
        chosen = [c for f in app.functions for c in f.containers.values()]
    else:
        chosen = list(d.containers.values())
    return [container(d, c, now) for c in sorted(chosen, key=lambda c: c.placed_at)]


async def function_stats(d: "Dispatcher", app_name_or_id: str, function_name: str,
                         function_id: str = "") -> FunctionStatsView:
    if function_id:
        fn = d.functions.get(function_id)
        if fn is None:
            raise NotFound(f"function {function_id} is not running (its app stopped, or the id is wrong)")
    else:
        app = d.find_live_app(app_name_or_id)
        fn = app.function(function_name) if app else None
    if fn is None:   # a stopped app's: what its calls did, as long as the store keeps them
        _, function_id, _ = await stored_function(d, app_name_or_id, function_name)
        return FunctionStatsView(function_id=function_id, queued=0, running=0, containers=0,
                                 **await d.reads.run(Store.function_stats, function_id))
    return FunctionStatsView(function_id=fn.function_id, queued=fn.queued + fn.retry_waiting, running=fn.running,
                             containers=len(fn.containers), **await d.reads.run(Store.function_stats, fn.function_id))


async def function_names(d: "Dispatcher", app_id: str) -> list[str]:
    """An app's function names: from memory while it runs, else from the store."""
    app = d.apps.get(app_id)
    return [f.name for f in app.functions if not f.retired] if app else [n for _, n, _ in await d.reads.run(Store.functions_of, app_id)]
