"""A Dict's entries (server/dicts.py): pickled key and value, keyed by the dict and the key's bytes."""

SQL = """
CREATE TABLE dict_entries (
    dict_id TEXT NOT NULL, key {bytes} NOT NULL, value {bytes} NOT NULL, updated_at DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (dict_id, key)
)
"""
