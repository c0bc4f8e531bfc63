"""The client's end of a command run in a container (`leveret container exec [-i] [-t]`, `leveret
shell`): one ContainerExec stream each way.

    this terminal ─(raw mode)─▶ a thread reads stdin ─▶ the request stream: stdin bytes, then its end
    SIGWINCH ─▶ the request stream: the new rows x cols
    the response stream ─▶ stdout / stderr as they come; its last message: the exit code

With a terminal (tty) the command runs on a pseudo-terminal in the container: keys go as they are
pressed (^C included: it interrupts the command, not this client) and its output comes back as one
stream. The terminal is put back as it was however the command ends.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import termios
import threading
import tty as ttys
from typing import Callable

# What `leveret shell` runs when not told: bash where the image has it, else sh.
DEFAULT_SHELL = ["/bin/sh", "-c", "if command -v bash >/dev/null 2>&1; then exec bash; else exec sh; fi"]


def run_in_container(container_id: str, argv: list[str], *, interactive: bool, tty: bool) -> int:
    """Run ``argv`` in a running container, this process's stdin fed to it if ``interactive`` (and
    this terminal its own if ``tty``); return its exit code. Call from the main thread."""
    from .._shared.aio import background_loop, run_sync
    from .._wire import api_pb2 as pb

    loop = background_loop()
    inbox: asyncio.Queue = asyncio.Queue()

    def put(request: pb.ContainerExecRequest) -> None:
        loop.call_soon_threadsafe(inbox.put_nowait, request)

    first = pb.ContainerExecRequest(container_id=container_id, argv=argv, interactive=interactive or tty, tty=tty)
    restore: list[Callable[[], None]] = []
    if tty:
        fd = sys.stdin.fileno()
        saved = termios.tcgetattr(fd)
        first.env["TERM"] = os.environ.get("TERM", "xterm")
        first.rows, first.cols = window_size()
        before = signal.signal(signal.SIGWINCH, lambda *_: put(pb.ContainerExecRequest(**dict(zip(
            ("rows", "cols"), window_size())))))
        restore.append(lambda: signal.signal(signal.SIGWINCH, before))
        ttys.setraw(fd, termios.TCSANOW)   # (not the default TCSAFLUSH: what was typed ahead stays)
        restore.append(lambda: termios.tcsetattr(fd, termios.TCSADRAIN, saved))
    if interactive or tty:
        threading.Thread(target=_read_stdin, args=(put,), name="leveret-stdin", daemon=True).start()
    try:
        code, error = run_sync(_exec(first, inbox))
    finally:
        for undo in reversed(restore):
            undo()
    if error:
        print(f"leveret: {error}", file=sys.stderr)
    return code


def window_size() -> tuple[int, int]:
    """This terminal's rows and columns (24 x 80 where it cannot say)."""
    try:
        size = os.get_terminal_size(sys.stdout.fileno())
    except OSError:
        return 24, 80
    return size.lines, size.columns


def _read_stdin(put) -> None:
    from .._wire import api_pb2 as pb

    fd = sys.stdin.fileno()
    while True:
        try:
            data = os.read(fd, 64 * 1024)
        except OSError:
            data = b""
        if not data:
            put(pb.ContainerExecRequest(stdin_eof=True))
            return
        put(pb.ContainerExecRequest(stdin=data))


async def _exec(first, inbox: asyncio.Queue) -> tuple[int, str]:
    import grpc

    from .._client import Client

    client = await Client.get()

    async def requests():
        yield first
        while True:
            yield await inbox.get()

    try:
        async for out in client.stub.ContainerExec(requests()):
            if out.data:
                target = sys.stdout.buffer if out.stream == 1 else sys.stderr.buffer
                target.write(out.data)
                target.flush()
            if out.done:
                return (out.exit_code if out.exit_code >= 0 else 1), out.error
    except grpc.aio.AioRpcError as err:
        raise client.translate(err) from None
    return 1, "the server ended the command's stream without its exit code"
