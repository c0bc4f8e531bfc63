"""The store's SQL, written once for every backend: apps, functions, calls, inputs and their
outputs, containers, workers, logs, blobs, mounts and named objects.

Statements use a portable subset that SQLite and PostgreSQL both accept: ``?`` placeholders,
``BIGINT`` and ``DOUBLE PRECISION`` columns, ``ON CONFLICT DO NOTHING``. What still differs is in
a ``Dialect``: the placeholder the driver wants, the bytes column type, the auto-numbered key
and how to read the last number given out. To change the tables, add a step to ``migrations/``;
to add a method, write it here with ``self._execute`` / ``self._executemany``. Both backends get
it, and the contract tests (tests/unit/test_store_contract.py) run it on both.

Every write that acknowledges something to a client (inputs, outputs) is committed before the
acknowledgement leaves. Calls are plain blocking calls made from the server's event loop: each is
a single short transaction over a batch, far cheaper than a thread hop.
"""

from __future__ import annotations

import contextlib
import json
import math
from dataclasses import dataclass
from typing import Any, Iterable

from ..._shared.status import NAMES, label
from ..clock import SystemClock
from .logs import LOG_ROW_BYTES, LogLines  # noqa: F401  (LOG_ROW_BYTES: read from here too)
from .migrations import migrate
from .objects import NamedObjectRows
from .payloads import PayloadBlobs
from .retention import CallRetention


# App states: ephemeral (a `leveret run`), deploying (a version being created), deployed (the live
# version of its name), draining (replaced; its calls finish), stopped.
RUNNING_STATES = ("ephemeral", "deploying", "deployed", "draining")


@dataclass(frozen=True)
class Dialect:
    """What differs between backends; everything else is the same SQL."""

    param: str          # the driver's placeholder, written as ``?`` in this module's SQL
    bytes_type: str     # column type of ``bytes`` values: ``{bytes}`` in migrations
    serial_key: str     # an auto-numbered integer primary key: ``{serial}`` in migrations
    last_id: str        # query: the number the last insert on this connection was given
    position: str       # function: where a text contains another, 1-based, 0 if it does not
    columns_query: str  # query: the column names of the table given as its one parameter
    begin_write: str    # starts a transaction that will write, taking the write lock where there is one

    def sql(self, statement: str) -> str:
        if self.param == "?":
            return statement
        return statement.replace("%", "%%").replace("?", self.param)

    def columns(self, db, table: str) -> set[str]:
        return {row[0] for row in db.execute(self.sql(self.columns_query), (table,)).fetchall()}


