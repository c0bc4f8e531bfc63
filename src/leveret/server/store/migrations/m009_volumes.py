"""Volumes (server/volumes.py): each path's latest entry — a file's chunk hashes, a directory, or a
tombstone — with the version of the commit that wrote it; and each volume's head. A path is kept as
its UTF-8 bytes, which both backends order bytewise (a text column would follow PostgreSQL's
collation, where "a/b" and "a0" need not sort as the ranges of a directory want)."""

SQL = """
CREATE TABLE volume_files (
    volume_id TEXT NOT NULL, path {bytes} NOT NULL, kind INTEGER NOT NULL, size BIGINT NOT NULL, mode INTEGER NOT NULL,
    mtime DOUBLE PRECISION NOT NULL, chunks TEXT NOT NULL, version BIGINT NOT NULL,
    PRIMARY KEY (volume_id, path)
);
CREATE INDEX volume_files_by_version ON volume_files (volume_id, version);
CREATE TABLE volume_heads (
    volume_id TEXT PRIMARY KEY, version BIGINT NOT NULL, files BIGINT NOT NULL, bytes BIGINT NOT NULL
)
"""
