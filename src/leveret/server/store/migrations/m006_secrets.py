"""Secrets' values, sealed under the server's key (server/secret_keys.py): a row per secret, named
(its named object has the same id) or not (Secret.from_dict …: its id derives from its values).
``keys``: the names of its variables as JSON, to list and check without opening it."""

SQL = """
CREATE TABLE secret_values (
    id TEXT PRIMARY KEY, key_id TEXT NOT NULL, sealed {bytes} NOT NULL, keys TEXT NOT NULL,
    updated_at DOUBLE PRECISION NOT NULL
)
"""
