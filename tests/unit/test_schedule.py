import json
import subprocess
import sys

import pytest

import leveret
from leveret import Cron, InvalidError, Period
from leveret.schedule import from_spec


def test_cron_and_period_are_exported_with_modals_names():
    assert leveret.Cron is Cron and leveret.Period is Period
    assert {"Cron", "Period"} <= set(leveret.__all__)


def test_cron_defaults_to_utc():
    assert Cron("5 4 * * *").timezone == "UTC"
    assert Cron("5 4 * * *").to_spec() == {"cron": "5 4 * * *", "timezone": "UTC"}


def test_period_spec_lists_the_units_given():
    assert Period(days=1).to_spec() == {"period": {"days": 1}}
    assert Period(months=1, hours=2, seconds=0.5).to_spec() == {"period": {"months": 1, "hours": 2, "seconds": 0.5}}


@pytest.mark.parametrize("schedule", [
    Cron("* * * * *"), Cron("0 6 * * *", timezone="Europe/Stockholm"), Cron("@daily"), Cron("0 9 * * thu"),
    Cron("*/15 8-17 * jan,jul 1-5", "America/New_York"), Period(seconds=1), Period(days=1),
    Period(years=1, months=2, weeks=3, days=4, hours=5, minutes=6, seconds=7.5),
])
def test_spec_round_trips_through_json(schedule):
    spec = json.loads(json.dumps(schedule.to_spec()))
    again = from_spec(spec)
    assert type(again) is type(schedule)
    assert again == schedule and hash(again) == hash(schedule)
    assert again.to_spec() == schedule.to_spec()
    assert repr(again) == repr(schedule)


def test_equal_periods_hash_alike():
    assert Period(seconds=60) == Period(seconds=60.0)
    assert hash(Period(seconds=60)) == hash(Period(seconds=60.0))
    assert Period(minutes=1) != Period(seconds=60)   # different specs, though as long
    assert Cron("0 6 * * *") != Cron("0 6 * * *", "Europe/Stockholm")


@pytest.mark.parametrize("args, names", [
    (("0 25 * * *",), ["the hour field is 25", "0-23"]),
    (("61 * * * *",), ["the minute field is 61", "0-59"]),
    (("* * 32 * *",), ["the day-of-month field is 32", "1-31"]),
    (("* * 0 * *",), ["the day-of-month field is 0", "1-31"]),
    (("* * * 13 *",), ["the month field is 13", "1-12"]),
    (("* * * * 8",), ["the day-of-week field is 8", "0-7"]),
    (("0 1-25 * * *",), ["the hour field is 1-25", "0-23"]),
    (("*/0 * * * *",), ["the minute field is */0", "step", "*/5"]),
    (("0 x * * *",), ["the hour field is x", "range"]),
    (("0 0 * foo *",), ["the month field is foo", "jan-dec"]),
    (("* * * *",), ["5 fields", "has 4", "'0 6 * * *'"]),
    (("0 0 * * * *",), ["5 fields", "has 6"]),
    (("@sometimes",), ["shorthand", "@daily"]),
    (("0 0 30 2 *",), ["day-of-month", "February", "never"]),
    ((42,), ["must be a str", "'0 6 * * *'"]),
    (("0 6 * * *", "Mars/Olympus"), ["timezone='Mars/Olympus'", "IANA", "'Europe/Stockholm'"]),
    (("0 6 * * *", "../etc/passwd"), ["timezone='../etc/passwd'", "IANA"]),
    (("0 6 * * *", 1), ["timezone=1", "must be a str"]),
])
def test_a_bad_cron_names_the_field_and_the_fix(args, names):
    with pytest.raises(InvalidError) as e:
        Cron(*args)
    assert str(e.value).startswith(f"Cron({args[0]!r}")
    for name in names:
        assert name in str(e.value)


@pytest.mark.parametrize("kwargs, names", [
    ({"days": -1}, ["Period(days=-1)", "days=-1 is negative", "Period(days=1)"]),
    ({"hours": 1, "seconds": -5}, ["seconds=-5 is negative"]),
    ({}, ["Period()", "zero", "Period(hours=1)"]),
    ({"days": 0, "seconds": 0.0}, ["zero"]),
    ({"seconds": 0.25}, ["shorter than a second"]),
    ({"months": 1.5}, ["months=1.5 must be a whole number", "Period(months=1)"]),
    ({"years": True}, ["years=True must be a whole number"]),
    ({"hours": "1"}, ["hours='1' must be a number", "Period(hours=1)"]),
    ({"minutes": float("nan")}, ["minutes=nan must be a number"]),
])
def test_a_bad_period_names_the_unit_and_the_fix(kwargs, names):
    with pytest.raises(InvalidError) as e:
        Period(**kwargs)
    for name in names:
        assert name in str(e.value)


def test_period_takes_keywords_only():
    with pytest.raises(TypeError):
        Period(1)


@pytest.mark.parametrize("spec, names", [
    ({"cron": "0 25 * * *", "timezone": "UTC"}, ["hour field"]),
    ({"period": {"days": 1, "fortnights": 2}}, ["fortnights", "units"]),
    ({"period": {}}, ["zero"]),
    ({"cron": "* * * * *"}, ["{'cron': ..., 'timezone': ...}", "to_spec()"]),
    ("0 6 * * *", ["to_spec()"]),
])
def test_from_spec_checks_what_arrives(spec, names):
    with pytest.raises(InvalidError) as e:
        from_spec(spec)
    for name in names:
        assert name in str(e.value)


def test_without_croniter_a_cron_is_kept_unchecked():
    # containers see only leveret and cloudpickle: the user's module must still import there
    code = ("import sys; sys.modules['croniter'] = None; import leveret;"
            " c = leveret.Cron('0 25 * * *', 'Nowhere/Atall'); print(c.to_spec())")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "'0 25 * * *'" in result.stdout
