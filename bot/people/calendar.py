"""When an important date falls: Gregorian and Chinese lunar dates, each year.

Rules (documented for users in ``/birthday`` help too):

* **Feb 29** in a year without one is kept on **Feb 28** (the last day of February).
* A **lunar** date is converted with ``lunardate`` (covers lunar years 1900-2099). For a date in
  a **leap month** (闰四月初八), a year without that leap month uses the **regular month** of
  the same number (四月初八). A **day 30** in a year whose month has only 29 days is kept on
  the month's **last day** (the 29th).
* A birthday without a year is fine: there is simply no age.
* The age shown is the number of (Gregorian or lunar) years since the birth year: for a lunar
  birthday it counts lunar years, so it changes on the lunar birthday itself.
"""

from __future__ import annotations

import calendar as _calendar
from datetime import date, timedelta
from functools import lru_cache

from lunardate import LunarDate

__all__ = [
    "GREGORIAN",
    "LUNAR",
    "LUNAR_YEARS",
    "age_on",
    "gregorian_on",
    "lunar_on",
    "lunar_year_of",
    "next_occurrence",
    "valid_date",
]

GREGORIAN = "gregorian"
LUNAR = "chinese-lunar"
#: The lunar years ``lunardate`` knows.
LUNAR_YEARS = range(1900, 2100)


def valid_date(calendar: str, month: int, day: int, year: int | None = None) -> bool:
    """Whether the date can exist (Feb 29 is allowed without a year; lunar days go to 30)."""
    if not 1 <= month <= 12 or day < 1:
        return False
    if calendar == LUNAR:
        return day <= 30 and (year is None or year in LUNAR_YEARS)
    if year is not None and not 1800 <= year <= 2200:
        return False
    leap_year = 2000 if year is None else year
    return day <= _calendar.monthrange(leap_year, month)[1]


def gregorian_on(year: int, month: int, day: int) -> date:
    """The Gregorian date in ``year``; Feb 29 moves to Feb 28 outside leap years."""
    last = _calendar.monthrange(year, month)[1]
    return date(year, month, min(day, last))


@lru_cache(maxsize=16384)
def lunar_on(lunar_year: int, month: int, day: int, leap: bool = False) -> date:
    """The Gregorian day of a lunar date in ``lunar_year`` (see the module rules for leap
    months and day 30). Raises ValueError outside the years ``lunardate`` covers."""
    if leap and LunarDate.leap_month_for_year(lunar_year) != month:
        leap = False
    try:
        solar: date = LunarDate(lunar_year, month, day, leap).to_solar_date()
    except ValueError:
        if day != 30:
            raise
        solar = LunarDate(lunar_year, month, 29, leap).to_solar_date()
    return solar


@lru_cache(maxsize=4096)
def lunar_year_of(day: date) -> int:
    """The lunar year a Gregorian day belongs to (January days often to the previous one)."""
    year: int = LunarDate.from_solar_date(day.year, day.month, day.day).year
    return year


def next_occurrence(
    calendar: str, month: int, day: int, leap: bool, on_or_after: date
) -> tuple[date, int] | None:
    """The first occurrence on or after ``on_or_after``, with the (Gregorian or lunar) year it
    belongs to; None when a lunar date runs past the years ``lunardate`` covers."""
    if calendar == LUNAR:
        try:
            first = lunar_year_of(on_or_after)
            for year in (first, first + 1):
                when = lunar_on(year, month, day, leap)
                if when >= on_or_after:
                    return when, year
        except ValueError:
            return None
        return None
    for year in (on_or_after.year, on_or_after.year + 1):
        when = gregorian_on(year, month, day)
        if when >= on_or_after:
            return when, year
    return None  # pragma: no cover - the next year always matches


def previous_occurrence(
    calendar: str, month: int, day: int, leap: bool, before: date
) -> date | None:
    """The last occurrence strictly before ``before`` (for "the birthday was 2 days ago")."""
    found = next_occurrence(calendar, month, day, leap, before - timedelta(days=400))
    last: date | None = None
    while found is not None and found[0] < before:
        last = found[0]
        found = next_occurrence(calendar, month, day, leap, found[0] + timedelta(days=1))
    return last


def age_on(birth_year: int | None, occurrence_year: int) -> int | None:
    """How old someone turns at an occurrence; None without a (plausible) birth year."""
    if birth_year is None or birth_year > occurrence_year:
        return None
    return occurrence_year - birth_year
