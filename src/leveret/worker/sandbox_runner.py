"""A sandbox's own process: its container's command (no bootstrap), whose output goes to the server
as the output of the exec named by the sandbox's id, and whose stdin comes as that exec's input.

    runtime.start(its command, stdin piped; a private network where the runtime isolates)
        (or a warm one's, started ahead: sandbox_warm.py; its command is one line on its stdin)
        ─▶ its ports published on the host (port_publish.py) ─▶ READY, saying where they are
    stdout / stderr pipes ─▶ pump: ExecOutput(stream, data) to the server, at most ``window`` bytes
        beyond what the server acked (the pipes are not read meanwhile: a command that prints
        faster than anyone reads waits, as on a slow terminal); a copy of each line to its logs
    ExecInput(data | eof) ─▶ its stdin; ExecInput(ack) ─▶ more room
    it exits ─▶ the container ends: its exit code is the sandbox's (ContainerEvent)

The command runs under the runtime's init (PID 1 reaps and forwards signals); with no command, a
static busybox mounted read-only sleeps until the sandbox is terminated, so any image works, one
without a shell or Python included. With pty=True the container sleeps so, and the command runs
on a terminal made in it (as a tty exec is, terminal.py): its output all stdout, its end the
sandbox's (the container is then killed).
"""

from __future__ import annotations

import asyncio
import codecs
import shlex
import signal
import time
from typing import TYPE_CHECKING, Callable

from .._shared.containers import EXEC_WINDOW, ContainerState
from . import model as m
from .container_spec import sandbox_spec
from .port_publish import publish
from .terminal import Terminal
from .stdin_pipe import StdinPipe

if TYPE_CHECKING:
    from .task_runner import ContainerTask

SLEEP_FOREVER = ["sleep", "2147483647"]   # busybox's sleep, for a sandbox created without a command
# A warm sandbox's command (busybox's shell): one line on its stdin says what to run (command_line)
SHIM = ["sh", "-c", 'read -r line && eval "$line"']
TERMINAL = (24, 80)   # Sandbox.create(pty=True): its terminal's rows and columns


async def run(task: "ContainerTask", image, volume_mounts: list, phases: dict, helpers: list) -> tuple[int, str, list]:
    """Start a sandbox's container (``task``'s) and wait for its command to end: (exit code, why
    the worker ended it if it did, its pipes' pumps). A warm one (``task.a`` None: sandbox_warm.py)
    starts with the shell that waits, and waits for a sandbox; then its command runs as a cold one's."""
    agent = task.agent
    runtime = agent.runtime
    t1 = time.time()
    if task.a is None:
        return await _warm(task, image, phases, helpers)
    sandbox = task.a.sandbox
    task.handle = handle = await runtime.start(sandbox_spec(
        task.container_id, task.a.definition, sandbox, argv=runtime.sandbox_command([] if sandbox.pty else sandbox.argv),
        directory=task.dir, image=image, gpu=agent.gpu_pool.edits(task.gpus), pids_limit=agent.pids_limit, volumes=volume_mounts,
        private=runtime.isolated, userns=runtime.supports_userns))
    waiter = asyncio.ensure_future(handle.wait())
    started = asyncio.ensure_future(handle.started())
    helpers += [waiter, started]
    if not sandbox.pty:
        pipes = task.process.attach(handle.stdin, handle.stdout, handle.stderr)
        helpers += pipes
        await asyncio.wait({started, waiter}, return_when=asyncio.FIRST_COMPLETED)
        return await _running(task, handle, waiter, pipes, phases, helpers, t1)
    # On a terminal: the container sleeps, its command runs on a terminal made in it (as an exec),
    # and its end is the sandbox's (the container then goes, with what the command left running).
    await asyncio.wait({started, waiter}, return_when=asyncio.FIRST_COMPLETED)
    if waiter.done():
        return await _running(task, handle, waiter, [], phases, helpers, t1)
    running = await runtime.exec(handle, list(sandbox.argv), stdin=True, tty=True, size=TERMINAL,
                                 cwd=sandbox.workdir)
    pipes = [task.process.attach_terminal(running.pty)]
    command = asyncio.ensure_future(_terminal_command(handle, waiter, running))
    helpers.append(command)
    return await _running(task, handle, command, pipes, phases, helpers, t1)


async def _terminal_command(handle, container: asyncio.Future, running) -> int:
    """A terminal command's exit code, once it and then its container ended (killed if it still ran)."""
    command = asyncio.ensure_future(running.proc.wait())
    await asyncio.wait({container, command}, return_when=asyncio.FIRST_COMPLETED)
    handle.kill(signal.SIGKILL)
    ended = await container
    return command.result() if command.done() else ended


async def _warm(task: "ContainerTask", image, phases: dict, helpers: list) -> tuple[int, str, list]:
    runtime, d = task.agent.runtime, task.warm_sandbox
    task.handle = handle = await runtime.start(sandbox_spec(
        task.container_id, d, m.SandboxStart("", []), argv=runtime.sandbox_command(runtime.tool_command(SHIM)),
        directory=task.dir, image=image, pids_limit=task.agent.pids_limit,
        private=runtime.isolated, userns=runtime.supports_userns))
    waiter = asyncio.ensure_future(handle.wait())
    assigned = asyncio.ensure_future(task.assigned.wait())
    helpers += [waiter, assigned]
    await asyncio.wait({waiter, assigned}, return_when=asyncio.FIRST_COMPLETED)
    if task.a is None or task.stop_requested is not None:   # stopped, or it ended, before a sandbox came
        handle.kill(signal.SIGKILL)
        return await waiter, "", []
    t1 = time.time()
    sandbox = task.a.sandbox
    if sandbox.egress is not None or sandbox.domains is not None:
        await runtime.networks.limit(handle.container_id, sandbox.egress, sandbox.domains)
    handle.stdin.write(command_line(sandbox, task.a.definition.secret_env, runtime) + b"\n")
    pipes = task.process.attach(handle.stdin, handle.stdout, handle.stderr)
    started = asyncio.ensure_future(handle.started())
    helpers += [*pipes, started]
    await asyncio.wait({started, waiter}, return_when=asyncio.FIRST_COMPLETED)
    return await _running(task, handle, waiter, pipes, phases, helpers, t1)


