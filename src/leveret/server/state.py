"""The server's live records: apps, functions, calls' inputs, containers and workers, as the
Dispatcher keeps them in memory (the store has them durably). Plain data with a few derived
properties; the logic that changes them is in dispatch.py (the hot path), placement.py
(containers) and workers.py."""

from __future__ import annotations

import asyncio
import collections
import dataclasses

from . import scheduler as sched
from .calls import CallState
from .model import FunctionSpec, WorkerInfo

DEFAULT_MAX_CONTAINERS = 100
MAX_WINDOW = 1000              # most inputs in flight to one container
WINDOW_TARGET_S = 0.02         # a container is sent about this much work at a time
DEFAULT_CPU_REQUEST = 0.125   # cores a container reserves when its function asks for none (Modal's default)
DEFAULT_MEMORY_REQUEST_MB = 128
EVENTS_KEPT = 50              # scale events kept per function for `leveret function describe`


class InputRec:
    __slots__ = ("input_id", "call", "idx", "args", "args_blob", "attempt", "queued_at", "sent_at", "container", "cancelled",
                 "ends", "alone", "retries", "retry_handle", "yielded", "fail_why")

    def __init__(self, input_id: str, call: CallState, idx: int, args: bytes, now: float, args_blob: str = ""):
        self.input_id = input_id
        self.call = call
        self.idx = idx
        self.args = args
        self.args_blob = args_blob   # the blob holding its arguments when they are over the inline limit
        self.attempt = 1
        self.queued_at = now
        self.sent_at = 0.0       # when its last attempt was sent to a container (0: not yet)
        self.container: ContainerRec | None = None
        self.cancelled = False   # its client got a CANCELLED output; a late result is dropped
        self.ends = 0            # containers or workers that ended under it in a row (policy.py)
        self.alone = False       # it was in a container that crashed: it runs by itself from now on
        self.retries = 0         # retries used (retries=)
        self.retry_handle = None  # set while it waits out its retry delay (neither queued nor running)
        self.yielded = False     # a generator that yielded items cannot run again
        self.fail_why = ""       # what the policy adds to its final failure (e.g. the poison rule)


@dataclasses.dataclass(eq=False)
class WorkerConn:
    worker_id: str
    info: WorkerInfo
    outbox: asyncio.Queue
    containers: set = dataclasses.field(default_factory=set)
    allocated: sched.Resources = sched.Resources()   # what its containers reserve
    healthy: bool = True
    token_id: str = ""            # its own token's id ("" with the server's token)
    last_seen: float = 0.0        # its last message (heartbeats included)
    down: bool = False            # marked down: its stream is ended and what it still sends is dropped
    away_since: float | None = None   # its stream broke (reattach): its containers running inputs wait for it
    address: str = ""             # where it connected from: its containers' ports are there (tunnels)

    def node(self) -> sched.Node:
        i = self.info
        return sched.Node(self.worker_id, sched.Resources(i.cpu, i.memory_mb, i.gpus), self.allocated,
                          gpu_type=i.gpu_type.upper(), labels=tuple(sorted(i.labels.items())), healthy=self.healthy,
                          max_containers=i.max_containers, containers=len(self.containers))


@dataclasses.dataclass(eq=False)
class ContainerRec:
    container_id: str
    function: "FunctionState"
    worker: WorkerConn
    resources: sched.Resources = sched.Resources()
    ready: bool = False
    stopping: bool = False
    outstanding: dict = dataclasses.field(default_factory=dict)
    direct: int = 0                # web requests running on it through its link (web_links.py), not inputs
    idle_since: float | None = None
    placed_at: float = 0.0
    waiting_since: float = 0.0     # when the oldest input it was placed for was queued
    ready_at: float = 0.0
    phases: dict = dataclasses.field(default_factory=dict)   # cold start, seconds; reported once
    stop_reason: str = ""
    usage: tuple = (-1.0, -1, -1.0)   # (cpu cores lately, memory bytes, cpu seconds so far) from heartbeats
    usage_at: float = 0.0
    gpus_counted_at: float = 0.0   # its GPUs' seconds are counted to here (0: from placed_at; metrics.py)


@dataclasses.dataclass(eq=False)
class FunctionState:
    function_id: str
    app_id: str
    spec: FunctionSpec
    queue: collections.deque = dataclasses.field(default_factory=collections.deque)
    cancelled_in_queue: int = 0   # cancelled inputs still in `queue`; pump skips them
    containers: dict = dataclasses.field(default_factory=dict)
    seconds_per_input: float | None = None
    told_no_worker: bool = False
    schedule: dict | None = None  # a deployed function's Cron/Period spec
    anchor: float = 0.0           # when its schedule was first deployed
    last_tick: float | None = None
    firing: bool = False          # a tick's call is being stored (deploy.py)
    pending: str = ""             # why containers it wants are not placed (empty: nothing pending)
    events: collections.deque = dataclasses.field(default_factory=lambda: collections.deque(maxlen=EVENTS_KEPT))
    crash_streak: int = 0         # containers in a row that ended unexpectedly
    hold_until: float = 0.0       # no new container before this (crash-loop back-off)
    retry_waiting: int = 0        # inputs waiting out a retry delay
    retired: bool = False         # replaced by a newer one of its name (`leveret serve` reloaded): its calls
                                  # finish, its containers stop once idle, nothing new finds it
    sandbox: object = None        # a sandbox's own function (sandboxes.SandboxRec): one container, never scaled

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def request(self) -> sched.Resources:
        d = self.spec
        return sched.Resources(d.cpu_request or DEFAULT_CPU_REQUEST, d.memory_request_mb or DEFAULT_MEMORY_REQUEST_MB,
                               d.gpu_count)

    @property
    def running(self) -> int:
        return sum(len(c.outstanding) for c in self.containers.values())

    @property
    def queued(self) -> int:
        return len(self.queue) - self.cancelled_in_queue

    @property
    def window(self) -> int:
        if self.spec.max_inputs > 1:   # @concurrent: the container runs all it is sent at once
            return self.spec.max_inputs
        if self.seconds_per_input is None:
            return 2
        return max(1, min(MAX_WINDOW, int(WINDOW_TARGET_S / max(self.seconds_per_input, 1e-7)))) + 1


@dataclasses.dataclass(eq=False)
class AppState:
    app_id: str
    name: str
    functions: list = dataclasses.field(default_factory=list)
    calls: dict = dataclasses.field(default_factory=dict)
    last_heartbeat: float = 0.0
    stopped: bool = False
    cancelled_inputs: int = 0   # over the app's life: a client's interrupted calls count too
    state: str = "ephemeral"    # ephemeral | deploying | deployed (the live version) | draining
    version: int = 0            # deployed apps: 1, 2, ...
    detached: bool = False      # an ephemeral run that outlives its client (`leveret run --detach`)

    @property
    def deployed(self) -> bool:
        return self.state != "ephemeral"

    def function(self, name: str) -> "FunctionState | None":
        return next((f for f in reversed(self.functions) if f.name == name and not f.retired), None)
