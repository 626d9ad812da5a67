"""When dates fall: Gregorian and lunar birthdays across years, leap months, Feb 29, ages."""

from __future__ import annotations

from datetime import date

import pytest

from bot.people.calendar import (
    GREGORIAN,
    LUNAR,
    age_on,
    lunar_on,
    lunar_year_of,
    next_occurrence,
    previous_occurrence,
    valid_date,
)


def test_a_solar_birthday_across_two_years() -> None:
    assert next_occurrence(GREGORIAN, 3, 14, False, date(2026, 11, 28)) == (date(2027, 3, 14), 2027)
    assert next_occurrence(GREGORIAN, 3, 14, False, date(2027, 3, 14)) == (date(2027, 3, 14), 2027)
    assert next_occurrence(GREGORIAN, 3, 14, False, date(2027, 3, 15)) == (date(2028, 3, 14), 2028)


def test_february_29_falls_on_the_28th_outside_leap_years() -> None:
    assert next_occurrence(GREGORIAN, 2, 29, False, date(2026, 11, 28))[0] == date(2027, 2, 28)
    assert next_occurrence(GREGORIAN, 2, 29, False, date(2027, 3, 1))[0] == date(2028, 2, 29)


def test_a_lunar_birthday_moves_every_year() -> None:
    # 农历八月十五 (Mid-Autumn): 25 Sep 2026, 15 Sep 2027, 3 Oct 2028.
    assert next_occurrence(LUNAR, 8, 15, False, date(2026, 1, 1)) == (date(2026, 9, 25), 2026)
    assert next_occurrence(LUNAR, 8, 15, False, date(2026, 9, 26)) == (date(2027, 9, 15), 2027)
    assert next_occurrence(LUNAR, 8, 15, False, date(2027, 9, 16)) == (date(2028, 10, 3), 2028)


def test_a_leap_month_birthday_uses_the_regular_month_in_other_years() -> None:
    # 农历闰五月初八: 2028 has a leap fifth month, 2027 and 2029 do not.
    assert next_occurrence(LUNAR, 5, 8, True, date(2027, 1, 1)) == (date(2027, 6, 12), 2027)
    assert next_occurrence(LUNAR, 5, 8, True, date(2027, 6, 13)) == (date(2028, 6, 30), 2028)
    assert next_occurrence(LUNAR, 5, 8, True, date(2028, 7, 1)) == (date(2029, 6, 19), 2029)
    # The same day in the regular month of 2028 is a month earlier.
    assert next_occurrence(LUNAR, 5, 8, False, date(2028, 1, 1))[0] == date(2028, 5, 31)
    # 闰四月初八 of 2020 and the regular 四月初八 of 2021.
    assert lunar_on(2020, 4, 8, True) == date(2020, 5, 30)
    assert lunar_on(2021, 4, 8, True) == date(2021, 5, 19)


def test_day_thirty_of_a_short_month_is_its_last_day() -> None:
    # 除夕 (腊月三十) of lunar 2026: the twelfth month has 29 days, so the 29th.
    assert lunar_on(2026, 12, 30) == date(2027, 2, 5)
    assert lunar_on(2029, 12, 30) == date(2030, 2, 2)  # a 30-day month


def test_january_days_belong_to_the_previous_lunar_year() -> None:
    assert lunar_year_of(date(2027, 1, 30)) == 2026
    # 腊月二十三 said in December 2026 is in January 2027, not in February 2026.
    assert next_occurrence(LUNAR, 12, 23, False, date(2026, 12, 1)) == (date(2027, 1, 30), 2026)


def test_lunar_years_past_the_library_give_nothing() -> None:
    assert next_occurrence(LUNAR, 8, 15, False, date(2099, 12, 1)) is None


def test_previous_occurrence() -> None:
    assert previous_occurrence(GREGORIAN, 3, 14, False, date(2027, 3, 20)) == date(2027, 3, 14)
    assert previous_occurrence(LUNAR, 8, 15, False, date(2027, 1, 1)) == date(2026, 9, 25)


@pytest.mark.parametrize(
    ("calendar", "month", "day", "year", "valid"),
    [
        (GREGORIAN, 2, 29, None, True),
        (GREGORIAN, 2, 29, 2027, False),
        (GREGORIAN, 2, 30, None, False),
        (GREGORIAN, 4, 31, None, False),
        (GREGORIAN, 13, 1, None, False),
        (LUNAR, 12, 30, None, True),
        (LUNAR, 1, 31, None, False),
        (LUNAR, 8, 15, 1850, False),
    ],
)
def test_valid_dates(calendar: str, month: int, day: int, year: int | None, valid: bool) -> None:
    assert valid_date(calendar, month, day, year) is valid


def test_ages() -> None:
    assert age_on(1990, 2027) == 37
    assert age_on(None, 2027) is None
    assert age_on(2030, 2027) is None
