"""Slot setters shared by the English and Chinese grammars.

Every setter refuses (returns False) when the slot already holds a different value, so a
second, conflicting expression is left in the task text instead of silently overriding the
first one.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

from bot.timeparse.model import ClockTime, Frame

__all__ = [
    "add_time",
    "apply_duration",
    "set_date",
    "set_recurrence",
    "set_slot",
    "shifted_day",
    "valid_day",
]


def _empty(value: object) -> bool:
    """None, False or an empty list/tuple (0 is a value: "today" is day offset 0)."""
    return value is None or value is False or (isinstance(value, list | tuple) and not value)


def set_slot(frame: Frame, **values: object) -> bool:
    """Fill slots that are empty (or already hold the same value)."""
    for name, value in values.items():
        current = getattr(frame, name)
        if not _empty(current) and current != value:
            return False
    for name, value in values.items():
        setattr(frame, name, value)
    return True


def valid_day(year: int | None, month: int, day: int) -> bool:
    """Whether ``day`` exists in ``month`` (of ``year``, or of any year when None)."""
    if not 1 <= month <= 12 or day == 0:
        return False
    if day == -1:
        return True
    last = calendar.monthrange(year if year else 2000, month)[1]
    return 1 <= day <= last


def shifted_day(month: int, day: int, days: int) -> tuple[int, int]:
    """(month, day) moved by ``days`` ("the day before Christmas", "国庆前一天"); computed in a
    leap year so that Feb 29 stays reachable."""
    moved = date(2024, month, day) + timedelta(days=days)
    return moved.month, moved.day


def set_date(frame: Frame, year: int | None, month: int | None, day: int) -> bool:
    """Set an absolute (or day-of-month) date; an impossible date ("Feb 30") marks the frame
    invalid, because the user clearly meant a date and we must not guess another one."""
    if year is not None and year < 100:
        year += 2000
    if month is not None and not valid_day(year, month, day):
        frame.invalid = True
        return True
    if month is None and not (1 <= day <= 31 or day == -1):
        return False
    if year is not None and month is not None:
        try:
            date(year, month, day if day > 0 else 1)
        except ValueError:
            frame.invalid = True
            return True
    return set_slot(frame, year=year, month=month, day=day)


def add_time(frame: Frame, time: ClockTime) -> bool:
    """Add a time of day (a second one is kept for rules like "at 9am and 9pm")."""
    if not (0 <= time.hour <= 24 and 0 <= time.minute <= 59):
        return False
    if time.hour == 24:
        time = ClockTime(0, time.minute, "24h", next_day=True)
    if any(t == time for t in frame.times):
        return True
    frame.times.append(time)
    return True


def set_recurrence(
    frame: Frame,
    freq: str,
    interval: int = 1,
    byday: list[int] | None = None,
    period: str | None = None,
) -> bool:
    """Set the rule frequency/interval (and the weekdays or part of day it implies).

    "每天" + "周一到周五" and "weekly" + "on Sundays" merge into a weekly rule on those days;
    other conflicting rules are refused.
    """
    if interval < 1:
        return False
    days = sorted(set(byday or []))
    if frame.freq is not None:
        plain_daily = frame.freq == "DAILY" and frame.interval == 1
        bare_weekly = frame.freq == "WEEKLY" and not frame.byday
        if plain_daily and freq == "WEEKLY" and days and interval == 1:
            frame.freq, frame.byday = freq, days
        elif bare_weekly and freq == "WEEKLY" and days and interval == 1:
            frame.byday = days  # "weekly on Sundays", "every 2 weeks on Mondays"
        elif not (frame.freq == "WEEKLY" and frame.byday and freq == "DAILY" and interval == 1):
            return False
    else:
        frame.freq, frame.interval, frame.byday = freq, interval, days
    if period and frame.period is None:
        frame.period = period
    return True


_SECONDS = {"s": 1, "m": 60, "h": 3600}
_DAYS = {"d": 1, "w": 7}


def apply_duration(frame: Frame, parts: list[tuple[float, str]]) -> bool:
    """Store a duration given as [(amount, unit)] with units s/m/h/d/w/mo/y.

    Sub-day or fractional parts make an exact offset from now; whole days and longer make a
    calendar offset, which later gets the default time of day unless a time is also given.
    """
    parts = _whole_units(parts)
    exact = any(unit in _SECONDS for _, unit in parts) or any(
        not float(qty).is_integer() for qty, _ in parts
    )
    if exact:
        if any(unit in ("mo", "y") for _, unit in parts):
            return False
        seconds = sum(
            qty * _SECONDS.get(unit, 0) + qty * 86400 * _DAYS.get(unit, 0) for qty, unit in parts
        )
        return seconds > 0 and set_slot(frame, delta=timedelta(seconds=seconds))
    delta = relativedelta()
    for qty, unit in _whole_units(parts):
        if unit == "mo":
            delta += relativedelta(months=int(qty))
        elif unit == "y":
            delta += relativedelta(years=int(qty))
        else:
            delta += relativedelta(days=int(qty) * _DAYS[unit])
    return bool(delta) and set_slot(frame, calendar_delta=delta)


def _whole_units(parts: list[tuple[float, str]]) -> list[tuple[float, str]]:
    """Half years become months and half months days ("半年后" -> 6 months)."""
    out: list[tuple[float, str]] = []
    for qty, unit in parts:
        if unit == "y" and not float(qty).is_integer():
            qty, unit = qty * 12, "mo"
        if unit == "mo" and not float(qty).is_integer():
            qty, unit = qty * 30, "d"
        out.append((qty, unit))
    return out