class SqlStore(LogLines, CallRetention, PayloadBlobs, NamedObjectRows):
    """Cluster state over one DB-API connection ``db`` (autocommit; ``transaction()`` groups).
    Log lines are in ``LogLines`` (logs.py), retention's deletes in ``CallRetention``
    (retention.py), blobs' rows in ``PayloadBlobs`` (payloads.py), named objects' in
    ``NamedObjectRows`` (objects.py).

    A backend sets ``dialect`` and ``IntegrityError`` (its driver's), opens the connection and
    calls ``super().__init__(db, clock)``. Rows are stamped with ``clock``'s time (server/clock.py:
    the server's, so retention's cut and the stamps it compares agree on a fake clock too).
    """

    dialect: Dialect
    IntegrityError: type[Exception] = Exception

    def __init__(self, db: Any, clock=None):
        self.db = db
        self.clock = clock or SystemClock()
        self._depth = 0
        try:
            migrate(self)
        except BaseException:
            db.close()      # a database this code cannot open (newer, or a step failed) is let go of
            raise

    def _lock_schema(self) -> None:
        """Keep stores opened at once on one database from migrating it twice (migrations/)."""

    def close(self) -> None:
        self.db.close()

    @contextlib.contextmanager
    def transaction(self, begin: str = "BEGIN"):
        """One transaction around everything inside; nested uses join the outer one."""
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self.db.execute(begin)
        self._depth = 1
        try:
            yield
        except BaseException:
            self._depth = 0
            self.db.execute("ROLLBACK")
            raise
        self._depth = 0
        self.db.execute("COMMIT")

    def _execute(self, sql: str, params: tuple | list = ()):
        return self.db.execute(self.dialect.sql(sql), params)

    def _executemany(self, sql: str, rows: Iterable[tuple]) -> None:
        """One statement over many rows, in one transaction."""
        with self.transaction():
            self.db.cursor().executemany(self.dialect.sql(sql), rows)

    # ------------------------------------------------------------------ apps

    def create_app(self, app_id: str, name: str, description: str, *, deploy: bool = False) -> int:
        """Store a new app; with ``deploy``, as the next version of the deployed app ``name``: return
        its version (0 for an ephemeral app)."""
        with self.transaction():
            self._execute(
                "INSERT INTO apps (id, name, description, state, created_at) VALUES (?, ?, ?, ?, ?)",
                (app_id, name, description, "deploying" if deploy else "ephemeral", self.clock.time()),
            )
            if not deploy:
                return 0
            row = self._execute("SELECT MAX(version) FROM deployments WHERE name = ?", (name,)).fetchone()
            version = (row[0] or 0) + 1
            self._execute("INSERT INTO deployments (app_id, name, version) VALUES (?, ?, ?)", (app_id, name, version))
            return version

    def set_app_state(self, app_id: str, state: str) -> None:
        self._execute("UPDATE apps SET state = ? WHERE id = ? AND state != 'stopped'", (state, app_id))

    APP_COLUMNS = ("SELECT a.id, a.name, a.state, COALESCE(d.version, 0), a.description, a.created_at,"
                   " a.stopped_at, a.stop_reason FROM apps a LEFT JOIN deployments d ON d.app_id = a.id")

    @staticmethod
    def _app_info(row) -> dict:
        keys = ("id", "name", "state", "version", "description", "created_at", "stopped_at", "stop_reason")
        return dict(zip(keys, row))

    def list_apps(self, *, include_stopped: bool = False) -> list[dict]:
        """Apps, newest first: running ones (ephemeral and deployed), or all."""
        where = "" if include_stopped else " WHERE a.state != 'stopped'"
        rows = self._execute(self.APP_COLUMNS + where + " ORDER BY a.created_at DESC").fetchall()
        return [self._app_info(r) for r in rows]

    def app_versions(self, name: str) -> list[dict]:
        """Every published version of ``name``, newest first (a deploy that never went live is not one)."""
        rows = self._execute(self.APP_COLUMNS + " WHERE d.name = ? AND d.published_at IS NOT NULL"
                             " ORDER BY d.version DESC", (name,)).fetchall()
        return [self._app_info(r) for r in rows]

    def publish(self, app_id: str, replaced_app_id: str | None) -> None:
        """Make a deploying app the live version of its name; the one it replaces drains."""
        with self.transaction():
            if replaced_app_id:
                self.set_app_state(replaced_app_id, "draining")
            self.set_app_state(app_id, "deployed")
            self._execute("UPDATE deployments SET published_at = ? WHERE app_id = ?", (self.clock.time(), app_id))

    def apps_in_state(self, state: str) -> list[dict]:
        rows = self._execute(self.APP_COLUMNS + " WHERE a.state = ? ORDER BY a.created_at", (state,)).fetchall()
        return [self._app_info(r) for r in rows]

    def stop_app(self, app_id: str, reason: str) -> None:
        self._execute(
            "UPDATE apps SET state = 'stopped', stopped_at = ?, stop_reason = ? WHERE id = ? AND state != 'stopped'",
            (self.clock.time(), reason, app_id),
        )

    def stop_all_apps(self, reason: str, *, keep_deployed: bool = False, keep_ephemeral: bool = False) -> int:
        """Stop every running app (``keep_deployed``: but deployed versions, live or draining;
        ``keep_ephemeral``: but runs, which a restarted server restores for their clients); return how many."""
        kept = (("deployed", "draining") if keep_deployed else ()) + (("ephemeral",) if keep_ephemeral else ())
        cur = self._execute(
            "UPDATE apps SET state = 'stopped', stopped_at = ?, stop_reason = ? WHERE state != 'stopped'"
            + "".join(f" AND state != '{state}'" for state in kept),
            (self.clock.time(), reason),
        )
        return cur.rowcount

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

    def get_app(self, app_id: str) -> dict | None:
        row = self._execute("SELECT id, name, state FROM apps WHERE id = ?", (app_id,)).fetchone()
        return None if row is None else {"id": row[0], "name": row[1], "state": row[2]}

    def find_app(self, name_or_id: str) -> dict | None:
        """The app with this id, else the most recent app with this name."""
        row = self._execute(
            "SELECT id, name, state FROM apps WHERE id = ? OR name = ? ORDER BY id = ? DESC, created_at DESC LIMIT 1",
            (name_or_id, name_or_id, name_or_id),
        ).fetchone()
        return None if row is None else {"id": row[0], "name": row[1], "state": row[2]}

    # ------------------------------------------------------------------ functions and calls

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

    def input_timeline(self, input_id: str) -> dict | None:
        """An input's life: when it was queued, its call and function, and each output (time,
        status, container, message), in order."""
        row = self._execute("SELECT i.call_id, i.idx, i.created_at, c.function_id, c.kind, f.name, f.app_id"
                            " FROM inputs i JOIN calls c ON c.id = i.call_id LEFT JOIN functions f ON f.id = c.function_id"
                            " WHERE i.id = ?", (input_id,)).fetchone()
        if row is None:
            return None
        call_id, idx, created_at, function_id, kind, name, app_id = row
        outputs = [{"ts": ts, "status": NAMES.get(status, str(status)), "container_id": ct,
                    "message": message}
                   for ts, status, ct, message in self._execute(
                       "SELECT finished_at, status, container_id, message FROM outputs WHERE input_id = ?"
                       " ORDER BY seq", (input_id,)).fetchall()]
        return {"input_id": input_id, "call_id": call_id, "idx": idx, "kind": kind, "function_id": function_id,
                "function": name, "app_id": app_id, "queued_at": created_at, "outputs": outputs}

    def get_function(self, function_id: str) -> tuple[str, str, bytes] | None:
        """(app_id, name, serialized definition) of a function."""
        return self._execute("SELECT app_id, name, definition FROM functions WHERE id = ?", (function_id,)).fetchone()

    def create_call(self, call_id: str, function_id: str, kind: str, total: int | None,
                    inputs: list[tuple]) -> None:
        """Store a call and its first inputs ``(input_id, idx, args[, args_blob])`` in one transaction."""
        now = self.clock.time()
        with self.transaction():
            self._execute(
                "INSERT INTO calls (id, function_id, kind, total, created_at) VALUES (?, ?, ?, ?, ?)",
                (call_id, function_id, kind, total, now),
            )
            self.add_inputs(call_id, inputs)

    # ------------------------------------------------------------------ worker tokens

    def add_worker_token(self, token_id: str, name: str, sha256: str) -> None:
        self._execute("INSERT INTO worker_tokens (id, name, sha256, created_at) VALUES (?, ?, ?, ?)",
                      (token_id, name, sha256, self.clock.time()))

    def worker_tokens(self) -> list[dict]:
        """Every worker token (revoked ones too), oldest first: id, name, sha256, created_at, revoked_at."""
        rows = self._execute("SELECT id, name, sha256, created_at, revoked_at FROM worker_tokens"
                             " ORDER BY created_at, id").fetchall()
        return [dict(zip(("id", "name", "sha256", "created_at", "revoked_at"), r)) for r in rows]

    def revoke_worker_token(self, token_id: str) -> bool:
        cur = self._execute("UPDATE worker_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                            (self.clock.time(), token_id))
        return cur.rowcount == 1

    # ------------------------------------------------------------------ schedules

    def set_schedule(self, app_name: str, function_name: str, spec: str, now: float) -> float:
        """Record a deployed function's schedule; return its anchor: when this spec was first deployed
        (a redeploy with the same spec keeps it, so ticks stay where they were)."""
        with self.transaction():
            row = self._execute("SELECT spec, anchor FROM schedules WHERE app_name = ? AND function_name = ?",
                                (app_name, function_name)).fetchone()
            if row is not None and row[0] == spec:
                return row[1]
            self._execute("DELETE FROM schedules WHERE app_name = ? AND function_name = ?", (app_name, function_name))
            self._execute("INSERT INTO schedules (app_name, function_name, spec, anchor) VALUES (?, ?, ?, ?)",
                          (app_name, function_name, spec, now))
            return now

    def last_tick(self, app_name: str, function_name: str) -> float | None:
        row = self._execute("SELECT MAX(tick) FROM schedule_ticks WHERE app_name = ? AND function_name = ?",
                            (app_name, function_name)).fetchone()
        return row[0]

    def claim_tick(self, app_name: str, function_name: str, tick: float, call_id: str) -> bool:
        """Record that ``tick`` fires as ``call_id``; False if it was already fired (by anyone)."""
        cur = self._execute(
            "INSERT INTO schedule_ticks (app_name, function_name, tick, call_id, fired_at) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT DO NOTHING", (app_name, function_name, tick, call_id, self.clock.time()))
        return cur.rowcount == 1

    def ticks(self, app_name: str, function_name: str) -> list[tuple[float, str]]:
        """(tick, call_id) of every fired tick, oldest first."""
        return self._execute("SELECT tick, call_id FROM schedule_ticks WHERE app_name = ? AND function_name = ?"
                             " ORDER BY tick", (app_name, function_name)).fetchall()

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
        data_blob])``; one already stored at the same ``(call_id, seq)`` wins. The blobs their data is
        in (if any) now belong to the call."""
        now = self.clock.time()
        rows = [tuple(row[:9]) + (row[9] if len(row) > 9 else "", now) for row in rows]
        with self.transaction():
            self._executemany(
                "INSERT INTO outputs (input_id, call_id, seq, idx, status, data, gen_index, message,"
                " container_id, data_blob, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                rows)
            for row in rows:
                if row[9]:
                    self.attach_blobs(row[1], [row[9]])

    def outputs_of_calls(self, call_ids: list[str]) -> dict[str, list[tuple[int, int, bytes, int, str, str]]]:
        """The outputs of many calls, each call's in order: {call_id: [(idx, status, data, gen_index,
        message, data_blob), ...]} (calls without outputs are left out); a few hundred calls a query."""
        found: dict[str, list] = {}
        for start in range(0, len(call_ids), 500):
            chunk = call_ids[start:start + 500]
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

    # ------------------------------------------------------------------ containers and workers

    def add_worker(self, worker_id: str, hostname: str, runtime: str, info: dict) -> None:
        """A worker connected; one that reconnects under its earlier id is connected again."""
        self._execute(
            "INSERT INTO workers (id, hostname, runtime, info, connected_at) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (id) DO UPDATE SET hostname = excluded.hostname, runtime = excluded.runtime,"
            " info = excluded.info, connected_at = excluded.connected_at, disconnected_at = NULL",
            (worker_id, hostname, runtime, json.dumps(info), self.clock.time()),
        )

    def worker_disconnected(self, worker_id: str) -> None:
        self._execute("UPDATE workers SET disconnected_at = ? WHERE id = ?", (self.clock.time(), worker_id))

    def add_container(self, container_id: str, function_id: str, app_id: str, worker_id: str) -> None:
        self._execute(
            "INSERT INTO containers (id, function_id, app_id, worker_id, state, created_at)"
            " VALUES (?, ?, ?, ?, 'starting', ?)",
            (container_id, function_id, app_id, worker_id, self.clock.time()),
        )

    def adopt_container(self, container_id: str, function_id: str, app_id: str, worker_id: str) -> None:
        """A container a reconnecting worker still runs, kept by the server: ready again, on that worker."""
        self._execute(
            "INSERT INTO containers (id, function_id, app_id, worker_id, state, created_at)"
            " VALUES (?, ?, ?, ?, 'ready', ?) ON CONFLICT (id) DO UPDATE SET state = 'ready',"
            " worker_id = excluded.worker_id, stopped_at = NULL, exit_code = NULL, message = NULL",
            (container_id, function_id, app_id, worker_id, self.clock.time()),
        )

    def update_container(self, container_id: str, state: str, *, exit_code: int | None = None,
                         message: str | None = None, phases: dict | None = None) -> None:
        stopped = self.clock.time() if state in ("stopped", "failed") else None
        self._execute(
            "UPDATE containers SET state = ?, exit_code = COALESCE(?, exit_code), message = COALESCE(?, message),"
            " phases = COALESCE(?, phases), stopped_at = COALESCE(?, stopped_at) WHERE id = ?",
            (state, exit_code, message, json.dumps(phases) if phases else None, stopped, container_id),
        )

    def get_container(self, container_id: str) -> dict | None:
        row = self._execute(
            "SELECT id, function_id, state, exit_code, message, phases FROM containers WHERE id = ?", (container_id,)
        ).fetchone()
        if row is None:
            return None
        return {"id": row[0], "function_id": row[1], "state": row[2], "exit_code": row[3],
                "message": row[4], "phases": json.loads(row[5]) if row[5] else {}}

    # ------------------------------------------------------------------ blobs and mounts

    def missing_blobs(self, shas: list[str]) -> list[str]:
        have = set()
        for i in range(0, len(shas), 500):
            chunk = shas[i:i + 500]
            q = "SELECT sha256 FROM blobs WHERE sha256 IN (%s)" % ",".join("?" * len(chunk))
            have.update(r[0] for r in self._execute(q, chunk))
        return [s for s in shas if s not in have]

    def put_blobs(self, blobs: list[tuple[str, bytes]]) -> None:
        self._executemany("INSERT INTO blobs (sha256, content) VALUES (?, ?) ON CONFLICT DO NOTHING", blobs)

    def get_blob(self, sha: str) -> bytes | None:
        row = self._execute("SELECT content FROM blobs WHERE sha256 = ?", (sha,)).fetchone()
        return None if row is None else row[0]

    def put_mount(self, mount_id: str, files: list[dict]) -> None:
        self._execute("INSERT INTO mounts (id, files) VALUES (?, ?) ON CONFLICT DO NOTHING", (mount_id, json.dumps(files)))

    def get_mount(self, mount_id: str) -> list[dict] | None:
        row = self._execute("SELECT files FROM mounts WHERE id = ?", (mount_id,)).fetchone()
        return None if row is None else json.loads(row[0])


def _quantile(ordered: list[float], q: float) -> float:
    """The q-quantile of sorted values (nearest rank); 0 for none."""
    if not ordered:
        return 0.0
    return float(ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))])
