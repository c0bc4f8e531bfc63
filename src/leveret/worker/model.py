"""The worker's own types for what crosses its edge: what the server tells it, and what it reports.
convert.py turns api.proto's messages into these and back; link.py (the stream) and rpc.py (the
server's other calls) are the only modules that see protobuf.

    server ─start─▶ Assignment (Definition, SandboxStart)   ─inputs─▶ Inputs (of Input)   ─stop─▶ Stop
           ─cancel─▶ CancelInputs   ─feed─▶ FeedInput
           ─exec─▶ Exec, ExecInput, CancelExec, SignalExec   ─logs_stored─▶ LogsStored   ─heartbeat_s─▶ HeartbeatEvery
           ─worker_id─▶ Registered   ─reconciled─▶ Reconciled   ─previous_end─▶ PreviousEnd
           ─chunk_store─▶ ChunkStoreAt   ─direct_port─▶ DirectPortAt   ─disconnect─▶ Disconnect
    worker ─▶ WorkerInfo (of Reported), Heartbeat, UsageReport (of Usage), Results, ContainerEvent
              (ContainerState), ExecReport (of ExecOutput), Logs (logflow.py's Runs)

Inputs and results are the hot path: an input is a plain tuple, results are columns (as the
container protocol's Outputs frame has them), payload bytes passed along as they are. Output
statuses are ``_shared.status``'s numbers.
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

from .._shared.containers import (ContainerEvent, ContainerState, ExecInput, ExecOutput, MountDone, MountImage, Reported,
                                  SandboxStart, SnapshotDone, Usage)

__all__ = [
    "Assignment", "BucketMount", "CallOutput", "CallRefused", "CancelExec", "CancelInputs", "ContainerEvent", "ContainerState", "Definition", "Disconnect", "Exec",
    "ExecInput", "ExecOutput", "ExecReport", "FeedInput", "HEARTBEAT", "Heartbeat", "HeartbeatEvery", "Input", "Inputs", "Logs",
    "LogsStored", "MountDone", "MountFile", "MountImage", "PreviousEnd", "Reconciled", "Registered", "Reported", "Results", "SandboxStart", "SignalExec", "Snapshot", "SnapshotDone", "Stop",
    "StoredBlob", "Usage", "UsageReport", "WorkerInfo",
]

# ------------------------------------------------------------------ from the server


@dataclasses.dataclass(frozen=True, slots=True)
class Definition:
    """What the worker uses of a function's definition (0 and "": not set)."""

    name: str = ""
    module: str = ""                 # imported by name inside the container
    mount_id: str = ""               # its code, unless serialized
    serialized_function: bytes = dataclasses.field(default=b"", repr=False)
    image: str = ""                  # build steps as JSON; "": the default image
    secret_env: dict = dataclasses.field(default_factory=dict, repr=False)
    timeout_s: float = 0.0           # per input
    startup_timeout_s: float = 0.0   # start to ready; 0: the worker's default
    max_inputs: int = 0              # @concurrent: inputs one container runs at once
    cpu: float = 0.0
    memory_mb: int = 0
    gpu_count: int = 0
    block_network: bool = False
    ephemeral_disk_mb: int = 0
    class_name: str = ""             # an @app.cls: the class its containers run (its inputs name a method)
    params: str = ""                 # its parameter set (canonical JSON), "": the defaults
    import_name: str = ""            # a copy with other options: the function's name in its module
    batch_max_size: int = 0          # @batched: inputs per call (its container takes that many at once)
    batch_wait_ms: int = 0
    web: tuple[tuple[str, str], ...] = ()   # a web function (leveret/web.py): its config for the bootstrap, as
                                            # (name, text) pairs: kind, method, docs, port, startup_timeout
    web_methods: str = ""            # an @app.cls's web methods: JSON, name -> that config as a dict
    volume_mounts: tuple = ()        # volumes={...}: VolumeMount each
    bucket_mounts: tuple = ()        # volumes={...: CloudBucketMount(...)}: BucketMount each


class VolumeMount(NamedTuple):
    """A Volume at ``path`` in the container: all of it, or its directory ``sub_path``."""

    path: str
    volume_id: str
    read_only: bool = False
    sub_path: str = ""


@dataclasses.dataclass(frozen=True, slots=True)
class BucketMount:
    """An S3-compatible bucket at ``path`` in the container (buckets.py): all of it, or the objects
    under ``key_prefix``. ``secret_env``: its secret's values ({}: anonymous), never shown."""

    path: str
    bucket_name: str
    endpoint_url: str = ""           # "": AWS S3
    key_prefix: str = ""             # "" or ending in "/"
    read_only: bool = False
    force_path_style: bool = False
    secret_env: dict = dataclasses.field(default_factory=dict, repr=False, compare=False)


class Assignment(NamedTuple):
    """Run a container for a function."""

    container_id: str
    function_id: str
    app_id: str
    definition: Definition
    token: str = ""   # the container's token: its calls (nested .remote, ...) are made with it (calls.py)
    sandbox: "SandboxStart | None" = None   # a sandbox's container: its command, not a function
    app_name: str = ""   # (its metrics' label)


