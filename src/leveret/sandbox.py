"""``Sandbox``: a container a program creates, drives and throws away, as Modal's ``modal.Sandbox``.

    app = leveret.App.lookup("agents", create_if_missing=True)
    sb = leveret.Sandbox.create("python3", "-c", "print(1)", app=app, image=leveret.Image.debian_slim())
    sb.wait(); sb.stdout.read()                       # "1\\n"; sb.returncode == 0
    sb = leveret.Sandbox.create(app=app)              # no command: it sleeps until terminated
    p = sb.exec("bash", "-c", "cat; echo done >&2")   # a ContainerProcess
    p.stdin.write(b"hi"); p.stdin.write_eof(); p.stdin.drain()
    for line in p.stdout: ...                         # as it comes; p.stderr likewise
    p.wait(); p.returncode; p.kill()                  # kill: beyond Modal, that process alone
    sb.terminate(); sb.poll()

Every method has an ``.aio`` form. The server holds each process's output until it is read (a
window of 16 MiB: a command printing more than that, unread, waits for a reader, as on a pipe);
what is read is gone, so ``Sandbox.from_id`` in another program reads what nobody read yet.
"""

from __future__ import annotations


from ._shared.names import check_object_name
from ._utils.synchronize import synchronize, synchronize_classmethod
from .exception import (InvalidError, NotImplementedOptionError, SandboxTerminatedError, SandboxTimeoutError)
from ._sandbox_args import _outbound, _args, _egress, _env, _own_server, _ports, _seconds, _tags, _terminal_size
from ._sandbox_fs import _path
from .io_streams import STDERR, STDOUT, StreamReader, StreamWriter
from .stream_type import StreamType

DEFAULT_TIMEOUT = 300

# option -> what brings it (refused while set, never ignored)
_NOT_YET = {
    "network_file_systems": "network file systems (use volumes=)",
    "cloud": "cloud placement",
    "h2_ports": "HTTP/2 to a sandbox's port",
    "verbose": "verbose sandbox logs (`leveret sandbox logs SB` shows what it prints)",
    "custom_domain": "custom domains",
    "proxy": "proxies",
    "include_oidc_identity_token": "OIDC identity tokens",
    "experimental_options": "experimental options",
    "_experimental_enable_snapshot": "memory snapshots",
}


IN_CONTAINER = ("sandboxes cannot be created or driven from inside a function's container yet: create them from"
                " the program that runs the app")


async def live_client():
    from ._client import Client

    client = await Client.get()
    if not isinstance(client, Client):
        raise NotImplementedOptionError(IN_CONTAINER)
    return client


async def _call(method: str, request):
    return await (await live_client()).call(method, request)


# ------------------------------------------------------------------ processes


class _Process:
    """What a sandbox's own command and a command exec'd in it share: streams, wait, poll."""

    def __init__(self, process_id: str, text: bool = True, stdout: StreamType = StreamType.PIPE,
                 stderr: StreamType = StreamType.PIPE):
        self._process_id = process_id
        self._returncode: int | None = None
        self._ended_by = ""
        self._reason = ""
        self.stdout = StreamReader(process_id, STDOUT, text, stdout)
        self.stderr = StreamReader(process_id, STDERR, text, stderr)
        self.stdin = StreamWriter(process_id)
        self.stdout._start()
        self.stderr._start()

    @property
    def returncode(self) -> int | None:
        """Its exit code once it ended (after wait() or a poll() that saw it end), else None."""
        return self._returncode

    async def _wait(self, timeout: float) -> bool:
        from ._wire import api_pb2 as pb

        r = await _call("ProcessWait", pb.ProcessWaitRequest(process_id=self._process_id, timeout_s=timeout))
        if r.done:
            self._returncode, self._ended_by, self._reason = r.exit_code, r.ended_by, r.reason
        return r.done

    @synchronize
    async def poll(self) -> int | None:
        """Its exit code if it ended, else None (without waiting)."""
        await self._wait(0.0)
        return self._returncode


