"""Time hints in questions, English and Chinese, relative to now in the user's zone."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.memory.timehints import parse_time_window

TZ = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 6, 17, 15, 0, tzinfo=TZ)  # a Wednesday


def day(month: int, dom: int, year: int = 2026) -> datetime:
    return datetime(year, month, dom, tzinfo=TZ)


@pytest.mark.parametrize(
    ("query", "start", "end"),
    [
        ("what did I say yesterday?", day(6, 16), day(6, 17)),
        ("the day before yesterday", day(6, 15), day(6, 16)),
        ("what did we discuss last week", day(6, 8), day(6, 15)),
        ("anything this week?", day(6, 15), day(6, 22)),
        ("what did I do last weekend", day(6, 13), day(6, 15)),
        ("what happened last month", day(5, 1), day(6, 1)),
        ("where did I travel last year", day(1, 1, 2025), day(1, 1)),
        ("what did we cook in March?", day(3, 1), day(4, 1)),
        ("plans in August", day(8, 1, 2025), day(9, 1, 2025)),  # the latest August
        ("on October 13, 2023", day(10, 13, 2023), day(10, 14, 2023)),
        ("on 3 June, 2023 we met", day(6, 3, 2023), day(6, 4, 2023)),
        ("in December 2023", day(12, 1, 2023), day(1, 1, 2024)),
        ("beach trips in 2023", day(1, 1, 2023), day(1, 1, 2024)),
        ("what did I buy last Friday", day(6, 12), day(6, 13)),
        ("last summer", day(6, 1, 2025), day(9, 1, 2025)),
        ("2026-02-03 dentist", day(2, 3), day(2, 4)),
        ("昨天我说了什么", day(6, 16), day(6, 17)),
        ("前天", day(6, 15), day(6, 16)),
        ("上周我们聊了啥", day(6, 8), day(6, 15)),
        ("上周五去哪了", day(6, 12), day(6, 13)),
        ("上个月", day(5, 1), day(6, 1)),
        ("去年的旅行", day(1, 1, 2025), day(1, 1)),
        ("三月份做了什么", day(3, 1), day(4, 1)),
        ("去年十二月", day(12, 1, 2025), day(1, 1)),
        ("2023年5月3日", day(5, 3, 2023), day(5, 4, 2023)),
        ("上周末", day(6, 13), day(6, 15)),
    ],
)
def test_windows(query: str, start: datetime, end: datetime) -> None:
    window = parse_time_window(query, NOW)
    assert window is not None, query
    assert (window.start, window.end) == (start, end)


@pytest.mark.parametrize(
    "query",
    [
        "what guitar did I buy?",
        "I may come",
        "march for rights",
        "我上次说想学什么乐器？",
        "几月份?",
    ],
)
def test_no_window(query: str) -> None:
    assert parse_time_window(query, NOW) is None


def test_relative_spans_are_widened() -> None:
    window = parse_time_window("three days ago", NOW)
    assert window is not None and window.contains(day(6, 14)) and window.span.days == 3
    assert parse_time_window("两周前", NOW).contains(day(6, 3))


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_any_text_parses_without_error(text: str) -> None:
    window = parse_time_window(text, NOW)
    assert window is None or window.start < window.end
