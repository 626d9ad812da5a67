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
