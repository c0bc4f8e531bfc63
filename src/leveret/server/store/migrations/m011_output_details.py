"""An output keeps what a post-mortem asks of it: the attempt it ended (1 the first), when that
attempt was sent to its container, and a failure's traceback (the function's frames); a function's
calls are found by an index (its inputs listed, its stats read)."""

SQL = """
ALTER TABLE outputs ADD COLUMN attempt BIGINT NOT NULL DEFAULT 1;
ALTER TABLE outputs ADD COLUMN started_at DOUBLE PRECISION;
ALTER TABLE outputs ADD COLUMN traceback TEXT NOT NULL DEFAULT '';
CREATE INDEX calls_function ON calls(function_id, created_at)
"""
