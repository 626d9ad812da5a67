"""Deterministic English + Chinese reminder-time parsing.

- ``parse_when(text, now, tz)`` -> ``ParsedWhen`` (first occurrence, RRULE, task, flags);
- ``next_occurrence`` / ``occurrences`` expand a rule in local wall time;
- ``describe_rule`` / ``format_when`` render rules and times in "en" or "zh";
- ``resolve_timezone`` (in ``bot.timeparse.zones``) maps "柏林", "UTC+8", "15:40"... to zones.
"""

from __future__ import annotations

from bot.timeparse.model import ParsedWhen
from bot.timeparse.parser import parse_when
from bot.timeparse.render import describe_rule, format_when
from bot.timeparse.rules import next_occurrence, occurrences
from bot.timeparse.zones import resolve_timezone

__all__ = [
    "ParsedWhen",
    "describe_rule",
    "format_when",
    "next_occurrence",
    "occurrences",
    "parse_when",
    "resolve_timezone",
]
