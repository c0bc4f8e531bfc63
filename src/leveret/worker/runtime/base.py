"""The interface between the worker and whatever isolates containers.

The worker talks to containers only through ``ContainerRuntime``: ``start`` a spec, read the
handle's stdout / stderr, ``wait`` for its exit, ``kill`` it, ``remove`` what it left behind, and
read what it uses (``stats``, for the worker's /metrics).
Implementations: ``process`` (no isolation), ``oci`` (crun and runc: namespaces, overlayfs,
cgroups), ``runsc`` (gVisor), ``fake`` (records calls, for tests). Each says how it runs the
bootstrap (``bootstrap_command``), since the interpreter and the bootstrap's path differ inside an
image, and refuses with the reason what it cannot do of a spec (a limit without isolation, a
device in gVisor's sandbox).
"""

from __future__ import annotations

import abc
import asyncio
import dataclasses
import fcntl
import os
import signal
import stat
import struct
import sys
import termios
from typing import TYPE_CHECKING

# Importing the bootstrap imports the modules it runs: compiled here where this host can write
# them, containers (which mount them read-only) load them compiled.
from ...container import bootstrap

if TYPE_CHECKING:
    from .disk import DiskPool
    from .network import Networks
    from .spawn import Process

# Where this worker's copy of leveret lives (what containers import the bootstrap from): found from
# this file's path (leveret/worker/runtime/base.py), so the worker never imports the SDK for it.
LEVERET_PACKAGE = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BOOTSTRAP_PATH = os.path.abspath(bootstrap.__file__)


@dataclasses.dataclass(frozen=True)
class Mount:
    """A host path at ``target`` inside the container (crun / runc / runsc: a bind mount)."""

    source: str
    target: str
    read_only: bool = True


NETWORK_MODES = ("host", "none", "private")


@dataclasses.dataclass(frozen=True)
class NetworkSpec:
    """How a container reaches the network. ``host``: as the host does (builds; functions with --host-network);
    ``none``: a network namespace of its own with only loopback (block_network=True); ``private``:
    a namespace of its own with an address of its own, going out through the host's NAT, reaching
    neither the host nor other containers (network.py; a sandbox's default). With ``private``:
    ``egress``, the CIDRs it may reach, ``domains``, the names whose addresses it may reach (both
    None: anywhere), ``outbound``, its outbound policy's routes (_shared/egress.Route: its tls and
    https routes are kept by its egress proxy; ``egress`` holds what its other routes allow)."""

    mode: str = "host"
    egress: tuple[str, ...] | None = None
    domains: tuple[str, ...] | None = None
    outbound: tuple | None = None

    def __post_init__(self) -> None:
        if self.mode not in NETWORK_MODES:
            raise ValueError(f"network mode {self.mode!r}: choose one of {', '.join(NETWORK_MODES)}")
        if (self.egress is not None or self.domains is not None or self.outbound) and self.mode != "private":
            raise ValueError("an egress allowlist needs a private network")

    @property
    def isolated(self) -> bool:
        return self.mode != "host"


@dataclasses.dataclass(frozen=True)
class ContainerSpec:
    container_id: str
    argv: list[str]
    env: dict[str, str]     # its whole environment (PATH: the runtime's default unless set here)
    workdir: str
    mounts: list[Mount] = dataclasses.field(default_factory=list)   # host directories and files it sees
    cpu: float = 0.0        # cores; 0 = no limit
    memory_mb: int = 0      # 0 = no limit
    rootfs: str = ""        # the image's root filesystem (read-only lower layer); "" = the host's
    pids_limit: int = 0     # 0 = no limit
    network: NetworkSpec = NetworkSpec()
    devices: list[str] = dataclasses.field(default_factory=list)   # host device paths (/dev/nvidia0), same path
    #                         inside, or "HOST:INSIDE" (read_device)
    hooks: tuple[tuple[str, dict], ...] = ()   # OCI hooks: (stage, {"path", "args", "env"}), a GPU's by CDI
    cwd: str = "/"               # working directory inside an image
    upper_dir: str = ""          # keep the container's writes here (image builds); "" = discard them
    disk_mb: int = 0             # size of its writable layer and /tmp (ephemeral_disk=); 0 = the runtime's default
    stdin: bool = False          # its stdin is a pipe (ContainerHandle.stdin), not /dev/null: a sandbox's
    userns: bool = False         # root inside is an unprivileged uid outside (userns.py): a sandbox's

    @property
    def needs_isolation(self) -> list[str]:
        """The options in this spec that only an isolating runtime can enforce."""
        asked = {"cpu=": self.cpu, "memory=": self.memory_mb, "block_network=": self.network.mode == "none",
                 "outbound_cidr_allowlist=": self.network.egress is not None and not self.network.outbound,
                 "outbound_domain_allowlist=": self.network.domains is not None,
                 "outbound_policy=": bool(self.network.outbound),
                 "a private network": self.network.mode == "private" and self.network.egress is None
                 and self.network.domains is None and not self.network.outbound,
                 "ephemeral_disk=": self.disk_mb}
        return [name for name, value in asked.items() if value]


