"""The store's schema: numbered steps, applied in order when a store opens, on every backend.

The schema *is* these steps; there is no other copy of it. A database records each step it has
had in ``schema_version`` (one row per version, with when it was applied); its version is the
highest. Opening a store runs, for each step the database lacks, one transaction that takes the
schema lock (PostgreSQL: an advisory lock; SQLite: its write lock, ``BEGIN IMMEDIATE``), reads
the version again, applies the next step and records it, so servers starting together on one
database wait for each other and a step is applied once, wholly or not at all. A database at a
version this code does not know refuses to open (``SchemaTooNew``).

A step is a module ``mNNN_what.py`` holding ``SQL``: statements separated by ``;`` (none inside
a statement), in the subset both backends accept, ``{bytes}`` for a bytes column and
``{serial}`` for an auto-numbered key. To change the schema, add the next module and list it in
``STEPS``; never edit a step that has been released: databases out there have had it.

A database from before versions were kept (tables, no ``schema_version``) is recognised by the
columns it has (``recognise``) and taken from there.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from . import m001_initial, m002_payload_blobs, m003_calls_created, m004_named_objects, m005_call_parents, m006_secrets, \
    m007_dicts, m008_queues, m009_volumes, m010_token_scopes, m011_output_details, m012_environments, \
    m013_attempts, m014_usage

if TYPE_CHECKING:
    from ..base import SqlStore

STEPS = (m001_initial, m002_payload_blobs, m003_calls_created, m004_named_objects, m005_call_parents, m006_secrets,
         m007_dicts, m008_queues, m009_volumes, m010_token_scopes, m011_output_details,
         m012_environments, m013_attempts, m014_usage)   # version N is STEPS[N - 1]
LATEST = len(STEPS)

_VERSION_TABLE = """
CREATE TABLE schema_version (version BIGINT PRIMARY KEY, applied_at DOUBLE PRECISION NOT NULL)
"""


class SchemaTooNew(RuntimeError):
    """The database was upgraded by a newer leveret than this one."""


def statements(step, dialect) -> list[str]:
    """A step's statements for a backend."""
    text = step.SQL.format(bytes=dialect.bytes_type, serial=dialect.serial_key)
    return [s.strip() for s in text.split(";") if s.strip()]


def migrate(store: SqlStore) -> int:
    """Bring the store's database to ``LATEST``, a step per transaction; return how many steps ran."""
    applied = 0
    while True:
        with store.transaction(begin=store.dialect.begin_write):
            store._lock_schema()
            version = _version(store)
            if version > LATEST:
                raise SchemaTooNew(
                    f"the store's database is at schema version {version}, and this leveret knows versions"
                    f" up to {LATEST}: a newer leveret has upgraded it. Upgrade leveret (pip install --upgrade"
                    " leveret) to open it")
            if version == LATEST:
                return applied
            for statement in statements(STEPS[version], store.dialect):
                store.db.execute(statement)
            _record(store, version + 1)
        applied += 1


def version_of(store: SqlStore) -> int:
    """The schema version of the store's database (0: none yet)."""
    return _highest(store) if _has_versions(store) else 0


def _version(store: SqlStore) -> int:
    """The version, making the version table first where it is missing (a new database, or one from
    before versions: then the version recognised is recorded)."""
    if _has_versions(store):
        return _highest(store)
    version = recognise(store)
    store.db.execute(_VERSION_TABLE.strip())
    if version:
        _record(store, version)
    return version


def _has_versions(store: SqlStore) -> bool:
    return bool(store.dialect.columns(store.db, "schema_version"))


def _highest(store: SqlStore) -> int:
    return store._execute("SELECT COALESCE(MAX(version), 0) FROM schema_version").fetchone()[0]


def _record(store: SqlStore, version: int) -> None:
    store._execute("INSERT INTO schema_version (version, applied_at) VALUES (?, ?)", (version, time.time()))


def recognise(store: SqlStore) -> int:
    """The version of a database without ``schema_version``: 0 with no tables (a new database); 1 with
    the first release's; 2 once payload blobs were added (their columns and table came together).
    Step 3's index came between them in time: it is created only where missing.

    Only databases made before versions were kept lack the table, so this never needs a new case."""
    def columns(table: str) -> set[str]:
        return store.dialect.columns(store.db, table)

    if not columns("apps"):
        return 0
    if "args_blob" in columns("inputs") and "data_blob" in columns("outputs") and columns("payload_blobs"):
        return 2
    return 1
