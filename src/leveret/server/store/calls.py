"""Rows of functions, calls, inputs and outputs: a call and its inputs stored together, outputs
in arrival order (``seq``), what a restarted server needs to queue again, and a function's stats
for describe and the dashboard (an input's history: history.py).
"""

from __future__ import annotations

import json
import math

from ..._shared.status import label


CALL_GRAPH_LIMIT = 50_000   # inputs a call graph returns at most


class CallGraphTooBig(Exception):
    """A call graph has more inputs than a reader is given at once."""


class CallRows:
    """The calls half of ``SqlStore`` (which mixes it in): its SQL uses ``SqlStore``'s ``_execute``,
    ``_executemany`` and ``transaction``, the same on every backend."""

    def open_calls(self, function_id: str) -> list[tuple[str, str, int | None]]:
        """(call_id, kind, total) of a function's calls that have not finished: their inputs still
        coming (no total yet), or fewer final outputs than inputs; oldest first."""
        return self._execute(
            "SELECT c.id, c.kind, c.total FROM calls c WHERE c.function_id = ? AND (c.total IS NULL OR c.total >"
            " (SELECT COUNT(*) FROM outputs o WHERE o.call_id = c.id AND o.status != 3)) ORDER BY c.created_at, c.id",
            (function_id,)).fetchall()

    def call_inputs(self, call_id: str) -> list[tuple[str, int, bytes, str]]:
        """(input_id, idx, args, args_blob) of a call's inputs, in order."""
        return self._execute("SELECT id, idx, args, args_blob FROM inputs WHERE call_id = ? ORDER BY idx",
                             (call_id,)).fetchall()

    def finished_inputs(self, call_id: str) -> set[str]:
        """The ids of a call's inputs that have a final output."""
        return {r[0] for r in self._execute("SELECT input_id FROM outputs WHERE call_id = ? AND status != 3",
                                            (call_id,))}

    def create_function(self, function_id: str, app_id: str, name: str, definition: bytes) -> None:
        self._execute(
            "INSERT INTO functions (id, app_id, name, definition, created_at) VALUES (?, ?, ?, ?, ?)",
            (function_id, app_id, name, definition, self.clock.time()),
        )

    def functions_of(self, app_id: str) -> list[tuple[str, str, bytes]]:
        """(function_id, name, serialized definition) of an app's functions, in creation order."""
        return self._execute("SELECT id, name, definition FROM functions WHERE app_id = ? ORDER BY created_at, id",
                             (app_id,)).fetchall()

    def unfinished_inputs(self, function_ids: list[str], kinds: tuple[str, ...] | None = None
                          ) -> list[tuple[str, str, str, int | None, str, int, bytes, str]]:
        """Inputs of the functions' calls (of ``kinds``, None: all) without a final output:
        (function_id, call_id, kind, total, input_id, idx, args, args_blob), a call's inputs
        together, oldest call first.

        Generator items are not final; statuses 3 (an item) are the only non-final ones. The calls
        are chosen first (CROSS JOIN keeps SQLite from starting at the inputs: it would check every
        input of a big map), and an input's outputs are looked up among its call's (the outputs'
        key), so other calls' rows are never read. That is cheap for spawned and scheduled calls
        (one input each); a call of many inputs would cost its inputs times its outputs."""
        if not function_ids:
            return []
        where = f"c.function_id IN ({', '.join('?' * len(function_ids))})"
        params = list(function_ids)
        if kinds is not None:
            where += f" AND c.kind IN ({', '.join('?' * len(kinds))})"
            params += kinds
        return self._execute(
            "SELECT c.function_id, c.id, c.kind, c.total, i.id, i.idx, i.args, i.args_blob FROM calls c CROSS JOIN inputs i"
            f" WHERE i.call_id = c.id AND {where} AND NOT EXISTS (SELECT 1 FROM outputs o"
            " WHERE o.call_id = i.call_id AND o.input_id = i.id AND o.status != 3)"
            " ORDER BY c.created_at, c.id, i.idx", params).fetchall()

    def function_stats(self, function_id: str, latest: int = 10_000) -> dict:
        """What a function did: outputs by status, inputs, latency percentiles over the ``latest``
        results (queued to result), containers started and their median cold start."""
        by_status: dict[str, int] = {}
        for status, n in self._execute(
                "SELECT o.status, COUNT(*) FROM outputs o JOIN calls c ON c.id = o.call_id"
                " WHERE c.function_id = ? AND o.status != 3 GROUP BY o.status", (function_id,)).fetchall():
            # a generator that finished succeeded; its items (3, excluded above) are not results
            name = label(status)
            by_status[name] = by_status.get(name, 0) + n
        (inputs,) = self._execute("SELECT COUNT(*) FROM inputs i JOIN calls c ON c.id = i.call_id"
                                  " WHERE c.function_id = ?", (function_id,)).fetchone()
        latencies = sorted(r[0] for r in self._execute(
            "SELECT o.finished_at - i.created_at FROM outputs o JOIN inputs i ON i.id = o.input_id"
            " JOIN calls c ON c.id = o.call_id WHERE c.function_id = ? AND o.status != 3"
            " ORDER BY o.finished_at DESC LIMIT ?", (function_id, latest)).fetchall())
        phases = [json.loads(r[0]) for r in self._execute(
            "SELECT phases FROM containers WHERE function_id = ?", (function_id,)).fetchall() if r[0]]
        (started,) = self._execute("SELECT COUNT(*) FROM containers WHERE function_id = ?", (function_id,)).fetchone()
        cold = sorted(p["total"] for p in phases if "total" in p)
        return {"outputs_by_status": by_status, "inputs": inputs, "latency_p50_s": _quantile(latencies, 0.5),
                "latency_p95_s": _quantile(latencies, 0.95), "latency_p99_s": _quantile(latencies, 0.99),
                "containers_started": started, "cold_start_p50_s": _quantile(cold, 0.5)}

    def call_graph(self, call_id: str, limit: int = CALL_GRAPH_LIMIT) -> list[tuple] | None:
        """The inputs of a call and, down the tree, of the calls their code made from inside their
        containers: (input_id, call_id, parent_input, function_id, function_name, idx, status,
        container_id), a level at a time, each call's inputs in order; ``status`` is the input's
        final output's (its last, after retries), 0 while it has none. None: no such call.
        Raises ``CallGraphTooBig`` past ``limit`` inputs."""
        if self._execute("SELECT 1 FROM calls WHERE id = ?", (call_id,)).fetchone() is None:
            return None
        found: list[tuple] = []
        level = [call_id]
        while level:
            inputs: dict[str, list] = {}
            for chunk in _chunks(level):
                for iid, cid, parent, fid, name, idx, status, container in self._execute(
                        "SELECT i.id, i.call_id, c.parent_input, c.function_id, COALESCE(f.name, ''), i.idx,"
                        " COALESCE(o.status, 0), COALESCE(o.container_id, '') FROM inputs i JOIN calls c ON c.id = i.call_id"
                        " LEFT JOIN functions f ON f.id = c.function_id LEFT JOIN outputs o ON o.call_id = i.call_id"
                        " AND o.input_id = i.id AND o.status != 3"
                        f" WHERE i.call_id IN ({', '.join('?' * len(chunk))}) ORDER BY c.created_at, c.id, i.idx, o.seq",
                        chunk):
                    inputs[iid] = [iid, cid, parent, fid, name, idx, status, container]   # the last output wins
            found.extend(tuple(r) for r in inputs.values())
            if len(found) > limit:
                raise CallGraphTooBig(f"call {call_id} and the calls made under it have more than {limit} inputs")
            level = [c for chunk in _chunks(list(inputs)) for (c,) in self._execute(
                f"SELECT id FROM calls WHERE parent_input IN ({', '.join('?' * len(chunk))}) ORDER BY created_at, id",
                chunk)]
        return found

    def call_parents(self, call_ids: list[str]) -> dict[str, str]:
        """{call_id: the input whose code made it} of those of ``call_ids`` made from inside a container."""
        return {call_id: parent for chunk in _chunks(call_ids) for call_id, parent in self._execute(
            f"SELECT id, parent_input FROM calls WHERE id IN ({', '.join('?' * len(chunk))}) AND parent_input != ''",
            chunk)}

    def get_function(self, function_id: str) -> tuple[str, str, bytes] | None:
        """(app_id, name, serialized definition) of a function."""
        return self._execute("SELECT app_id, name, definition FROM functions WHERE id = ?", (function_id,)).fetchone()

    def create_call(self, call_id: str, function_id: str, kind: str, total: int | None,
                    inputs: list[tuple], parent_input: str = "") -> None:
        """Store a call and its first inputs ``(input_id, idx, args[, args_blob])`` in one transaction;
        ``parent_input``: the input whose code made it from inside its container."""
        now = self.clock.time()
        with self.transaction():
            self._execute(
                "INSERT INTO calls (id, function_id, kind, total, created_at, parent_input) VALUES (?, ?, ?, ?, ?, ?)",
                (call_id, function_id, kind, total, now, parent_input),
            )
            self.add_inputs(call_id, inputs)

    def set_call_total(self, call_id: str, total: int) -> None:
        self._execute("UPDATE calls SET total = ? WHERE id = ?", (total, call_id))

    def get_call(self, call_id: str) -> tuple[str, str, int | None] | None:
        """(function_id, kind, total) of a call."""
        return self._execute("SELECT function_id, kind, total FROM calls WHERE id = ?", (call_id,)).fetchone()

    def add_inputs(self, call_id: str, rows: list[tuple]) -> None:
        """Store inputs ``(input_id, idx, args[, args_blob])`` of a call in one transaction; the blobs
        their arguments are in (if any) now belong to the call."""
        now = self.clock.time()
        rows = [(iid, call_id, idx, args, blob[0] if blob else "", now) for iid, idx, args, *blob in rows]
        with self.transaction():
            self._executemany(
                "INSERT INTO inputs (id, call_id, idx, args, args_blob, created_at) VALUES (?, ?, ?, ?, ?, ?)", rows)
            blobs = [row[4] for row in rows if row[4]]
            if blobs:
                self.attach_blobs(call_id, blobs)

    def add_outputs(self, rows: list[tuple]) -> None:
        """Store outputs ``(input_id, call_id, seq, idx, status, data, gen_index, message, container_id[,
        data_blob[, attempt, started_at, traceback]])``; one already stored at the same ``(call_id, seq)``
        wins. The blobs their data is in (if any) now belong to the call."""
        now = self.clock.time()
        rows = [tuple(row[:9]) + (row[9] if len(row) > 9 else "", now) + (tuple(row[10:13]) if len(row) > 10 else (1, None, ""))
                for row in rows]
        with self.transaction():
            self._executemany(
                "INSERT INTO outputs (input_id, call_id, seq, idx, status, data, gen_index, message,"
                " container_id, data_blob, finished_at, attempt, started_at, traceback)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                rows)
            for row in rows:
                if row[9]:
                    self.attach_blobs(row[1], [row[9]])

    def outputs_of_calls(self, call_ids: list[str]) -> dict[str, list[tuple[int, int, bytes, int, str, str]]]:
        """The outputs of many calls, each call's in order: {call_id: [(idx, status, data, gen_index,
        message, data_blob), ...]} (calls without outputs are left out); a few hundred calls a query."""
        found: dict[str, list] = {}
        for chunk in _chunks(call_ids):
            for call_id, *row in self._execute(
                    "SELECT call_id, idx, status, data, gen_index, message, data_blob FROM outputs"
                    f" WHERE call_id IN ({', '.join('?' * len(chunk))}) ORDER BY call_id, seq", chunk):
                found.setdefault(call_id, []).append(tuple(row))
        return found

    def get_outputs(self, call_id: str, from_seq: int) -> list[tuple[int, int, bytes, int, str, str]]:
        """Outputs of a call from position ``from_seq``: (idx, status, data, gen_index, message, data_blob)."""
        return self._execute(
            "SELECT idx, status, data, gen_index, message, data_blob FROM outputs WHERE call_id = ? AND seq >= ?"
            " ORDER BY seq",
            (call_id, from_seq),
        ).fetchall()


def _chunks(ids: list[str], size: int = 500) -> list[list[str]]:
    """``ids`` in lists short enough for one IN (...) each."""
    return [ids[start:start + size] for start in range(0, len(ids), size)]


def _quantile(ordered: list[float], q: float) -> float:
    """The q-quantile of sorted values (nearest rank); 0 for none."""
    if not ordered:
        return 0.0
    return float(ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))])
