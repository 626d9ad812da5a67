"""``parse_when``: the entry point of the reminder-time parser.

The message is normalized (full-width forms folded, offsets kept), scanned by the English
and Chinese grammars stage by stage, and the resulting frame is resolved against ``now`` in
the user's zone.  Pure and deterministic: no clock, no network, no model.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, time
from zoneinfo import ZoneInfo

from bot.timeparse import grammar_en, grammar_zh
from bot.timeparse.guard import find_leftover
from bot.timeparse.locale import month_first
from bot.timeparse.model import AMBIGUITY_ORDER, ClockTime, Frame, ParsedWhen
from bot.timeparse.numbers import normalize
from bot.timeparse.resolve import Resolution, resolve
from bot.timeparse.scanner import Rule, Scan, run_rules
from bot.timeparse.task import extract_task

__all__ = ["MAX_TEXT", "RULES", "parse_when"]

MAX_TEXT = 1000  # longer messages are not reminder requests; only their start is scanned
MAX_CHOICES = 6

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
    "zones",
)
RULES: tuple[Rule, ...] = tuple(
    rule
    for stage in _STAGES
    for grammar in (grammar_zh, grammar_en)
    for rule in grammar.STAGES[stage]
)
# A text without CJK characters cannot match a Chinese production, nor one without Latin
# letters or digits an English one; skipping them saves about a fifth of the parse time.
_ZH_RULES = frozenset(id(rule) for stage in _STAGES for rule in grammar_zh.STAGES[stage])
_EN_ONLY = tuple(rule for rule in RULES if id(rule) not in _ZH_RULES)
_ZH_ONLY = tuple(rule for rule in RULES if id(rule) in _ZH_RULES)
_CJK = re.compile(r"[\u3400-\u9fff]")
_LATIN = re.compile(r"[A-Za-z0-9]")


def _rules_for(text: str) -> tuple[Rule, ...]:
    if not _CJK.search(text):
        return _EN_ONLY
    return RULES if _LATIN.search(text) else _ZH_ONLY


def parse_when(
    text: str, now: datetime, tz: str, *, default_time: time = time(9, 0)
) -> ParsedWhen | None:
    """Parse the reminder time in ``text`` (English or Chinese).

    ``now`` should be aware (a naive ``now`` is read as wall time in ``tz``); ``tz`` is an
    IANA name (``ZoneInfoNotFoundError`` if unknown).  Returns None when the text holds no
    usable time (or names an impossible date such as February 30 or 25:00).

    A result whose ``needs_question`` is true must not be confirmed as is: time-like words
    were left over (``unparsed``), or it has several readings (``choices``).
    """
    zone = ZoneInfo(tz)
    if now.tzinfo is None:
        now = now.replace(tzinfo=zone)
    source = text[:MAX_TEXT]
    scan = Scan(normalize(source), month_first=month_first(tz))
    run_rules(scan, _rules_for(scan.text))
    frame = scan.frame
    named = _named_zone(frame)
    if frame.freq is not None:
        named = None  # a rule runs on the user's own clock: "every day at 9 EST" is asked
    result = resolve(frame, now, named or zone, default_time)
    if result is None:
        return None
    zone_when = None
    if named is not None:
        zone_when = result.when
        result.when = result.when.astimezone(zone)
    leftover = find_leftover(scan)
    if frame.zone is not None and frame.freq is not None:
        leftover = frame.zone[0]
    if leftover is not None and "unparsed" not in result.flags:
        result.flags.append("unparsed")
    task = extract_task(source, frame.spans)
    choices = tuple(
        _public(choice, task) for choice in _choices(frame, result, now, zone, default_time)
    )
    flags = tuple(code for code in AMBIGUITY_ORDER if code in result.flags)
    return ParsedWhen(
        when=result.when,
        rrule=result.rrule,
        task=task,
        ambiguity=flags[0] if flags else None,
        flags=flags,
        dtstart=result.dtstart,
        grain=result.grain,
        unparsed=leftover,
        choices=choices,
        relative=frame.delta is not None and frame.freq is None,
        zone=frame.zone[0] if named is not None and frame.zone else None,
        zone_when=zone_when,
    )


_HALF_HOUR_ZONES = {330: "Asia/Kolkata", 345: "Asia/Kathmandu", 570: "Australia/Darwin"}


def _named_zone(frame: Frame) -> ZoneInfo | None:
    """The zone the user named next to the time ("5pm EST": UTC-5, ``Etc/GMT+5``), if any.
    An offset from now ("in 2 hours EST") needs none."""
    if frame.zone is None or frame.delta is not None:
        return None
    key = frame.zone[1]
    if key[0] not in "+-":
        return ZoneInfo(key)
    minutes = int(key)
    if minutes % 60:
        half = _HALF_HOUR_ZONES.get(minutes)
        return ZoneInfo(half) if half else None
    return ZoneInfo("UTC") if minutes == 0 else ZoneInfo(f"Etc/GMT{-minutes // 60:+d}")


def _public(result: Resolution, task: str | None) -> ParsedWhen:
    """One reading offered as a choice (its own flags do not matter: it is picked)."""
    return ParsedWhen(
        when=result.when,
        rrule=result.rrule,
        task=task,
        dtstart=result.dtstart,
        grain=result.grain,
    )


def _variants(frame: Frame, result: Resolution) -> list[Frame]:
    """Frames for each reading the user may have meant, when there are several."""
    if frame.date_order is not None:
        month, day = frame.date_order
        return [frame, replace(frame, month=month, day=day, date_order=None)]
    if frame.anchor and not frame.times:
        return [
            replace(frame, anchor=(), times=[ClockTime(hour, minute, "24h")])
            for hour, minute in frame.anchor
        ]
    if "multi" not in result.flags or frame.freq is not None:
        return []
    days = [replace(frame)]
    if len(frame.weekdays) > 1:
        days = [replace(frame, weekdays=[day]) for day in frame.weekdays]
    elif frame.more_days and frame.day is not None:
        days = [replace(frame, day=day, more_days=[]) for day in [frame.day, *frame.more_days]]
    elif frame.more_nth and frame.nth_weekday is not None:
        days = [
            replace(frame, nth_weekday=n, more_nth=[]) for n in [frame.nth_weekday, *frame.more_nth]
        ]
    if len(frame.times) > 1:
        return [replace(day, times=[clock]) for day in days for clock in frame.times]
    return days


def _choices(
    frame: Frame, result: Resolution, now: datetime, zone: ZoneInfo, default_time: time
) -> list[Resolution]:
    """The resolved readings to offer (first occurrence order), at most ``MAX_CHOICES``."""
    if frame.lunar and frame.freq is None:
        return [result]
    found: list[Resolution] = []
    for variant in _variants(frame, result)[: MAX_CHOICES * 2]:
        resolved = resolve(variant, now, zone, default_time)
        if resolved is None or any(
            (r.when, r.rrule) == (resolved.when, resolved.rrule) for r in found
        ):
            continue
        found.append(resolved)
    if frame.date_order is None and not frame.anchor:
        found.sort(key=lambda r: r.when)
    return found[:MAX_CHOICES]
