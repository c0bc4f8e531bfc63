"""SQLite backend (WAL), for one host: the embedded daemon and single-server clusters.

The file is created readable by its owner only: it holds functions' secrets.
"""

from __future__ import annotations

import os
import sqlite3

from .base import Dialect, SqlStore

SQLITE = Dialect(
    param="?",
    bytes_type="BLOB",
    serial_key="INTEGER PRIMARY KEY AUTOINCREMENT",
    last_id="SELECT last_insert_rowid()",
    serial_high="SELECT COALESCE(MAX(seq), 0) FROM sqlite_sequence WHERE name = ? AND ? != ''",   # AUTOINCREMENT's
    serial_set="",
    position="instr",
    columns_query="SELECT name FROM pragma_table_info(?)",
    begin_write="BEGIN IMMEDIATE",
)

# After a checkpoint, the write-ahead log is cut back to this: one big transaction (a prune's, a
# large batch's) would otherwise leave it at its largest size for good.
WAL_LIMIT_BYTES = 64 * 1024 * 1024


def sqlite_path(url: str) -> str:
    """The file of ``sqlite:///abs/path.db``, ``sqlite://:memory:`` or a plain path."""
    if not url.startswith("sqlite://"):
        return url
    url = url[len("sqlite://"):]
    if url.startswith("/") and url != "/:memory:":
        return url
    return url.lstrip("/")


WAL_SWITCH_S = 30.0   # how long opening waits for other openers of a new database to let it switch to WAL


def _until_unlocked(db: sqlite3.Connection, *statements: str) -> None:
    """Run ``statements`` on a database others may be opening at the same moment. Switching a new
    database to WAL needs the file to itself, and a write's first BEGIN may meet another connection
    recovering the WAL: SQLite answers "database is locked" at once there, rather than waiting as
    it does for writes. Try again until the others are done."""
    import time

    deadline = time.monotonic() + WAL_SWITCH_S
    delay = 0.005
    while True:
        try:
            for statement in statements:
                db.execute(statement)
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            if db.in_transaction:
                db.execute("ROLLBACK")
        time.sleep(delay)
        delay = min(2 * delay, 0.2)


class SqliteStore(SqlStore):
    dialect = SQLITE
    IntegrityError = sqlite3.IntegrityError
    local_commits = True   # a commit is a local file's: quick enough for the event loop's thread (writes.run_now)

    def __init__(self, path: str, clock=None, *, reader: bool = False):
        self.path = path
        if reader:
            db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA query_only=ON")
            super().__init__(db, clock, reader=True)
            return
        if path != ":memory:" and not os.path.exists(path):
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))   # it holds functions' secrets
        db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        _until_unlocked(db, "PRAGMA journal_mode=WAL")
        _until_unlocked(db, "BEGIN IMMEDIATE", "COMMIT")   # (its migrations' write comes next)
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute(f"PRAGMA journal_size_limit={int(WAL_LIMIT_BYTES)}")
        db.execute("PRAGMA foreign_keys=OFF")
        super().__init__(db, clock)

    def full(self, exc: BaseException) -> bool:
        return isinstance(exc, sqlite3.OperationalError) and "full" in str(exc)   # SQLITE_FULL

    def where(self) -> str:
        return self.path

    def reader(self) -> SqliteStore | None:
        """In WAL mode, a reader never waits for the writer nor the writer for it. A database in
        memory is one connection's: it has no reader."""
        return None if self.path == ":memory:" else SqliteStore(self.path, self.clock, reader=True)
