"""Property tests: parse_when never raises and only returns aware, future times (unless it
flags the result "past")."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.timeparse import next_occurrence, parse_when, resolve_timezone

WORDS = [
    "every", "other", "at", "on", "in", "next", "this", "tomorrow", "tonight", "3", "12", "30",
    "pm", "am", ":", "15:30", "Monday", "sat", "March", "14", "1st", "the", "of", "month",
    "week", "days", "hours", "and", "half", "an", "quarter", "past", "to", "每", "隔", "周",
    "一", "三", "天", "点", "半", "刻", "下午", "晚上", "明天", "后", "分钟", "小时", "月", "号",
    "十", "两", "个", "的", "工作日", "周末", "凌晨", "2月30日", "0", "24:00", "-", "/",
]  # fmt: skip
PHRASES = st.one_of(
    st.text(max_size=40),
    st.lists(st.sampled_from(WORDS), max_size=10).map(" ".join),
    st.lists(st.sampled_from(WORDS), max_size=10).map("".join),
)
ZONES = st.sampled_from(
    ["Asia/Shanghai", "Europe/Berlin", "America/New_York", "UTC", "Australia/Lord_Howe"]
)
NOWS = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.just(UTC)
)


@settings(max_examples=300, deadline=None)
@given(PHRASES, NOWS, ZONES)
@example("tonight every minute", datetime(2026, 12, 2, 20, 0, tzinfo=UTC), "UTC")
@example("tonight every minute", datetime(2026, 12, 2, 21, 30, 15, tzinfo=UTC), "UTC")
def test_parse_when_never_raises_and_is_future(text: str, now: datetime, tz: str) -> None:
    result = parse_when(text, now, tz)
    if result is None:
        return
    assert result.when.tzinfo is not None
    assert result.when > now or "past" in result.flags
    if result.rrule is not None:
        assert result.dtstart == result.when
        assert next_occurrence(result.rrule, result.dtstart, now) == result.when
    assert result.task is None or result.task.strip() == result.task != ""


@settings(max_examples=100, deadline=None)
@given(PHRASES, NOWS)
def test_resolve_timezone_never_raises(text: str, now: datetime) -> None:
    zones = resolve_timezone(text, now)
    assert isinstance(zones, list)


@settings(max_examples=50, deadline=None)
@given(st.sampled_from(["Berlin", "UTC+8", "+05:30", "15:40", "3:40", "CST", "美国"]), NOWS)
def test_resolved_zones_exist(text: str, now: datetime) -> None:
    from zoneinfo import ZoneInfo

    for zone in resolve_timezone(text, now):
        ZoneInfo(zone)


@pytest.mark.parametrize(
    ("said_at", "first"),
    [
        (datetime(2026, 12, 2, 19, 59, tzinfo=UTC), datetime(2026, 12, 2, 20, 0, tzinfo=UTC)),
        # at its very start the rule begins with the next step: the first occurrence is never now
        (datetime(2026, 12, 2, 20, 0, tzinfo=UTC), datetime(2026, 12, 2, 20, 1, tzinfo=UTC)),
        (datetime(2026, 12, 2, 20, 0, 30, tzinfo=UTC), datetime(2026, 12, 2, 20, 1, tzinfo=UTC)),
        (datetime(2026, 12, 2, 21, 0, tzinfo=UTC), datetime(2026, 12, 2, 21, 1, tzinfo=UTC)),
    ],
)
def test_tonight_every_minute_starts_after_now_and_is_not_past(
    said_at: datetime, first: datetime
) -> None:
    result = parse_when("tonight every minute", said_at, "UTC")
    assert result is not None
    assert result.when == first
    assert result.rrule is not None
    assert "past" not in result.flags


def test_sub_daily_rule_keeps_its_grid_once_started() -> None:
    # "every 2 hours starting today at 8am" said at 9am: 10am, not 9:01 or 8am
    result = parse_when(
        "today at 8am every 2 hours", datetime(2026, 12, 2, 9, 0, tzinfo=UTC), "UTC"
    )
    assert result is not None
    assert result.when == datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
    assert "past" not in result.flags


# --- relative phrases: never in the past, never years away (issue 12) ---------------------

_EN_UNITS = {"minute": 60, "hour": 3600, "day": 86400, "week": 7 * 86400}
_ZH_UNITS = {"分钟": 60, "个小时": 3600, "小时": 3600, "个钟头": 3600, "天": 86400, "周": 7 * 86400}
_ZH_UNITS.update({"個鐘頭": 3600, "日": 86400, "个星期": 7 * 86400, "個禮拜": 7 * 86400})
_EN_WORDS = {1: "a", 2: "two", 3: "three", 5: "five", 10: "ten", 12: "twelve", 20: "twenty"}


@st.composite
def relative_phrases(draw: st.DrawFn) -> tuple[str, int]:
    """A relative phrase and the seconds it names ("in 3 days", "two hours from now",
    "5分钟后", "in 1/4 h", "in three quarters of an hour"); whole days and weeks are a
    multiple of 86400, minutes and hours are not (see ``_exact``)."""
    kind = draw(st.sampled_from(["en", "en_words", "en_from_now", "zh", "fraction"]))
    if kind == "fraction":
        text, seconds = draw(
            st.sampled_from(
                [
                    ("in 1/4 h", 900),
                    ("in 1/2 hour", 1800),
                    ("in 3/4 of an hour", 2700),
                    ("in three quarters of an hour", 2700),
                    ("in a quarter of an hour", 900),
                    ("in half an hour", 1800),
                    ("in 1 1/2 hours", 5400),
                    ("in 2.5 hours", 9000),
                    ("in a few minutes", 180),
                    ("in a couple of hours", 7200),
                    ("半个小时后", 1800),
                    ("一刻钟后", 900),
                    ("三刻钟后", 2700),
                    ("個半鐘後", 5400),
                ]
            )
        )
        return text, seconds
    if kind.startswith("en"):
        unit = draw(st.sampled_from(sorted(_EN_UNITS)))
        amount = draw(st.integers(1, 59 if unit in ("minute", "hour") else 20))
        number = _EN_WORDS.get(amount, str(amount)) if kind == "en_words" else str(amount)
        if number in ("a",) and unit == "hour":
            number = "an"
        plural = "" if amount == 1 else "s"
        if kind == "en_from_now":
            return f"{number} {unit}{plural} from now", amount * _EN_UNITS[unit]
        return f"in {number} {unit}{plural}", amount * _EN_UNITS[unit]
    unit = draw(st.sampled_from(sorted(_ZH_UNITS)))
    amount = draw(st.integers(1, 59 if _ZH_UNITS[unit] < 86400 else 20))
    suffix = draw(st.sampled_from(["后", "以后", "之后", "後"]))
    return f"{amount}{unit}{suffix}", amount * _ZH_UNITS[unit]


def _exact(text: str) -> bool:
    return any(unit in text for unit in ("minute", "hour", " h", "分钟", "小时", "钟", "鐘"))


@settings(max_examples=400, deadline=None)
@given(relative_phrases(), NOWS, ZONES)
def test_relative_phrases_are_ahead_and_never_years_away(
    phrase: tuple[str, int], now: datetime, tz: str
) -> None:
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    text, seconds = phrase
    result = parse_when(text, now, tz)
    assert result is not None, text
    assert not result.needs_question, (text, result.flags)
    assert result.when > now, text
    if _exact(text):  # minutes and hours: elapsed time, to the minute
        assert abs((result.when - now).total_seconds() - seconds) <= 60, text
    else:  # days and weeks: that calendar day (at the default hour), never another month
        local_now = now.astimezone(ZoneInfo(tz))
        assert result.when.astimezone(ZoneInfo(tz)).date() == (
            local_now.date() + timedelta(seconds=seconds)
        ), text
    assert result.when - now < timedelta(days=150), text


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(
        [
            "next Friday",
            "Friday",
            "on Wed at 3",
            "two Tuesdays from now",
            "a week from tomorrow",
            "下周五",
            "周三",
            "下個禮拜三",
            "聽日早上九點",
            "tomorrow at 2:30am",
            "5pm EST",
            "北京时间晚上8点",
            "quarter past 4pm",
            "6p",
            "at 1145",
        ]
    ),
    NOWS,
    ZONES,
)
def test_near_phrases_are_ahead_and_within_three_weeks(text: str, now: datetime, tz: str) -> None:
    from datetime import timedelta

    result = parse_when(text, now, tz)
    assert result is not None, text
    assert result.when > now, text
    assert result.when - now <= timedelta(days=21), text
