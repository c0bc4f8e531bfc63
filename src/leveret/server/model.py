"""The server's own types for what crosses its edge: what clients and workers send in, and what the
server sends out to workers. api/convert.py turns api.proto's messages into these and back; nothing
else in the server sees protobuf.

    client ─FunctionCreate─▶ FunctionSpec       client ─inputs─▶ Input          ─outputs─▶ Output
    worker ─register─▶ WorkerInfo (+ Reported)  worker ─results─▶ Results (of Output)
    worker ─event─▶ ContainerEvent (ContainerState)  ─usage─▶ Usage  ─exec output─▶ ExecOutput
    Dispatcher ─▶ worker outbox: StartContainer, SendInputs, CancelInputs, FeedInput, StopContainer, StartExec,
                                 ExecInput, CancelExec, LogsStored, Reconciled, PreviousEnd, Disconnect

Inputs and outputs are the hot path: plain tuples and ``__slots__`` classes, built once at the edge,
payload bytes passed along as they are. Output statuses are ``_shared.status``'s numbers.
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

# What workers report of their containers, as the worker says it too.
from .._shared.containers import (ContainerEvent, ContainerState, ExecInput, ExecOutput, LogSource, Reported,  # noqa: F401
                                  MountDone, MountImage, SandboxStart, SnapshotDone, Usage)
from .._shared.status import OutputStatus

# ------------------------------------------------------------------ functions


class Retries(NamedTuple):
    """A function's ``retries=``: how often a failed input runs again, and after what delay."""

    max_retries: int
    backoff_coefficient: float
    initial_delay_s: float
    max_delay_s: float


@dataclasses.dataclass(frozen=True, slots=True)
class FunctionSpec:
    """What the server uses of a function's definition; ``encoded`` is the whole definition as the
    wire has it (api.proto's FunctionDefinition, deterministically serialized), which the server
    stores and passes to the workers that run it without reading it."""

    name: str
    encoded: bytes = dataclasses.field(default=b"", repr=False)
    is_generator: bool = False
    is_async: bool = False
    mount_id: str = ""
    image: str = ""
    schedule: str = ""              # JSON schedule spec (Cron or Period); "" none
    max_containers: int = 0         # 0: the server's default
    min_containers: int = 0
    buffer_containers: int = 0
    scaledown_window_s: int = 0
    max_inputs: int = 0             # @concurrent: inputs one container runs at once; 0: 1
    target_inputs: int = 0          # 0: max_inputs
    cpu_request: float = 0.0        # 0: the server's default
    memory_request_mb: int = 0      # 0: the server's default
    gpu_type: str = ""
    gpu_count: int = 0
    selector: tuple[tuple[str, str], ...] = ()   # labels a worker must carry, sorted
    retries: Retries | None = None  # None: a failed input is not retried
    class_name: str = ""            # an @app.cls: its inputs name a method
    methods: tuple[tuple[str, bool], ...] = ()   # an @app.cls's methods: (name, is a generator), sorted
    params: str = ""                # an @app.cls bound to a parameter set (_shared/params.py); "": defaults
    secret_ids: tuple[str, ...] = ()   # its secrets (secrets.py): their values go in its containers' assignments
    registry_secret: str = ""       # its image's registry credentials (a secret's id), the same way
    bucket_secrets: tuple[str, ...] = ()   # its bucket mounts' credentials (secrets' ids), the same way
    timeout_s: float = 0.0          # per input; 0: none (the worker holds inputs to it; the gateway a direct request)
    web_kind: str = ""              # a web function (gateway.py): fastapi, asgi, wsgi or server; "" not one
    web_label: str = ""             # its URL's name (the function's name, made URL-safe, unless given)
    web_auth: bool = False          # its requests need a proxy token
    web_methods: tuple[tuple[str, str, bool], ...] = ()   # an @app.cls's web methods: (name, label, needs a
                                                          # proxy token), sorted

    @property
    def all_secret_ids(self) -> tuple[str, ...]:
        return self.secret_ids + ((self.registry_secret,) if self.registry_secret else ()) + self.bucket_secrets


# ------------------------------------------------------------------ inputs and outputs


# One input of a call as its client sent it: (idx, args, args_blob_id) — its position, its pickled
# arguments, or the blob holding them when they are over the inline limit. A plain tuple: a map
# sends thousands, and the Dispatcher unpacks each once.
Input = tuple[int, bytes, str]


