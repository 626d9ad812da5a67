"""Recurrence rules in local wall time.

A rule is an RFC 5545 RRULE value ("FREQ=WEEKLY;INTERVAL=2;BYDAY=MO;BYHOUR=9;BYMINUTE=0")
plus an aware DTSTART.  It is expanded with ``dateutil.rrule`` on *naive local wall time*
and each occurrence is then localized into DTSTART's zone, so "every day at 7:00" stays at
07:00 across DST changes.  A wall time that falls in a spring-forward gap is moved forward
by the gap (02:30 -> 03:30 after the change); an ambiguous fall-back time takes its first
occurrence (fold=0).  Hourly and minutely rules count elapsed time instead ("every 3 hours" is
every 3 real hours, across DST changes too): they are expanded in UTC.  UNTIL is a local wall
time like DTSTART.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta, tzinfo

from dateutil.rrule import rrulestr

__all__ = [
    "WEEKDAY_CODES",
    "build_rule",
    "counts_elapsed_time",
    "localize",
    "next_occurrence",
    "occurrences",
    "parse_rule",
]

WEEKDAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_ORDER = (
    "FREQ",
    "INTERVAL",
    "BYMONTH",
    "BYMONTHDAY",
    "BYDAY",
    "BYHOUR",
    "BYMINUTE",
    "BYSETPOS",
    "UNTIL",
    "COUNT",
)
_ELAPSED = ("HOURLY", "MINUTELY", "SECONDLY")
_LOOKBACK = timedelta(hours=27)
_MAX_STEPS = 100_000


def localize(naive: datetime, tz: tzinfo) -> datetime:
    """Attach ``tz`` to a naive wall time: gap times move forward, fold times take fold=0."""
    aware = naive.replace(tzinfo=tz, fold=0)
    return aware.astimezone(UTC).astimezone(tz)


def parse_rule(rule: str) -> dict[str, str]:
    """Split "FREQ=DAILY;BYHOUR=7" (optionally prefixed "RRULE:") into a dict."""
    body = rule.strip()
    if body.upper().startswith("RRULE:"):
        body = body[6:]
    parts: dict[str, str] = {}
    for item in body.split(";"):
        if "=" in item:
            key, value = item.split("=", 1)
            parts[key.strip().upper()] = value.strip().upper()
    return parts


def build_rule(parts: Mapping[str, object]) -> str:
    """Join rule parts in a stable order; lists become comma-separated values."""
    keys = [k for k in _ORDER if k in parts] + [k for k in parts if k not in _ORDER]
    items = []
    for key in keys:
        value = parts[key]
        if isinstance(value, list | tuple):
            value = ",".join(str(v) for v in value)
        items.append(f"{key}={value}")
    return ";".join(items)


def _naive_start(parts: dict[str, str], dtstart: datetime) -> datetime:
    """DTSTART as naive wall time for dateutil.  When the rule fixes the hour (and minute),
    start from the beginning of the day: a DTSTART that was pushed out of a DST gap (02:30
    -> 03:30) must not hide the 02:30 occurrence it stands for."""
    naive = dtstart.replace(tzinfo=None)
    if "BYHOUR" in parts:
        naive = naive.replace(hour=0)
        if "BYMINUTE" in parts:
            naive = naive.replace(minute=0)
    return naive


def _elapsed(parts: dict[str, str]) -> bool:
    """Whether the rule counts elapsed time ("every 3 hours"): expanded in UTC, so that a DST
    change neither stretches nor shrinks an interval."""
    fixed = {"FREQ", "INTERVAL", "COUNT", "UNTIL"}
    return parts.get("FREQ") in _ELAPSED and set(parts) <= fixed


def counts_elapsed_time(rule: str) -> bool:
    """Whether ``rule`` steps in elapsed time ("every 3 hours") rather than wall time."""
    return _elapsed(parse_rule(rule))


def _iter_elapsed(parts: dict[str, str], dtstart: datetime, after: datetime) -> Iterator[datetime]:
    tz = dtstart.tzinfo
    assert tz is not None
    if "UNTIL" in parts:  # a local wall-clock limit, as in every other rule
        limit = localize(datetime.strptime(parts["UNTIL"][:15], "%Y%m%dT%H%M%S"), tz)
        parts = {**parts, "UNTIL": limit.astimezone(UTC).strftime("%Y%m%dT%H%M%S")}
    start = dtstart.astimezone(UTC).replace(tzinfo=None)
    expanded = rrulestr(build_rule(parts), dtstart=start)
    since = max(after.astimezone(UTC).replace(tzinfo=None), start - timedelta(seconds=1))
    for steps, naive in enumerate(expanded.xafter(since, inc=False)):
        if steps > _MAX_STEPS:
            return
        yield naive.replace(tzinfo=UTC).astimezone(tz)


def _iter_after(rule: str, dtstart: datetime, after: datetime) -> Iterator[datetime]:
    if dtstart.tzinfo is None or after.tzinfo is None:
        raise ValueError("dtstart and after must be aware")
    tz = dtstart.tzinfo
    parts = parse_rule(rule)
    if _elapsed(parts):
        yield from _iter_elapsed(parts, dtstart, after)
        return
    body = build_rule(parts)
    expanded = rrulestr(body, dtstart=_naive_start(parts, dtstart))
    start = after.astimezone(tz).replace(tzinfo=None) - _LOOKBACK
    for steps, naive in enumerate(expanded.xafter(start, inc=True)):
        if steps > _MAX_STEPS:
            return
        aware = localize(naive, tz)
        if aware > after and aware >= dtstart:
            yield aware


def next_occurrence(rule: str, dtstart: datetime, after: datetime) -> datetime | None:
    """The first occurrence strictly after ``after`` (aware, in ``dtstart``'s zone)."""
    return next(_iter_after(rule, dtstart, after), None)


def occurrences(rule: str, dtstart: datetime, after: datetime, count: int) -> list[datetime]:
    """The next ``count`` occurrences strictly after ``after``."""
    found: list[datetime] = []
    if count <= 0:
        return found
    for when in _iter_after(rule, dtstart, after):
        if found and when.astimezone(UTC) <= found[-1].astimezone(UTC):
            continue  # two wall times of a gap can map to the same instant
        found.append(when)
        if len(found) >= count:
            break
    return found
