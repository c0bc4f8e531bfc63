"""Commands run inside running containers (`leveret container exec CT -- CMD`): a session per
command, between the client's stream and the worker that runs the container.

    client ─ContainerExec─▶ start: ExecStart to the container's worker ─▶ its output, in order, on
    the session's queue ─▶ the client (its gRPC stream holds back while the client does not
    read), each EXEC_ACK_EVERY bytes taken said to the worker (ExecInput.ack), which sends at most
    EXEC_WINDOW beyond: a command's output never piles up here; the client's stdin and window
    size ─▶ feed: ExecInput to the worker; the client goes away ─▶ end: the worker kills the command; the worker goes away ─▶
    worker_lost: the session ends with an error
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from .._shared.ids import new_id
from .errors import NotFound
from .model import CancelExec, ExecInput, ExecOutput, StartExec

if TYPE_CHECKING:
    from .state import ContainerRec, WorkerConn


class ExecSessions:
    def __init__(self):
        self._sessions: dict[str, tuple[asyncio.Queue, "WorkerConn"]] = {}   # exec_id -> (its client's queue, worker)

    def start(self, ct: "ContainerRec | None", start: StartExec) -> tuple[str, asyncio.Queue]:
        """Ask a container's worker to run ``start.argv`` inside it (``start.exec_id`` is made here);
        its output arrives on the queue."""
        if ct is None or not ct.ready or ct.stopping:
            raise NotFound(f"container {start.container_id} is not running (or not ready yet):"
                           " `leveret container list`")
        exec_id = new_id("ex")
        q: asyncio.Queue = asyncio.Queue()
        self._sessions[exec_id] = (q, ct.worker)
        ct.worker.outbox.put_nowait(start._replace(exec_id=exec_id))
        return exec_id, q

    def feed(self, given: ExecInput) -> None:
        """The client's stdin, its end, or its window's new size, for the command."""
        entry = self._sessions.get(given.exec_id)
        if entry is not None:
            entry[1].outbox.put_nowait(given)

    def output(self, exec_id: str, out: ExecOutput, worker: "WorkerConn") -> None:
        entry = self._sessions.get(exec_id)
        if entry is None or entry[1] is not worker or not (out.data or out.done):   # (stdin taken: for sandboxes')
            return
        entry[0].put_nowait(out)
        if out.done:
            del self._sessions[exec_id]

    def end(self, exec_id: str) -> None:
        """Its client went away: the command is killed."""
        entry = self._sessions.pop(exec_id, None)
        if entry is not None:
            entry[1].outbox.put_nowait(CancelExec(exec_id))

    def worker_lost(self, worker: "WorkerConn") -> None:
        for exec_id, (q, w) in list(self._sessions.items()):
            if w is worker:
                del self._sessions[exec_id]
                q.put_nowait(ExecOutput(done=True, exit_code=-1, error=f"worker {worker.worker_id} was lost"))
