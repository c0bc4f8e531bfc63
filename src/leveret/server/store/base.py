"""The store's SQL, written once for every backend: apps, deployments, schedules, worker tokens,
containers, workers and mounts here; calls (calls.py), logs, blobs, named objects and retention
in modules of their own, mixed into ``SqlStore``.

Statements use a portable subset that SQLite and PostgreSQL both accept: ``?`` placeholders,
``BIGINT`` and ``DOUBLE PRECISION`` columns, ``ON CONFLICT DO NOTHING``. What still differs is in
a ``Dialect``: the placeholder the driver wants, the bytes column type, the auto-numbered key
and how to read the last number given out. To change the tables, add a step to ``migrations/``;
to add a method, write it here (or in the module of its job) with ``self._execute`` /
``self._executemany``. Both backends get it, and the contract tests
(tests/unit/test_store_contract.py) run it on both.

A store is plain blocking code over one connection, which one thread uses at a time. The server
never calls it from its event loop: its writes go to one thread that owns the store
(server/writes.py), its reads to another with a connection of its own (``reader()``,
server/reads.py).
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from typing import Any, Iterable

from ..clock import SystemClock
from .calls import CallRows
from .dicts import DictRows
from .history import InputHistory
from .secrets import SecretRows
from .logs import LOG_ROW_BYTES, LogLines  # noqa: F401  (LOG_ROW_BYTES: read from here too)
from .migrations import migrate
from .objects import NamedObjectRows
from .queues import QueueRows
from .volumes import VolumeRows
from .payloads import PayloadBlobs
from .retention import CallRetention
from .usage import UsageRows


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
    serial_high: str    # query: the highest number a (table, column)'s auto-numbered key has had, deleted or not
    serial_set: str     # statement: (table, column, n): numbers up to n were given by hand ("": counted by itself)
    position: str       # function: where a text contains another, 1-based, 0 if it does not
    columns_query: str  # query: the column names of the table given as its one parameter
    begin_write: str    # starts a transaction that will write, taking the write lock where there is one

    def sql(self, statement: str) -> str:
        if self.param == "?":
            return statement
        return statement.replace("%", "%%").replace("?", self.param)

    def columns(self, db, table: str) -> set[str]:
        return {row[0] for row in db.execute(self.sql(self.columns_query), (table,)).fetchall()}


RECONNECT_FIRST_S, RECONNECT_MAX_S = 0.1, 2.0   # a lost database connection is tried again at this pace


class SqlStore(CallRows, InputHistory, LogLines, CallRetention, PayloadBlobs, NamedObjectRows, SecretRows, DictRows, QueueRows,
               VolumeRows, UsageRows):
    """Cluster state over one DB-API connection ``db`` (autocommit; ``transaction()`` groups).
    Log lines are in ``LogLines`` (logs.py), retention's deletes in ``CallRetention``
    (retention.py), blobs' rows in ``PayloadBlobs`` (payloads.py), named objects' in
    ``NamedObjectRows`` (objects.py).

    A backend sets ``dialect`` and ``IntegrityError`` (its driver's), opens the connection and
    calls ``super().__init__(db, clock)``; and makes ``reader()``. Rows are stamped with ``clock``'s
    time (server/clock.py: the server's, so retention's cut and the stamps it compares agree on a
    fake clock too).
    """

    dialect: Dialect
    IntegrityError: type[Exception] = Exception
    local_commits = False   # True: a commit costs microseconds, not a round trip (SQLite; writes.run_now)

    def __init__(self, db: Any, clock=None, *, reader: bool = False):
        """``reader``: a connection that only reads, next to a store that migrated the database."""
        self.db = db
        self.clock = clock or SystemClock()
        self._depth = 0
        if reader:
            return
        try:
            migrate(self)
        except BaseException:
            db.close()      # a database this code cannot open (newer, or a step failed) is let go of
            raise

    def _lock_schema(self) -> None:
        """Keep stores opened at once on one database from migrating it twice (migrations/)."""

    def reader(self) -> SqlStore | None:
        """A store over a second connection to the same database that refuses to write and sees what
        is committed, for a thread of its own; None where a database has one connection only."""
        return None

    def close(self) -> None:
        self.db.close()

    def full(self, exc: BaseException) -> bool:
        """Whether ``exc`` says the database's disk is full."""
        return False

    def where(self) -> str:
        """Where the database is, for a message (a file, or a server's address)."""
        return ""

    def lost(self, exc: BaseException) -> bool:
        """Whether ``exc`` says the connection to the database is gone (its server restarted): the
        store's thread then waits for it (``wait_for_database``) and does its work again."""
        return False

    def reconnect(self) -> None:
        """Open the connection again (a backend whose ``lost`` can be true has this)."""
        raise NotImplementedError

    def wait_for_database(self, exc: BaseException, log, what: str) -> None:
        """After ``exc`` lost the connection: connect again, backing off, until the database answers.
        Blocks the calling thread (the store's writer's or reader's): what it serves waits."""
        import time

        from ..._shared.backoff import Backoff

        began = time.monotonic()
        log.warning("the store's %s connection was lost (%s): connecting again until the database answers; its work"
                    " waits", what, str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__)
        backoff = Backoff(RECONNECT_FIRST_S, RECONNECT_MAX_S)
        while True:
            time.sleep(backoff.next())
            try:
                self.reconnect()
            except Exception as again:   # still down: keep trying, quietly
                if not self.lost(again):
                    raise
                continue
            log.warning("the store's %s connection is back after %.1f s", what, time.monotonic() - began)
            return

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
        try:
            self.db.execute("COMMIT")
        except BaseException:
            # A failed commit can leave the transaction open (SQLite, on a busy or full disk): end it,
            # or every later write on this connection would fail too.
            with contextlib.suppress(Exception):
                self.db.execute("ROLLBACK")
            raise

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

    def app_info(self, app_id: str) -> dict | None:
        """An app's row as ``list_apps`` gives it."""
        row = self._execute(self.APP_COLUMNS + " WHERE a.id = ?", (app_id,)).fetchone()
        return None if row is None else self._app_info(row)

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

    # ------------------------------------------------------------------ worker tokens

    def add_worker_token(self, token_id: str, name: str, sha256: str, scope: str = "") -> None:
        """A worker's, a proxy's or (with its ``scope``) a user's token."""
        self._execute("INSERT INTO worker_tokens (id, name, sha256, created_at, scope) VALUES (?, ?, ?, ?, ?)",
                      (token_id, name, sha256, self.clock.time(), scope))

    def worker_tokens(self) -> list[dict]:
        """Every token of the table (revoked ones too), oldest first: id, name, sha256, created_at,
        revoked_at, scope."""
        rows = self._execute("SELECT id, name, sha256, created_at, revoked_at, scope FROM worker_tokens"
                             " ORDER BY created_at, id").fetchall()
        return [dict(zip(("id", "name", "sha256", "created_at", "revoked_at", "scope"), r)) for r in rows]

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
            "SELECT id, function_id, state, exit_code, message, phases, app_id FROM containers WHERE id = ?",
            (container_id,)).fetchone()
        if row is None:
            return None
        return {"id": row[0], "function_id": row[1], "state": row[2], "exit_code": row[3],
                "message": row[4], "phases": json.loads(row[5]) if row[5] else {}, "app_id": row[6]}

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
