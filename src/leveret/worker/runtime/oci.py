"""OCI runtimes: each container is a bundle (config.json + an overlayfs root) run by crun, runc or runsc.

    start:  a disk (disk.py: a size-limited filesystem, from a pool kept ready) ─▶ bundle dir
            ─▶ overlay(lower = image rootfs, upper + work on the disk) at rootfs/: the container's
               writes, /tmp included, land on its disk and stop at its size (ENOSPC); with a user
               namespace (userns.py) the layers are idmapped binds under layers/ and the upper is
               the worker's id range's
            ─▶ a private network (network.py), when asked: a namespace of its own with NAT out
            ─▶ config.json (ociconfig.py: namespaces, capabilities, masked paths, cgroup limits, binds)
            ─▶ `RUNTIME run --bundle DIR ID` in the foreground: its stdout / stderr are the container's
    kill:   `RUNTIME kill --all ID SIG`
    remove: `RUNTIME delete --force ID`, unmount, delete bundle, delete the disk and the network

``OciRuntime`` is what the three share; each class says what it does differently:
``RuncRuntime`` nothing (the reference runtime), ``CrunRuntime`` hybrid cgroup hosts (below),
``RunscRuntime`` (runsc.py) gVisor's flags and config.

On a hybrid cgroup host crun 1.8 refuses to run ("cgroups in hybrid mode not supported"); there
crun must not see the v2 hierarchy. `leveret worker` hides it once, at start-up, by moving itself
into a private mount namespace with a tmpfs over /sys/fs/cgroup/unified (``hide_unified_hierarchy``);
a process that cannot (one already running threads, like a test runner) wraps each crun command in
`unshare` instead. runc works on such hosts as it is.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import os
import shutil
import signal

from . import cgroups
from .disk import DEFAULT_DISK_MB, DEFAULT_RESERVE_MB, Disk, DiskMaker, DiskPool, MiB, choose_maker
from .sysmount import CLONE_NEWNS, MS_PRIVATE, MS_REC
from .sysmount import libc as _libc
from .sysmount import mount as _mount
from .sysmount import mounts_under
from .sysmount import umount as _umount
from .base import (BOOTSTRAP_PATH, LEVERET_PACKAGE, ContainerHandle, ContainerRuntime, ContainerSpec, ContainerStats,
                   DeviceNode, ExecProcess, Mount, RuntimeStartError, read_device)
from .exec_agent import INSIDE as AGENT_DIR
from .exec_agent import ExecAgent
from .network import EGRESS_CA, HOST_TRUST, TRUST_DIR, Networks, trust_env
from .userns import UserNamespaces, idmapped_bind
from .ociconfig import oci_config
from .oci_exec import runtime_exec
from .spawn import Process, spawn

RUNTIME_DIR = "/opt/leveret"            # where the bootstrap and its dependencies appear inside containers
TINI = "/usr/bin/tini-static"           # PID 1 in every container: forwards signals, reaps zombies
BUSYBOX = "/bin/busybox"                # static (Debian's busybox-static): sandboxes' sleep and file tools, any image
HOST_FILES = ["/etc/resolv.conf", "/etc/ssl/certs/ca-certificates.crt"]
PID_FILE = "pid"                        # in a bundle: the runtime writes its init's pid there once it is created
HIDE_UNIFIED = 'mount -t tmpfs tmpfs /sys/fs/cgroup/unified && exec "$0" "$@"'

log = logging.getLogger("leveret.worker")


def cgroup_of(container_id: str) -> str:
    """The container's own cgroup: the parent of the one the runtime runs it in (LEAF, config.json's
    cgroupsPath, which holds its limits). The runtime makes both and removes only the leaf when the
    container ends; the parent keeps what its processes did (peak memory, OOM kills: counted up the
    tree) until the worker has read it, and the worker removes it."""
    return f"/leveret/{container_id}"


LEAF = "c"


def leaf_cgroup(container_id: str) -> str:
    """Where the runtime puts the container's processes, with its memory, cpu, pids and device limits."""
    return f"{cgroup_of(container_id)}/{LEAF}"


