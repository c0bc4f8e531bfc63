"""Rows of Volumes (server/volumes.py). Schema version 9 (migrations/m009_volumes.py).

``volume_files`` holds each path's latest state: a file (its size, mode, mtime and chunk hashes),
a directory (one made empty; others are implied by the paths under them), or a tombstone (kind
0: deleted), with the version of the commit that wrote it. ``volume_heads`` holds a volume's
version and how many files and bytes it holds. A commit is one transaction: a reader sees the
volume before it or after it, never a part of it.
"""

from __future__ import annotations

from dataclasses import dataclass

DELETED = 0


@dataclass(frozen=True)
class VolumeEntry:
    path: str
    kind: int          # FILE, DIRECTORY, or DELETED (a tombstone: in changes only)
    size: int
    mode: int
    mtime: float
    chunks: tuple[str, ...]
    version: int


_COLUMNS = "path, kind, size, mode, mtime, chunks, version"


def _under(prefix: str) -> tuple[bytes, bytes]:
    """The paths strictly under directory ``prefix`` ("": the root), as a byte range [low, high)."""
    return (b"", b"\xff") if not prefix else ((prefix + "/").encode(), (prefix + "0").encode())   # '0' follows '/'


def _entry(row) -> VolumeEntry:
    path, kind, size, mode, mtime, chunks, version = row
    return VolumeEntry(bytes(path).decode(), kind, size, mode, mtime, tuple(chunks.split()) if chunks else (), version)


class VolumeRows:
    """Mixed into SqlStore."""

    def volume_head(self, volume_id: str) -> tuple[int, int, int]:
        """(version, files, bytes); (0, 0, 0) for a volume never committed to."""
        row = self._execute("SELECT version, files, bytes FROM volume_heads WHERE volume_id = ?", (volume_id,)).fetchone()
        return tuple(row) if row else (0, 0, 0)

    def volume_entry(self, volume_id: str, path: str) -> VolumeEntry | None:
        """The live entry at ``path`` (not a tombstone), or None."""
        row = self._execute(f"SELECT {_COLUMNS} FROM volume_files WHERE volume_id = ? AND path = ? AND kind != 0",
                            (volume_id, path.encode())).fetchone()
        return None if row is None else _entry(row)

    def volume_entries_under(self, volume_id: str, prefix: str, *, after: str = "", limit: int = 0,
                             since: int = -1) -> list[VolumeEntry]:
        """Entries strictly under directory ``prefix`` in path order, after path ``after``; live ones
        only, or with ``since`` >= 0 those written after that version, tombstones included."""
        low, high = _under(prefix)
        sql = f"SELECT {_COLUMNS} FROM volume_files WHERE volume_id = ? AND path >= ? AND path < ? AND path > ?"
        args: list = [volume_id, low, high, after.encode()]
        if since >= 0:
            sql += " AND version > ?"
            args.append(since)
        else:
            sql += " AND kind != 0"
        sql += " ORDER BY path"
        if limit:
            sql += " LIMIT ?"
            args.append(limit)
        return [_entry(r) for r in self._execute(sql, args)]

    def volume_changes(self, volume_id: str, since: int) -> tuple[int, list[VolumeEntry]]:
        """The volume's version and every entry written after ``since``, read at once (one commit
        is in it wholly or not at all)."""
        with self.transaction():
            version = self.volume_head(volume_id)[0]
            return version, self.volume_entries_under(volume_id, "", since=since)

    def volume_write(self, volume_id: str, entries: list[VolumeEntry], deleted: list[str]) -> tuple[int, int, int]:
        """One commit: ``entries`` written (files, directories), the paths in ``deleted`` made
        tombstones, all at the next version; returns the head after it (version, files, bytes)."""
        with self.transaction():
            version, files, size = self.volume_head(volume_id)
            version += 1
            for path in deleted:
                old = self._execute("SELECT kind, size FROM volume_files WHERE volume_id = ? AND path = ? AND kind != 0",
                                    (volume_id, path.encode())).fetchone()
                if old is None:
                    continue
                files, size = files - 1, size - old[1]
                self._execute("UPDATE volume_files SET kind = 0, size = 0, chunks = '', version = ? WHERE volume_id = ?"
                              " AND path = ?", (version, volume_id, path.encode()))
            for e in entries:
                old = self._execute("SELECT kind, size FROM volume_files WHERE volume_id = ? AND path = ? AND kind != 0",
                                    (volume_id, e.path.encode())).fetchone()
                if old is not None:
                    files, size = files - 1, size - old[1]
                files, size = files + 1, size + e.size
                self._execute(
                    f"INSERT INTO volume_files (volume_id, {_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT (volume_id, path) DO UPDATE SET kind = excluded.kind, size = excluded.size,"
                    " mode = excluded.mode, mtime = excluded.mtime, chunks = excluded.chunks, version = excluded.version",
                    (volume_id, e.path.encode(), e.kind, e.size, e.mode, e.mtime, " ".join(e.chunks), version))
            self._execute("INSERT INTO volume_heads (volume_id, version, files, bytes) VALUES (?, ?, ?, ?)"
                          " ON CONFLICT (volume_id) DO UPDATE SET version = excluded.version, files = excluded.files,"
                          " bytes = excluded.bytes", (volume_id, version, files, size))
        return version, files, size

    def volume_drop(self, volume_id: str) -> None:
        """A deleted volume's rows (its chunks stay for the sweep of unreferenced ones)."""
        with self.transaction():
            self._execute("DELETE FROM volume_files WHERE volume_id = ?", (volume_id,))
            self._execute("DELETE FROM volume_heads WHERE volume_id = ?", (volume_id,))
