"""Calendar helpers and the case template type for the timeparse data sets (see
``make_timeparse_cases.py``); nothing here uses ``bot.timeparse``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Now:
    key: str
    local: datetime  # aware, in the user's zone

    @property
    def tz(self) -> ZoneInfo:
        assert isinstance(self.local.tzinfo, ZoneInfo)
        return self.local.tzinfo

    @property
    def today(self) -> date:
        return self.local.date()


def _now(key: str, iso: str, zone: str) -> Now:
    return Now(key, datetime.fromisoformat(iso).replace(tzinfo=ZoneInfo(zone)))


NOWS = {
    n.key: n
    for n in (
        _now("A", "2026-03-10T09:00", "Asia/Shanghai"),  # Tue morning
        _now("B", "2026-06-19T16:40", "Europe/London"),  # Fri afternoon, BST
        _now("C", "2026-11-01T07:15", "America/New_York"),  # Sun, the morning clocks fell back
        _now("D", "2026-03-07T22:30", "America/New_York"),  # Sat night before spring forward
        _now("E", "2026-09-23T13:05", "Asia/Taipei"),  # Wed lunchtime
        _now("F", "2026-12-30T20:45", "Asia/Hong_Kong"),  # Wed evening, year end
        _now("G", "2027-01-15T11:20", "America/Los_Angeles"),  # Fri late morning
        _now("H", "2026-10-24T08:00", "Europe/Berlin"),  # Sat before fall back
        _now("I", "2026-04-30T23:10", "Australia/Sydney"),  # Thu late night
        _now("J", "2026-08-03T06:30", "Asia/Shanghai"),  # Mon early
        _now("K", "2026-12-02T19:00", "Asia/Shanghai"),  # Wed evening
        _now("L", "2026-05-17T02:10", "America/Chicago"),  # Sun small hours
        _now("M", "2026-03-08T01:30", "America/New_York"),  # half an hour before spring forward
        _now("N", "2026-10-25T01:30", "Europe/Berlin"),  # an hour and a half before fall back
        _now("P", "2027-02-14T15:30", "Asia/Singapore"),  # Sun afternoon
        _now("Q", "2026-07-01T10:45", "Asia/Hong_Kong"),  # Wed morning
    )
}

# --- calendar helpers (independent of bot.timeparse) -------------------------------------


def wall(day: date, hh: int, mm: int, zone: tzinfo) -> datetime:
    """Wall time ``hh:mm`` on ``day`` in ``zone``; a time skipped by spring forward moves on
    by the size of the jump (02:30 -> 03:30); a repeated one is its first occurrence."""
    naive = datetime.combine(day, time(hh, mm))
    aware = naive.replace(tzinfo=zone, fold=0)
    back = aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
    if back != naive:
        aware = aware.astimezone(UTC).astimezone(zone)
    return aware


def on(n: Now, days: int, hh: int = 9, mm: int = 0) -> datetime:
    """``days`` after today at hh:mm local."""
    return wall(n.today + timedelta(days=days), hh, mm, n.tz)


def nxt(n: Now, hh: int, mm: int = 0) -> datetime:
    """The next hh:mm local (today if still ahead)."""
    today = wall(n.today, hh, mm, n.tz)
    return today if today > n.local else on(n, 1, hh, mm)


def wd(n: Now, weekday: int, hh: int = 9, mm: int = 0) -> datetime:
    """The next ``weekday`` at hh:mm (today if still ahead)."""
    ahead = (weekday - n.today.weekday()) % 7
    cand = on(n, ahead, hh, mm)
    return cand if cand > n.local else on(n, ahead + 7, hh, mm)


def next_week(n: Now, weekday: int, hh: int = 9, mm: int = 0) -> datetime:
    """``weekday`` of next calendar week (weeks start on Monday)."""
    monday = n.today - timedelta(days=n.today.weekday()) + timedelta(weeks=1)
    return wall(monday + timedelta(days=weekday), hh, mm, n.tz)


def this_week(n: Now, weekday: int, hh: int = 9, mm: int = 0) -> datetime:
    monday = n.today - timedelta(days=n.today.weekday())
    return wall(monday + timedelta(days=weekday), hh, mm, n.tz)


def ymd(n: Now, y: int, m: int, d: int, hh: int = 9, mm: int = 0) -> datetime:
    return wall(date(y, m, d), hh, mm, n.tz)


def yearly(n: Now, m: int, d: int, hh: int = 9, mm: int = 0) -> datetime:
    """``m``/``d`` this year, or next year once passed."""
    for year in (n.today.year, n.today.year + 1, n.today.year + 2):
        try:
            cand = wall(date(year, m, d), hh, mm, n.tz)
        except ValueError:
            continue
        if cand > n.local:
            return cand
    raise AssertionError


def first_future(n: Now, days: list[date], hh: int = 9, mm: int = 0) -> datetime:
    return min(w for w in (wall(d, hh, mm, n.tz) for d in days) if w > n.local)


def later(n: Now, **delta: float) -> datetime:
    """Elapsed time from now (a DST change does not stretch it)."""
    return (n.local.astimezone(UTC) + timedelta(**delta)).astimezone(n.tz)


def month_day(n: Now, months: int, day: int, hh: int = 9, mm: int = 0) -> datetime:
    """Day ``day`` (-1: the last) of the month ``months`` after this one."""
    y, m = divmod(n.today.month - 1 + months, 12)
    year, month = n.today.year + y, m + 1
    if day == -1:
        nxt_first = date(year + (month == 12), month % 12 + 1, 1)
        return wall(nxt_first - timedelta(days=1), hh, mm, n.tz)
    return wall(date(year, month, day), hh, mm, n.tz)


def next_monthday(n: Now, day: int, hh: int = 9, mm: int = 0) -> datetime:
    for months in range(0, 3):
        cand = month_day(n, months, day, hh, mm)
        if cand > n.local:
            return cand
    raise AssertionError


def in_zone(
    n: Now, zone: tzinfo, hh: int, mm: int = 0, days: int | None = None, weekday: int | None = None
) -> datetime:
    """hh:mm in ``zone`` (next one, or ``days`` after the zone's today, or its next
    ``weekday``), shown in the user's zone."""
    there = n.local.astimezone(zone)
    if days is not None:
        cand = wall(there.date() + timedelta(days=days), hh, mm, zone)
    elif weekday is not None:
        ahead = (weekday - there.date().weekday()) % 7
        cand = wall(there.date() + timedelta(days=ahead), hh, mm, zone)
        if cand <= n.local:
            cand = wall(there.date() + timedelta(days=ahead + 7), hh, mm, zone)
    else:
        cand = wall(there.date(), hh, mm, zone)
        if cand <= n.local:
            cand = wall(there.date() + timedelta(days=1), hh, mm, zone)
    return cand.astimezone(n.tz)