def _cloudpickle_dir() -> str:
    import cloudpickle

    return os.path.dirname(os.path.abspath(cloudpickle.__file__))


class OciHandle(ContainerHandle):
    def __init__(self, runtime: "OciRuntime", container_id: str, bundle: str, proc: Process,
                 memory_limit: int):
        self.runtime = runtime
        self.memory_limit = memory_limit   # bytes; 0: none
        self._sent_sigkill = False
        self._kills: set[asyncio.Task] = set()
        self.container_id = container_id
        self.bundle = bundle
        self.proc = proc
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        self.stdin = proc.stdin

    async def started(self) -> None:
        """Once the runtime has made the container (its pid file written): commands can be run in it."""
        delay, path = 0.0005, os.path.join(self.bundle, PID_FILE)
        while not os.path.exists(path) and self.proc.returncode is None:
            await asyncio.sleep(delay)
            delay = min(2 * delay, 0.02)

    async def wait(self) -> int:
        code = await self.proc.wait()
        code = 128 - code if code > 128 else code   # 128 + N: killed by signal N
        self.oom_killed = self._out_of_memory(code)
        return code

    def _out_of_memory(self, code: int) -> bool:
        """Whether the kernel killed it for its memory limit: it ended by SIGKILL the worker did not
        send, and its cgroup's record (kept by the parent of the one the runtime removed) says so."""
        if not self.memory_limit or code != -signal.SIGKILL or self._sent_sigkill:
            return False
        try:
            directory = cgroups.memory_dir(cgroup_of(self.container_id))
        except OSError:
            return False
        return cgroups.hit_memory_limit(directory, self.memory_limit)

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """`RUNTIME kill --all`, without blocking the worker's event loop on it."""
        self._sent_sigkill = self._sent_sigkill or sig == signal.SIGKILL
        task = asyncio.get_running_loop().create_task(self._kill(sig))
        self._kills.add(task)
        task.add_done_callback(self._kills.discard)

    async def _kill(self, sig: int) -> None:
        proc = await spawn(
            *self.runtime.command("kill", "--all", self.container_id, str(int(sig))),
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
        await proc.wait()


class OciRuntime(ContainerRuntime):
    """What crun, runc and runsc share: bundles, disks, cgroups, the lifecycle verbs. A subclass
    names its binary and changes what its runtime does differently."""

    exec_terminal = True    # exec can give the command a terminal (--tty --console-socket)
    exec_flags = ("--no-new-privs",)   # what every exec gets (runsc: its own sandbox keeps exec'd commands in)
    exec_agents = True      # a sandbox's commands start through its exec agent once it runs (exec_agent.py)
    name: str               # the binary
    install_hint = ""       # how to get the binary, for the error when it is missing
    isolated = True
    needs_rootfs = True
    supports_userns = True  # ContainerSpec.userns: root inside is an unprivileged uid outside
    reattaches = True       # its containers outlive the worker, and the next one takes them over (oci_adopt.py)

    def __init__(self, state_dir: str, *, unified_hidden: bool = False, disk_mb: int = DEFAULT_DISK_MB,
                 disk_reserve_mb: int = DEFAULT_RESERVE_MB, disks: DiskMaker | None = None):
        path = shutil.which(self.name)
        if path is None:
            how = self.install_hint or f"apt-get install {self.name}"
            raise RuntimeStartError(f"{self.name} is not installed: {how}, or run the worker with another --runtime")
        if os.geteuid() != 0:
            raise RuntimeStartError(f"the {self.name} runtime needs root; run the worker as root, or with --runtime process")
        if not os.path.exists(TINI):
            raise RuntimeStartError(f"{TINI} is missing (the containers' init): apt-get install tini")
        self.path = path
        self.cgroup_mode = cgroups.HYBRID if unified_hidden else cgroups.detect()
        self.unified_hidden = unified_hidden
        self.swap_accounting = cgroups.swap_accounting(self.cgroup_mode)
        self.bundles = os.path.join(state_dir, "bundles")
        # Containers' writable layers: loop disks where the host has them (disks: a maker for tests).
        self.disks = DiskPool(disks or choose_maker(os.path.join(state_dir, "disks")), default_mb=disk_mb,
                              reserve_mb=disk_reserve_mb)
        self._disk_of: dict[str, Disk] = {}   # container id -> its disk
        self.networks = Networks(owner=os.path.abspath(state_dir))
        self.userns: UserNamespaces | None = UserNamespaces(os.path.abspath(state_dir)) if self.supports_userns else None
        self._userns_of: set[str] = set()    # containers with a user namespace
        self._agents: dict[str, ExecAgent] = {}   # a sandbox's exec agent (exec_agent.py)
        self._usage: cgroups.UsageReader | None = None   # made at the first stats()
        # Containers use the host's name servers and trust what the host trusts (a TLS-inspecting
        # proxy's certificate included): builds and functions reach the same registries it does.
        self.runtime_mounts = [Mount(p, p) for p in HOST_FILES if os.path.exists(p)] + [
            Mount(LEVERET_PACKAGE, f"{RUNTIME_DIR}/lib/leveret"),
            Mount(_cloudpickle_dir(), f"{RUNTIME_DIR}/lib/cloudpickle"),
            Mount(TINI, f"{RUNTIME_DIR}/init"),
        ] + ([Mount(BUSYBOX, f"{RUNTIME_DIR}/busybox")] if _static(BUSYBOX) else [])

    def config(self, spec: ContainerSpec, devices: list[DeviceNode] = (), netns: str = "") -> dict:
        """config.json for ``spec``, its ``devices`` read from the host, in the network namespace ``netns``."""
        id_map = self.userns.ensure().uid_map() if spec.userns and self.userns is not None else ()
        mounts = self.runtime_mounts
        net = self.networks.of(spec.container_id) if netns else None
        if net is not None:   # its name server is its worker's, at its end of the veth
            mounts = [m for m in mounts if m.target != "/etc/resolv.conf"] + [Mount(net.resolv_conf, "/etc/resolv.conf")]
        agent = self._agents.get(spec.container_id)
        if agent is not None:
            mounts = [*mounts, Mount(agent.path, AGENT_DIR)]
        if net is not None and net.trust:   # it trusts its egress proxy's authority too (egress_proxy.py)
            bundle = os.path.join(net.trust, os.path.basename(HOST_TRUST))
            mounts = [m for m in mounts if m.target != HOST_TRUST] + [
                Mount(bundle, HOST_TRUST), Mount(os.path.join(net.trust, EGRESS_CA), TRUST_DIR + "/" + EGRESS_CA)]
            spec = dataclasses.replace(spec, env={**trust_env(HOST_TRUST, TRUST_DIR + "/" + EGRESS_CA), **spec.env})
        return oci_config(spec, mounts, leaf_cgroup(spec.container_id), devices=devices,
                          swap=self.swap_accounting, netns=netns, id_map=id_map)

    def refuse(self, spec: ContainerSpec) -> str:
        """Why this runtime cannot run ``spec`` as asked ("" when it can): checked before anything is set up."""
        return ""

    def command(self, *args: str) -> list[str]:
        """The runtime's command line for a verb and its arguments."""
        return [self.path, *args]

    def run_command(self, spec: ContainerSpec, bundle: str) -> list[str]:
        """The command that runs ``spec``'s bundle in the foreground."""
        return self.command("run", "--bundle", bundle, f"--pid-file={os.path.join(bundle, PID_FILE)}", spec.container_id)

    def describe(self) -> str:
        return f"{self.name} (cgroup {self.cgroup_mode})"

    def sandbox_command(self, argv: list[str]) -> list[str]:
        if argv:
            return [f"{RUNTIME_DIR}/init", "--", *argv]
        return [f"{RUNTIME_DIR}/init", "--", *self.tool_command(["sleep", "2147483647"])]

    def upper_dir(self, handle: ContainerHandle) -> str:
        """Its writes; with a user namespace, seen through the inverse mapping (as the container sees them)."""
        upper = os.path.join(self._disk_of[handle.container_id].path, "upper")
        if handle.container_id not in self._userns_of:
            return upper
        view = os.path.join(handle.bundle, "upper-view")
        if not os.path.ismount(view):
            idmapped_bind(upper, view, self.userns.from_host)
        return view

    def init_pid(self, handle: ContainerHandle) -> int:
        """Its init's pid on the host (the runtime wrote it once it made the container)."""
        try:
            with open(os.path.join(handle.bundle, PID_FILE)) as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            raise RuntimeStartError(f"container {handle.container_id} is not running") from None

    async def mount_image(self, handle: ContainerHandle, lowers: tuple[str, ...], path: str) -> None:
        from .mount_into import mount_image

        await mount_image(self, handle, lowers, path)

    async def unmount_image(self, handle: ContainerHandle, path: str) -> None:
        from .mount_into import into

        await into(self.init_pid(handle), path, -1)

    async def pause(self, handle: ContainerHandle, paused: bool) -> None:
        proc = await spawn(*self.command("pause" if paused else "resume", handle.container_id),
                                                    stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
        _, err = await proc.communicate()
        if proc.returncode:
            raise RuntimeStartError(f"could not {'pause' if paused else 'resume'} container {handle.container_id}:"
                                    f" {err.decode(errors='replace').strip()}")

    def tool_command(self, argv: list[str]) -> list[str]:
        if not _static(BUSYBOX):
            raise RuntimeStartError(f"sandboxes need a static busybox (to sleep without a command, and for their"
                                    f" files API), and {BUSYBOX} is not one: apt-get install busybox-static on the"
                                    " worker")
        return [f"{RUNTIME_DIR}/busybox", *argv]

    def bootstrap_command(self) -> tuple[list[str], dict[str, str]]:
        inside = BOOTSTRAP_PATH.replace(LEVERET_PACKAGE, f"{RUNTIME_DIR}/lib/leveret", 1)
        return [f"{RUNTIME_DIR}/init", "--", "python3", inside], {"PYTHONPATH": f"{RUNTIME_DIR}/lib"}

    async def start(self, spec: ContainerSpec) -> ContainerHandle:
        if not spec.rootfs:
            raise RuntimeStartError("an OCI container needs an image root filesystem")
        refused = self.refuse(spec)
        if refused:
            raise RuntimeStartError(refused)
        devices = [read_device(path) for path in spec.devices]   # this host's numbers, read now
        bundle = os.path.join(self.bundles, spec.container_id)
        rootfs = os.path.join(bundle, "rootfs")
        try:
            if spec.upper_dir:   # an image build step: its writes are the new layer (overlayfs wants
                upper, work = spec.upper_dir, spec.upper_dir + ".work"   # its work dir on the same filesystem)
            else:
                disk = self._disk_of[spec.container_id] = await self.disks.take(spec.disk_mb)
                upper, work = os.path.join(disk.path, "upper"), os.path.join(disk.path, "work")
            for d in (rootfs, upper, work):
                os.makedirs(d, exist_ok=True)
            if not spec.upper_dir:   # /tmp is the root's, on the disk: whatever the image has there, writable by all
                os.makedirs(os.path.join(upper, "tmp"), exist_ok=True)
                os.chmod(os.path.join(upper, "tmp"), 0o1777)
            lower = spec.rootfs
            if spec.userns:
                lower = self._user_namespace(spec, bundle, upper)
            _mount("overlay", rootfs, "overlay", f"lowerdir={lower},upperdir={upper},workdir={work}")
            netns = ""
            if spec.network.mode == "private":
                net = await self.networks.make(spec.container_id, spec.network.egress, spec.network.domains, bundle,
                                               spec.network.outbound)
                netns = net.netns
            if spec.stdin and self.exec_agents and _static(BUSYBOX):   # a sandbox's
                self._agents[spec.container_id] = ExecAgent(os.path.join(bundle, "agent"))
            fd = os.open(os.path.join(bundle, "config.json"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as f:   # it holds the function's secrets
                json.dump(self.config(spec, devices, netns), f)
            # A pipe, never the host's /dev/null: the runtime gives a user namespace's root its stdio
            # (fchown), which would make the host's /dev/null that uid's. Closed at once if unused.
            piped = spec.stdin or spec.userns
            proc = await spawn(
                *self.run_command(spec, bundle),
                stdin=asyncio.subprocess.PIPE if piped else asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE, start_new_session=True)
            if piped and not spec.stdin:
                proc.stdin.close()
        except (OSError, RuntimeStartError) as exc:
            await self._cleanup(spec.container_id, bundle)
            if isinstance(exc, RuntimeStartError):
                raise
            raise RuntimeStartError(f"could not set up the container: {exc}") from exc
        return OciHandle(self, spec.container_id, bundle, proc, memory_limit=spec.memory_mb * MiB)

    def _user_namespace(self, spec: ContainerSpec, bundle: str, upper: str) -> str:
        """Its layers idmapped (their root is its root), its upper directory its root's: the lowerdir to stack."""
        if self.userns is None:
            raise RuntimeStartError(f"the {self.name} runtime gives containers no user namespace of their own")
        self._userns_of.add(spec.container_id)
        base = self.userns.ensure().base
        layers = []
        for i, layer in enumerate(spec.rootfs.split(":")):
            layers.append(os.path.join(bundle, "layers", str(i)))
            idmapped_bind(layer, layers[-1], self.userns.to_host)
        for d in (upper, os.path.join(upper, "tmp")):
            os.chown(d, base, base)
        return ":".join(layers)

    async def remove(self, handle: ContainerHandle) -> None:
        assert isinstance(handle, OciHandle)
        await self._cleanup(handle.container_id, handle.bundle)

    async def exec(self, handle: ContainerHandle, argv: list[str], *, stdin: bool = False, tty: bool = False,
                   env: dict[str, str] | None = None, size: tuple[int, int] = (0, 0), cwd: str = "") -> ExecProcess:
        assert isinstance(handle, OciHandle)
        if tty and not self.exec_terminal:
            raise RuntimeStartError(f"{self.name} gives a command a terminal only when it lets go of it, losing its"
                                    " exit code: run the worker with --runtime crun for `leveret shell` and `exec -t`")
        agent = self._agents.get(handle.container_id)
        if agent is not None and not tty:
            started = await agent.take(self, handle, argv, env or {}, cwd)
            if started is not None:
                return started
        if tty and all(size) and _static(BUSYBOX):   # its terminal's size set before the command runs (not after)
            argv = [f"{RUNTIME_DIR}/busybox", "sh", "-c", 'stty rows "$1" cols "$2" 2>/dev/null; shift 2; exec "$@"',
                    "sh", str(size[0]), str(size[1]), *argv]
        return await runtime_exec(self, handle.container_id, handle.bundle, argv, stdin=stdin, tty=tty, env=env,
                                  size=size, cwd=cwd)

    def stats(self, handle: ContainerHandle) -> ContainerStats:
        """From the container's cgroups: its processes' leaf while it runs, else its own."""
        if self._usage is None:
            self._usage = cgroups.UsageReader()
        leaf, own = leaf_cgroup(handle.container_id), cgroup_of(handle.container_id)
        cpu = self._usage.cpu_seconds(leaf)
        memory = self._usage.memory_bytes(leaf)
        return ContainerStats(cpu if cpu is not None else self._usage.cpu_seconds(own),
                              memory if memory is not None else self._usage.memory_bytes(own))

    def adopt_record(self, handle: ContainerHandle) -> dict | None:
        from .oci_adopt import record

        return record(self, handle) if self.reattaches else None

    async def adopt(self, state: dict) -> ContainerHandle | None:
        from .oci_adopt import adopt

        return await adopt(self, state) if self.reattaches else None

    async def remove_leftovers(self, keep: tuple[str, ...] = ()) -> list[str]:
        ids = sorted(set(os.listdir(self.bundles)) - set(keep)) if os.path.isdir(self.bundles) else []
        for container_id in ids:
            await self._cleanup(container_id, os.path.join(self.bundles, container_id))
        kept_disks = tuple(self._disk_of[c] for c in keep if c in self._disk_of)
        disks = await self.disks.remove_leftovers(kept_disks)
        if disks:
            log.info("removed %d container disk(s) left by an earlier worker here", len(disks))
        networks = await self.networks.remove_leftovers(
            frozenset(net.slot for net in map(self.networks.of, keep) if net is not None))
        if networks:
            log.info("removed %d container network(s) left by an earlier worker here", networks)
        return ids

    def prepare(self) -> None:
        self.disks.fill()

    async def close(self) -> None:
        await self.disks.close()
        await self.networks.close()
        if self.userns is not None:
            self.userns.close()

    async def _cleanup(self, container_id: str, bundle: str) -> None:
        proc = await spawn(*self.command("delete", "--force", container_id),
                                                    stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
        await proc.wait()
        # its processes may still be exiting (found by the soak test: such a cgroup was left for good)
        if not await cgroups.remove_when_empty(leaf_cgroup(container_id), cgroup_of(container_id)):
            log.warning("container %s: its cgroup %s still holds processes after %g s: it is left", container_id,
                        cgroup_of(container_id), cgroups.GONE_S)
        for point in mounts_under(bundle):   # its root, and the idmapped binds under it
            try:
                _umount(point)
            except RuntimeStartError as exc:
                log.warning("container %s: %s", container_id, exc)
        self._userns_of.discard(container_id)
        agent = self._agents.pop(container_id, None)
        if agent is not None:
            agent.close()
        left = mounts_under(bundle)
        if left:   # never delete through a mount: that would delete an image's (or a volume's) files
            log.error("container %s: %s still mounted; its bundle is left where it is", container_id, ", ".join(left))
        else:
            shutil.rmtree(bundle, ignore_errors=True)
        disk = self._disk_of.pop(container_id, None)
        if disk is not None:
            await self.disks.release(disk)
        await self.networks.remove(container_id)


class RuncRuntime(OciRuntime):
    """runc: the reference OCI runtime, run as the shared class is."""

    name = "runc"
    exec_terminal = False   # it takes a console socket only when it detaches from the command (losing its exit)
    supports_userns = False   # runc 1.1 (Debian 12's) has no idmapped mounts: layers and volumes would be nobody's


class CrunRuntime(OciRuntime):
    """crun (the default): on a hybrid cgroup host each command runs where the v2 hierarchy is
    hidden, unless the worker hid it from itself already (module docstring)."""

    name = "crun"

    def __init__(self, state_dir: str, **kwargs):
        super().__init__(state_dir, **kwargs)
        self.hide_unified = self.cgroup_mode == cgroups.HYBRID and not self.unified_hidden

    def describe(self) -> str:
        how = ", its v2 hierarchy hidden from crun" if self.hide_unified or self.unified_hidden else ""
        return f"{self.name} (cgroup {self.cgroup_mode}{how})"

    def command(self, *args: str) -> list[str]:
        cmd = super().command(*args)
        if self.hide_unified:
            return ["unshare", "--mount", "--propagation", "private", "sh", "-c", HIDE_UNIFIED, *cmd]
        return cmd


def _static(path: str) -> bool:
    """Whether ``path`` is an executable that needs no shared library (it runs in any image)."""
    try:
        with open(path, "rb") as f:
            head = f.read(1 << 16)
    except OSError:
        return False
    return head.startswith(b"\x7fELF") and b"/ld-linux" not in head and b"ld-musl" not in head


def hide_unified_hierarchy() -> bool:
    """Move this process into a private mount namespace where /sys/fs/cgroup/unified is an empty
    tmpfs, so crun sees only the v1 controllers of a hybrid host. Only a single-threaded process
    can; returns whether it did (only on hybrid hosts, as root)."""
    if os.geteuid() != 0 or cgroups.detect() != cgroups.HYBRID:
        return False
    if _libc.unshare(CLONE_NEWNS) != 0:
        return False
    _mount("none", "/", "", "", MS_REC | MS_PRIVATE)
    _mount("tmpfs", "/sys/fs/cgroup/unified", "tmpfs", "")
    return True
