"""`crun exec` / `runc exec` of a command (oci.py's exec, after its exec agent and terminal size):
a process file holding its environment (never on a command line), the files removed once it ends,
and the master end of the terminal the runtime made for it, received on a console socket."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import tempfile

from .base import ExecProcess, RuntimeStartError, set_window
from .spawn import Process, spawn


def process_file(bundle: str, argv: list[str], env: dict[str, str], tty: bool, cwd: str = "") -> str:
    """An OCI process for ``exec --process``: the container's own (its user, working directory,
    capabilities, limits) running ``argv``, ``env`` over its environment; in a file only the
    worker's user may read, beside the container's bundle, removed once the command ends."""
    with open(os.path.join(bundle, "config.json")) as f:
        process = json.load(f)["process"]
    own = dict(item.partition("=")[::2] for item in process.get("env", []))
    process.update(args=list(argv), env=[f"{k}={v}" for k, v in {**own, **env}.items()], terminal=tty)
    if cwd:
        process["cwd"] = cwd
    process.pop("consoleSize", None)
    fd, path = tempfile.mkstemp(prefix="exec-", suffix=".json", dir=bundle)   # (mode 0600)
    with os.fdopen(fd, "w") as f:
        json.dump(process, f)
    return path


def remove(*paths: str | None) -> None:
    for path in paths:
        if path:
            try:
                os.unlink(path)
            except OSError:
                pass


def remove_when_done(proc: Process, *paths: str | None) -> None:
    asyncio.ensure_future(proc.wait()).add_done_callback(lambda _: remove(*paths))


async def receive_terminal(listener: socket.socket, proc: Process) -> int:
    """The terminal's master end, sent by the runtime ``proc`` on ``listener``; RuntimeStartError
    with what the runtime said if it ends first."""
    loop = asyncio.get_running_loop()
    accepting = asyncio.ensure_future(loop.sock_accept(listener))
    ended = asyncio.ensure_future(proc.wait())
    await asyncio.wait((accepting, ended), timeout=30, return_when=asyncio.FIRST_COMPLETED)
    if not accepting.done():
        accepting.cancel()
        ended.cancel()
        if proc.returncode is None:
            proc.kill()
        said = (await proc.stderr.read()).decode(errors="replace").strip() if proc.stderr else ""
        raise RuntimeStartError(f"the runtime gave no terminal for the command: {said or 'it did not answer in 30 s'}")
    ended.cancel()
    conn, _ = accepting.result()
    with conn:
        conn.settimeout(10)
        _, fds, _, _ = await loop.run_in_executor(None, socket.recv_fds, conn, 4096, 1)
    if not fds:
        raise RuntimeStartError("the runtime connected to the console socket but sent no terminal")
    return fds[0]


async def runtime_exec(runtime, container_id: str, bundle: str, argv: list[str], *, stdin: bool, tty: bool,
                       env: dict[str, str] | None, size: tuple[int, int], cwd: str) -> ExecProcess:
    """``argv`` run in the container by ``RUNTIME exec`` (``runtime``: an OciRuntime, for its command
    and flags): its pipes, or with ``tty`` the master end of a terminal the runtime made inside it."""
    # With an environment of its own (a function's secrets), the command is a process file the
    # runtime reads, private to the worker: never on a command line, which any user of the host sees.
    process = process_file(bundle, argv, env, tty, cwd) if env else None
    # (without a process file the runtime's defaults would leave no_new_privs off: a setuid
    # binary in the image could then gain what the container's own process cannot)
    flags, argv = ([f"--process={process}"], []) if process else \
        ([*runtime.exec_flags, *([f"--cwd={cwd}"] if cwd else [])], argv)
    pid_file = os.path.join(bundle, f"pid-{os.urandom(6).hex()}")   # the command's own pid
    flags.append(f"--pid-file={pid_file}")
    pipe = asyncio.subprocess.PIPE
    if not tty:
        try:
            proc = await spawn(
                *runtime.command("exec", *flags, container_id, *argv),
                stdin=pipe if stdin else asyncio.subprocess.DEVNULL, stdout=pipe, stderr=pipe, start_new_session=True)
        except BaseException:
            remove(process)
            raise
        remove_when_done(proc, process, pid_file)
        return ExecProcess(proc, pid_file=pid_file)
    # The runtime makes the terminal inside the container (its /dev/pts) and hands its master
    # end over a unix socket of ours.
    with tempfile.TemporaryDirectory(prefix="leveret-tty-") as d, \
            socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listener:
        path = os.path.join(d, "console")
        listener.bind(path)
        listener.listen(1)
        listener.setblocking(False)
        try:
            proc = await spawn(
                *runtime.command("exec", "--tty", f"--console-socket={path}", *flags, container_id, *argv),
                stdin=asyncio.subprocess.DEVNULL, stdout=pipe, stderr=pipe, start_new_session=True)
        except BaseException:
            remove(process)
            raise
        remove_when_done(proc, process, pid_file)
        master = await receive_terminal(listener, proc)
    if all(size):   # (the command may have started a moment before)
        set_window(master, *size)
    return ExecProcess(proc, master, pid_file)
