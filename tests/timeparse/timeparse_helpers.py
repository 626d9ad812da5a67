"""Helpers for the timeparse tests: a fixed Tuesday morning in Shanghai."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.timeparse import ParsedWhen, occurrences

SHANGHAI = "Asia/Shanghai"
NOW = datetime(2026, 3, 10, 9, 0, tzinfo=ZoneInfo(SHANGHAI))  # Tuesday


def local(result: ParsedWhen) -> str:
    """The result's first occurrence as "YYYY-MM-DD HH:MM" local time."""
    return result.when.strftime("%Y-%m-%d %H:%M")


def first_three(result: ParsedWhen, now: datetime = NOW) -> list[str]:
    assert result.rrule is not None and result.dtstart is not None
    return [o.strftime("%Y-%m-%d %H:%M") for o in occurrences(result.rrule, result.dtstart, now, 3)]
