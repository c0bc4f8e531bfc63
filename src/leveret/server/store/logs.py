"""Log lines in the store: each app's lines numbered in the order they were stored (``seq``),
read with filters, counted by size, and deleted oldest first by the log retention (server/logs.py).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LogFilter:
    """Which of an app's log lines a reader wants; an unset field does not filter."""

    function_name: str = ""
    container_id: str = ""
    since: float | None = None    # ts >= since
    until: float | None = None    # ts <= until
    search: str = ""              # the text contains it (case-sensitive)

    def matches(self, function_name: str, container_id: str, ts: float, text: str) -> bool:
        """The same test as the store's query, for live lines."""
        return ((not self.function_name or function_name == self.function_name)
                and (not self.container_id or container_id == self.container_id)
                and (self.since is None or ts >= self.since) and (self.until is None or ts <= self.until)
                and (not self.search or self.search in text))


NO_FILTER = LogFilter()

# What a stored log line costs beyond its text (ids, times, index entries), roughly: the retention
# limit counts a line as its text's length plus this.
LOG_ROW_BYTES = 100


def log_line_bytes(text: str) -> int:
    return len(text) + LOG_ROW_BYTES


class LogLines:
    """The log half of ``SqlStore`` (which mixes it in): its SQL uses ``SqlStore``'s ``_execute``,
    ``_executemany`` and ``transaction``, the same on every backend."""

    def add_logs(self, rows: list[tuple], first_seq: int | None = None) -> int:
        """Store ``(app_id, function_name, container_id, input_id, source, ts, text)``; return the last seq.

        The rows get consecutive seqs: from ``first_seq`` (the log hub numbers lines as they come,
        after ``last_log_seq()``), or after the last the store gave."""
        with self.transaction():
            if first_seq is None:
                self._executemany(
                    "INSERT INTO logs (app_id, function_name, container_id, input_id, source, ts, text)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
                return self._execute(self.dialect.last_id).fetchone()[0]
            self._executemany(
                "INSERT INTO logs (seq, app_id, function_name, container_id, input_id, source, ts, text)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)", [(first_seq + i, *row) for i, row in enumerate(rows)])
            last = first_seq + len(rows) - 1
            if self.dialect.serial_set:
                self._execute(self.dialect.serial_set, ("logs", "seq", last))
            return last

    LOG_COLUMNS = "SELECT seq, app_id, function_name, container_id, input_id, source, ts, text FROM logs"

    def _log_where(self, app_id: str, flt: LogFilter) -> tuple[str, list]:
        clauses, params = ["app_id = ?"], [app_id]
        for clause, value, wanted in (
            ("function_name = ?", flt.function_name, flt.function_name),
            ("container_id = ?", flt.container_id, flt.container_id),
            ("ts >= ?", flt.since, flt.since is not None),
            ("ts <= ?", flt.until, flt.until is not None),
            (f"{self.dialect.position}(text, ?) > 0", flt.search, flt.search),
        ):
            if wanted:
                clauses.append(clause)
                params.append(value)
        return " WHERE " + " AND ".join(clauses), params

    def get_logs(self, app_id: str, after_seq: int = 0, limit: int = 10_000, flt: LogFilter = NO_FILTER) -> list[tuple]:
        """``(seq, app_id, function_name, container_id, input_id, source, ts, text)`` in order: the
        first ``limit`` lines after ``after_seq`` that pass ``flt``."""
        where, params = self._log_where(app_id, flt)
        return self._execute(self.LOG_COLUMNS + where + " AND seq > ? ORDER BY seq LIMIT ?",
                             params + [after_seq, limit]).fetchall()

    def tail_logs(self, app_id: str, n: int, flt: LogFilter = NO_FILTER) -> list[tuple]:
        """The last ``n`` lines that pass ``flt``, oldest first (rows as ``get_logs``)."""
        where, params = self._log_where(app_id, flt)
        rows = self._execute(self.LOG_COLUMNS + where + " ORDER BY seq DESC LIMIT ?", params + [n]).fetchall()
        rows.reverse()
        return rows

    def last_log_seq(self) -> int:
        """The highest seq a line has had, deleted since or not (0 when none): no seq is given twice."""
        (newest,) = self._execute("SELECT COALESCE(MAX(seq), 0) FROM logs").fetchone()
        return max(newest, self._execute(self.dialect.serial_high, ("logs", "seq")).fetchone()[0])

    def logs_size(self) -> int:
        """Bytes the stored lines take, by ``log_line_bytes``: a scan, for a server's start."""
        rows, chars = self._execute("SELECT COUNT(*), COALESCE(SUM(LENGTH(text)), 0) FROM logs").fetchone()
        return int(chars) + int(rows) * LOG_ROW_BYTES

    def delete_logs_before(self, ts: float, limit: int) -> tuple[int, int]:
        """Delete the oldest lines in store order, up to ``limit`` of them and up to the first one
        written at or after ``ts``; return (lines, bytes) deleted (bytes by ``log_line_bytes``).

        Store order, not an index on ts: each index costs every insert on the log hot path, and
        lines are stored about in the order they were written."""
        with self.transaction():
            rows = self._execute("SELECT seq, ts, LENGTH(text) FROM logs ORDER BY seq LIMIT ?", (limit,)).fetchall()
            old = 0
            while old < len(rows) and rows[old][1] < ts:
                old += 1
            if not old:
                return 0, 0
            self._execute("DELETE FROM logs WHERE seq <= ?", (rows[old - 1][0],))
            return old, sum(r[2] for r in rows[:old]) + old * LOG_ROW_BYTES

    def delete_oldest_logs(self, size: int, limit: int) -> tuple[int, int]:
        """Delete the oldest lines, up to ``limit`` of them, until at least ``size`` bytes (by
        ``log_line_bytes``) are gone; return (lines, bytes) deleted."""
        with self.transaction():
            rows = self._execute("SELECT seq, LENGTH(text) FROM logs ORDER BY seq LIMIT ?", (limit,)).fetchall()
            freed, last = 0, None
            for n, (seq, length) in enumerate(rows, 1):
                freed += length + LOG_ROW_BYTES
                last = seq
                if freed >= size:
                    break
            if last is None:
                return 0, 0
            self._execute("DELETE FROM logs WHERE seq <= ?", (last,))
            return n, freed
