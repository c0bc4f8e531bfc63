"""Schedules for ``@app.function(schedule=...)``: :class:`Cron` and :class:`Period`, as in Modal.

A schedule is plain data, checked when it is made. The server keeps it as a JSON spec
(:meth:`Schedule.to_spec`, :func:`from_spec`) and computes its ticks in ``leveret.server.cron``.

Containers import this module with the user's code but have neither croniter nor a time zone
database; there a Cron keeps its string unchecked (the client checked it when the app was deployed).
"""

from __future__ import annotations

from .errors import InvalidError

# (name, plural, lowest, highest) of the five fields of a cron string, in order
CRON_FIELDS = (
    ("minute", "minutes", 0, 59),
    ("hour", "hours", 0, 23),
    ("day-of-month", "days of the month", 1, 31),
    ("month", "months", 1, 12),
    ("day-of-week", "days of the week (0 or 7 is Sunday)", 0, 7),
)
CRON_SHORTHANDS = ("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly")
CRON_EXAMPLE = "e.g. '0 6 * * *' runs at 06:00 every day"

# Period's units, longest first; years and months are calendar units, the rest fixed lengths
PERIOD_UNITS = ("years", "months", "weeks", "days", "hours", "minutes", "seconds")
MIN_PERIOD_SECONDS = 1


class Schedule:
    """A function's schedule: :class:`Cron` or :class:`Period`."""

    __slots__ = ()

    def to_spec(self) -> dict:
        raise NotImplementedError

    def __eq__(self, other) -> bool:
        return isinstance(other, Schedule) and self.to_spec() == other.to_spec()

    def __hash__(self) -> int:
        spec = self.to_spec()
        return hash(tuple((k, tuple(v.items()) if isinstance(v, dict) else v) for k, v in spec.items()))


class Cron(Schedule):
    """Runs at the times a cron string matches, read in an IANA time zone (UTC by default).

    ``Cron("5 4 * * *")`` runs at 04:05 UTC every day; ``Cron("0 6 * * *", timezone="America/New_York")``
    at 06:00 New York time, summer and winter.
    """

    __slots__ = ("cron_string", "timezone")

    def __init__(self, cron_string: str, timezone: str = "UTC") -> None:
        if not isinstance(cron_string, str):
            raise InvalidError(f"Cron({cron_string!r}): the cron string must be a str, {CRON_EXAMPLE}")
        if not isinstance(timezone, str):
            raise InvalidError(f"Cron({cron_string!r}, timezone={timezone!r}): the time zone must be a str naming"
                               " an IANA zone, e.g. timezone='Europe/Stockholm'")
        self.cron_string = cron_string
        self.timezone = timezone
        try:
            from croniter import croniter  # noqa: F401 - absent inside containers
        except ImportError:
            return
        _check_cron_string(cron_string)
        _check_timezone(cron_string, timezone)

    def to_spec(self) -> dict:
        return {"cron": self.cron_string, "timezone": self.timezone}

    def __repr__(self) -> str:
        tz = "" if self.timezone == "UTC" else f", timezone={self.timezone!r}"
        return f"Cron({self.cron_string!r}{tz})"


class Period(Schedule):
    """Runs every given interval, the first time one interval after the app is deployed.

    Redeploying starts the count again. Years and months follow the calendar (a monthly Period
    deployed on the 31st runs on the last day of shorter months); the other units are fixed lengths.
    """

    __slots__ = PERIOD_UNITS

    def __init__(self, *, years: int = 0, months: int = 0, weeks: int = 0, days: int = 0, hours: int = 0,
                 minutes: int = 0, seconds: float = 0) -> None:
        given = dict(years=years, months=months, weeks=weeks, days=days, hours=hours, minutes=minutes, seconds=seconds)
        shown = ", ".join(f"{unit}={value!r}" for unit, value in given.items() if value != 0)
        for unit, value in given.items():
            whole = unit in ("years", "months")
            if isinstance(value, bool) or not isinstance(value, int if whole else (int, float)) \
                    or value != value or value in (float("inf"), float("-inf")):
                kind = "a whole number" if whole else "a number"
                raise InvalidError(f"Period({shown}): {unit}={value!r} must be {kind}, e.g. Period({unit}=1)")
            if value < 0:
                raise InvalidError(f"Period({shown}): {unit}={value!r} is negative; a Period counts forward,"
                                   f" e.g. Period({unit}=1)")
            setattr(self, unit, value)
        if years == 0 and months == 0 and self.fixed_seconds() < MIN_PERIOD_SECONDS:
            what = "is zero" if self.fixed_seconds() == 0 else "is shorter than a second"
            raise InvalidError(f"Period({shown}): the interval {what}; a Period needs {MIN_PERIOD_SECONDS} second"
                               " or more in all, e.g. Period(hours=1)")

    def fixed_seconds(self) -> float:
        """The weeks, days, hours, minutes and seconds, in seconds (years and months are not fixed)."""
        return self.weeks * 604800 + self.days * 86400 + self.hours * 3600 + self.minutes * 60 + self.seconds

    def calendar_months(self) -> int:
        return self.years * 12 + self.months

    def to_spec(self) -> dict:
        return {"period": {unit: getattr(self, unit) for unit in PERIOD_UNITS if getattr(self, unit) != 0}}

    def __repr__(self) -> str:
        return "Period(" + ", ".join(f"{unit}={value!r}" for unit, value in self.to_spec()["period"].items()) + ")"


