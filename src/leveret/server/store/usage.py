"""Usage rows: what each function's containers used, summed per UTC day (``function_usage``)."""

from __future__ import annotations

DAY_S = 86400.0


def day_of(ts: float) -> float:
    """The start of ``ts``'s UTC day."""
    return ts - ts % DAY_S


class UsageRows:
    """Mixed into ``SqlStore``: its SQL uses ``_execute`` and ``_executemany``, the same on every backend."""

    def add_usage(self, rows: list[tuple[str, str, float, float, float, float]]) -> None:
        """Add ``(app, function, day, cpu_seconds, memory_byte_seconds, gpu_seconds)`` to the day's sums."""
        self._executemany(
            "INSERT INTO function_usage (app, function, day, cpu_seconds, memory_byte_seconds, gpu_seconds)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (app, function, day) DO UPDATE SET"
            " cpu_seconds = function_usage.cpu_seconds + excluded.cpu_seconds,"
            " memory_byte_seconds = function_usage.memory_byte_seconds + excluded.memory_byte_seconds,"
            " gpu_seconds = function_usage.gpu_seconds + excluded.gpu_seconds", rows)

    def usage_since(self, since: float) -> dict[tuple[str, str], tuple[float, float, float]]:
        """{(app, function): (CPU seconds, memory byte-seconds, GPU seconds)} of the days from ``since``'s on."""
        return {(app, fn): (cpu, memory, gpu) for app, fn, cpu, memory, gpu in self._execute(
            "SELECT app, function, SUM(cpu_seconds), SUM(memory_byte_seconds), SUM(gpu_seconds) FROM function_usage"
            " WHERE day >= ? GROUP BY app, function", (day_of(since),)).fetchall()}

    def delete_usage_before(self, before: float) -> int:
        """Delete the days that ended before ``before``; return how many rows."""
        return self._execute("DELETE FROM function_usage WHERE day < ?", (day_of(before),)).rowcount
