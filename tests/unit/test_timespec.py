import datetime

import pytest

from leveret._shared.timespec import format_duration, parse_duration, parse_time

NOW = 1_800_000_000.0


@pytest.mark.parametrize("text, seconds", [
    ("30s", 30), ("30m", 1800), ("1h", 3600), ("7d", 7 * 86400), ("2w", 14 * 86400), ("1h30m", 5400),
    ("1.5h", 5400), (" 12H ", 12 * 3600),
])
def test_durations(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "7", "d", "7x", "1h 30m", "-1h", "yesterday", "h1"])
def test_a_bad_duration_names_the_accepted_forms(text):
    with pytest.raises(ValueError, match=r"--log-retention .*: give a number and a unit: 30s, 30m, 1h, 7d"):
        parse_duration(text, "--log-retention")


def test_times_back_from_now_and_local_dates():
    assert parse_time("30m", NOW) == NOW - 1800
    local = datetime.datetime(2026, 11, 28, 10, 0).astimezone().timestamp()
    assert parse_time("2026-11-28T10:00", NOW) == local
    assert parse_time("2026-11-28 10:00:00", NOW) == local
    assert parse_time("2026-11-28T10:00+00:00", NOW) == datetime.datetime(2026, 11, 28, 10, tzinfo=datetime.timezone.utc).timestamp()
    assert parse_time("2026-11-28", NOW) == datetime.datetime(2026, 11, 28).astimezone().timestamp()


def test_a_bad_time_names_the_accepted_forms():
    with pytest.raises(ValueError, match=r"--since 'last tuesday': give a duration back from now .* or a time: 2026-11-28T10:00"):
        parse_time("last tuesday", NOW, "--since")


@pytest.mark.parametrize("seconds, text", [
    (7 * 86400, "7d"), (14 * 86400, "14d"), (10 * 86400, "10d"), (5400, "1h30m"), (30, "30s"), (0.5, "0.5s"),
    (90061, "1d1h1m1s"), (0, "0s"),
])
def test_durations_are_written_as_they_are_typed(seconds, text):
    assert format_duration(seconds) == text
    assert parse_duration(text) == seconds