def fixed(hours: float) -> timezone:
    return timezone(timedelta(hours=hours))


def daily(first: datetime, n: Now, count: int = 3, step: int = 1) -> list[datetime]:
    """A rule's first ``count`` occurrences every ``step`` days, same wall time."""
    return [
        wall(first.date() + timedelta(days=i * step), first.hour, first.minute, n.tz)
        for i in range(count)
    ]


def plus_days(when: datetime, n: Now, days: int) -> datetime:
    return wall(when.astimezone(n.tz).date() + timedelta(days=days), when.hour, when.minute, n.tz)


MON, TUE, WED, THU, FRI, SAT, SUN = range(7)
NY = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")
TOKYO = ZoneInfo("Asia/Tokyo")
SHANGHAI = ZoneInfo("Asia/Shanghai")
LA = ZoneInfo("America/Los_Angeles")
BERLIN = ZoneInfo("Europe/Berlin")

#: Holidays by year (checked against published calendars: lunar ones against the Hong Kong
#: Observatory tables, Easter against the Western computus).
CNY = {2026: date(2026, 2, 17), 2027: date(2027, 2, 6), 2028: date(2028, 1, 26)}
MID_AUTUMN = {2026: date(2026, 9, 25), 2027: date(2027, 9, 15)}
DRAGON_BOAT = {2026: date(2026, 6, 19), 2027: date(2027, 6, 9)}
LANTERN = {2026: date(2026, 3, 3), 2027: date(2027, 2, 20)}
NEW_YEARS_EVE_LUNAR = {2026: date(2026, 2, 16), 2027: date(2027, 2, 5), 2028: date(2028, 1, 25)}
QINGMING = {2026: date(2026, 4, 5), 2027: date(2027, 4, 5)}
EASTER = {2026: date(2026, 4, 5), 2027: date(2027, 3, 28)}
THANKSGIVING = {2026: date(2026, 11, 26), 2027: date(2027, 11, 25)}
MOTHERS_DAY = {2026: date(2026, 5, 10), 2027: date(2027, 5, 9)}


