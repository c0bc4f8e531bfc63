"""Rows of Queues' values (server/queues.py): ``queue_items`` in put order (an auto-numbered id),
``queue_partitions`` with when each partition is cleared. Schema version 8 (migrations/m008_queues.py).

A partition past its ``expires_at`` counts as empty: reads skip it, and a write to it (or a sweep)
deletes what it held first."""

from __future__ import annotations

_LIVE = "SELECT part FROM queue_partitions WHERE queue_id = ? AND expires_at >= ?"


class QueueRows:
    """Mixed into SqlStore."""

    def _queue_expire(self, queue_id: str, part: bytes, now: float) -> None:
        row = self._execute("SELECT expires_at FROM queue_partitions WHERE queue_id = ? AND part = ?",
                            (queue_id, part)).fetchone()
        if row is not None and row[0] < now:
            self._execute("DELETE FROM queue_items WHERE queue_id = ? AND part = ?", (queue_id, part))
            self._execute("DELETE FROM queue_partitions WHERE queue_id = ? AND part = ?", (queue_id, part))

    def queue_put(self, queue_id: str, part: bytes, values: list[bytes], ttl: float, *, max_items: int,
                  max_partitions: int) -> str:
        """Append ``values`` to a partition and keep it ``ttl`` seconds from now: "stored"; or, storing
        nothing, "full" (the partition would hold more than ``max_items``) or "partitions" (a new
        partition, and the queue has ``max_partitions``)."""
        now = self.clock.time()
        with self.transaction():
            self._queue_expire(queue_id, part, now)
            (held,) = self._execute("SELECT COUNT(*) FROM queue_items WHERE queue_id = ? AND part = ?",
                                    (queue_id, part)).fetchone()
            if held + len(values) > max_items:
                return "full"
            known = self._execute("SELECT 1 FROM queue_partitions WHERE queue_id = ? AND part = ?",
                                  (queue_id, part)).fetchone()
            if known is None:
                (parts,) = self._execute("SELECT COUNT(*) FROM queue_partitions WHERE queue_id = ? AND expires_at >= ?",
                                         (queue_id, now)).fetchone()
                if parts >= max_partitions:
                    return "partitions"
            self._executemany("INSERT INTO queue_items (queue_id, part, value) VALUES (?, ?, ?)",
                              [(queue_id, part, v) for v in values])
            self._execute("INSERT INTO queue_partitions (queue_id, part, expires_at) VALUES (?, ?, ?)"
                          " ON CONFLICT (queue_id, part) DO UPDATE SET expires_at = excluded.expires_at",
                          (queue_id, part, now + ttl))
        return "stored"

    def queue_pop(self, queue_id: str, part: bytes, n: int) -> list[bytes]:
        """Remove and return the oldest ``n`` values of a partition (fewer, or none, if it has fewer)."""
        with self.transaction():
            self._queue_expire(queue_id, part, self.clock.time())
            rows = self._execute("SELECT item_id, value FROM queue_items WHERE queue_id = ? AND part = ?"
                                 " ORDER BY item_id LIMIT ?", (queue_id, part, n)).fetchall()
            if rows:
                self._execute("DELETE FROM queue_items WHERE queue_id = ? AND part = ? AND item_id <= ?",
                              (queue_id, part, rows[-1][0]))
        return [bytes(v) for _, v in rows]

    def queue_len(self, queue_id: str, part: bytes | None) -> tuple[int, int]:
        """Values in a partition (``part`` None: in every one) and how many partitions hold them."""
        now = self.clock.time()
        if part is None:
            return tuple(self._execute(
                f"SELECT COUNT(*), COUNT(DISTINCT part) FROM queue_items WHERE queue_id = ? AND part IN ({_LIVE})",
                (queue_id, queue_id, now)).fetchone())
        (n,) = self._execute(f"SELECT COUNT(*) FROM queue_items WHERE queue_id = ? AND part = ? AND part IN ({_LIVE})",
                             (queue_id, part, queue_id, now)).fetchone()
        return n, 1 if n else 0

    def queue_clear(self, queue_id: str, part: bytes | None) -> None:
        """Empty a partition (``part`` None: every one, as when the queue is deleted)."""
        where, args = ("queue_id = ?", (queue_id,)) if part is None else ("queue_id = ? AND part = ?", (queue_id, part))
        with self.transaction():
            self._execute(f"DELETE FROM queue_items WHERE {where}", args)
            self._execute(f"DELETE FROM queue_partitions WHERE {where}", args)

    def queue_page(self, queue_id: str, part: bytes, after: int, limit: int) -> list[tuple[int, bytes]]:
        """Values of a live partition after item ``after``, in order, left in place: (item id, value)."""
        rows = self._execute(f"SELECT item_id, value FROM queue_items WHERE queue_id = ? AND part = ? AND item_id > ?"
                             f" AND part IN ({_LIVE}) ORDER BY item_id LIMIT ?",
                             (queue_id, part, after, queue_id, self.clock.time(), limit))
        return [(i, bytes(v)) for i, v in rows]

    def queue_sweep(self, limit: int) -> int:
        """Delete up to ``limit`` partitions past their time, with their values; how many went."""
        now = self.clock.time()
        with self.transaction():
            gone = self._execute("SELECT queue_id, part FROM queue_partitions WHERE expires_at < ? LIMIT ?",
                                 (now, limit)).fetchall()
            for queue_id, part in gone:
                self._execute("DELETE FROM queue_items WHERE queue_id = ? AND part = ?", (queue_id, part))
                self._execute("DELETE FROM queue_partitions WHERE queue_id = ? AND part = ?", (queue_id, part))
        return len(gone)
