"""Retention finds the calls it may delete oldest first (store/retention.py).

``IF NOT EXISTS``: databases from before versions were kept may have this index already."""

SQL = """
CREATE INDEX IF NOT EXISTS calls_created ON calls(created_at);
"""
