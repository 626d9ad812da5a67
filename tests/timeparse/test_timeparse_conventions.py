"""The debatable conventions of issue 12, decided and pinned (see README "Using Dazi" and the
``bot.timeparse.resolve`` docstring)."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest

from bot.timeparse import parse_when

BERLIN = "Europe/Berlin"
FRIDAY_AFTERNOON = datetime(2026, 6, 19, 16, 40, tzinfo=ZoneInfo(BERLIN))
FRIDAY_EARLY = datetime(2026, 6, 19, 7, 0, tzinfo=ZoneInfo(BERLIN))


@pytest.mark.parametrize("text", ["in 7 days", "in 1 week", "7天后", "一周后", "in a week"])
def test_day_offsets_land_on_the_default_hour_not_the_current_minute(text: str) -> None:
    result = parse_when(text, FRIDAY_AFTERNOON, BERLIN, default_time=time(8, 30))
    assert result is not None
    assert result.when == datetime(2026, 6, 26, 8, 30, tzinfo=ZoneInfo(BERLIN))
    assert result.grain == "day" and "day_only" in result.flags  # the hour is shown to change


@pytest.mark.parametrize("text", ["in 3 hours", "3小时后", "in 90 minutes"])
def test_hour_and_minute_offsets_are_exact(text: str) -> None:
    result = parse_when(text, FRIDAY_AFTERNOON, BERLIN)
    assert result is not None and result.relative
    assert result.when.minute == 40 or result.when.minute == 10


def test_a_bare_weekday_on_that_weekday_is_next_week_once_the_hour_has_passed() -> None:
    result = parse_when("Friday call mom", FRIDAY_AFTERNOON, BERLIN)  # default 09:00 passed
    assert result is not None and result.when.date().isoformat() == "2026-06-26"


def test_a_bare_weekday_on_that_weekday_is_today_while_the_time_is_ahead() -> None:
    early = parse_when("Friday call mom", FRIDAY_EARLY, BERLIN)
    assert early is not None and early.when == datetime(2026, 6, 19, 9, 0, tzinfo=ZoneInfo(BERLIN))
    later = parse_when("Friday at 5pm call mom", FRIDAY_AFTERNOON, BERLIN)
    assert later is not None and later.when.date().isoformat() == "2026-06-19"
    zh = parse_when("周五下午5点", FRIDAY_AFTERNOON, BERLIN)
    assert zh is not None and zh.when.date().isoformat() == "2026-06-19"


def test_counted_weekdays_never_count_today() -> None:
    result = parse_when("two Fridays from now", FRIDAY_EARLY, BERLIN)
    assert result is not None and result.when.date().isoformat() == "2026-07-03"


@pytest.mark.parametrize(
    ("text", "utc_hour", "label"),
    [
        ("5pm EST", 22, "EST"),
        ("5pm EDT", 21, "EDT"),
        ("5pm ET", 21, "ET"),
        ("17:00 UTC+8", 9, "UTC+8"),
    ],
)
def test_zone_abbreviations_are_the_offsets_they_name(text: str, utc_hour: int, label: str) -> None:
    result = parse_when(text, FRIDAY_EARLY, BERLIN)
    assert result is not None and result.zone == label
    assert result.when.astimezone(ZoneInfo("UTC")).hour == utc_hour
    assert result.when.tzinfo == ZoneInfo(BERLIN)
    assert result.zone_when is not None and result.zone_when.hour == 17


@pytest.mark.parametrize(
    "text", ["in 1/4 h", "in 3/4 of an hour", "buy 1/2 kg of rice", "3rd in line", "page 1/2"]
)
def test_fractions_and_ordinals_are_never_months(text: str) -> None:
    result = parse_when(text, FRIDAY_EARLY, BERLIN)
    if result is not None:
        assert (result.when - FRIDAY_EARLY).days < 1, text


@pytest.mark.parametrize(
    "text",
    [
        "10 of 12 people came",
        "pick 3 of 5",
        "she is 5ish years old",
        "take 1/2 pill",
        "give him 3/4 of it",
        "at 1145 points",
        "I waited a few minutes",
        "the PT session was good",
        "I'm in Tokyo time zone",
        "call me at 555-1234",
    ],
)
def test_counts_and_quantities_next_to_new_time_words_are_not_times(text: str) -> None:
    assert parse_when(text, FRIDAY_EARLY, BERLIN) is None


TUESDAY = datetime(2026, 3, 10, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.mark.parametrize(
    ("text", "local", "task"),
    [
        ("晚上九点过一刻", "2026-03-10 21:15", None),
        ("九点过来找我", "2026-03-10 21:00", "过来找我"),
        ("下個月尾交租", "2026-04-30 09:00", "交租"),
        ("下個月初三", "2026-04-03 09:00", None),
        ("後晚八點", "2026-03-12 20:00", None),
        ("晚上七點正", "2026-03-10 19:00", None),
        ("the day after next Monday", "2026-03-17 09:00", None),
        ("last day of next month", "2026-04-30 09:00", None),
        ("Friday noonish", "2026-03-13 12:00", None),
        ("the week after next", "2026-03-23 09:00", None),
        ("tomorrow first thing", "2026-03-11 09:00", None),
        ("Black Friday", "2026-11-27 09:00", None),
    ],
)
def test_phrases_found_by_probing(text: str, local: str, task: str | None) -> None:
    result = parse_when(text, TUESDAY, "Asia/Shanghai")
    assert result is not None and not result.needs_question, text
    assert result.when.strftime("%Y-%m-%d %H:%M") == local and result.task == task


def test_every_morning_in_cantonese_is_a_rule() -> None:
    result = parse_when("每朝八點", TUESDAY, "Asia/Shanghai")
    assert result is not None and result.rrule == "FREQ=DAILY;BYHOUR=8;BYMINUTE=0"
