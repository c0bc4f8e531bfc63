"""Durations and points in time as people type them: ``30s``, ``30m``, ``1h``, ``7d``, ``1h30m``;
``2026-11-28T10:00``, ``2026-11-28 10:00:00``, ``2026-11-28`` (local time unless it says otherwise)."""

from __future__ import annotations

import datetime
import re

_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 7 * 86400.0}
_DURATION = re.compile(r"(\d+(?:\.\d+)?)([smhdw])")
DURATION_FORMS = "a number and a unit: 30s, 30m, 1h, 7d, 2w (or 1h30m)"
TIME_FORMS = f"a duration back from now ({DURATION_FORMS}) or a time: 2026-11-28T10:00, 2026-11-28 10:00:00, 2026-11-28"


def parse_duration(text: str, what: str = "duration") -> float:
    """Seconds in ``text``; ValueError naming the accepted forms."""
    s = text.strip().lower()
    pos, total = 0, 0.0
    for m in _DURATION.finditer(s):
        if m.start() != pos:
            break
        total += float(m.group(1)) * _UNITS[m.group(2)]
        pos = m.end()
    if not s or pos != len(s):
        raise ValueError(f"{what} {text!r}: give {DURATION_FORMS}")
    return total


def format_duration(seconds: float) -> str:
    """``seconds`` as ``parse_duration`` reads it back: 7d, 14d, 1h30m, 0.5s."""
    if seconds <= 0:
        return "0s"
    parts, left = [], float(seconds)
    for unit in ("d", "h", "m"):
        size = _UNITS[unit]
        n = int(left // size)
        if n:
            parts.append(f"{n}{unit}")
            left -= n * size
    if left > 1e-9 or not parts:
        parts.append(f"{round(left, 3):g}s")
    return "".join(parts)


def parse_time(text: str, now: float, what: str = "time") -> float:
    """Seconds since the epoch of ``text``: a duration before ``now``, or a date and time."""
    try:
        return now - parse_duration(text)
    except ValueError:
        pass
    try:
        when = datetime.datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{what} {text!r}: give {TIME_FORMS}") from None
    if when.tzinfo is None:
        when = when.astimezone()   # local time
    return when.timestamp()
