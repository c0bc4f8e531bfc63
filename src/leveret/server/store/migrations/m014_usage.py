"""What each function used, by UTC day: CPU seconds, memory byte-seconds and GPU seconds, keyed by
app and function name (a deployed app's versions count together), kept across server restarts for
the dashboard's usage table."""

SQL = """
CREATE TABLE function_usage (
  app TEXT NOT NULL,
  function TEXT NOT NULL,
  day DOUBLE PRECISION NOT NULL,
  cpu_seconds DOUBLE PRECISION NOT NULL DEFAULT 0,
  memory_byte_seconds DOUBLE PRECISION NOT NULL DEFAULT 0,
  gpu_seconds DOUBLE PRECISION NOT NULL DEFAULT 0,
  PRIMARY KEY (app, function, day)
)
"""
