"""What only the SQLite backend does: its file, its journal, how its URLs are read."""

import os
import stat

import pytest

from leveret.server.store import SqliteStore, open_store


def test_new_database_file_is_readable_by_its_owner_only(tmp_path):
    path = tmp_path / "state.db"
    SqliteStore(str(path)).close()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600   # it holds functions' secrets


def test_database_is_in_wal_mode(store):
    assert store.db.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_open_store_sqlite_url_with_absolute_path(tmp_path):
    path = tmp_path / "a.db"
    s = open_store(f"sqlite://{path}")
    try:
        assert isinstance(s, SqliteStore)
        assert s.path == str(path)
        s.create_app("ap-1", "etl", "")
    finally:
        s.close()
    assert path.exists()


def test_open_store_plain_path(tmp_path):
    path = tmp_path / "b.db"
    s = open_store(str(path))
    s.close()
    assert s.path == str(path)
    assert path.exists()


@pytest.mark.parametrize("url", ["sqlite://:memory:", "sqlite:///:memory:"])
def test_open_store_in_memory(url):
    s = open_store(url)
    try:
        assert s.path == ":memory:"
        s.create_app("ap-1", "etl", "")
        assert s.get_app("ap-1") is not None
        assert s.reader() is None   # a database in memory is its one connection's
    finally:
        s.close()


def test_the_wal_goes_back_under_its_limit_after_a_big_transaction(tmp_path, monkeypatch):
    from leveret.server.store import sqlite

    monkeypatch.setattr(sqlite, "WAL_LIMIT_BYTES", 1 << 20)
    s = SqliteStore(str(tmp_path / "state.db"))
    wal = tmp_path / "state.db-wal"
    try:
        s.create_call("fc-1", "fu-1", "map", None, [(f"in-1-{i}", i, os.urandom(100_000)) for i in range(100)])
        assert wal.stat().st_size > 8 << 20       # one transaction of 10 MB
        s.create_app("ap-1", "etl", "")           # the next write, after the checkpoint, starts the log over
        assert wal.stat().st_size <= 1 << 20
    finally:
        s.close()