def from_spec(spec: dict) -> Schedule:
    """The schedule a ``to_spec()`` dict describes, checked again (specs arrive over the wire)."""
    if isinstance(spec, dict) and set(spec) == {"cron", "timezone"}:
        return Cron(spec["cron"], spec["timezone"])
    if isinstance(spec, dict) and set(spec) == {"period"} and isinstance(spec["period"], dict):
        unknown = set(spec["period"]) - set(PERIOD_UNITS)
        if not unknown:
            return Period(**spec["period"])
        raise InvalidError(f"schedule spec {spec!r}: unknown Period units {sorted(unknown)}; the units are"
                           f" {', '.join(PERIOD_UNITS)}")
    raise InvalidError(f"schedule spec {spec!r} is neither {{'cron': ..., 'timezone': ...}} nor"
                       " {'period': {...}}; make specs with Cron(...).to_spec() or Period(...).to_spec()")


# ---------------------------------------------------------------------- checks


def _check_cron_string(cron_string: str) -> None:
    from croniter import CroniterBadDateError, croniter

    fields = cron_string.split()
    if cron_string.strip().startswith("@"):
        if cron_string.strip().lower() not in CRON_SHORTHANDS:
            raise InvalidError(f"Cron({cron_string!r}): unknown shorthand; use one of {', '.join(CRON_SHORTHANDS)}"
                               f" or five fields, {CRON_EXAMPLE}")
        return
    if len(fields) != len(CRON_FIELDS):
        raise InvalidError(f"Cron({cron_string!r}): a cron string has 5 fields (minute hour day-of-month month"
                           f" day-of-week), this one has {len(fields)}; {CRON_EXAMPLE}")
    for i, field in enumerate(fields):
        alone = " ".join(field if j == i else "*" for j in range(len(CRON_FIELDS)))
        try:
            croniter.expand(alone)
        except (ValueError, KeyError) as e:   # croniter's errors are ValueErrors
            raise InvalidError(f"Cron({cron_string!r}): {_field_problem(i, field)}") from e
    try:
        croniter.expand(cron_string)
        croniter(cron_string, 0).get_next(float)   # from 1970: does any date match?
    except CroniterBadDateError as e:
        raise InvalidError(f"Cron({cron_string!r}): no date has that day-of-month in that month (e.g. February"
                           " has no day 30), so it would never run; pick a day every chosen month has") from e
    except (ValueError, KeyError) as e:
        raise InvalidError(f"Cron({cron_string!r}): not a valid cron string ({e}); {CRON_EXAMPLE}") from e


def _field_problem(i: int, field: str) -> str:
    name, plural, low, high = CRON_FIELDS[i]
    for item in field.split(","):
        base, _, step = item.partition("/")
        if step and not (step.isdigit() and int(step) > 0):
            return f"the {name} field is {field}, but the step after '/' must be a whole number of 1 or more, e.g. */5"
        for part in base.split("-"):
            if part.isdigit() and not low <= int(part) <= high:
                return f"the {name} field is {field}, but {plural} run {low}-{high}"
    names = " or names (jan-dec)" if name == "month" else " or names (sun-sat)" if name == "day-of-week" else ""
    return (f"the {name} field is {field}, which is not * or a number, range (1-5), list (1,3) or step (*/5)"
            f" of {plural} {low}-{high}{names}")


def _check_timezone(cron_string: str, timezone: str) -> None:
    import zoneinfo

    try:
        zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as e:
        if not zoneinfo.available_timezones():
            raise InvalidError(f"Cron({cron_string!r}, timezone={timezone!r}): no time zone database is installed"
                               " here; install one (pip install tzdata, or the system's tzdata package)") from e
        raise InvalidError(f"Cron({cron_string!r}, timezone={timezone!r}): the timezone is not a known IANA time"
                           " zone; use a name such as 'Europe/Stockholm', 'America/New_York' or 'UTC'") from e
