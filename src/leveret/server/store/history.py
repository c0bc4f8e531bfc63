"""What a function's inputs did, for a post-mortem (`leveret function calls`, `leveret call show |
replay`, the dashboard): an input's final output with its attempt, when it ran and its traceback,
and each earlier attempt that failed and was retried (``attempts``), read alike for running apps,
stopped runs and earlier deployed versions, while their calls are kept (retention.py)."""

from __future__ import annotations

import bisect
import itertools
from typing import NamedTuple

from ..._shared.status import NAMES, OutputStatus as S

ACTIVITY_POINTS = 120         # points of a function's chart read from the store
ACTIVITY_INPUTS = 100_000     # inputs looked at for them at most (the newest)
FAILED = tuple(int(s) for s in (S.FAILURE, S.TIMEOUT, S.INTERNAL_FAILURE, S.OUT_OF_MEMORY))
_IN_FAILED = f"({', '.join(map(str, FAILED))})"


class AttemptRow(NamedTuple):
    """An attempt of an input that failed and was retried."""
    attempt: int
    status: int
    started_at: float      # when it was sent to its container (0: not known)
    finished_at: float
    container_id: str
    message: str
    traceback: str


class InputRow(NamedTuple):
    """An input and its final output (status 0, times 0: none yet)."""
    input_id: str
    call_id: str
    idx: int
    queued_at: float
    status: int
    started_at: float
    finished_at: float
    attempt: int
    message: str
    container_id: str
    traceback: str          # "" where the query leaves it out (listings)
    earlier: tuple = ()     # its retried attempts (AttemptRow), oldest first, where the query asks for them


_ATTEMPT = ("SELECT input_id, attempt, status, COALESCE(started_at, 0), finished_at, container_id, message, traceback"
            " FROM attempts")
_INPUT = ("SELECT i.id, i.call_id, i.idx, i.created_at, COALESCE(o.status, 0), COALESCE(o.started_at, 0),"
          " COALESCE(o.finished_at, 0), COALESCE(o.attempt, 0), COALESCE(o.message, ''), COALESCE(o.container_id, ''),"
          " {traceback} FROM inputs i LEFT JOIN outputs o ON o.call_id = i.call_id AND o.input_id = i.id AND o.status != 3")


