"""An input's attempts that failed and were retried: each kept as a row (its final attempt is its
output), so a post-mortem shows every attempt's error and traceback, not only the last one's."""

SQL = """
CREATE TABLE attempts (
  call_id TEXT NOT NULL,
  input_id TEXT NOT NULL,
  attempt BIGINT NOT NULL,
  status BIGINT NOT NULL,
  started_at DOUBLE PRECISION,
  finished_at DOUBLE PRECISION NOT NULL,
  container_id TEXT NOT NULL DEFAULT '',
  message TEXT NOT NULL DEFAULT '',
  traceback TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (call_id, input_id, attempt)
)
"""
