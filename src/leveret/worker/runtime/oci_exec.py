"""What `crun exec` / `runc exec` of a command needs beside the runtime (oci.py): a process file
holding its environment (never on a command line), the files removed once it ends, and the master
end of the terminal the runtime made for it, received on a console socket."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import tempfile

from .base import RuntimeStartError
from .spawn import Process


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
