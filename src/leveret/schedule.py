"""Schedules for ``@app.function(schedule=...)``: :class:`Cron` and :class:`Period`, as in Modal."""

from __future__ import annotations

from ._shared.schedule import Cron, Period, Schedule, from_spec

__all__ = ["Cron", "Period", "Schedule", "from_spec"]

for _cls in (Cron, Period, Schedule):   # reprs and pickles name them as users import them
    _cls.__module__ = __name__
del _cls
