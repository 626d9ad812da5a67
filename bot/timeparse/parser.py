"""``parse_when``: the entry point of the reminder-time parser.

The message is normalized (full-width forms folded, offsets kept), scanned by the English
and Chinese grammars stage by stage, and the resulting frame is resolved against ``now`` in
the user's zone.  Pure and deterministic: no clock, no network, no model.
"""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from bot.timeparse import grammar_en, grammar_zh
from bot.timeparse.model import AMBIGUITY_ORDER, ParsedWhen
from bot.timeparse.numbers import normalize
from bot.timeparse.resolve import resolve
from bot.timeparse.scanner import Rule, Scan, run_rules
from bot.timeparse.task import extract_task

__all__ = ["MAX_TEXT", "RULES", "parse_when"]

MAX_TEXT = 1000  # longer messages are not reminder requests; only their start is scanned

_STAGES = (
    "recurrence",
    "full_dates",
    "durations",
    "relative_days",
    "weekdays",
    "dates",
    "ranges",
    "times",
    "periods",
    "specials",
)
RULES: tuple[Rule, ...] = tuple(
    rule
    for stage in _STAGES
    for grammar in (grammar_zh, grammar_en)
    for rule in grammar.STAGES[stage]
)


def parse_when(
    text: str, now: datetime, tz: str, *, default_time: time = time(9, 0)
) -> ParsedWhen | None:
    """Parse the reminder time in ``text`` (English or Chinese).

    ``now`` should be aware (a naive ``now`` is read as wall time in ``tz``); ``tz`` is an
    IANA name (``ZoneInfoNotFoundError`` if unknown).  Returns None when the text holds no
    usable time (or names an impossible date such as February 30).
    """
    zone = ZoneInfo(tz)
    if now.tzinfo is None:
        now = now.replace(tzinfo=zone)
    source = text[:MAX_TEXT]
    scan = Scan(normalize(source))
    run_rules(scan, RULES)
    result = resolve(scan.frame, now, zone, default_time)
    if result is None:
        return None
    flags = tuple(code for code in AMBIGUITY_ORDER if code in result.flags)
    return ParsedWhen(
        when=result.when,
        rrule=result.rrule,
        task=extract_task(source, scan.frame.spans),
        ambiguity=flags[0] if flags else None,
        flags=flags,
        dtstart=result.dtstart,
        grain=result.grain,
    )
