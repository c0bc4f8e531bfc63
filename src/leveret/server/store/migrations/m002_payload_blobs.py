"""Payloads over the inline limit travel as blobs: inputs and outputs name theirs ("" when the
payload is inline), and ``payload_blobs`` says which call owns each (store/payloads.py)."""

SQL = """
ALTER TABLE inputs ADD COLUMN args_blob TEXT NOT NULL DEFAULT '';
ALTER TABLE outputs ADD COLUMN data_blob TEXT NOT NULL DEFAULT '';
CREATE TABLE payload_blobs (
    id TEXT PRIMARY KEY, call_id TEXT NOT NULL, size BIGINT NOT NULL, created_at DOUBLE PRECISION NOT NULL
);
CREATE INDEX payload_blobs_call ON payload_blobs(call_id, created_at);
"""