@dataclasses.dataclass(frozen=True)
class DeviceNode:
    """A host device as the runtime recreates it inside a container."""

    path: str
    type: str      # "c" (character) or "b" (block)
    major: int
    minor: int
    mode: int      # permission bits
    uid: int
    gid: int


def read_device(entry: str) -> DeviceNode:
    """The device node ``entry`` names on this host ("PATH", or "HOST:INSIDE" for one made at
    another path inside), read when a container starts (numbers differ between hosts);
    RuntimeStartError if there is none."""
    path, _, inside = entry.partition(":")
    try:
        st = os.stat(path)
    except OSError as exc:
        raise RuntimeStartError(f"device {path} is not on this host ({exc.strerror}): check the path, or that its"
                                " driver is loaded") from None
    kinds = {stat.S_IFCHR: "c", stat.S_IFBLK: "b"}
    if stat.S_IFMT(st.st_mode) not in kinds:
        raise RuntimeStartError(f"{path} is not a device node (a character or block device): pass device paths"
                                " such as /dev/nvidia0")
    return DeviceNode(inside or path, kinds[stat.S_IFMT(st.st_mode)], os.major(st.st_rdev), os.minor(st.st_rdev),
                      stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid)


@dataclasses.dataclass(frozen=True)
class ContainerStats:
    """What a running container has used; None where the runtime cannot tell."""

    cpu_seconds: float | None = None     # CPU time since it started, all its processes
    memory_bytes: int | None = None      # memory it holds now


class ContainerHandle(abc.ABC):
    """A started container. ``stdout`` and ``stderr`` stream its file descriptors 1 and 2."""

    container_id: str
    stdout: asyncio.StreamReader
    stderr: asyncio.StreamReader
    stdin: asyncio.StreamWriter | None = None   # with ContainerSpec.stdin
    oom_killed: bool = False   # known after wait(): it ended because it hit its memory limit
    exit_known: bool = True    # False: wait()'s code means nothing (a container taken over: oci_adopt.py)

    async def started(self) -> None:
        """Wait until the container exists (commands can be run in it): at once unless the runtime
        makes it after start() returns."""

    @abc.abstractmethod
    async def wait(self) -> int:
        """Wait for the container to exit; return its exit code (negative: killed by signal)."""

    @abc.abstractmethod
    def kill(self, sig: int) -> None:
        """Send ``sig`` to every process of the container; no error if it already exited."""


@dataclasses.dataclass
class ExecProcess:
    """A command started in a container. ``pty``: the master end of its terminal (tty), whose
    output is the command's; ``proc``'s own pipes then carry only what the runtime says.
    ``pid_file``: where the runtime wrote the command's own pid (the host's number), when ``proc``
    is the runtime's process rather than the command."""

    proc: "Process"   # (spawn.py)
    pty: int | None = None
    pid_file: str = ""

    def kill_all(self) -> None:
        """The command and what it started, killed (its session: what runs it started it in one)."""
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def signal(self, sig: int, _tries: int = 100) -> None:
        """Send ``sig`` to the command itself (not to what runs it); nothing if it ended. Where the
        runtime has not written its pid yet, once it has (it is starting)."""
        pid = self.proc.pid
        if self.pid_file:
            try:
                with open(self.pid_file) as f:
                    pid = int(f.read().strip() or 0)
            except (OSError, ValueError):
                pid = 0
            if not pid:
                if _tries and self.proc.returncode is None:
                    asyncio.get_running_loop().call_later(0.01, self.signal, sig, _tries - 1)
                return
        if pid > 0 and self.proc.returncode is None:
            try:
                os.kill(pid, sig)
            except (ProcessLookupError, PermissionError):
                pass


def set_window(fd: int, rows: int, cols: int) -> None:
    """A terminal's size: its foreground process gets SIGWINCH."""
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


