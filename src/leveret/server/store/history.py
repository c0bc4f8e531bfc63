"""What a function's inputs did, for a post-mortem (`leveret function calls`, `leveret call show |
replay`, the dashboard): an input's final output with its attempt, when it ran and its traceback,
read alike for running apps, stopped runs and earlier deployed versions, while their calls are kept
(retention.py)."""

from __future__ import annotations

from ..._shared.status import OutputStatus as S

FAILED = tuple(int(s) for s in (S.FAILURE, S.TIMEOUT, S.INTERNAL_FAILURE, S.OUT_OF_MEMORY))
_IN_FAILED = f"({', '.join(map(str, FAILED))})"
# an input and its final output: (input_id, call_id, idx, queued_at, status (0: none yet), started_at,
# finished_at, attempt, message, container_id, traceback)
_INPUT = ("SELECT i.id, i.call_id, i.idx, i.created_at, COALESCE(o.status, 0), COALESCE(o.started_at, 0),"
          " COALESCE(o.finished_at, 0), COALESCE(o.attempt, 0), COALESCE(o.message, ''), COALESCE(o.container_id, ''),"
          " {traceback} FROM inputs i LEFT JOIN outputs o ON o.call_id = i.call_id AND o.input_id = i.id AND o.status != 3")


class InputHistory:
    """Mixed into ``SqlStore``: its SQL uses ``_execute``, the same on every backend."""

    def function_inputs(self, function_id: str, *, failed: bool = False, limit: int = 100) -> list[tuple]:
        """A function's inputs, newest first, each with its final output as ``_INPUT`` says (no
        traceback: "")."""
        return self._execute(
            _INPUT.format(traceback="''") + " JOIN calls c ON c.id = i.call_id WHERE c.function_id = ?"
            + (f" AND o.status IN {_IN_FAILED}" if failed else "") + " ORDER BY i.created_at DESC, i.idx DESC LIMIT ?",
            (function_id, limit)).fetchall()

    def call_details(self, call_id: str, limit: int = 100) -> dict | None:
        """A call: its function and app, its kind, when it was made, its inputs' count and final
        statuses, and up to ``limit`` of its inputs in order (its failed ones first, past that) with
        their tracebacks. None: no such call."""
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
        inputs = {r[0]: r for r in self._execute(select + " ORDER BY i.idx LIMIT ?", (call_id, limit))}
        if total > len(inputs) and any(s in by_status for s in FAILED):
            failed = self._execute(select + f" AND o.status IN {_IN_FAILED} ORDER BY i.idx LIMIT ?", (call_id, limit))
            inputs.update((r[0], r) for r in failed)
            inputs = dict(sorted(inputs.items(), key=lambda kv: (kv[1][4] not in FAILED, kv[1][2]))[:limit])
        return {"function_id": function_id, "kind": kind, "created_at": created_at, "parent_input": parent,
                "function_name": name, "app_id": app_id, "app_name": app_name, "inputs_total": total,
                "by_status": by_status, "inputs": sorted(inputs.values(), key=lambda r: r[2])}

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
