"""Cluster state. One interface, ``Store``, whose SQL is written once (``base.py``), over SQLite
(one host) or PostgreSQL (a database elsewhere); one server per store."""

from .logs import NO_FILTER, LogFilter
from .base import SqlStore as Store
from .migrations import SchemaTooNew
from .sqlite import SqliteStore, sqlite_path


def open_store(url: str, clock=None) -> Store:
    """Open a store from a URL: ``postgresql://USER@HOST/DB`` (or ``postgres://``),
    ``sqlite:///abs/path.db``, ``sqlite://:memory:`` or a plain path to a SQLite file. Its rows are
    stamped with ``clock``'s time (server/clock.py; default: the system's)."""
    if url.startswith(("postgresql://", "postgres://")):
        from .postgres import PostgresStore   # psycopg loads only for a PostgreSQL store

        return PostgresStore(url, clock)
    return SqliteStore(sqlite_path(url), clock)


__all__ = ["NO_FILTER", "LogFilter", "SchemaTooNew", "SqliteStore", "Store", "open_store"]
