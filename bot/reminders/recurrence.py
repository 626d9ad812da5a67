"""Recurring reminders: the next occurrence of a stored rule.

A reminder keeps its RFC 5545 rule and its DTSTART as naive *local wall time* plus the IANA
zone. The rule is expanded in wall time by :mod:`bot.timeparse.rules` (the same code that
parsed it) and each occurrence placed in the zone, so "every day at 07:00" stays at 07:00
local across daylight-saving changes and "every other Monday" keeps the parity of its start.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.timeparse.rules import localize
from bot.timeparse.rules import next_occurrence as _next_occurrence
from bot.timeparse.rules import occurrences as _occurrences

__all__ = ["localize", "next_occurrence", "occurrences_after"]


def _anchor(dtstart: datetime, timezone: str) -> datetime:
    return localize(dtstart.replace(tzinfo=None, microsecond=0), ZoneInfo(timezone))


def next_occurrence(
    rule: str, dtstart: datetime, timezone: str, after: datetime
) -> datetime | None:
    """The first occurrence strictly after ``after`` (aware), in the zone; None when exhausted."""
    return _next_occurrence(rule, _anchor(dtstart, timezone), after)


def occurrences_after(
    rule: str, dtstart: datetime, timezone: str, after: datetime, count: int
) -> list[datetime]:
    """Up to ``count`` occurrences strictly after ``after``."""
    return _occurrences(rule, _anchor(dtstart, timezone), after, count)