def take_terminal() -> None:
    """In a child about to exec, with a terminal's slave end on fd 0: a session of its own, whose
    controlling terminal that is (what a shell needs for job control and ^C)."""
    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class ContainerRuntime(abc.ABC):
    name: str
    isolated: bool
    needs_rootfs = False    # True: start() needs spec.rootfs (an image)
    disks: "DiskPool | None" = None   # where containers' writable layers live (disk.py); None: the host's, unbounded
    networks: "Networks | None" = None   # containers' private networks (network.py); None: it makes none
    supports_userns = False   # it can give a container a user namespace of its own (ContainerSpec.userns)
    reattaches = False        # a worker restarted on its state directory takes its containers over (adopt)

    def address(self, handle: ContainerHandle) -> str:
        """The container's own address (a private network's), reachable from this host; "" if it has none."""
        net = self.networks.of(handle.container_id) if self.networks is not None else None
        return net.address if net is not None else ""

    def upper_dir(self, handle: ContainerHandle) -> str:
        """Where the container's writes over its image are (its overlay's upper directory)."""
        raise RuntimeStartError(f"the {self.name} runtime keeps no layer of a container's writes: snapshots need"
                                " a worker with --runtime crun (or runc)")

    async def mount_image(self, handle: ContainerHandle, lowers: tuple[str, ...], path: str) -> None:
        """An image's layers (top first), read-only, at ``path`` in the running container."""
        raise RuntimeStartError(f"the {self.name} runtime cannot mount images into containers: mount_image needs a"
                                " worker with --runtime crun (or runc)")

    async def unmount_image(self, handle: ContainerHandle, path: str) -> None:
        """What mount_image put at ``path``, gone."""
        raise RuntimeStartError(f"the {self.name} runtime cannot mount images into containers")

    async def pause(self, handle: ContainerHandle, paused: bool) -> None:
        """Freeze the container's processes (``paused``), or let them go on; nothing where it cannot."""

    def tool_command(self, argv: list[str]) -> list[str]:
        """``argv`` as a command of a static busybox (a sandbox's files API: any image, no shell in it needed)."""
        import shutil

        busybox = shutil.which("busybox")
        if busybox is None:
            raise RuntimeStartError("a sandbox's files are reached with busybox, which this worker's host lacks:"
                                    " apt-get install busybox-static")
        return [busybox, *argv]

    def sandbox_command(self, argv: list[str]) -> list[str]:
        """The argv that runs a sandbox's command (empty: one that sleeps until it is terminated)."""
        return list(argv) or ["sleep", "2147483647"]

    def bootstrap_command(self) -> tuple[list[str], dict[str, str]]:
        """The argv that runs the bootstrap in a container, and environment it needs for that."""
        return [sys.executable, BOOTSTRAP_PATH], {"PYTHONPATH": os.path.dirname(LEVERET_PACKAGE)}

    @abc.abstractmethod
    async def start(self, spec: ContainerSpec) -> ContainerHandle:
        """Start a container; raise RuntimeStartError with a readable reason if it cannot."""

    @abc.abstractmethod
    async def remove(self, handle: ContainerHandle) -> None:
        """Release everything the container held (bundle, mounts, cgroups). Idempotent."""

    async def exec(self, handle: ContainerHandle, argv: list[str], *, stdin: bool = False, tty: bool = False,
                   env: dict[str, str] | None = None, size: tuple[int, int] = (0, 0), cwd: str = "") -> "ExecProcess":
        """Start ``argv`` inside a running container (its namespaces, root, cgroup and environment,
        plus ``env``; in ``cwd`` if given, else its working directory): with stdout and stderr piped,
        and stdin if ``stdin``; or with all three on a new pseudo-terminal, its controlling terminal,
        if ``tty``, of ``size`` (rows, columns) if given. Raise RuntimeStartError if it cannot."""
        raise RuntimeStartError(f"the {self.name} runtime cannot run commands in containers")

    def stats(self, handle: ContainerHandle) -> ContainerStats | None:
        """What the running container uses now (read at a metrics scrape: cheap, no blocking
        beyond reading a few small files); None if this runtime cannot say."""
        return None

    def adopt_record(self, handle: ContainerHandle) -> dict | None:
        """What a worker starting on this state directory after this one would need to take the
        running container over (``adopt``); None where this runtime cannot."""
        return None

    async def adopt(self, state: dict) -> ContainerHandle | None:
        """A handle of the container an earlier worker here recorded (``adopt_record``), still
        running; None if it ended."""
        return None

    async def remove_leftovers(self, keep: tuple[str, ...] = ()) -> list[str]:
        """Release what containers of an earlier worker on this state directory still hold (that
        worker was killed, or its host went down), but those in ``keep`` (adopted); return their
        ids. Called before any start."""
        return []

    def prepare(self) -> None:
        """Start making, in the background, what containers to come will need (after remove_leftovers)."""

    async def close(self) -> None:
        """Release what the runtime keeps ready for containers to come (a worker's last call)."""

    def describe(self) -> str:
        return self.name if self.isolated else f"{self.name} (no isolation)"

    def describe_disk(self) -> str:
        """How a container's disk is bounded, for the worker's banner."""
        if self.disks is not None:
            return self.disks.describe()
        return "unbounded (no isolation: containers write to the host's disk)"


class RuntimeStartError(Exception):
    """A container could not be started; the message says why."""
