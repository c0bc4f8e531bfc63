"""What the server and the worker both say of a container: its states, the events and usage its
worker reports, a command's output in one, the containers a reconnecting worker still runs, and
where its log lines come from. Each side converts them to and from api.proto's messages at its edge.
"""

from __future__ import annotations

import dataclasses
import enum
from typing import NamedTuple


class ContainerState(enum.Enum):
    STARTING = "starting"
    READY = "ready"       # its bootstrap connected and imported the function
    STOPPED = "stopped"
    FAILED = "failed"


class LogSource(enum.IntEnum):
    """Where a log line came from: api.proto's LogSource numbers, as the store keeps them."""

    STDOUT = 1
    STDERR = 2
    SYSTEM = 3


@dataclasses.dataclass(slots=True)
class ContainerEvent:
    """A container's change of state, as its worker tells it."""

    container_id: str
    state: ContainerState
    exit_code: int = 0
    message: str = ""
    phases: dict = dataclasses.field(default_factory=dict)   # cold start, seconds, on READY
    oom_killed: bool = False
    timed_out_input: str = ""   # it was stopped because this input ran past its timeout
    running_input: str = ""     # the input it was running when it ended, if known
    ports: dict = dataclasses.field(default_factory=dict)   # on READY: its port -> where its host publishes it


class Usage(NamedTuple):
    """What one container uses, with its worker's heartbeat (< 0: its runtime cannot tell)."""

    container_id: str
    cpu_seconds: float
    memory_bytes: int


class Reported(NamedTuple):
    """A container a reconnecting worker says it still runs for a function."""

    container_id: str
    function_id: str
    app_id: str
    ready: bool
    inputs: tuple[str, ...] = ()   # the inputs it holds (sent to it, not finished)


EXEC_WINDOW = 4 << 20      # a command's output the worker sends beyond what its client took
EXEC_ACK_EVERY = 256 << 10  # the server says what the client took each time this much more went


class ExecInput(NamedTuple):
    """For a running command: stdin bytes, their end, a new window size (rows and cols set), or
    ``ack``: how many bytes of its output its client took (the worker sends a window beyond)."""

    exec_id: str
    data: bytes = b""
    eof: bool = False
    rows: int = 0
    cols: int = 0
    ack: int = 0


class ExecOutput(NamedTuple):
    """A piece of the output of a command run in a container (``stream`` 1: stdout, 2: stderr), or
    its end (``done``), or how many more bytes of its stdin its pipe took (``stdin_taken``)."""

    stream: int = 0
    data: bytes = b""
    done: bool = False
    exit_code: int = 0
    error: str = ""
    stdin_taken: int = 0
    timed_out: bool = False   # with done: it was killed for running past its timeout


class SandboxStart(NamedTuple):
    """A sandbox's command, run as its container's process (the server's sandboxes.py sends it, the
    worker's sandbox_runner.py runs it)."""

    sandbox_id: str
    argv: list        # empty: it sleeps until terminated
    workdir: str = ""
    env: dict = {}
    window: int = 0   # output bytes its worker sends ahead of the server's acks
    egress: tuple | None = None   # the only CIDRs it may reach (None: any)
    ports: tuple = ()             # its ports the gateway reaches: its worker publishes them on its host
    domains: tuple | None = None  # the only names whose addresses it may reach, with egress's CIDRs (None: any)
    pty: bool = False             # its command runs on a terminal
    outbound: tuple | None = None  # its outbound policy: egress.Route's, headers resolved (None: none)


class MountImage(NamedTuple):
    """An image mounted read-only at ``path`` in a running container, or unmounted from there (the
    server's sandboxes.py asks, the worker's image_mounts.py does it)."""

    container_id: str
    request_id: str
    path: str
    image: str = ""      # its build steps (JSON); "" with unmount
    unmount: bool = False


class MountDone(NamedTuple):
    """A worker's mount (or unmount) of an image in a container: done, or why not."""

    request_id: str
    error: str = ""


class SnapshotDone(NamedTuple):
    """A worker's snapshot of a container: the blob holding its files (a tar), or why not."""

    snapshot_id: str
    blob_id: str = ""
    sha256: str = ""
    size: int = 0
    error: str = ""
