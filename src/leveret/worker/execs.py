"""A command run in one of this worker's containers for a client (`leveret container exec`,
`leveret shell`): its output goes to the server as ExecReports, its input comes as ExecInputs.

    Exec ─▶ runtime.exec ─▶ its stdout / stderr pipes, or its terminal's master end (tty) ─▶ send()
    ExecInput ─▶ feed(): stdin bytes to the pipe or the terminal (what came before the command
               started waits for it); eof closes the pipe; rows x cols resizes the terminal
    the command ends ─▶ send(done, exit_code)
    ExecInput.ack ─▶ how much of the output its client took: at most EXEC_WINDOW more is sent (the
               pipes or the terminal are not read meanwhile, so a command that writes faster than
               its client reads waits, as it would writing to a slow terminal)
    CancelExec, or the server lost ─▶ the task is cancelled: the command is killed (its terminal hung up)
    SignalExec ─▶ a signal for the command itself; its timeout_s past ─▶ SIGKILL, and its end says so
"""

from __future__ import annotations

import asyncio
import os
import signal
from typing import Callable

from .._shared.containers import EXEC_WINDOW
from . import model as m
from .stdin_pipe import StdinPipe
from .runtime.base import ContainerHandle, ContainerRuntime, ExecProcess, RuntimeStartError
from .terminal import Terminal

_TAIL_S = 0.5   # after the command exits, how long its terminal's last output may take to be read


class ExecSession:
    def __init__(self, start: m.Exec, send: Callable[..., None]):
        self.start = start
        self._send_fields = send   # send(**ExecOutput's fields)
        self.window = start.window or EXEC_WINDOW
        self._timed_out = False
        self._unacked = 0   # output sent that its client has not taken yet
        self._room = asyncio.Event()   # set while that is under EXEC_WINDOW
        self._room.set()
        self._terminal: Terminal | None = None   # its terminal (a tty exec's) once it runs
        self._running: ExecProcess | None = None
        self._early: list[m.ExecInput] = []   # input that came before the command started
        self._signals: list[int] = []         # and signals
        self._stdin = StdinPipe(lambda n: self._send_fields(stdin_taken=n))
        self.task: asyncio.Future | None = None

    def _send(self, **fields) -> None:
        data = fields.get("data")
        if data:
            self._unacked += len(data)
            if self._unacked >= self.window:
                self._room.clear()
                if self._terminal is not None:
                    self._terminal.pause()
        self._send_fields(**fields)

    async def run(self, runtime: ContainerRuntime, handle: ContainerHandle | None) -> None:
        start, send = self.start, self._send
        try:
            if handle is None:
                raise RuntimeStartError(f"container {start.container_id} is not running on this worker")
            argv = runtime.tool_command(list(start.argv)) if start.tool else list(start.argv)
            self._running = running = await runtime.exec(handle, argv, stdin=start.interactive,
                                                         tty=start.tty, env=start.env, size=(start.rows, start.cols),
                                                         cwd=start.workdir)
            if start.timeout_s > 0:
                asyncio.get_running_loop().call_later(start.timeout_s, self._time_out)
            if running.pty is not None:
                self._terminal = Terminal(running.pty, lambda data: send(stream=1, data=data))
                if not self._room.is_set():
                    self._terminal.pause()
            for given in self._early:
                self.feed(given)
            self._early.clear()
            for sig in self._signals:
                running.signal(sig)
            pumps = [self._pump(stream, number) for stream, number in ((running.proc.stdout, 1),
                                                                        (running.proc.stderr, 2)) if stream]
            if running.pty is None:
                await asyncio.gather(*pumps)
                code = await running.proc.wait()
            else:
                await asyncio.gather(*pumps)
                code = await running.proc.wait()
                await asyncio.wait((self._terminal.ended,), timeout=_TAIL_S)   # background jobs may hold it open
            if self._timed_out:
                send(done=True, exit_code=code, timed_out=True,
                     error=f"it ran past its timeout of {start.timeout_s:g} s and was killed")
            else:
                send(done=True, exit_code=code)
        except RuntimeStartError as exc:
            send(done=True, exit_code=-1, error=str(exc))
        except asyncio.CancelledError:
            pass
        except Exception as exc:   # a bug here must not take the worker down
            send(done=True, exit_code=-1, error=f"worker error running the command: {type(exc).__name__}: {exc}")
        finally:
            self._close()

    def signal(self, sig: int) -> None:
        if self._running is not None:
            self._running.signal(sig)
        else:   # (sent for it once it runs)
            self._signals.append(sig)

    def _time_out(self) -> None:
        if self._running is not None and self._running.proc.returncode is None:
            self._timed_out = True
            self._running.signal(signal.SIGKILL)

    def feed(self, given: m.ExecInput) -> None:
        if given.ack:   # its client took that much of the output
            self._unacked = max(0, self._unacked - given.ack)
            if self._unacked < self.window and not self._room.is_set():
                self._room.set()
                if self._terminal is not None:
                    self._terminal.resume()
            if not (given.data or given.eof or given.rows):
                return
        running = self._running
        if running is None:
            self._early.append(given)
            return
        if given.rows and given.cols:
            if self._terminal is not None:
                self._terminal.resize(given.rows, given.cols)
            return
        if self._terminal is not None:   # the end of stdin means nothing to a terminal: ^D is a byte
            self._terminal.write(given.data)
        elif running.proc.stdin is not None:
            self._stdin.feed(running.proc.stdin, given)

    async def _pump(self, stream: asyncio.StreamReader, number: int) -> None:
        while True:
            await self._room.wait()
            chunk = await stream.read(64 * 1024)
            if not chunk:
                return
            self._send(stream=number, data=chunk)

    def _close(self) -> None:
        running, self._running = self._running, None
        if running is None:
            return
        if running.proc.returncode is None:   # cancelled: the command and what it started go
            running.kill_all()
        if self._terminal is not None:   # its terminal hangs up: a shell in it gets SIGHUP
            self._terminal.close()
        elif running.pty is not None:
            os.close(running.pty)
