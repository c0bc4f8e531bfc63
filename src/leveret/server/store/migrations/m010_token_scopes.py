"""A user's token (server/auth.py) keeps its scope beside the workers' and proxies' tokens: admin,
deploy, run or read-only; "" for the others."""

SQL = """
ALTER TABLE worker_tokens ADD COLUMN scope TEXT NOT NULL DEFAULT ''
"""