class InputHistory:
    """Mixed into ``SqlStore``: its SQL uses ``_execute``, the same on every backend."""

    def function_inputs(self, function_id: str, *, failed: bool = False, limit: int = 100) -> list[tuple]:
        """A function's inputs, newest first, each with its final output (no traceback: "")."""
        return [InputRow(*r) for r in self._execute(
            _INPUT.format(traceback="''") + " JOIN calls c ON c.id = i.call_id WHERE c.function_id = ?"
            + (f" AND o.status IN {_IN_FAILED}" if failed else "") + " ORDER BY i.created_at DESC, i.idx DESC LIMIT ?",
            (function_id, limit))]

    def add_attempts(self, rows: list[tuple]) -> None:
        """Store retried attempts ``(call_id, input_id, attempt, status, started_at, finished_at,
        container_id, message, traceback)``; one already stored wins."""
        self._executemany("INSERT INTO attempts (call_id, input_id, attempt, status, started_at, finished_at,"
                          " container_id, message, traceback) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                          rows)

    def _earlier(self, call_id: str, rows: list[InputRow]) -> list[InputRow]:
        """The rows with their retried attempts."""
        found: dict[str, list[AttemptRow]] = {}
        if rows:
            for input_id, *attempt in self._execute(_ATTEMPT + " WHERE call_id = ? ORDER BY attempt", (call_id,)):
                found.setdefault(input_id, []).append(AttemptRow(*attempt))
        return [r._replace(earlier=tuple(found.get(r.input_id, ()))) for r in rows]

    def input_timeline(self, input_id: str) -> dict | None:
        """An input's life: when it was queued, its call and function, and each attempt that ended
        and each output (time, status, container, message, traceback), in order."""
        row = self._execute("SELECT i.call_id, i.idx, i.created_at, c.function_id, c.kind, f.name, f.app_id"
                            " FROM inputs i JOIN calls c ON c.id = i.call_id LEFT JOIN functions f ON f.id = c.function_id"
                            " WHERE i.id = ?", (input_id,)).fetchone()
        if row is None:
            return None
        call_id, idx, created_at, function_id, kind, name, app_id = row
        outputs = [{"ts": a.finished_at, "status": NAMES.get(a.status, str(a.status)), "container_id": a.container_id,
                    "message": a.message, "attempt": a.attempt, "started_at": a.started_at or None,
                    "traceback": a.traceback, "retried": True}
                   for _, *found in self._execute(_ATTEMPT + " WHERE call_id = ? AND input_id = ? ORDER BY attempt",
                                                  (call_id, input_id)) for a in [AttemptRow(*found)]]
        outputs += [{"ts": ts, "status": NAMES.get(status, str(status)), "container_id": ct, "message": message,
                     "attempt": attempt, "started_at": started_at, "traceback": tb, "retried": False}
                    for ts, status, ct, message, attempt, started_at, tb in self._execute(
                        "SELECT finished_at, status, container_id, message, attempt, started_at, traceback FROM outputs"
                        " WHERE call_id = ? AND input_id = ? ORDER BY seq", (call_id, input_id)).fetchall()]
        return {"input_id": input_id, "call_id": call_id, "idx": idx, "kind": kind, "function_id": function_id,
                "function": name, "app_id": app_id, "queued_at": created_at, "outputs": outputs}

    def call_details(self, call_id: str, limit: int = 100) -> dict | None:
        """A call: its function and app, its kind, when it was made, its inputs' count and final
        statuses, and up to ``limit`` of its inputs in order (its failed ones first, past that) with
        their tracebacks and retried attempts. None: no such call."""
        row = self._execute(
            "SELECT c.function_id, c.kind, c.created_at, COALESCE(c.parent_input, ''), COALESCE(f.name, ''),"
            " COALESCE(f.app_id, ''), COALESCE(a.name, '') FROM calls c LEFT JOIN functions f ON f.id = c.function_id"
            " LEFT JOIN apps a ON a.id = f.app_id WHERE c.id = ?", (call_id,)).fetchone()
        if row is None:
            return None
        function_id, kind, created_at, parent, name, app_id, app_name = row
        (total,) = self._execute("SELECT COUNT(*) FROM inputs WHERE call_id = ?", (call_id,)).fetchone()
        by_status = dict(self._execute("SELECT status, COUNT(*) FROM outputs WHERE call_id = ? AND status != 3"
                                       " GROUP BY status", (call_id,)).fetchall())
        select = _INPUT.format(traceback="COALESCE(o.traceback, '')") + " WHERE i.call_id = ?"
        inputs = {r[0]: InputRow(*r) for r in self._execute(select + " ORDER BY i.idx LIMIT ?", (call_id, limit))}
        if total > len(inputs) and any(s in by_status for s in FAILED):
            failed = self._execute(select + f" AND o.status IN {_IN_FAILED} ORDER BY i.idx LIMIT ?", (call_id, limit))
            inputs.update((r[0], InputRow(*r)) for r in failed)
            inputs = dict(sorted(inputs.items(), key=lambda kv: (kv[1].status not in FAILED, kv[1].idx))[:limit])
        return {"function_id": function_id, "kind": kind, "created_at": created_at, "parent_input": parent,
                "function_name": name, "app_id": app_id, "app_name": app_name, "inputs_total": total,
                "by_status": by_status, "inputs": self._earlier(call_id, sorted(inputs.values(), key=lambda r: r.idx))}

    def replay_input(self, input_or_call_id: str) -> tuple | None:
        """(input_id, function_id, args, args_blob) of an input, or of a call's first failed input
        (else its first); None: neither."""
        if input_or_call_id.startswith("fc-"):
            row = self._execute(
                "SELECT i.id FROM inputs i LEFT JOIN outputs o ON o.call_id = i.call_id AND o.input_id = i.id"
                f" AND o.status IN {_IN_FAILED} WHERE i.call_id = ? ORDER BY o.status IS NULL, i.idx LIMIT 1",
                (input_or_call_id,)).fetchone()
            if row is None:
                return None
            input_or_call_id = row[0]
        return self._execute("SELECT i.id, c.function_id, i.args, i.args_blob FROM inputs i JOIN calls c ON c.id = i.call_id"
                             " WHERE i.id = ?", (input_or_call_id,)).fetchone()

    def failures_since(self, since: float) -> list[tuple[str, str, int]]:
        """(app name, function name, count) of final failures since ``since``, most first."""
        return self._execute(
            "SELECT COALESCE(a.name, ''), COALESCE(f.name, ''), COUNT(*) FROM outputs o JOIN calls c ON c.id = o.call_id"
            " LEFT JOIN functions f ON f.id = c.function_id LEFT JOIN apps a ON a.id = f.app_id"
            f" WHERE o.finished_at >= ? AND o.status IN {_IN_FAILED} GROUP BY a.name, f.name ORDER BY 3 DESC LIMIT 50",
            (since,)).fetchall()

    def containers_of_app(self, app_id: str, limit: int = 50) -> list[dict]:
        """An app's containers, newest first: function, worker, state, when, exit, cold-start phases."""
        import json

        rows = self._execute(
            "SELECT ct.id, COALESCE(f.name, ''), ct.worker_id, ct.state, ct.created_at, ct.stopped_at, ct.exit_code,"
            " COALESCE(ct.message, ''), ct.phases FROM containers ct LEFT JOIN functions f ON f.id = ct.function_id"
            " WHERE ct.app_id = ? ORDER BY ct.created_at DESC LIMIT ?", (app_id, limit)).fetchall()
        keys = ("container_id", "function", "worker_id", "state", "created_at", "stopped_at", "exit_code", "message")
        return [{**dict(zip(keys, r[:8])), "phases": json.loads(r[8]) if r[8] else {}} for r in rows]

    def function_activity(self, function_id: str, since: float = 0.0,
                          points: int = ACTIVITY_POINTS) -> list[tuple[float, float, float, float]]:
        """A function's (time, mean queued, mean running, mean containers) over each of ``points``
        equal spans from ``since`` (0: its first input) to its last output or container end, read from
        its stored inputs and containers: the chart of a function that is no longer running, whose
        samples (series.py) are gone."""
        rows = self._execute(
            "SELECT i.created_at, COALESCE(o.started_at, o.finished_at, 0), COALESCE(o.finished_at, 0) FROM inputs i"
            " JOIN calls c ON c.id = i.call_id LEFT JOIN outputs o ON o.call_id = i.call_id AND o.input_id = i.id"
            " AND o.status != 3 WHERE c.function_id = ? ORDER BY i.created_at DESC LIMIT ?",
            (function_id, ACTIVITY_INPUTS)).fetchall()
        boxes = self._execute("SELECT created_at, COALESCE(stopped_at, 0) FROM containers WHERE function_id = ?",
                              (function_id,)).fetchall()
        if not rows and not boxes:
            return []
        ends = [t for r in rows for t in r] + [t for b in boxes for t in b]
        start = since or min(t for t in ends if t)
        end = max(ends)
        if end <= start:
            return []
        queued = _Intervals([(q, s or f or end) for q, s, f in rows])   # (what has not ended goes on to the end)
        running = _Intervals([(s, f or end) for _, s, f in rows if s])
        containers = _Intervals([(a, b or end) for a, b in boxes])
        step = (end - start) / points
        return [(t, queued.mean(t, t + step), running.mean(t, t + step), containers.mean(t, t + step))
                for t in (start + k * step for k in range(points))]


class _Intervals:
    """[begin, end) intervals: how many there were on average over a span of time (each counted for
    the part of the span it covers), by sorted begins and ends and their prefix sums."""

    def __init__(self, intervals: list[tuple[float, float]]):
        self.begins = sorted(b for b, _ in intervals)
        self.ends = sorted(e for _, e in intervals)
        self.begin_sums = list(itertools.accumulate(self.begins, initial=0.0))
        self.end_sums = list(itertools.accumulate(self.ends, initial=0.0))

    def _covered(self, t: float) -> float:
        """The sum over the intervals of their time before ``t``."""
        b = bisect.bisect_left(self.begins, t)
        e = bisect.bisect_left(self.ends, t)
        return (b * t - self.begin_sums[b]) - (e * t - self.end_sums[e])

    def mean(self, t0: float, t1: float) -> float:
        return (self._covered(t1) - self._covered(t0)) / (t1 - t0)
