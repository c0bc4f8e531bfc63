"""When scheduled functions run: pure functions from a schedule spec and UNIX times to ticks.

A *tick* is an instant (float UNIX seconds) at which a schedule fires. The *anchor* is when the
schedule was deployed: a Period ticks at anchor + k * period for k >= 1, and no schedule fires
for a tick at or before its anchor. Nothing here reads a clock; the caller passes ``now``.

Daylight saving time, for a Cron in a zone that has it, follows Vixie cron:

- A cron whose hour field covers every hour (``*/15 * * * *``) follows the clock: a wall time the
  spring change skips does not fire, and one the autumn change repeats fires at both instants.
- A cron at chosen hours (``30 2 * * *``) fires once for each matching wall time: a skipped one
  fires at the end of the gap (02:30 on Stockholm's spring day fires at 03:00 CEST), a repeated
  one at its first occurrence only (02:30 CEST, not again at 02:30 CET).
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from croniter import croniter
from dateutil.relativedelta import relativedelta

from .._shared.schedule import Cron, Period, Schedule, from_spec

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
AVERAGE_MONTH_SECONDS = 365.2425 / 12 * 86400


def next_tick(spec: dict | Schedule, after: float, anchor: float) -> float:
    """The first tick strictly after ``after`` (a Period's first tick is one period after ``anchor``)."""
    schedule = _schedule(spec)
    if isinstance(schedule, Period):
        return _period_tick(schedule, anchor, max(_period_index(schedule, anchor, after) + 1, 1))
    return _cron_next(*_cron(schedule.cron_string, schedule.timezone), after)


def due_tick(spec: dict | Schedule, last_tick: float | None, anchor: float, now: float) -> float | None:
    """The tick to fire at ``now``: the latest in (last_tick or anchor, now], or None if there is none.

    Ticks missed while the server was down collapse into the latest one, so a server that comes
    back fires once. The caller stores the tick it fires as ``last_tick``; the same tick is then
    never returned again. A ``last_tick`` before ``anchor`` (left from an earlier deploy) counts
    as the anchor: no schedule fires for a time before it was deployed.
    """
    start = anchor if last_tick is None else max(last_tick, anchor)
    schedule = _schedule(spec)
    if isinstance(schedule, Period):
        k = _period_index(schedule, anchor, now)
        tick = _period_tick(schedule, anchor, k) if k >= 1 else None
    else:
        tick = _cron_latest(*_cron(schedule.cron_string, schedule.timezone), now)
    return tick if tick is not None and start < tick <= now else None


def _schedule(spec: dict | Schedule) -> Schedule:
    return spec if isinstance(spec, Schedule) else _parsed(json.dumps(spec, sort_keys=True))


@lru_cache(maxsize=1024)
def _parsed(spec_json: str) -> Schedule:
    return from_spec(json.loads(spec_json))   # checks the spec: once per distinct spec, not per call


# ---------------------------------------------------------------------- Period


def _period_tick(period: Period, anchor: float, k: int) -> float:
    """anchor + k periods; calendar months count from the anchor, so the 31st stays the 31st when it can."""
    tick = anchor + k * period.fixed_seconds()
    months = period.calendar_months()
    if months:
        whole = math.floor(anchor)
        start = EPOCH + timedelta(seconds=whole)
        tick += ((start + relativedelta(months=k * months)) - start).total_seconds()
    return tick


def _period_index(period: Period, anchor: float, at: float) -> int:
    """The largest k >= 0 with tick k at or before ``at`` (0 when ``at`` is before the anchor).

    An estimate from the average length of a period, then a few steps to the exact k: no walk
    over every tick, however long the server was down.
    """
    if at < anchor:
        return 0
    length = period.fixed_seconds() + period.calendar_months() * AVERAGE_MONTH_SECONDS
    k = max(int((at - anchor) // length), 0)
    while k > 0 and _period_tick(period, anchor, k) > at:
        k -= 1
    while _period_tick(period, anchor, k + 1) <= at:
        k += 1
    return k


# ---------------------------------------------------------------------- Cron


@lru_cache(maxsize=256)
def _cron(cron_string: str, timezone: str) -> tuple[str, ZoneInfo, bool]:
    """The cron string, its zone, and whether it follows the clock (its hour field covers every hour)."""
    hours = croniter.expand(cron_string)[0][1]
    return cron_string, ZoneInfo(timezone), hours == ["*"] or len(hours) == 24


def _instants(wall: datetime, tz: ZoneInfo, follows_clock: bool) -> tuple[float | None, float | None]:
    """The instants a local wall time fires at: (first or None, second or None); see the module's rules."""
    t0 = wall.replace(tzinfo=tz).timestamp()
    t1 = wall.replace(tzinfo=tz, fold=1).timestamp()
    if t0 == t1:
        return t0, None
    if t0 < t1:   # the autumn change repeats this wall time: t0 in summer time, t1 in winter time
        return t0, (t1 if follows_clock else None)
    # the spring change skips this wall time: t1 (winter offset) is before the change, t0 after it
    return (None if follows_clock else _change_instant(t1, t0, tz)), None


def _change_instant(before: float, after: float, tz: ZoneInfo) -> float:
    """The first instant with the new UTC offset, between ``before`` (old offset) and ``after`` (new)."""
    lo, hi = math.floor(before), math.ceil(after)
    old = datetime.fromtimestamp(lo, tz).utcoffset()
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if datetime.fromtimestamp(mid, tz).utcoffset() == old:
            lo = mid
        else:
            hi = mid
    return float(hi)


def _wall(instant: float, tz: ZoneInfo) -> tuple[datetime, timedelta]:
    """The local wall time at ``instant`` (to the second), and how long it repeats (0 when it does not)."""
    local = datetime.fromtimestamp(math.floor(instant), tz)
    repeat = local.replace(fold=1).timestamp() - local.replace(fold=0).timestamp()
    return local.replace(tzinfo=None, fold=0), timedelta(seconds=max(repeat, 0))


def _cron_next(cron_string: str, tz: ZoneInfo, follows_clock: bool, after: float) -> float:
    # Walk matching wall times forward. First instants rise with the wall time and every second
    # instant comes after its first, so the first first-instant past `after` ends the walk; a
    # repeated wall time's second instant can still be the answer, and is kept in `best`.
    wall, repeat = _wall(after, tz)
    walls = croniter(cron_string, wall - repeat - timedelta(seconds=1))
    best = None
    while True:
        first, second = _instants(walls.get_next(datetime), tz, follows_clock)
        if first is not None and first > after:
            return first if best is None else min(first, best)
        if second is not None and second > after:
            best = second if best is None else min(second, best)


def _cron_latest(cron_string: str, tz: ZoneInfo, follows_clock: bool, at: float) -> float:
    """The latest tick at or before ``at``: the walk of _cron_next, backwards."""
    wall, repeat = _wall(at, tz)
    walls = croniter(cron_string, wall + repeat + timedelta(seconds=1))
    best = None
    while True:
        first, second = _instants(walls.get_prev(datetime), tz, follows_clock)
        last = second if second is not None else first
        if last is not None and last <= at:
            return last if best is None else max(last, best)
        if first is not None and first <= at:
            best = first if best is None else max(first, best)