# One input for a container: (input_id, attempt, args, args_blob_id, call_id) — its pickled
# arguments, or the blob holding them when they are over the inline limit, and the call it belongs
# to. A plain tuple: a map sends thousands.
Input = tuple[str, int, bytes, str, str]


class Inputs(NamedTuple):
    container_id: str
    items: list   # of Input


class Stop(NamedTuple):
    container_id: str
    reason: str


class FeedInput(NamedTuple):
    """More of a running input's request: a Body frame to its container."""

    container_id: str
    input_id: str
    data: bytes
    end: bool


class CancelInputs(NamedTuple):
    """Stop running these inputs of a container (their calls were cancelled)."""

    container_id: str
    input_ids: list


class Exec(NamedTuple):
    """Run a command in a container (`leveret container exec`, `leveret shell`)."""

    exec_id: str
    container_id: str
    argv: list
    interactive: bool = False   # it reads the client's stdin
    tty: bool = False           # on a pseudo-terminal of rows x cols
    env: dict = {}
    rows: int = 0
    cols: int = 0
    workdir: str = ""     # "": the container's
    timeout_s: float = 0.0   # killed after this long; 0: no limit
    window: int = 0       # output bytes sent ahead of acks; 0: EXEC_WINDOW
    tool: bool = False    # argv is a command of the worker's static busybox (a sandbox's files API)


class SignalExec(NamedTuple):
    """A signal for a running command's process."""

    exec_id: str
    signal: int


class Snapshot(NamedTuple):
    """Store a container's filesystem over its image as a blob (snapshots.py); with ``path``, that
    directory's files alone."""

    container_id: str
    snapshot_id: str
    path: str = ""


class CancelExec(NamedTuple):
    exec_id: str


class LogsStored(NamedTuple):
    """The server stored this many batches of lines: as many more may go."""

    batches: int


class HeartbeatEvery(NamedTuple):
    seconds: float


class Registered(NamedTuple):
    worker_id: str


class DirectPortAt(NamedTuple):
    """The server's direct port, on the host the worker reaches it at, and its abstract unix socket
    (a name: on the server's host) (direct_handover.py)."""

    port: int
    local_socket: str


class ChunkStoreAt(NamedTuple):
    """Where the server keeps Volumes' chunks, and the id its ``.store-id`` holds there."""

    directory: str
    store_id: str


class Reconciled(NamedTuple):
    """Which of the containers it reported on registering the server kept, and which it stops."""

    kept: list
    stopped: list


class PreviousEnd(NamedTuple):
    """Why the server had ended this worker's last stream."""

    reason: str


class Disconnect(NamedTuple):
    """The server ends this stream."""

    reason: str


class MountFile(NamedTuple):
    """A file of a code mount, as the server has it."""

    path: str
    content: bytes
    sha256: str
    mode: int


# ------------------------------------------------------------------ a container's calls (calls.py)


class CallOutput(NamedTuple):
    """An output of a call a container made: as the server's, data or (over the inline limit) a blob's id."""

    status: int
    gen_index: int
    message: str
    data: bytes
    blob_id: str


class CallRefused(Exception):
    """The server would not make a container's call: ``error`` is a calls.py reply error (NOT_FOUND, …)."""

    def __init__(self, error: int, message: str):
        super().__init__(message)
        self.error, self.message = error, message


# ------------------------------------------------------------------ to the server


@dataclasses.dataclass(frozen=True, slots=True)
class WorkerInfo:
    """What it offers, on registering."""

    hostname: str
    runtime: str
    cpu: float
    memory_mb: int
    max_containers: int
    labels: dict = dataclasses.field(default_factory=dict)
    gpus: int = 0
    gpu_type: str = ""
    containers: tuple[Reported, ...] = ()   # on a reconnect: the containers it still runs for functions
    previous_worker_id: str = ""             # on a reconnect: the id the server gave it before
    reattach: bool = False                   # it takes its containers over when it restarts
    gpu_devices: tuple = ()                  # gpus.Gpu: as NVML describes them, or as told
    gpu_driver: str = ""
    cuda_version: str = ""


class Heartbeat(NamedTuple):
    pass


HEARTBEAT = Heartbeat()


class UsageReport(NamedTuple):
    containers: list   # of Usage


class StoredBlob(str):
    """A blob id the worker got from the server for an output (never what a container sent)."""


class Results(NamedTuple):
    """A container's outputs, a column per field as its Outputs frame had them: ``data`` holds
    each output's pickled value or exception, or a StoredBlob naming the blob that holds it;
    ``statuses`` are ``_shared.status``'s numbers. ``busy_s``: how long it ran inputs."""

    container_id: str
    input_ids: list
    attempts: list
    statuses: list
    data: list
    gen_indexes: list
    messages: list
    busy_s: float = 0.0


class ExecReport(NamedTuple):
    """A piece of the output of command ``exec_id``, or its end."""

    exec_id: str
    output: ExecOutput


class Logs(NamedTuple):
    """Lines for the server, as logflow.py's Runs."""

    runs: list
