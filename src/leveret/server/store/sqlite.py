"""SQLite store (WAL): apps, functions, calls, inputs and their outputs, containers, logs, blobs.

Every write that acknowledges something to a client (inputs, outputs) is committed before the
acknowledgement leaves. Calls are plain blocking sqlite3 calls made from the server's event loop:
each is a single short transaction over a batch, far cheaper than a thread hop.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import time
from typing import Iterable

SCHEMA = """
CREATE TABLE IF NOT EXISTS apps (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, description TEXT NOT NULL, state TEXT NOT NULL,
    created_at REAL NOT NULL, stopped_at REAL, stop_reason TEXT
);
CREATE TABLE IF NOT EXISTS functions (
    id TEXT PRIMARY KEY, app_id TEXT NOT NULL, name TEXT NOT NULL, definition BLOB NOT NULL,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS calls (
    id TEXT PRIMARY KEY, function_id TEXT NOT NULL, kind TEXT NOT NULL, total INTEGER,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS inputs (
    id TEXT PRIMARY KEY, call_id TEXT NOT NULL, idx INTEGER NOT NULL, args BLOB NOT NULL,
    state TEXT NOT NULL DEFAULT 'queued', created_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS inputs_call ON inputs(call_id, idx);
CREATE TABLE IF NOT EXISTS outputs (
    input_id TEXT NOT NULL, call_id TEXT NOT NULL, seq INTEGER NOT NULL, idx INTEGER NOT NULL,
    status INTEGER NOT NULL, data BLOB NOT NULL, gen_index INTEGER NOT NULL, message TEXT NOT NULL,
    container_id TEXT NOT NULL, finished_at REAL NOT NULL, PRIMARY KEY (call_id, seq)
);
CREATE TABLE IF NOT EXISTS containers (
    id TEXT PRIMARY KEY, function_id TEXT NOT NULL, app_id TEXT NOT NULL, worker_id TEXT NOT NULL,
    state TEXT NOT NULL, created_at REAL NOT NULL, stopped_at REAL, exit_code INTEGER,
    message TEXT, phases TEXT
);
CREATE TABLE IF NOT EXISTS workers (
    id TEXT PRIMARY KEY, hostname TEXT NOT NULL, runtime TEXT NOT NULL, info TEXT NOT NULL,
    connected_at REAL NOT NULL, disconnected_at REAL
);
CREATE TABLE IF NOT EXISTS logs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, app_id TEXT NOT NULL, function_name TEXT NOT NULL,
    container_id TEXT NOT NULL, input_id TEXT NOT NULL, source INTEGER NOT NULL, ts REAL NOT NULL,
    text TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS logs_app ON logs(app_id, seq);
CREATE TABLE IF NOT EXISTS blobs (sha256 TEXT PRIMARY KEY, content BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS mounts (id TEXT PRIMARY KEY, files TEXT NOT NULL);
"""


def open_store(url: str) -> "SqliteStore":
    """Open a store from a URL: ``sqlite:///abs/path.db``, ``sqlite://:memory:`` or a plain path."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        raise NotImplementedError(
            "PostgreSQL stores come with multi-host clusters; use --db sqlite:///PATH for now"
        )
    if url.startswith("sqlite://"):
        url = url[len("sqlite://"):]
        if url.startswith("/") and url != "/:memory:":
            path = url
        else:
            path = url.lstrip("/")
    else:
        path = url
    return SqliteStore(path)


class SqliteStore:
    def __init__(self, path: str):
        self.path = path
        if path != ":memory:" and not os.path.exists(path):
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))   # it holds functions' secrets
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA foreign_keys=OFF")
        self.db.executescript(SCHEMA)
        self._depth = 0

    def close(self) -> None:
        self.db.close()

    @contextlib.contextmanager
    def transaction(self):
        """One transaction around everything inside; nested uses join the outer one."""
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self.db.execute("BEGIN")
        self._depth = 1
        try:
            yield
        except BaseException:
            self._depth = 0
            self.db.execute("ROLLBACK")
            raise
        self._depth = 0
        self.db.execute("COMMIT")

    def _tx(self, sql: str, rows: Iterable[tuple]) -> None:
        with self.transaction():
            self.db.executemany(sql, rows)

    # ------------------------------------------------------------------ apps

    def create_app(self, app_id: str, name: str, description: str) -> None:
        self.db.execute(
            "INSERT INTO apps (id, name, description, state, created_at) VALUES (?, ?, ?, 'ephemeral', ?)",
            (app_id, name, description, time.time()),
        )

    def stop_app(self, app_id: str, reason: str) -> None:
        self.db.execute(
            "UPDATE apps SET state = 'stopped', stopped_at = ?, stop_reason = ? WHERE id = ? AND state != 'stopped'",
            (time.time(), reason, app_id),
        )

    def stop_all_apps(self, reason: str) -> int:
        cur = self.db.execute(
            "UPDATE apps SET state = 'stopped', stopped_at = ?, stop_reason = ? WHERE state != 'stopped'",
            (time.time(), reason),
        )
        return cur.rowcount

    def get_app(self, app_id: str) -> dict | None:
        row = self.db.execute("SELECT id, name, state FROM apps WHERE id = ?", (app_id,)).fetchone()
        return None if row is None else {"id": row[0], "name": row[1], "state": row[2]}

    def find_app(self, name_or_id: str) -> dict | None:
        """The app with this id, else the most recent app with this name."""
        row = self.db.execute(
            "SELECT id, name, state FROM apps WHERE id = ? OR name = ? ORDER BY id = ? DESC, created_at DESC LIMIT 1",
            (name_or_id, name_or_id, name_or_id),
        ).fetchone()
        return None if row is None else {"id": row[0], "name": row[1], "state": row[2]}

    # ------------------------------------------------------------------ functions and calls

    def create_function(self, function_id: str, app_id: str, name: str, definition: bytes) -> None:
        self.db.execute(
            "INSERT INTO functions (id, app_id, name, definition, created_at) VALUES (?, ?, ?, ?, ?)",
            (function_id, app_id, name, definition, time.time()),
        )

    def get_function(self, function_id: str) -> tuple[str, str, bytes] | None:
        """(app_id, name, serialized definition) of a function."""
        return self.db.execute(
            "SELECT app_id, name, definition FROM functions WHERE id = ?", (function_id,)
        ).fetchone()

    def create_call(self, call_id: str, function_id: str, kind: str, total: int | None,
                    inputs: list[tuple[str, int, bytes]]) -> None:
        """Store a call and its first inputs ``(input_id, idx, args)`` in one transaction."""
        now = time.time()
        with self.transaction():
            self.db.execute(
                "INSERT INTO calls (id, function_id, kind, total, created_at) VALUES (?, ?, ?, ?, ?)",
                (call_id, function_id, kind, total, now),
            )
            self.add_inputs(call_id, inputs)

    def set_call_total(self, call_id: str, total: int) -> None:
        self.db.execute("UPDATE calls SET total = ? WHERE id = ?", (total, call_id))

    def get_call(self, call_id: str) -> tuple[str, str, int | None] | None:
        """(function_id, kind, total) of a call."""
        return self.db.execute("SELECT function_id, kind, total FROM calls WHERE id = ?", (call_id,)).fetchone()

    def add_inputs(self, call_id: str, rows: list[tuple[str, int, bytes]]) -> None:
        """Store inputs ``(input_id, idx, args)`` of a call in one transaction."""
        now = time.time()
        self._tx(
            "INSERT INTO inputs (id, call_id, idx, args, created_at) VALUES (?, ?, ?, ?, ?)",
            ((iid, call_id, idx, args, now) for iid, idx, args in rows),
        )

    def add_outputs(self, rows: list[tuple]) -> None:
        """Store outputs ``(input_id, call_id, seq, idx, status, data, gen_index, message, container_id)``."""
        now = time.time()
        self._tx(
            "INSERT OR IGNORE INTO outputs (input_id, call_id, seq, idx, status, data, gen_index, message,"
            " container_id, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (row + (now,) for row in rows),
        )

    def get_outputs(self, call_id: str, from_seq: int) -> list[tuple[int, int, bytes, int, str]]:
        """Outputs of a call from position ``from_seq``: (idx, status, data, gen_index, message)."""
        return self.db.execute(
            "SELECT idx, status, data, gen_index, message FROM outputs WHERE call_id = ? AND seq >= ? ORDER BY seq",
            (call_id, from_seq),
        ).fetchall()

    # ------------------------------------------------------------------ containers and workers

    def add_worker(self, worker_id: str, hostname: str, runtime: str, info: dict) -> None:
        self.db.execute(
            "INSERT INTO workers (id, hostname, runtime, info, connected_at) VALUES (?, ?, ?, ?, ?)",
            (worker_id, hostname, runtime, json.dumps(info), time.time()),
        )

    def worker_disconnected(self, worker_id: str) -> None:
        self.db.execute("UPDATE workers SET disconnected_at = ? WHERE id = ?", (time.time(), worker_id))

    def add_container(self, container_id: str, function_id: str, app_id: str, worker_id: str) -> None:
        self.db.execute(
            "INSERT INTO containers (id, function_id, app_id, worker_id, state, created_at) VALUES (?, ?, ?, ?, 'starting', ?)",
            (container_id, function_id, app_id, worker_id, time.time()),
        )

    def update_container(self, container_id: str, state: str, *, exit_code: int | None = None,
                         message: str | None = None, phases: dict | None = None) -> None:
        stopped = time.time() if state in ("stopped", "failed") else None
        self.db.execute(
            "UPDATE containers SET state = ?, exit_code = COALESCE(?, exit_code), message = COALESCE(?, message),"
            " phases = COALESCE(?, phases), stopped_at = COALESCE(?, stopped_at) WHERE id = ?",
            (state, exit_code, message, json.dumps(phases) if phases else None, stopped, container_id),
        )

    def get_container(self, container_id: str) -> dict | None:
        row = self.db.execute(
            "SELECT id, function_id, state, exit_code, message, phases FROM containers WHERE id = ?", (container_id,)
        ).fetchone()
        if row is None:
            return None
        return {"id": row[0], "function_id": row[1], "state": row[2], "exit_code": row[3],
                "message": row[4], "phases": json.loads(row[5]) if row[5] else {}}

    # ------------------------------------------------------------------ logs

    def add_logs(self, rows: list[tuple]) -> int:
        """Store ``(app_id, function_name, container_id, input_id, source, ts, text)``; return the last seq."""
        with self.transaction():
            self.db.executemany(
                "INSERT INTO logs (app_id, function_name, container_id, input_id, source, ts, text) VALUES (?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            return self.db.execute("SELECT last_insert_rowid()").fetchone()[0]

    def get_logs(self, app_id: str, after_seq: int = 0, limit: int = 10_000) -> list[tuple]:
        """``(seq, app_id, function_name, container_id, input_id, source, ts, text)`` in order."""
        return self.db.execute(
            "SELECT seq, app_id, function_name, container_id, input_id, source, ts, text FROM logs"
            " WHERE app_id = ? AND seq > ? ORDER BY seq LIMIT ?",
            (app_id, after_seq, limit),
        ).fetchall()

    # ------------------------------------------------------------------ blobs and mounts

    def missing_blobs(self, shas: list[str]) -> list[str]:
        have = set()
        for i in range(0, len(shas), 500):
            chunk = shas[i:i + 500]
            q = "SELECT sha256 FROM blobs WHERE sha256 IN (%s)" % ",".join("?" * len(chunk))
            have.update(r[0] for r in self.db.execute(q, chunk))
        return [s for s in shas if s not in have]

    def put_blobs(self, blobs: list[tuple[str, bytes]]) -> None:
        self._tx("INSERT OR IGNORE INTO blobs (sha256, content) VALUES (?, ?)", blobs)

    def get_blob(self, sha: str) -> bytes | None:
        row = self.db.execute("SELECT content FROM blobs WHERE sha256 = ?", (sha,)).fetchone()
        return None if row is None else row[0]

    def put_mount(self, mount_id: str, files: list[dict]) -> None:
        self.db.execute("INSERT OR IGNORE INTO mounts (id, files) VALUES (?, ?)", (mount_id, json.dumps(files)))

    def get_mount(self, mount_id: str) -> list[dict] | None:
        row = self.db.execute("SELECT files FROM mounts WHERE id = ?", (mount_id,)).fetchone()
        return None if row is None else json.loads(row[0])
