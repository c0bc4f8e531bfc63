"""Rows of Dicts' entries (server/dicts.py): a pickled key and value each, and when it was last
written or read (``updated_at``: server/expiry.py). Schema version 7 (migrations/m007_dicts.py),
its index by age version 8."""

from __future__ import annotations


class DictRows:
    """Mixed into SqlStore."""

    def dict_put(self, dict_id: str, entries: list[tuple[bytes, bytes]], skip_if_exists: bool) -> int:
        """Store entries; with ``skip_if_exists`` a key already there keeps its value. How many were stored."""
        now = self.clock.time()
        conflict = ("DO NOTHING" if skip_if_exists else
                    "DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at")
        statement = (f"INSERT INTO dict_entries (dict_id, key, value, updated_at) VALUES (?, ?, ?, ?)"
                     f" ON CONFLICT (dict_id, key) {conflict}")
        if len(entries) == 1:   # one statement: no transaction around it
            (key, value), = entries
            return self._execute(statement, (dict_id, key, value, now)).rowcount
        written = 0
        with self.transaction():
            for key, value in entries:
                written += self._execute(statement, (dict_id, key, value, now)).rowcount
        return written

    def dict_get(self, dict_id: str, key: bytes, pop: bool = False) -> bytes | None:
        query = "SELECT value FROM dict_entries WHERE dict_id = ? AND key = ?"
        if not pop:   # one statement: no transaction around it
            row = self._execute(query, (dict_id, key)).fetchone()
            return None if row is None else bytes(row[0])
        with self.transaction():
            row = self._execute(query, (dict_id, key)).fetchone()
            if row is not None:
                self._execute("DELETE FROM dict_entries WHERE dict_id = ? AND key = ?", (dict_id, key))
        return None if row is None else bytes(row[0])

    def dict_len(self, dict_id: str, clear: bool = False) -> int:
        with self.transaction():
            (n,) = self._execute("SELECT COUNT(*) FROM dict_entries WHERE dict_id = ?", (dict_id,)).fetchone()
            if clear:
                self._execute("DELETE FROM dict_entries WHERE dict_id = ?", (dict_id,))
        return n

    def dict_page(self, dict_id: str, after: bytes | None, limit: int) -> list[tuple[bytes, bytes]]:
        """Entries in key order after ``after`` (None: from the first), at most ``limit``."""
        if after is None:
            rows = self._execute("SELECT key, value FROM dict_entries WHERE dict_id = ? ORDER BY key LIMIT ?",
                                 (dict_id, limit))
        else:
            rows = self._execute("SELECT key, value FROM dict_entries WHERE dict_id = ? AND key > ? ORDER BY key LIMIT ?",
                                 (dict_id, after, limit))
        return [(bytes(k), bytes(v)) for k, v in rows]

    def dict_touch(self, entries: list[tuple[str, bytes]]) -> None:
        """Entries (dict id, key) were read: their idle time starts again now."""
        now = self.clock.time()
        with self.transaction():
            self._executemany("UPDATE dict_entries SET updated_at = ? WHERE dict_id = ? AND key = ?",
                              [(now, dict_id, key) for dict_id, key in entries])

    def dict_expire(self, before: float, limit: int) -> int:
        """Delete up to ``limit`` entries neither written nor read since ``before``; how many went."""
        with self.transaction():
            return self._execute("DELETE FROM dict_entries WHERE (dict_id, key) IN (SELECT dict_id, key FROM"
                                 " dict_entries WHERE updated_at < ? LIMIT ?)", (before, limit)).rowcount
