"""Environments beyond the default "main": each a namespace of named objects and apps (kinds.py)."""

SQL = """
CREATE TABLE environments (name TEXT PRIMARY KEY, created_at DOUBLE PRECISION NOT NULL)
"""