class ContainerProcess(_Process):
    """A command run in a sandbox (``sandbox.exec``)."""

    def __repr__(self) -> str:
        return f"ContainerProcess({self._process_id})"

    @property
    def object_id(self) -> str:
        return self._process_id

    @synchronize
    async def wait(self) -> int:
        """Wait for it to end; its exit code (-9 and the like: killed by that signal)."""
        while not await self._wait(-1.0):
            pass
        return self._returncode

    @synchronize
    async def kill(self, signal: int = 9) -> None:
        """Send it ``signal`` (default SIGKILL): that process alone, the sandbox and its other
        commands go on (beyond Modal, which has no per-process kill)."""
        from ._wire import api_pb2 as pb

        if isinstance(signal, bool) or not isinstance(signal, int) or not 0 < signal < 65:
            raise InvalidError(f"kill() takes a signal number, e.g. signal.SIGTERM, not {signal!r}")
        await _call("ProcessKill", pb.ProcessKillRequest(process_id=self._process_id, signal=int(signal)))


# ------------------------------------------------------------------ sandboxes


class Sandbox(_Process):
    """A sandbox: ``Sandbox.create(...)``, ``from_id``, ``from_name``, ``list``."""

    def __init__(self, sandbox_id: str):
        super().__init__(sandbox_id)
        self._tags: dict = {}

    def __repr__(self) -> str:
        return f"Sandbox({self._process_id})"

    @property
    def object_id(self) -> str:
        return self._process_id

    @synchronize_classmethod
    async def create(cls, *args: str, app=None, name: str | None = None, tags: dict | None = None, image=None,
                     env: dict | None = None, secrets=None, network_file_systems=None, timeout: int = DEFAULT_TIMEOUT,
                     idle_timeout: int | None = None, workdir: str | None = None, gpu=None, cloud=None,
                     region=None, cpu=None, memory=None, block_network: bool = False, cidr_allowlist=None,
                     outbound_cidr_allowlist=None, outbound_domain_allowlist=None, inbound_cidr_allowlist=None,
                     volumes=None, pty: bool = False, encrypted_ports=(), h2_ports=(), unencrypted_ports=(),
                     custom_domain=None, proxy=None, include_oidc_identity_token: bool = False,
                     readiness_probe=None, verbose: bool = False, experimental_options=None,
                     _experimental_enable_snapshot: bool = False, client=None, environment_name: str | None = None,
                     ephemeral_disk=None, outbound_policy=None) -> "Sandbox":
        """Start a sandbox in ``app`` (running, or looked up with App.lookup) running ``args`` (none:
        it sleeps until terminated, or until ``timeout`` seconds, default 300, at most 24 h)."""
        from ._function_options import validate
        from ._runner import container_definition
        from ._shared.ids import new_id
        from ._wire import api_pb2 as pb

        given = locals()
        for option, what in _NOT_YET.items():
            value = given[option]
            if value not in (None, False, (), [], {}, ""):
                raise NotImplementedOptionError(f"Sandbox.create({option}=...) is not supported yet (it comes with"
                                                f" {what}); remove it to create the sandbox without it")
        from ._container_client import socket_path

        if socket_path():   # (before its app is looked at: a function's own app has no id in its container)
            raise NotImplementedOptionError(IN_CONTAINER)
        _own_server("Sandbox.create", client)
        argv = _args(args, "Sandbox.create")
        app_id = getattr(app, "app_id", None)
        if app is None or not app_id:
            raise InvalidError("Sandbox.create needs a running app: app=leveret.App.lookup(\"name\","
                               " create_if_missing=True), or create it inside `with app.run():`")
        if name is not None:
            check_object_name(name, "Sandbox")
        from .probe import Probe

        if readiness_probe is not None and not isinstance(readiness_probe, Probe):
            raise InvalidError(f"readiness_probe= takes leveret.Probe.with_tcp(PORT) or leveret.Probe.with_exec(...),"
                               f" not {readiness_probe!r}")
        if image is not None and getattr(image, "_steps", ()) and image._steps[0].get("op") == "directory":
            raise InvalidError("a directory snapshot holds one directory's files, not a system to run: mount it in"
                               " a running sandbox with sb.mount_image(path, image)")
        opts = validate("Sandbox", serialized=False, scaledown_window=60, max_containers=None, cpu=cpu,
                        memory=memory, block_network=block_network, image=image, timeout=timeout, secrets=secrets,
                        region=region, gpu=gpu, ephemeral_disk=ephemeral_disk, volumes=volumes, unset={})
        tags = _tags(tags)
        client = await live_client()
        definition = await container_definition(client, opts)
        sandbox_id = new_id("sb")
        request = pb.SandboxCreateRequest(
            app_id=app_id, sandbox_id=sandbox_id, definition=definition, argv=argv, name=name or "", tags=tags,
            timeout_s=opts.timeout, idle_timeout_s=_seconds(idle_timeout, "idle_timeout"), workdir=workdir or "",
            env=_env(env, "Sandbox.create"), pty=bool(pty), environment=environment_name or "")
        _egress(request, cidr_allowlist, outbound_cidr_allowlist, outbound_domain_allowlist, block_network)
        if inbound_cidr_allowlist is not None:   # who its ports (through the gateway) answer
            from ._shared.egress import check_cidrs

            try:
                request.inbound_cidr_allowlist.extend(check_cidrs(inbound_cidr_allowlist))
            except ValueError as exc:
                raise InvalidError(f"inbound_cidr_allowlist: {exc}") from None
            request.inbound_limited = True
        if outbound_policy is not None:
            await _outbound(request, outbound_policy, client)
        request.encrypted_ports.extend(_ports(encrypted_ports, "encrypted_ports"))
        request.unencrypted_ports.extend(_ports(unencrypted_ports, "unencrypted_ports"))
        if readiness_probe is not None:
            request.readiness_probe.CopyFrom(pb.ReadinessProbe(tcp_port=readiness_probe.tcp_port,
                                                               argv=readiness_probe.argv,
                                                               interval_ms=readiness_probe.interval_ms))
        await client.call("SandboxCreate", request)
        sb = cls(sandbox_id)
        sb._tags = tags
        return sb

    @synchronize_classmethod
    async def from_id(cls, sandbox_id: str, client=None) -> "Sandbox":
        """The sandbox of that id (running, or ended within the hour)."""
        from ._wire import api_pb2 as pb

        _own_server("Sandbox.from_id", client)
        info = await _call("SandboxGet", pb.SandboxGetRequest(sandbox_id=sandbox_id))
        return cls._of(info)

    @synchronize_classmethod
    async def from_name(cls, app_name: str, name: str, *, environment_name: str | None = None,
                        client=None) -> "Sandbox":
        """The running sandbox named ``name`` in the deployed app ``app_name`` (of ``environment_name``,
        default: the configured one)."""
        from ._wire import api_pb2 as pb

        from . import config
        from ._shared.names import qualified

        _own_server("Sandbox.from_name", client)
        info = await _call("SandboxGet", pb.SandboxGetRequest(
            app_name=qualified(app_name, environment_name or config.environment()), name=name))
        return cls._of(info)

    @classmethod
    def _of(cls, info) -> "Sandbox":
        sb = cls(info.sandbox_id)
        sb._tags = dict(info.tags)
        if info.done:
            sb._returncode, sb._ended_by, sb._reason = info.exit_code, info.ended_by, info.reason
        return sb

    @synchronize_classmethod
    async def list(cls, *, app_id: str | None = None, tags: dict | None = None, client=None,
                   environment_name: str | None = None):
        """The running sandboxes (of ``app_id``; with every one of ``tags``; of ``environment_name``'s
        apps, if given, else of every environment's), newest first."""
        from ._wire import api_pb2 as pb

        _own_server("Sandbox.list", client)
        r = await _call("SandboxList", pb.SandboxListRequest(app_id=app_id or "", tags=_tags(tags),
                                                             environment=environment_name or ""))
        for info in sorted(r.sandboxes, key=lambda i: -i.created_at):
            yield cls._of(info)

    @synchronize
    async def wait(self, raise_on_termination: bool = True) -> None:
        """Wait for its command to end. A sandbox terminated before that (terminate(), its timeout)
        raises SandboxTerminatedError (SandboxTimeoutError for a timeout) unless
        ``raise_on_termination=False``."""
        while not await self._wait(-1.0):
            pass
        if raise_on_termination and self._ended_by in ("terminated", "timeout"):
            error = SandboxTimeoutError if self._ended_by == "timeout" else SandboxTerminatedError
            raise error(f"sandbox {self._process_id} ended before its command did: {self._reason}")

    @synchronize
    async def wait_until_ready(self, *, timeout: float = 300) -> None:
        """Wait until it runs and its readiness probe (if it has one) passed: SandboxTerminatedError if it
        ended first, TimeoutError after ``timeout`` seconds."""
        from ._wire import api_pb2 as pb
        from .exception import TimeoutError

        info = await _call("SandboxWaitReady", pb.SandboxWaitReadyRequest(sandbox_id=self._process_id,
                                                                          timeout_s=_seconds(timeout, "timeout")))
        if info.done:
            raise SandboxTerminatedError(f"sandbox {self._process_id} ended before it was ready: {info.reason}")
        if not info.ready:
            raise TimeoutError(f"sandbox {self._process_id} was not ready within {timeout:g} s"
                               f" ({info.reason or ('its readiness probe has not passed' if info.state == 'running' else 'it is starting')})")

    @synchronize
    async def terminate(self, *, wait: bool = False) -> int | None:
        """Stop it (its command gets SIGTERM, then SIGKILL after a grace); with ``wait``, its exit code."""
        from ._wire import api_pb2 as pb

        await _call("SandboxTerminate", pb.SandboxTerminateRequest(sandbox_id=self._process_id))
        if wait:
            while not await self._wait(-1.0):
                pass
            return self._returncode
        return None

    @synchronize
    async def detach(self) -> None:
        """It runs on after its app stops (until its timeout or terminate())."""
        from ._wire import api_pb2 as pb

        await _call("SandboxDetach", pb.SandboxDetachRequest(sandbox_id=self._process_id))

    @synchronize
    async def set_tags(self, tags: dict, *, client=None) -> None:
        from ._wire import api_pb2 as pb

        _own_server("Sandbox.set_tags", client)

        tags = _tags(tags)
        await _call("SandboxTagsSet", pb.SandboxTagsSetRequest(sandbox_id=self._process_id, tags=tags))
        self._tags = tags

    @synchronize
    async def get_tags(self) -> dict:
        from ._wire import api_pb2 as pb

        info = await _call("SandboxGet", pb.SandboxGetRequest(sandbox_id=self._process_id))
        self._tags = dict(info.tags)
        return dict(self._tags)

    @synchronize
    async def snapshot_filesystem(self, timeout: int = 55):
        """An Image: the sandbox's image with what it changed on top (only that diff is stored, as one
        layer), from which new sandboxes and functions start."""
        from ._wire import api_pb2 as pb
        from .image import Image

        r = await _call("SandboxSnapshot", pb.SandboxSnapshotRequest(sandbox_id=self._process_id,
                                                                     timeout_s=_seconds(timeout, "timeout")))
        return Image.from_json(r.image)

    @synchronize
    async def snapshot_directory(self, path: str, timeout: int = 55):
        """An Image of one directory's files, all of them as the sandbox sees them, to mount in a
        running sandbox (``mount_image``), this one or another."""
        from ._wire import api_pb2 as pb
        from .image import Image

        r = await _call("SandboxSnapshot", pb.SandboxSnapshotRequest(sandbox_id=self._process_id,
                                                                     timeout_s=_seconds(timeout, "timeout"),
                                                                     path=_path(path, "snapshot_directory")))
        return Image.from_json(r.image)

    @synchronize
    async def mount_image(self, path: str, image) -> None:
        """``image``'s files (a directory snapshot's, as a rule), read-only, at ``path`` of this running
        sandbox, over what was there until ``unmount_image(path)``."""
        from ._wire import api_pb2 as pb
        from .image import Image

        if not isinstance(image, Image):
            raise InvalidError(f"mount_image takes an Image (sandbox.snapshot_directory(path) makes one), not {image!r}")
        await _call("SandboxMount", pb.SandboxMountRequest(sandbox_id=self._process_id,
                                                           path=_path(path, "mount_image"), image=image.to_json()))

    @synchronize
    async def unmount_image(self, path: str) -> None:
        """What ``mount_image`` put at ``path``, gone (what was there before shows again)."""
        from ._wire import api_pb2 as pb

        await _call("SandboxMount", pb.SandboxMountRequest(sandbox_id=self._process_id,
                                                           path=_path(path, "unmount_image"), unmount=True))

    @synchronize
    async def tunnels(self, timeout: int = 50) -> dict:
        """Its ports (encrypted_ports=, unencrypted_ports=) as the gateway exposes them, once it runs:
        {port: Tunnel} (``.url``; ``.tcp_socket`` for unencrypted ones)."""
        from ._wire import api_pb2 as pb
        from .tunnel import Tunnel

        r = await _call("SandboxTunnels", pb.SandboxTunnelsRequest(sandbox_id=self._process_id,
                                                                   timeout_s=_seconds(timeout, "timeout")))
        return {t.port: Tunnel(t.tunnel_id, t.url, (t.tcp_host, t.tcp_port) if t.tcp_port else None)
                for t in r.tunnels}

    @property
    def filesystem(self):
        """Its files from outside it (_sandbox_fs.py): read_bytes, write_text, copy_from_local, ..."""
        from ._sandbox_fs import SandboxFilesystem

        return SandboxFilesystem(self)

    @synchronize
    async def open(self, path: str, mode: str = "r"):
        """A file of the sandbox as Python's io.FileIO has one (Modal's FileIO)."""
        from ._sandbox_fs import FileIO

        return await FileIO._open(self.filesystem, path, mode)

    @synchronize
    async def watch(self, path: str, filter: list | None = None, recursive: bool | None = None,  # noqa: A002
                    timeout: int | None = None):
        """The changes under ``path`` as they come: ``filesystem.watch``'s (Modal's older place for it)."""
        async for event in self.filesystem._watch(path, filter=filter, recursive=bool(recursive), timeout=timeout):
            yield event

    @synchronize
    async def ls(self, path: str) -> list[str]:
        """The names in a directory of the sandbox."""
        return [e.path.rsplit("/", 1)[-1] for e in await self.filesystem.list_files.aio(path)]

    @synchronize
    async def mkdir(self, path: str, parents: bool = False) -> None:
        await self.filesystem.make_directory.aio(path, create_parents=parents)

    @synchronize
    async def rm(self, path: str, recursive: bool = False) -> None:
        await self.filesystem.remove.aio(path, recursive=recursive)

    async def _exec_tool(self, argv: list[str]) -> ContainerProcess:
        """A command of the worker's static busybox, run in the sandbox (the files API)."""
        from ._shared.ids import new_id
        from ._wire import api_pb2 as pb

        exec_id = new_id("ex")
        await _call("SandboxExec", pb.SandboxExecRequest(sandbox_id=self._process_id, exec_id=exec_id, argv=argv,
                                                          tool=True))
        return ContainerProcess(exec_id, text=False)

    @synchronize
    async def exec(self, *args: str, stdout: StreamType = StreamType.PIPE, stderr: StreamType = StreamType.PIPE,
                   timeout: int | None = None, workdir: str | None = None, env: dict | None = None, secrets=None,
                   pty: bool = False, text: bool = True, bufsize: int = -1, pty_info=None,
                   _pty_info=None) -> ContainerProcess:
        """Run ``args`` in the sandbox: a ContainerProcess (its stdin open until write_eof())."""
        from ._shared.ids import new_id
        from ._wire import api_pb2 as pb
        from .secret import check_secrets, secret_ids

        argv = _args(args, "sandbox.exec")
        if not argv:
            raise InvalidError("sandbox.exec needs a command, e.g. sandbox.exec(\"ls\", \"-l\")")
        for option, value in (("stdout", stdout), ("stderr", stderr)):
            if not isinstance(value, StreamType):
                raise InvalidError(f"sandbox.exec({option}=...) takes a leveret.stream_type.StreamType, not {value!r}")
        rows, cols = _terminal_size(pty_info or _pty_info) if (pty or pty_info or _pty_info) else (0, 0)
        if workdir is not None and (not isinstance(workdir, str) or not workdir.startswith("/")):
            raise InvalidError(f"sandbox.exec(workdir=...) is an absolute path, e.g. workdir=\"/tmp\", not {workdir!r}")
        client = await live_client()
        ids = await secret_ids(check_secrets(secrets), client) if secrets else []
        exec_id = new_id("ex")
        await client.call("SandboxExec", pb.SandboxExecRequest(
            sandbox_id=self._process_id, exec_id=exec_id, argv=argv, workdir=workdir or "",
            env=_env(env, "sandbox.exec"), secret_ids=ids, timeout_s=_seconds(timeout, "timeout"),
            pty=bool(rows), rows=rows, cols=cols))
        return ContainerProcess(exec_id, text, stdout, stderr)


__all__ = ["ContainerProcess", "Sandbox", "StreamReader", "StreamWriter"]
