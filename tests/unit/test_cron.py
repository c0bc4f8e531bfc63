from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from croniter import croniter
from hypothesis import given, settings
from hypothesis import strategies as st

from leveret import Cron, Period
from leveret.server import cron
from leveret.server.cron import due_tick, next_tick

STOCKHOLM = ZoneInfo("Europe/Stockholm")
SPRING = datetime(2024, 3, 31, tzinfo=STOCKHOLM)     # 02:00 CET -> 03:00 CEST
AUTUMN = datetime(2024, 10, 27, tzinfo=STOCKHOLM)    # 03:00 CEST -> 02:00 CET
DAY = 86400.0


def at(*args, tz=STOCKHOLM, fold=0) -> float:
    return datetime(*args, tzinfo=tz, fold=fold).timestamp()


def ticks(spec, start: float, end: float, anchor: float = 0.0) -> list[float]:
    out, t = [], start
    while (t := next_tick(spec, t, anchor)) <= end:
        out.append(t)
    return out


def local(t: float) -> str:
    return datetime.fromtimestamp(t, STOCKHOLM).strftime("%m-%d %H:%M%z")


# ---------------------------------------------------------------------- Cron


def test_cron_fires_at_the_matching_minutes_in_utc():
    spec = Cron("5 4 * * *").to_spec()
    start = datetime(2024, 1, 1, tzinfo=UTC).timestamp()
    assert ticks(spec, start, start + 3 * DAY) == [start + 4 * 3600 + 300 + d * DAY for d in range(3)]


def test_next_tick_is_strictly_after():
    spec = Cron("0 6 * * *", "Europe/Stockholm").to_spec()
    six = at(2024, 5, 2, 6)
    assert next_tick(spec, six - 0.5, 0) == six
    assert next_tick(spec, six, 0) == six + DAY


def test_daily_cron_keeps_local_time_across_both_changes():
    spec = Cron("0 6 * * *", "Europe/Stockholm").to_spec()
    got = ticks(spec, at(2024, 3, 29), at(2024, 4, 2))
    assert [local(t) for t in got] == ["03-29 06:00+0100", "03-30 06:00+0100", "03-31 06:00+0200", "04-01 06:00+0200"]
    assert got[2] - got[1] == DAY - 3600
    got = ticks(spec, at(2024, 10, 26), at(2024, 10, 29))
    assert [local(t) for t in got] == ["10-26 06:00+0200", "10-27 06:00+0100", "10-28 06:00+0100"]
    assert got[1] - got[0] == DAY + 3600


def test_a_time_skipped_in_spring_fires_once_at_the_end_of_the_gap():
    spec = Cron("30 2 * * *", "Europe/Stockholm").to_spec()
    got = ticks(spec, at(2024, 3, 30), at(2024, 4, 2))
    assert [local(t) for t in got] == ["03-30 02:30+0100", "03-31 03:00+0200", "04-01 02:30+0200"]


def test_a_time_repeated_in_autumn_fires_once_at_its_first_occurrence():
    spec = Cron("30 2 * * *", "Europe/Stockholm").to_spec()
    got = ticks(spec, at(2024, 10, 26), at(2024, 10, 29))
    assert [local(t) for t in got] == ["10-26 02:30+0200", "10-27 02:30+0200", "10-28 02:30+0100"]


def test_a_cron_over_every_hour_follows_the_clock_through_both_changes():
    spec = Cron("*/30 * * * *", "Europe/Stockholm").to_spec()
    got = ticks(spec, at(2024, 3, 31, 1, 0), at(2024, 3, 31, 4, 0))
    assert [local(t) for t in got] == ["03-31 01:30+0100", "03-31 03:00+0200", "03-31 03:30+0200", "03-31 04:00+0200"]
    got = ticks(spec, at(2024, 10, 27, 1, 45), at(2024, 10, 27, 3, 0))
    assert [local(t) for t in got] == ["10-27 02:00+0200", "10-27 02:30+0200", "10-27 02:00+0100",
                                       "10-27 02:30+0100", "10-27 03:00+0100"]
    assert all(b - a == 1800 for a, b in zip(got, got[1:]))