def holiday(n: Now, table: dict[int, date], shift: int = 0, hh: int = 9, mm: int = 0) -> datetime:
    return first_future(n, [d + timedelta(days=shift) for d in table.values()], hh, mm)


Expect = Callable[[Now], "list[datetime] | datetime | None"]


@dataclass(frozen=True)
class T:
    category: str
    text: str
    expect: Expect
    nows: str  # keys of NOWS
    grain: str = "minute"
    task: str | None = None
    ask: bool = False  # None or a question is the right answer


def day(category: str, text: str, expect: Expect, nows: str, task: str | None = None) -> T:
    return T(category, text, expect, nows, "day", task)


def none(category: str, text: str, nows: str = "A", ask: bool = False) -> T:
    return T(category, text, lambda n: None, nows, ask=ask)


def bare(n: Now, hh: int, mm: int = 0, days: int | None = None) -> datetime:
    """A bare 1-12 hour: 7-11 read am first, 12 noon first, others pm first; the earliest
    future reading today, else tomorrow's earliest (or the preferred one on a named day)."""
    if hh == 12:
        readings = [(0, 12), (1, 0)]
    elif 7 <= hh <= 11:
        readings = [(0, hh), (0, hh + 12)]
    else:
        readings = [(0, hh + 12), (0, hh)]
    if days is not None:
        shift, hour = readings[0]
        return on(n, days + shift, hour, mm)
    for start in (0, 1):
        future = [on(n, start + s, h, mm) for s, h in readings]
        future = [w for w in future if w > n.local]
        if future:
            return min(future)
    raise AssertionError


def weekdays_from_now(n: Now, weekday: int, count: int) -> datetime:
    """ "two Tuesdays from now": the count-th ``weekday`` after today."""
    ahead = (weekday - n.today.weekday()) % 7 or 7
    return on(n, ahead + 7 * (count - 1))


def nth_weekday_of(year: int, month: int, nth: int, weekday: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (nth - 1))


def monthly_nth(
    n: Now, nth: int, weekday: int, hh: int, mm: int = 0, count: int = 3
) -> list[datetime]:
    out: list[datetime] = []
    year, month = n.today.year, n.today.month
    while len(out) < count:
        cand = wall(nth_weekday_of(year, month, nth, weekday), hh, mm, n.tz)
        if cand > n.local:
            out.append(cand)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def weekly(
    n: Now, days: list[int], hh: int, mm: int = 0, count: int = 3, step: int = 1
) -> list[datetime]:
    """A weekly rule on ``days`` (every ``step`` weeks from the first week with one)."""
    out: list[datetime] = []
    for i in range(0, 60):
        cand = on(n, i, hh, mm)
        if cand.weekday() in days and cand > n.local:
            if out and step > 1:
                week0 = out[0].date() - timedelta(days=out[0].weekday())
                week = cand.date() - timedelta(days=cand.weekday())
                if ((week - week0).days // 7) % step:
                    continue
            out.append(cand)
            if len(out) == count:
                return out
    raise AssertionError


def monthly(n: Now, day_of_month: int, hh: int = 9, mm: int = 0, count: int = 3) -> list[datetime]:
    out: list[datetime] = []
    months = 0
    while len(out) < count:
        cand = month_day(n, months, day_of_month, hh, mm)
        if cand > n.local:
            out.append(cand)
        months += 1
    return out


def every_year(n: Now, m: int, d: int, hh: int = 9, mm: int = 0) -> list[datetime]:
    first = yearly(n, m, d, hh, mm)
    return [wall(date(first.year + i, m, d), hh, mm, n.tz) for i in range(3)]
