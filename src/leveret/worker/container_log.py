"""What a container prints, on its way to the server.

    fd 1 / fd 2 pipes (subprocesses, C code) ─┐
    Log frames (the function's sys.stdout / sys.stderr) ─┴▶ LineSplitter ─▶ RateGate ─▶ Agent.log

Each line names the input that printed it (bytes on the pipes: the input the last Log frame
named). Lines over the container's rate are dropped, counted, and said in a line of their own; the
last lines of its stderr are kept for its end's message. Until a warm container has a function,
what it prints goes to the worker's log (its image's build is kept for the function it will get).
"""

from __future__ import annotations

import asyncio
import codecs
import logging
import time
from typing import TYPE_CHECKING

from .._shared.containers import LogSource
from .logbuf import LineSplitter
from .logflow import REASON_BACKLOG, RateGate, Run, drop_marker

if TYPE_CHECKING:
    from ..container.protocol import Log
    from .agent import Agent

STDERR_TAIL_LINES = 20
DROP_REPORT_S = 1.0           # while a container's lines are being dropped, say how many this often
# Where a line came from, as plain numbers (a Run carries one; the wire's LogSource has the same)
STDOUT, STDERR, SYSTEM = int(LogSource.STDOUT), int(LogSource.STDERR), int(LogSource.SYSTEM)

log = logging.getLogger("leveret.worker")


class ContainerLog:
    def __init__(self, agent: "Agent", container_id: str):
        self.agent = agent
        self.container_id = container_id
        self.head: tuple | None = None   # (app_id, function name, container_id) once it has a function
        self.lines = LineSplitter(self._emit_lines)
        self.gate = RateGate()
        self.stderr_tail: list[str] = []
        self.current_input = ""   # the input of the last Log frame: what the pipes carry counts to it
        self._drop_report: asyncio.TimerHandle | None = None
        self._early_lines: list[str] = []   # a warm container's image build, for the function it gets

    def bind(self, head: tuple, *, starting: bool) -> None:
        """The container has a function: its lines are that function's from now on (``head``, one
        object shared by them all). One still ``starting`` (its image being built) says first what
        it did so far."""
        self.head, self.container_id = head, head[2]
        if starting:
            for text in self._early_lines:
                self.build_log(text)
        self._early_lines.clear()

    def build_log(self, text: str) -> None:
        """A line of its image's build."""
        if self.head is None:   # kept for the function this warm container will get, if it is still starting
            log.info("warm container %s: %s", self.container_id, text)
            self._early_lines.append(text)
            return
        self.system(f"image: {text}")

    def system(self, text: str) -> None:
        """A line of the worker's about it (once it has a function)."""
        if self.head is not None:
            text = _utf8(text)
            self.agent.log(Run(self.head, SYSTEM, "", time.time(), [text]), len(text), force=True)

    def log_frame(self, msg: "Log") -> None:
        """What the function wrote to sys.stdout or sys.stderr."""
        self.current_input = msg.input_id
        self._feed(msg.fd, _utf8(msg.text), msg.input_id)

    async def read_pipe(self, stream: asyncio.StreamReader, source: int) -> None:
        """Bytes written to fd 1 or 2 (by subprocesses, C code): decoded as UTF-8 across reads,
        so a character cut by a read stays whole; what is not UTF-8 becomes U+FFFD."""
        fd = 1 if source == STDOUT else 2
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        while True:
            chunk = await stream.read(65536)
            text = decoder.decode(chunk, final=not chunk)
            if text:
                self._feed(fd + 10, text, self.current_input)
            if not chunk:
                return

    def pipe_text(self, fd: int, text: str) -> None:
        """Text read off fd 1 or 2 by someone else (a sandbox's pipes go to its client first)."""
        self._feed(fd + 10, text, "")

    def flush(self) -> None:
        """Before an output: the lines printed so far go first, and what was dropped is said now,
        not a second later, so the run's live logs have it before they end."""
        self.lines.flush_all()
        if self._drop_report is not None:
            self._report_drops()

    def close(self) -> None:
        """The container ended: its last partial lines, and what was dropped since the last report."""
        self.lines.flush_all()
        self._report_drops()

    def _feed(self, fd: int, text: str, input_id: str) -> None:
        """Pass output to the line splitter; while the container is over its rate, the whole lines
        inside a chunk are dropped at once (counted, not split): a flood costs the worker little."""
        if self.gate.exhausted() and self.head is not None:
            first, last = text.find("\n"), text.rfind("\n")
            if first != last:
                self.lines.feed(fd, text[:first + 1], input_id)   # ends the line in progress
                self.gate.drop(text.count("\n", first + 1, last + 1))
                self._dropped()
                text = text[last + 1:]
        self.lines.feed(fd, text, input_id)

    def _emit_lines(self, fd: int, texts: list[str], input_id: str) -> None:
        if self.head is None:   # a warm container has nobody to show its output to yet
            for text in texts:
                log.info("warm container %s: %s", self.container_id, text)
            return
        source = STDOUT if fd % 10 == 1 else STDERR
        if source == STDERR:
            self.stderr_tail.extend(texts[-STDERR_TAIL_LINES:])
            del self.stderr_tail[:-STDERR_TAIL_LINES]
        n, nbytes = self.gate.admit(texts)
        if n < len(texts):
            self._dropped()
            if not n:
                return
            texts = texts[:n]
        if self.agent.log(Run(self.head, source, input_id, time.time(), texts), nbytes) < n:
            self._dropped()

    def _dropped(self) -> None:
        if self._drop_report is None:
            self._drop_report = asyncio.get_running_loop().call_later(DROP_REPORT_S, self._report_drops)

    def _report_drops(self) -> None:
        """Say how many lines were dropped since the last report, and why, in a line of their own."""
        if self._drop_report is not None:
            self._drop_report.cancel()
            self._drop_report = None
        dropped = self.gate.take_dropped()
        backlog = self.agent.log_buffer.take_dropped(self.container_id)
        if backlog:
            dropped[REASON_BACKLOG] = backlog
        for reason, count in dropped.items():
            self.agent.log(Run(self.head, STDERR, "", time.time(), [drop_marker(count, reason)]), 0,
                           force=True)


def _utf8(text: str) -> str:
    """Text protobuf can carry: lone surrogates (undecodable bytes) become U+FFFD."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        pass
    try:  # bytes decoded with surrogateescape: back to bytes, then decoded with replacements
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace").decode("utf-8")