def command_line(sandbox: m.SandboxStart, secret_env: dict, runtime) -> bytes:
    """What the shim of a warm sandbox runs: into its workdir, its environment, its command."""
    words = []
    if sandbox.workdir:
        mkdir = " ".join(shlex.quote(w) for w in runtime.tool_command(["mkdir", "-p", sandbox.workdir]))
        words.append(f"{mkdir} && cd {shlex.quote(sandbox.workdir)} || exit 126;")
    for key, value in {**secret_env, **sandbox.env}.items():
        words.append(f"export {shlex.quote(f'{key}={value}')};")
    argv = list(sandbox.argv) or runtime.tool_command(SLEEP_FOREVER)
    words.append("exec " + " ".join(shlex.quote(a) for a in argv))
    return " ".join(words).encode()


async def _running(task: "ContainerTask", handle, waiter, pipes: list, phases: dict, helpers: list,
                   t1: float) -> tuple[int, str, list]:
    """Its command runs: its ports published, READY, then its end."""
    agent, runtime, sandbox = task.agent, task.agent.runtime, task.a.sandbox
    phases["runtime_start"] = time.time() - t1
    if task.stop_requested is not None:   # terminated while it was starting
        handle.kill(signal.SIGKILL)
    published = {}
    address = runtime.address(handle)
    if address and sandbox.ports:
        published, servers = await publish(address, sandbox.ports, agent.publish_address)
        helpers += [asyncio.ensure_future(_serve(s)) for s in servers]
    agent.event(task.container_id, ContainerState.READY, phases=phases, ports=published)
    return await waiter, task.failure, pipes


async def _serve(server: asyncio.AbstractServer) -> None:
    """Until cancelled (its container ended), then closed."""
    async with server:
        await server.serve_forever()


class SandboxProcess:
    def __init__(self, start: m.SandboxStart, send: Callable[..., None], log_bytes: Callable[[int, str], None]):
        self.start = start
        self._send = send             # send(**ExecOutput's fields)
        self._log = log_bytes         # log_bytes(fd, text): a copy for the sandbox's logs
        self.window = start.window or EXEC_WINDOW
        self._unacked = 0
        self._room = asyncio.Event()
        self._room.set()
        self._stdin: asyncio.StreamWriter | None = None
        self._terminal: Terminal | None = None   # its command's, with pty=True (one stream each way)
        self._early: list[m.ExecInput] = []   # stdin that came before the container started
        self._pipe = StdinPipe(lambda n: self._send(stdin_taken=n))

    def attach(self, stdin: asyncio.StreamWriter, stdout: asyncio.StreamReader,
               stderr: asyncio.StreamReader | None) -> list[asyncio.Future]:
        """Its command started: pump its output (the futures end at their EOF), feed its stdin (a
        terminal's: one stream each way, its output all stdout)."""
        self._stdin = stdin
        for given in self._early:
            self.feed(given)
        self._early.clear()
        return [asyncio.ensure_future(self._pump(stream, number))
                for stream, number in ((stdout, 1), (stderr, 2)) if stream is not None]

    def attach_terminal(self, fd: int) -> asyncio.Future:
        """Its command started on a terminal (``fd``: its master end, now this one's): its output
        all stdout, its input written to it; the future ends with the terminal's last output."""
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")

        def output(data: bytes) -> None:
            text = decoder.decode(data)
            if text:
                self._log(1, text)
            self._unacked += len(data)
            if self._unacked >= self.window:
                self._room.clear()
                terminal.pause()
            self._send(stream=1, data=data)

        self._terminal = terminal = Terminal(fd, output)
        terminal.ended.add_done_callback(lambda _: terminal.close())
        for given in self._early:
            self.feed(given)
        self._early.clear()
        return terminal.ended

    def feed(self, given: m.ExecInput) -> None:
        if given.ack:
            self._unacked = max(0, self._unacked - given.ack)
            if self._unacked < self.window:
                self._room.set()
                if self._terminal is not None:
                    self._terminal.resume()
            if not (given.data or given.eof):
                return
        if self._terminal is not None:   # (the end of its input is nothing to a terminal: ^D is a byte)
            self._terminal.write(given.data)
            if given.data:
                self._send(stdin_taken=len(given.data))
            return
        if self._stdin is None:
            self._early.append(given)
            return
        self._pipe.feed(self._stdin, given)

    async def _pump(self, stream: asyncio.StreamReader, number: int) -> None:
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        while True:
            await self._room.wait()
            chunk = await stream.read(64 * 1024)
            text = decoder.decode(chunk, final=not chunk)
            if text:
                self._log(number, text)
            if not chunk:
                return
            self._unacked += len(chunk)
            if self._unacked >= self.window:
                self._room.clear()
            self._send(stream=number, data=chunk)

    def drain(self) -> None:
        """Its processes are gone: what is left in its pipes (a pipe's buffer each) goes without
        waiting for room, so its output ends whole and its container need not wait for a reader."""
        self.window = float("inf")
        self._room.set()
        if self._terminal is not None:
            self._terminal.resume()

    def ended(self, exit_code: int, error: str = "") -> None:
        """The container ended: the process's end for the server (after all of its output)."""
        self._send(done=True, exit_code=exit_code, error=error)
