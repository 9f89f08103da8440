"""Quiet hours in the office's local time (a window may wrap past midnight) and muting."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from pwa.domain.push.categories import Category
from pwa.domain.push.preferences import (
    PreferenceError,
    Preferences,
    format_clock,
    parse_clock,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 6, day, hour, minute, tzinfo=SHANGHAI).astimezone(UTC)


NIGHT = Preferences(quiet_start=22 * 60, quiet_end=7 * 60)  # 22:00 → 07:00, wraps
NOON = Preferences(quiet_start=12 * 60, quiet_end=13 * 60 + 30)  # 12:00 → 13:30


@pytest.mark.parametrize(
    ("now", "until"),
    [
        (local(1, 21, 59), None),
        (local(1, 22, 0), local(2, 7)),  # the start is inside
        (local(1, 23, 30), local(2, 7)),  # before midnight: tomorrow morning
        (local(2, 0, 0), local(2, 7)),
        (local(2, 3, 15), local(2, 7)),  # after midnight: this morning
        (local(2, 6, 59), local(2, 7)),
        (local(2, 7, 0), None),  # the end is outside
        (local(2, 12, 0), None),
    ],
)
def test_a_window_that_wraps_past_midnight(now, until):
    assert NIGHT.quiet_until(now, SHANGHAI) == until


@pytest.mark.parametrize(
    ("now", "until"),
    [
        (local(1, 11, 59), None),
        (local(1, 12, 0), local(1, 13, 30)),
        (local(1, 13, 29), local(1, 13, 30)),
        (local(1, 13, 30), None),
        (local(1, 23, 0), None),
    ],
)
def test_a_window_within_one_day(now, until):
    assert NOON.quiet_until(now, SHANGHAI) == until


def test_quiet_hours_are_local_time_not_utc():
    # 15:00 UTC is 23:00 in Shanghai: quiet there, not in London.
    now = datetime(2026, 6, 1, 15, 0, tzinfo=UTC)
    assert NIGHT.quiet_until(now, SHANGHAI) == datetime(2026, 6, 1, 23, 0, tzinfo=UTC)
    assert NIGHT.quiet_until(now, ZoneInfo("Europe/London")) is None


def test_no_window_without_both_ends_or_with_equal_ends():
    now = local(1, 23)
    assert Preferences().quiet_until(now, SHANGHAI) is None
    assert Preferences(quiet_start=60).quiet_until(now, SHANGHAI) is None
    assert Preferences(quiet_start=60, quiet_end=60).quiet_until(now, SHANGHAI) is None
    assert not Preferences(quiet_start=60, quiet_end=60).has_quiet_hours


def test_security_and_test_notices_cannot_be_muted():
    everything = Preferences(muted=frozenset(Category))
    assert not everything.wants(Category.TASK)
    assert not everything.wants(Category.OUTCOME)
    assert everything.wants(Category.SECURITY)
    assert everything.wants(Category.TEST)
    assert Preferences().wants(Category.TASK)


@pytest.mark.parametrize(
    ("raw", "minutes"),
    [("22:00", 1320), ("7:05", 425), (" 00:00 ", 0), ("23:59", 1439), ("", None), (None, None)],
)
def test_parse_clock(raw, minutes):
    assert parse_clock(raw) == minutes


@pytest.mark.parametrize("raw", ["24:00", "12:60", "-1:00", "noon", "12", "12:00:00", "1:2:3"])
def test_parse_clock_refuses(raw):
    with pytest.raises(PreferenceError):
        parse_clock(raw)


def test_format_clock_round_trips():
    for minutes in (0, 59, 425, 1320, 1439):
        assert parse_clock(format_clock(minutes)) == minutes
    assert format_clock(None) == ""
