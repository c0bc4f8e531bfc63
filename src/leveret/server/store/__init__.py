"""Cluster state. One interface (``Store``); SQLite now, PostgreSQL with the multi-host work."""

from .sqlite import SqliteStore, open_store

__all__ = ["SqliteStore", "open_store"]