def expected_ticks(cron_string: str, tz: ZoneInfo, start: float, end: float) -> list[float]:
    """The module's DST rules, checked minute by minute: an oracle that shares none of its code.

    For cron strings whose day and month fields are all '*'.
    """
    minutes, hours = (set(range(n)) if f == ["*"] else set(f) for f, n in zip(croniter.expand(cron_string)[0], (60, 24)))
    follows_clock = len(hours) == 24
    out = []
    for minute in range(int(start // 60) + 1, int(end // 60) + 1):
        t = minute * 60.0
        now, before = datetime.fromtimestamp(t, tz), datetime.fromtimestamp(t - 60, tz)
        walls = [now.replace(tzinfo=None)]
        if not follows_clock and now.utcoffset() > before.utcoffset():   # a spring change: add the skipped walls
            walls += [before.replace(tzinfo=None) + timedelta(minutes=m)
                      for m in range(1, (now.utcoffset() - before.utcoffset()) // timedelta(minutes=1) + 1)]
        if (follows_clock or now.fold == 0) and any(w.minute in minutes and w.hour in hours for w in walls):
            out.append(t)
    return out


@pytest.mark.parametrize("zone, day", [("Europe/Stockholm", SPRING), ("Europe/Stockholm", AUTUMN),
                                       ("America/New_York", datetime(2024, 3, 10)),
                                       ("America/New_York", datetime(2024, 11, 3)),
                                       ("Australia/Lord_Howe", datetime(2024, 4, 7)),    # a half-hour change
                                       ("Australia/Lord_Howe", datetime(2024, 10, 6))])
@pytest.mark.parametrize("cron_string", ["30 2 * * *", "*/20 * * * *", "0,45 1-3 * * *", "15 * * * *", "0 */2 * * *"])
def test_cron_ticks_across_a_change_match_the_minute_by_minute_rules(zone, day, cron_string):
    tz = ZoneInfo(zone)
    start = day.replace(tzinfo=tz).timestamp() - 6 * 3600
    end = start + 2 * DAY
    assert ticks(Cron(cron_string, zone).to_spec(), start, end) == expected_ticks(cron_string, tz, start, end)


def test_cron_misses_while_down_collapse_into_one_run():
    spec = Cron("0 * * * *").to_spec()
    anchor = datetime(2024, 1, 1, tzinfo=UTC).timestamp()
    assert due_tick(spec, None, anchor, anchor + 1800) is None
    last = due_tick(spec, None, anchor, anchor + 3600)
    assert last == anchor + 3600
    # down for three days: one run, for the latest hour
    back = anchor + 3 * DAY + 1234
    assert due_tick(spec, last, anchor, back) == anchor + 3 * DAY
    assert due_tick(spec, anchor + 3 * DAY, anchor, back + 60) is None


def test_cron_never_fires_for_a_time_before_it_was_deployed():
    spec = Cron("0 6 * * *").to_spec()
    anchor = datetime(2024, 1, 1, 7, tzinfo=UTC).timestamp()
    assert due_tick(spec, None, anchor, anchor + 3600) is None
    assert due_tick(spec, anchor - DAY, anchor, anchor + 3600) is None    # a last tick from an older deploy
    assert due_tick(spec, None, anchor, anchor + DAY) == anchor + DAY - 3600


def test_due_tick_called_again_with_the_recorded_tick_fires_nothing():
    spec = Cron("30 2 * * *", "Europe/Stockholm").to_spec()
    anchor, now, last, fired = at(2024, 10, 20), at(2024, 10, 20), None, []
    while now < at(2024, 11, 2):
        now += 600
        if (tick := due_tick(spec, last, anchor, now)) is not None:
            fired.append(tick)
            last = tick
    assert len(fired) == len(set(fired)) == 13   # 20 October to 1 November
    assert local(fired[7]) == "10-27 02:30+0200"


# ---------------------------------------------------------------------- Period


def test_period_ticks_count_from_the_anchor():
    spec = Period(hours=1).to_spec()
    anchor = 1_700_000_000.25
    assert next_tick(spec, anchor - 10 * DAY, anchor) == anchor + 3600    # the anchor itself is no tick
    assert next_tick(spec, anchor, anchor) == anchor + 3600
    assert next_tick(spec, anchor + 3600, anchor) == anchor + 7200
    assert due_tick(spec, None, anchor, anchor + 3599) is None
    assert due_tick(spec, None, anchor, anchor + 3600) == anchor + 3600


def test_monthly_period_follows_the_calendar_from_the_anchor():
    anchor = datetime(2024, 1, 31, 12, tzinfo=UTC).timestamp()
    got = ticks(Period(months=1).to_spec(), anchor, anchor + 200 * DAY, anchor)
    assert [datetime.fromtimestamp(t, UTC).date().isoformat() for t in got] == [
        "2024-02-29", "2024-03-31", "2024-04-30", "2024-05-31", "2024-06-30", "2024-07-31"]


def test_yearly_period_from_a_leap_day():
    anchor = datetime(2024, 2, 29, tzinfo=UTC).timestamp()
    got = ticks(Period(years=1).to_spec(), anchor, anchor + 5 * 366 * DAY, anchor)
    assert [datetime.fromtimestamp(t, UTC).date().isoformat() for t in got] == [
        "2025-02-28", "2026-02-28", "2027-02-28", "2028-02-29", "2029-02-28"]


def test_period_with_months_and_days_adds_both_per_tick():
    anchor = datetime(2024, 1, 1, tzinfo=UTC).timestamp()
    got = ticks(Period(months=1, days=1).to_spec(), anchor, anchor + 70 * DAY, anchor)
    assert [datetime.fromtimestamp(t, UTC).date().isoformat() for t in got] == ["2024-02-02", "2024-03-03"]


def test_period_misses_while_down_collapse_into_one_run():
    spec = Period(minutes=10).to_spec()
    anchor = 1_700_000_000.0
    assert due_tick(spec, anchor + 600, anchor, anchor + 5 * 3600 + 1) == anchor + 5 * 3600
    assert due_tick(spec, anchor + 5 * 3600, anchor, anchor + 5 * 3600 + 599) is None


@pytest.mark.parametrize("period", [Period(seconds=1), Period(months=1), Period(years=1, seconds=1)])
def test_a_year_down_costs_a_few_steps_not_one_per_missed_tick(monkeypatch, period):
    calls = []
    real = cron._period_tick
    monkeypatch.setattr(cron, "_period_tick", lambda *a: calls.append(a) or real(*a))
    anchor = 1_700_000_000.0
    now = anchor + 400 * DAY + 0.5
    tick = due_tick(period, anchor + 1, anchor, now)
    assert tick <= now < next_tick(period, tick, anchor)
    assert len(calls) < 10


# ---------------------------------------------------------------------- properties

CRON_STRINGS = ["* * * * *", "*/7 * * * *", "0 * * * *", "30 2 * * *", "0 6 * * 1-5", "15 1,2,3 * * *",
                "0 0 29 2 *", "0 0 1 * *", "@hourly", "45 23 31 * *"]
ZONES = ["UTC", "Europe/Stockholm", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "Pacific/Apia"]
specs = st.one_of(
    st.builds(Cron, st.sampled_from(CRON_STRINGS), st.sampled_from(ZONES)),
    st.builds(lambda **kw: Period(**kw) if any(kw.values()) else Period(seconds=1),
              months=st.integers(0, 14), days=st.integers(0, 40), hours=st.integers(0, 30),
              seconds=st.one_of(st.just(0), st.floats(1, 5000))),
)
instants = st.floats(1.2e9, 1.4e9, allow_nan=False)   # 2008 to 2014: Apia skipped a day in 2011


@settings(max_examples=150, deadline=None)
@given(specs, instants, st.lists(st.floats(0, 40 * DAY, allow_nan=False), min_size=1, max_size=12))
def test_fed_back_ticks_never_repeat_and_never_run_ahead(schedule, anchor, steps):
    spec = schedule.to_spec()
    now, last, fired = anchor, None, []
    for step in steps:
        now += step
        tick = due_tick(spec, last, anchor, now)
        start = anchor if last is None else last
        if tick is None:
            assert next_tick(spec, start, anchor) > now
            continue
        assert start < tick <= now
        assert next_tick(spec, tick, anchor) > now                 # the latest one due
        assert next_tick(spec, tick - 0.5, anchor) == tick         # and a tick of the schedule
        fired.append(tick)
        last = tick
    assert fired == sorted(set(fired))


@settings(max_examples=100, deadline=None)
@given(specs, instants)
def test_next_tick_and_due_tick_agree(schedule, after):
    tick = next_tick(schedule, after, after)
    assert tick > after
    assert due_tick(schedule, None, after, tick) == tick
    assert due_tick(schedule, None, after, tick - 0.25) is None