@dataclasses.dataclass(slots=True)
class Output:
    """One output of an input: a status (``_shared.status``), its pickled value or exception (or the
    blob holding it), a generator item's number, a failure's summary and traceback. Its fields are
    the store's columns of an output, in their order: ``Output(*row)``."""

    idx: int
    status: int
    data: bytes = b""
    gen_index: int = 0
    message: str = ""
    data_blob_id: str = ""
    traceback: str = ""   # a failure's (the function's frames); stored, not sent to callers


SUCCESS = int(OutputStatus.SUCCESS)
FAILURE = int(OutputStatus.FAILURE)
GENERATOR_ITEM = int(OutputStatus.GENERATOR_ITEM)
CANCELLED = int(OutputStatus.CANCELLED)
INTERNAL_FAILURE = int(OutputStatus.INTERNAL_FAILURE)
OUT_OF_MEMORY = int(OutputStatus.OUT_OF_MEMORY)


class Results(NamedTuple):
    """A container's results: ``(input_id, attempt, output)`` each (the output's ``idx`` is the
    server's to set), and how long it was busy since its previous batch."""

    container_id: str
    results: list[tuple[str, int, Output]]
    busy_s: float = 0.0


# ------------------------------------------------------------------ workers and containers


@dataclasses.dataclass(frozen=True, slots=True)
class WorkerInfo:
    """What a worker says of itself when it registers."""

    hostname: str = ""
    runtime: str = ""
    cpu: float = 0.0
    memory_mb: int = 0
    max_containers: int = 0
    gpus: int = 0
    gpu_type: str = ""
    labels: dict = dataclasses.field(default_factory=dict)
    containers: tuple[Reported, ...] = ()   # on a reconnect: the containers it still runs for functions
    previous_worker_id: str = ""             # on a reconnect: the id the server gave it before
    reattach: bool = False                   # it takes its containers over when it restarts
    gpu_devices: tuple["GpuDevice", ...] = ()   # as NVML describes them (or as told)
    gpu_driver: str = ""
    cuda_version: str = ""


class GpuDevice(NamedTuple):
    index: int
    uuid: str
    model: str
    memory_mb: int
    mig: bool


# ------------------------------------------------------------------ to workers (their outbox)


class StartContainer(NamedTuple):
    container_id: str
    function_id: str
    app_id: str
    spec: FunctionSpec
    token: str = ""   # the container's token: its worker makes the container's calls with it (auth.py)
    secret_env: dict = {}   # its function's secrets' values: to this container's worker only
    registry_env: dict = {}   # its image's registry credentials (REGISTRY_USERNAME, REGISTRY_PASSWORD), the same way
    bucket_env: dict = {}     # its bucket mounts' credentials: {secret id: its values}, the same way
    sandbox: "SandboxStart | None" = None   # a sandbox's container: its command (sandboxes.py)
    app_name: str = ""   # (its worker's metrics' label)


class SendInputs(NamedTuple):
    container_id: str
    inputs: list[tuple[str, int, bytes, str, str]]   # (input_id, attempt, args, args_blob_id, call_id)


class CancelInputs(NamedTuple):
    container_id: str
    input_ids: list[str]   # running there (or sent there): their calls were cancelled


class FeedInput(NamedTuple):
    """More of a running input's request (gateway.py): a piece of its body, a WebSocket message."""

    container_id: str
    input_id: str
    data: bytes
    end: bool


class StopContainer(NamedTuple):
    container_id: str
    reason: str


class StartExec(NamedTuple):
    exec_id: str
    container_id: str
    argv: list[str]
    interactive: bool = False   # it reads the client's stdin
    tty: bool = False           # on a pseudo-terminal of rows x cols
    env: dict = {}
    rows: int = 0
    cols: int = 0
    workdir: str = ""         # "": the container's
    timeout_s: float = 0.0    # killed after this long; 0: no limit
    window: int = 0           # output bytes sent ahead of acks; 0: EXEC_WINDOW
    tool: bool = False        # argv is a command of the worker's static busybox


class SnapshotContainer(NamedTuple):
    container_id: str
    snapshot_id: str
    path: str = ""   # a directory of it only (snapshot_directory)


class SignalExec(NamedTuple):
    exec_id: str
    signal: int


class CancelExec(NamedTuple):
    exec_id: str   # its client went away


class LogsStored(NamedTuple):
    batches: int   # log batches stored since the last one said: as many more may come


class Reconciled(NamedTuple):
    """After a reconnecting worker's id: which of the containers it reported the server kept."""

    kept: tuple[str, ...]
    stopped: list[str]


class PreviousEnd(NamedTuple):
    reason: str   # why the server ended the worker's last stream


class Disconnect(NamedTuple):
    reason: str   # the server ends this stream now, and why
