"""Turn a grammar ``Frame`` into concrete datetimes: a one-off moment or a rule + DTSTART.

Conventions (see ``model.AMBIGUITY_ORDER`` for the flags raised):

- no date: today, or tomorrow when the time has passed ("at 8am" said at 9am);
- "today"/"tonight"/"今天": today even if passed (flagged ``past``);
- a bare weekday: its next occurrence; said on that weekday it is today if the time is still
  ahead ("Friday at 5pm" on Friday morning), else a week later ("Friday" at 09:00 or later on
  a Friday, with the default 09:00); "two Tuesdays from now" never counts today;
- "next Friday"/"下周五": Friday of the next calendar week (weeks start on Monday);
- "March 14"/"3月14日": this year, or next year once passed; "the 15th": this month or next;
- a bare 1-12 hour: the first future reading today, otherwise 7-11 am, 12 noon, 1-6 pm;
- a date without a time: ``default_time`` (09:00); a part of day alone: its usual time;
- "in 3 hours", "every 3 hours": elapsed time (a DST change does not stretch them);
- "in 7 days", "in 2 weeks", "3天后": that calendar day at ``default_time`` (flagged
  ``day_only``), not the current time of day: a day offset names a day, and the confirmation
  shows the hour so it can be changed;
- "3 weeks from June 1st", "2 days after Friday": the day named, then the days counted;
- holidays that move (Easter, Thanksgiving, 春节, 中秋, 清明): their next date;
- a zone next to the time ("5pm EST", "北京时间8点"): resolved on that zone's clock by
  ``parse_when``, which returns it in the user's zone (``ParsedWhen.zone_when`` keeps the
  zone's wall time for the confirmation);
- "in 3 weeks on Friday": that Friday of the week the offset lands in; "Monday week": the
  Monday after the coming one; "starting Monday, every day": the rule starts on Monday;
- "until Friday", "for a week", "5 times": UNTIL (a local day, inclusive) or COUNT;
- days named twice that disagree ("tomorrow ... on the 4th") are flagged ``unparsed``.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil.easter import easter
from dateutil.relativedelta import relativedelta

from bot.timeparse.lexicon import PERIOD_DEFAULTS
from bot.timeparse.model import ClockTime, Frame
from bot.timeparse.rules import WEEKDAY_CODES, build_rule, localize, next_occurrence

__all__ = ["Resolution", "period_reading", "resolve"]

Reading = tuple[int, int, int]  # (days to add, hour, minute)


@dataclass
class Resolution:
    when: datetime
    rrule: str | None = None
    dtstart: datetime | None = None
    flags: list[str] = field(default_factory=list)
    grain: str = "minute"


@dataclass
class _Ctx:
    now: datetime  # aware, in the user's zone
    tz: ZoneInfo
    default_time: time
    flags: list[str] = field(default_factory=list)
    grain: str = "minute"
    base_day: date | None = None  # the calendar day of the last candidate put together

    @property
    def today(self) -> date:
        return self.now.date()

    def flag(self, code: str) -> None:
        if code not in self.flags:
            self.flags.append(code)

    def at(self, day: date, reading: Reading) -> datetime:
        days, hour, minute = reading
        self.base_day = day
        naive = datetime.combine(day + timedelta(days=days), time(hour, minute))
        return localize(naive, self.tz)


# --- time of day ----------------------------------------------------------------------------


def period_reading(hour: int, period: str) -> Reading:
    """Apply a part of day to a 1-12 hour ("晚上8点" -> 20:00, "半夜1点" -> 01:00 next day)."""
    h12 = hour % 12
    if period in ("early", "morning"):
        return (0, 12 if hour == 12 and period == "morning" else h12, 0)
    if period == "noon":
        return (0, hour + 12 if 1 <= hour <= 5 else hour, 0)
    if period == "afternoon":
        return (0, h12 + 12, 0)
    if period in ("night", "late") and (hour == 12 or hour <= (4 if period == "night" else 6)):
        return (1, h12, 0)
    if period in ("dusk", "evening") and hour == 12:
        return (1, 0, 0)
    return (0, h12 + 12, 0)


def _readings(clock: ClockTime, period: str | None) -> tuple[list[Reading], bool]:
    """Possible (day shift, hour, minute) readings of a clock time, preferred first, and
    whether it was ambiguous (a bare 1-12 hour with nothing to settle am/pm)."""
    hour, minute = clock.hour, clock.minute
    if clock.next_day:
        return [(1, hour, minute)], False
    if clock.meridiem in ("am", "pm"):
        hour = hour % 12 + (12 if clock.meridiem == "pm" else 0)
        late = clock.meridiem == "am" and period in ("night", "late") and hour < 6
        return [(1 if late else 0, hour, minute)], False
    if clock.meridiem == "24h" or not 1 <= hour <= 12:
        late = period in ("night", "late") and hour < 5
        return [(1 if late else 0, hour, minute)], False
    if period:
        days, hour, _ = period_reading(hour, period)
        return [(days, hour, minute)], False
    if hour == 12:
        return [(0, 12, minute), (1, 0, minute)], True
    am, pm = (0, hour, minute), (0, hour + 12, minute)
    return ([am, pm] if 7 <= hour <= 11 else [pm, am]), True


def _time_readings(frame: Frame, ctx: _Ctx) -> tuple[list[Reading], bool]:
    """Readings for the frame's time of day; the bool says whether a time was stated."""
    times = frame.times
    if frame.same_time and not times:
        times = [ClockTime(ctx.now.hour, ctx.now.minute, "24h")]
    if times:
        if len(times) > 1 and frame.freq is None:
            ctx.flag("multi")
        first = times[0]
        if first.meridiem is None and frame.range_meridiem and 1 <= first.hour <= 12:
            first = ClockTime(first.hour, first.minute, frame.range_meridiem)
        readings, ambiguous = _readings(first, frame.period)
        if ambiguous:
            ctx.flag("ampm")
        return readings, True
    if frame.anchor:
        ctx.flag("anchor")
        return [(0, hour, minute) for hour, minute in frame.anchor[:1]], True
    if frame.period:
        ctx.flag("period")
        hour, minute = PERIOD_DEFAULTS[frame.period]
        if frame.period == "morning" and 5 <= ctx.default_time.hour < 12:
            hour, minute = ctx.default_time.hour, ctx.default_time.minute
        return [(0, hour, minute)], True
    ctx.flag("day_only")
    ctx.grain = "day"
    return [(0, ctx.default_time.hour, ctx.default_time.minute)], False


# --- dates ------------------------------------------------------------------------------------


def _add_months(day: date, months: int, day_of_month: int | None = None) -> date | None:
    first = (day.replace(day=1) + relativedelta(months=months)).replace(day=1)
    want = day_of_month if day_of_month is not None else day.day
    last = calendar.monthrange(first.year, first.month)[1]
    if want == -1:
        return first.replace(day=last)
    if want > last:
        return None
    return first.replace(day=want)


def _week_start(day: date, shift: int) -> date:
    return day - timedelta(days=day.weekday()) + timedelta(weeks=shift)


def _first_future(ctx: _Ctx, days: list[date], readings: list[Reading]) -> datetime | None:
    """The first candidate (day order, then reading preference) strictly after now."""
    for day in days:
        for reading in readings:
            when = ctx.at(day, reading)
            if when > ctx.now:
                return when
    return None


def _earliest_future(ctx: _Ctx, day: date, readings: list[Reading]) -> datetime | None:
    future = [w for w in (ctx.at(day, r) for r in readings) if w > ctx.now]
    return min(future) if future else None


def _on_fixed_day(ctx: _Ctx, day: date, readings: list[Reading]) -> datetime:
    """A date the user pinned: the preferred reading, or a later one if that has passed;
    flagged "past" when no reading is in the future."""
    when = _earliest_future(ctx, day, readings) if day == ctx.today else None
    if when is None:
        when = ctx.at(day, readings[0])
        if when <= ctx.now:
            ctx.flag("past")
    return when


def _flexible(ctx: _Ctx, readings: list[Reading], stated: bool) -> datetime:
    """No date: the next time the clock shows the time (today, else tomorrow)."""
    when = _earliest_future(ctx, ctx.today, readings)
    if when is None:
        if stated:
            ctx.flag("rolled")
        when = _earliest_future(ctx, ctx.today + timedelta(days=1), readings)
    return when or ctx.at(ctx.today + timedelta(days=1), readings[0])


def holiday_date(name: str, year: int) -> date | None:
    """The date of a holiday that moves with the year (None outside the calendar's range)."""
    if name in ("easter", "good_friday", "easter_monday"):
        shift = {"easter": 0, "good_friday": -2, "easter_monday": 1}[name]
        return easter(year) + timedelta(days=shift)
    if name == "thanksgiving":  # US: the fourth Thursday of November
        return _nth_weekday_date(year, 11, 4, 3)
    if name == "mothers_day":  # the second Sunday of May (US, China, Hong Kong, Taiwan...)
        return _nth_weekday_date(year, 5, 2, 6)
    if name == "fathers_day":
        return _nth_weekday_date(year, 6, 3, 6)
    if name == "labor_day":  # US: the first Monday of September
        return _nth_weekday_date(year, 9, 1, 0)
    if name == "memorial_day":  # US: the last Monday of May
        return _nth_weekday_date(year, 5, -1, 0)
    if name == "black_friday":
        thanksgiving = _nth_weekday_date(year, 11, 4, 3)
        return None if thanksgiving is None else thanksgiving + timedelta(days=1)
    if name == "qingming":  # the solar term, April 4 or 5 (this formula holds 2001-2099)
        short = year % 100
        return date(year, 4, int(short * 0.2422 + 4.81) - short // 4)
    if name == "lunar_new_years_eve":
        spring = holiday_date("spring_festival", year)
        return None if spring is None else spring - timedelta(days=1)
    from lunardate import LunarDate

    month, day = _LUNAR_FESTIVAL_DAYS[name]
    try:
        solar: date = LunarDate(year, month, day).to_solar_date()
    except ValueError:
        return None
    return solar


_LUNAR_FESTIVAL_DAYS = {
    "spring_festival": (1, 1),
    "lantern": (1, 15),
    "dragon_boat": (5, 5),
    "qixi": (7, 7),
    "mid_autumn": (8, 15),
    "double_ninth": (9, 9),
}


def _holiday(ctx: _Ctx, frame: Frame, readings: list[Reading]) -> datetime | None:
    """The next occurrence of a moving holiday (the shifted day must be ahead too); the
    shift itself is applied by the caller."""
    assert frame.holiday is not None
    for year in range(ctx.today.year - 1, ctx.today.year + 3):
        day = holiday_date(frame.holiday, year)
        if day is None:
            continue
        if _first_future(ctx, [day + timedelta(days=frame.shift_days or 0)], readings) is not None:
            return _on_fixed_day(ctx, day, readings)
    return None


def _weekday_days(frame: Frame, ctx: _Ctx) -> tuple[list[date], bool]:
    """Candidate dates for the frame's weekdays; the bool says whether they are pinned
    (a week was named), so a passed one is "past" rather than rolled a week."""
    today = ctx.today
    if frame.week_shift is not None:
        start = _week_start(today, frame.week_shift)
        days = sorted(start + timedelta(days=wd) for wd in frame.weekdays)
        if frame.loose_next and any(wd > today.weekday() for wd in frame.weekdays):
            ctx.flag("next")
        return days, True
    gaps = [(wd - today.weekday()) % 7 for wd in frame.weekdays]
    if frame.strict_weekday:  # "two Tuesdays from now" said on a Tuesday
        gaps = [gap or 7 for gap in gaps]
    days = sorted(today + timedelta(days=gap) for gap in gaps)
    return days + [d + timedelta(days=7) for d in days], False


def _yearless(ctx: _Ctx, frame: Frame, readings: list[Reading]) -> datetime | None:
    assert frame.month is not None and frame.day is not None
    year = ctx.today.year
    if frame.special == "next_year":
        year += 1
    for offset in range(0, 9):
        try:
            day = _month_day(year + offset, frame.month, frame.day)
        except ValueError:
            continue
        when = _first_future(ctx, [day], readings)
        if when is not None:
            literal = _safe_date(year, frame.month, frame.day)
            if offset and literal and literal >= ctx.today - timedelta(days=31):
                ctx.flag("rolled")
            return when
        if frame.special == "next_year":
            return _on_fixed_day(ctx, day, readings)
    return None


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return _month_day(year, month, day)
    except ValueError:
        return None


def _month_day(year: int, month: int, day: int) -> date:
    if day == -1:
        return date(year, month, calendar.monthrange(year, month)[1])
    return date(year, month, day)


def _day_of_month(ctx: _Ctx, frame: Frame, readings: list[Reading]) -> datetime | None:
    assert frame.day is not None
    if frame.month_shift:
        day = _add_months(ctx.today, frame.month_shift, frame.day)
        return None if day is None else _on_fixed_day(ctx, day, readings)
    for months in range(0, 13):
        day = _add_months(ctx.today, months, frame.day)
        when = None if day is None else _first_future(ctx, [day], readings)
        if when:
            return when
    return None


def _nth_weekday_date(year: int, month: int, nth: int, weekday: int) -> date | None:
    days = [
        date(year, month, d)
        for d in range(1, calendar.monthrange(year, month)[1] + 1)
        if date(year, month, d).weekday() == weekday
    ]
    index = nth - 1 if nth > 0 else nth
    return days[index] if -len(days) <= index < len(days) else None


def _nth_weekday(ctx: _Ctx, frame: Frame, readings: list[Reading]) -> datetime | None:
    assert frame.nth_weekday is not None
    nth, weekday = frame.nth_weekday
    if frame.month is not None:  # "the first Monday in January"
        if frame.year is not None:
            day = _nth_weekday_date(frame.year, frame.month, nth, weekday)
            return None if day is None else _on_fixed_day(ctx, day, readings)
        for year in range(ctx.today.year, ctx.today.year + 9):
            day = _nth_weekday_date(year, frame.month, nth, weekday)
            when = None if day is None else _first_future(ctx, [day], readings)
            if when:
                return when
        return None
    for months in range(frame.month_shift or 0, 14):
        first = _add_months(ctx.today, months, 1)
        day = first and _nth_weekday_date(first.year, first.month, nth, weekday)
        when = None if day is None else _first_future(ctx, [day], readings)
        if when:
            return when
    return None


def _special(ctx: _Ctx, frame: Frame, readings: list[Reading]) -> datetime | None:
    today, special = ctx.today, frame.special
    if special == "end_month":
        for months in range(frame.month_shift or 0, 3):
            day = _add_months(today, months, -1)
            when = None if day is None else _first_future(ctx, [day], readings)
            if when:
                return when
    if special == "start_month":
        shift = frame.month_shift or (0 if today.day == 1 else 1)
        day = _add_months(today, shift, 1)
        return None if day is None else _on_fixed_day(ctx, day, readings)
    if special in ("end_week", "start_week"):
        weekday = 4 if special == "end_week" else 0
        shift = frame.week_shift if frame.week_shift is not None else int(special == "start_week")
        day = _week_start(today, shift) + timedelta(days=weekday)
        return _first_future(ctx, [day, day + timedelta(days=7)], readings)
    if special == "end_year":
        return _first_future(
            ctx, [date(today.year, 12, 31), date(today.year + 1, 12, 31)], readings
        )
    if special == "weekend":
        if frame.week_shift is not None:
            return _on_fixed_day(ctx, _week_start(today, frame.week_shift) + timedelta(5), readings)
        days = [today + timedelta(days=(wd - today.weekday()) % 7) for wd in (5, 6)]
        return _first_future(ctx, [*sorted(days), max(days) + timedelta(days=6)], readings)
    if special == "next_year":
        return _on_fixed_day(ctx, date(today.year + 1, 1, 1), readings)
    return None


def _weekday_after_delta(ctx: _Ctx, frame: Frame, readings: list[Reading]) -> datetime:
    """ "in 3 weeks on Friday": that weekday in the week the offset lands in.  With days or
    months ("in 10 days on Friday") the weekday on or after that day, flagged unsure."""
    assert frame.calendar_delta is not None
    delta = frame.calendar_delta
    landing = ctx.today + delta
    weekday = frame.weekdays[0]
    if not (delta.months or delta.years) and (landing - ctx.today).days % 7 == 0:
        day = _week_start(landing, 0) + timedelta(days=weekday)
    else:
        ctx.flag("unparsed")
        day = landing + timedelta(days=(weekday - landing.weekday()) % 7)
    return _on_fixed_day(ctx, day, readings)


def _weekday_monthday(ctx: _Ctx, frame: Frame, readings: list[Reading]) -> datetime | None:
    """ "Tuesday the 14th": the next 14th that is a Tuesday, among the next three months'
    (further away, the user more likely got one of them wrong: that is asked about)."""
    assert frame.day is not None
    for months in range(frame.month_shift or 0, (frame.month_shift or 0) + 3):
        day = _add_months(ctx.today, months, frame.day)
        if day is None or day.weekday() != frame.weekdays[0]:
            continue
        when = _first_future(ctx, [day], readings)
        if when:
            return when
    return None


def _one_off_day(ctx: _Ctx, frame: Frame, readings: list[Reading]) -> datetime | None:
    """Pick the date the frame names (most specific source first) and put the time on it."""
    today = ctx.today
    if frame.holiday is not None:
        return _holiday(ctx, frame, readings)
    if frame.day is not None and frame.month is not None and frame.year is not None:
        return _on_fixed_day(ctx, _month_day(frame.year, frame.month, frame.day), readings)
    if frame.day is not None and frame.month is not None:
        return _yearless(ctx, frame, readings)
    if frame.day is not None and len(frame.weekdays) == 1 and not frame.more_days:
        when = _weekday_monthday(ctx, frame, readings)
        if when is not None:
            return when
    if frame.day is not None:
        return _day_of_month(ctx, frame, readings)
    if frame.nth_weekday is not None:
        return _nth_weekday(ctx, frame, readings)
    if frame.day_offset is not None:
        return _on_fixed_day(ctx, today + timedelta(days=frame.day_offset), readings)
    if frame.weekdays and frame.calendar_delta is not None:
        return _weekday_after_delta(ctx, frame, readings)
    if frame.weekdays and frame.weeks_after:
        days, _ = _weekday_days(frame, ctx)
        return _on_fixed_day(ctx, days[0] + timedelta(weeks=frame.weeks_after), readings)
    if frame.weekdays:
        days, pinned = _weekday_days(frame, ctx)
        if pinned:
            return _on_fixed_day(ctx, days[0], readings)
        return _first_future(ctx, days, readings)
    if frame.calendar_delta is not None:
        return _on_fixed_day(ctx, today + frame.calendar_delta, readings)
    if frame.special is not None:
        return _special(ctx, frame, readings)
    if frame.month_shift:
        return _on_fixed_day(ctx, _add_months(today, frame.month_shift, 1) or today, readings)
    if frame.week_shift:
        return _on_fixed_day(ctx, _week_start(today, frame.week_shift), readings)
    return None


def _consistent(ctx: _Ctx, frame: Frame) -> bool:
    """Whether every day the user named agrees with the day that was picked (only one of
    "tomorrow", "Friday", "the 4th" is used to pick it; a disagreement must be asked about)."""
    base = ctx.base_day
    if base is None:
        return True
    if frame.day_offset is not None and base != ctx.today + timedelta(days=frame.day_offset):
        return False
    shifted = frame.calendar_delta is not None or frame.weeks_after
    if frame.weekdays and not shifted and base.weekday() not in frame.weekdays:
        return False
    if frame.day is not None and frame.day > 0 and not frame.lunar:
        if base.day not in (frame.day, *frame.more_days):
            return False
        if frame.month is not None and base.month != frame.month:
            return False
    return True


def _resolve_one_off(frame: Frame, ctx: _Ctx) -> datetime | None:
    if frame.delta is not None:
        return (ctx.now.astimezone(UTC) + frame.delta).astimezone(ctx.tz)  # elapsed time
    readings, stated = _time_readings(frame, ctx)
    if len(frame.weekdays) > 1 or frame.more_days or frame.more_nth:
        ctx.flag("multi")
    if frame.lunar:
        return _lunar(ctx, frame, readings)
    when = _one_off_day(ctx, frame, readings)
    if when is not None and frame.shift_days and ctx.base_day is not None:
        # "3 weeks from June 1st": the day named, then the days counted from it (whether the
        # day named itself had passed does not matter)
        ctx.flags = [code for code in ctx.flags if code not in ("past", "rolled")]
        return _on_fixed_day(ctx, ctx.base_day + timedelta(days=frame.shift_days), readings)
    if when is not None:
        if not _consistent(ctx, frame):
            ctx.flag("unparsed")  # "tomorrow ... on the 4th", "Friday ... tomorrow"
        return when
    if frame.day is not None or frame.nth_weekday is not None:
        return None
    if frame.explicit_today:
        return _on_fixed_day(ctx, ctx.today, readings)
    return _flexible(ctx, readings, stated)


def _lunar(ctx: _Ctx, frame: Frame, readings: list[Reading]) -> datetime | None:
    """A Chinese lunar month and day: its next Gregorian date (flagged ``lunar``)."""
    ctx.flag("lunar")
    if frame.month is None or frame.day is None:
        return None
    try:
        from lunardate import LunarDate
    except ImportError:  # pragma: no cover - lunardate is a dependency
        return None
    for year in range(ctx.today.year - 1, ctx.today.year + 3):
        day_of_month = frame.day
        for _ in range(2):
            try:
                solar = LunarDate(year, frame.month, day_of_month).to_solar_date()
                break
            except ValueError:
                day_of_month -= 1  # 除夕 is the 29th in a short twelfth month
        else:
            continue
        when = _first_future(ctx, [solar], readings)
        if when:
            return when
    return None


# --- rules ------------------------------------------------------------------------------------


def _rule_time_parts(frame: Frame, ctx: _Ctx) -> dict[str, object]:
    readings, _ = _time_readings(frame, ctx)
    hours = [readings[0][1]]
    minute = readings[0][2]
    for clock in frame.times[1:]:
        extra, ambiguous = _readings(clock, frame.period)
        if ambiguous:
            ctx.flag("ampm")
        if extra[0][2] != minute:
            ctx.flag("multi")  # "at 9:30 and 17:00" does not fit in one rule
        elif extra[0][1] not in hours:
            hours.append(extra[0][1])
    return {"BYHOUR": sorted(hours), "BYMINUTE": minute}


def _rule_start(frame: Frame, ctx: _Ctx) -> date:
    """The first date the rule may fire: "starting next week", "从明天开始"."""
    today = ctx.today
    if frame.freq in ("DAILY", "WEEKLY") and frame.day is not None and frame.month is not None:
        year = frame.year or today.year
        try:
            start = _month_day(year, frame.month, frame.day)
        except ValueError:
            return today
        return start if start >= today or frame.year else start.replace(year=year + 1)
    if frame.day_offset is not None:
        return today + timedelta(days=frame.day_offset)
    if frame.weekdays and (frame.byday or frame.freq != "WEEKLY"):
        days, _ = _weekday_days(frame, ctx)  # "starting Monday, every day at 8"
        return max(today, days[0] + timedelta(weeks=frame.weeks_after))
    if frame.week_shift:
        return _week_start(today, frame.week_shift)
    if frame.month_shift and frame.freq != "MONTHLY":
        return _add_months(today, frame.month_shift, 1) or today
    if frame.calendar_delta is not None:
        return today + frame.calendar_delta
    return today


def _rule_parts(frame: Frame, ctx: _Ctx, start: date) -> dict[str, object] | None:
    freq = frame.freq
    assert freq is not None
    parts: dict[str, object] = {"FREQ": freq}
    if freq == "WEEKLY":
        days = frame.byday or frame.weekdays or [start.weekday()]
        parts["BYDAY"] = [WEEKDAY_CODES[d] for d in days]
    elif freq == "MONTHLY":
        if frame.nth_weekday is not None:
            nths = [frame.nth_weekday, *frame.more_nth]
            parts["BYDAY"] = [f"{nth}{WEEKDAY_CODES[weekday]}" for nth, weekday in nths]
        elif frame.more_days and frame.day is not None:
            parts["BYMONTHDAY"] = sorted({frame.day, *frame.more_days})
        else:
            parts.update(_monthday_parts(frame.day if frame.day is not None else start.day))
    elif freq == "YEARLY":
        if frame.month is not None and frame.nth_weekday is not None:
            nth, weekday = frame.nth_weekday
            parts["BYMONTH"], parts["BYDAY"] = frame.month, f"{nth}{WEEKDAY_CODES[weekday]}"
        elif frame.month is not None and frame.day is not None:
            parts["BYMONTH"], parts["BYMONTHDAY"] = frame.month, frame.day
        elif frame.day is not None:
            return None
        else:
            parts["BYMONTH"], parts["BYMONTHDAY"] = start.month, start.day
    elif freq == "DAILY" and frame.weekdays and not frame.byday and frame.weekday_range:
        parts = {"FREQ": "WEEKLY", "BYDAY": [WEEKDAY_CODES[d] for d in frame.weekdays]}
    parts.update(_rule_time_parts(frame, ctx))
    hours = parts["BYHOUR"]
    if "BYSETPOS" in parts and isinstance(hours, list) and len(hours) > 1:
        parts.pop("BYSETPOS")
        parts["BYMONTHDAY"] = frame.day
    return parts


def _monthday_parts(day: int) -> dict[str, object]:
    """Day-of-month parts; "the 31st" means the 31st or the last day of shorter months."""
    if day <= 28:
        return {"BYMONTHDAY": day}
    return {"BYMONTHDAY": list(range(28, day + 1)), "BYSETPOS": -1}


def _resolve_sub_daily(frame: Frame, ctx: _Ctx) -> Resolution | None:
    """Hourly/minutely rules ("every 2 hours", "每30分钟"): from a stated time, else one
    interval from now.

    A rule is never in the past: when its stated start has come ("tonight every minute" said
    at 20:00 or later), it starts at its first step strictly after now on the stated grid
    (20:01 said at 20:00; "every 2 hours from 8am" said at 9am starts at 10am), like daily
    rules do, and is not flagged "past"."""
    step = timedelta(hours=1) if frame.freq == "HOURLY" else timedelta(minutes=1)
    if frame.times or frame.day_offset is not None or frame.weekdays:
        first = _resolve_one_off(frame, ctx)
        if first is not None and first <= ctx.now:
            grid = build_rule({"FREQ": frame.freq, "INTERVAL": frame.interval})
            first = next_occurrence(grid, first, ctx.now)
            if "past" in ctx.flags:
                ctx.flags.remove("past")
    else:
        start = ctx.now.replace(second=0, microsecond=0).astimezone(UTC)
        first = (start + step * frame.interval).astimezone(ctx.tz)  # elapsed, across DST too
    if first is None:
        return None
    parts: dict[str, object] = {"FREQ": frame.freq, "INTERVAL": frame.interval}
    if frame.span is not None and frame.span[1] == "times":
        parts["COUNT"] = frame.span[0]
    elif frame.span is not None or frame.until is not None:
        until = _rule_until(frame, ctx, first.date())
        if until is not None:
            parts["UNTIL"] = until.strftime("%Y%m%dT235959")
    if len(frame.times) > 1:
        ctx.flag("multi")
    return Resolution(first, build_rule(parts), first, ctx.flags, ctx.grain)


def _resolve_rule(frame: Frame, ctx: _Ctx) -> Resolution | None:
    if frame.freq in ("HOURLY", "MINUTELY"):
        return _resolve_sub_daily(frame, ctx)
    start = _rule_start(frame, ctx)
    parts = _rule_parts(frame, ctx, start)
    if parts is None:
        return None
    anchor = localize(datetime.combine(start, time(0, 0)), ctx.tz)
    after = max(ctx.now, anchor - timedelta(seconds=1))
    first = next_occurrence(build_rule(parts), anchor, after)  # the interval counts from it
    if first is None:
        return None
    # "for 3 days" counts from the first occurrence, "until Friday" is a calendar day
    until = _rule_until(frame, ctx, first.date() if frame.span else start)
    if until is not None:
        parts["UNTIL"] = until.strftime("%Y%m%dT235959")
        if first.date() > until:
            return None
    if frame.interval > 1:
        parts = {"FREQ": parts["FREQ"], "INTERVAL": frame.interval, **parts}
    if frame.span is not None and frame.span[1] == "times":
        parts["COUNT"] = frame.span[0]
    rule = build_rule(parts)
    return Resolution(first, rule, first, ctx.flags, ctx.grain)


def _rule_until(frame: Frame, ctx: _Ctx, start: date) -> date | None:
    """The last day of a limited rule: "until Friday", "until 5 December", "for a week"."""
    if frame.span is not None and frame.span[1] != "times":
        amount, unit = frame.span
        if unit == "mo":
            return start + relativedelta(months=amount) - timedelta(days=1)
        return start + timedelta(days=amount * (7 if unit == "w" else 1) - 1)
    if frame.until is None:
        return None
    kind, first, second, third = frame.until
    if kind == "weekday":
        ahead = (first - ctx.today.weekday()) % 7 or 7
        day = ctx.today + timedelta(days=ahead)
        while day < start:
            day += timedelta(days=7)
        return day
    if kind == "monthday":
        for months in range(0, 13):
            month_day = _add_months(ctx.today, months, first)
            if month_day is not None and month_day >= start:
                return month_day
        return None
    year, month, day_of_month = first, second, third
    if year:
        return _safe_date(year, month, day_of_month)
    for offset in range(0, 9):
        found = _safe_date(ctx.today.year + offset, month, day_of_month)
        if found is not None and found >= start:
            return found
    return None


def resolve(frame: Frame, now: datetime, tz: ZoneInfo, default_time: time) -> Resolution | None:
    """Concrete time (and rule) for a frame, or None when it names no usable moment."""
    if frame.invalid or not frame.has_time():
        return None
    ctx = _Ctx(now.astimezone(tz), tz, default_time)
    if frame.date_order is not None:
        ctx.flag("date_order")
    if frame.freq is not None:
        if frame.lunar:
            ctx.flag("lunar")
        elif frame.holiday is not None:  # "every Easter": a rule cannot say it; ask
            ctx.flag("lunar" if frame.holiday in _LUNAR_FESTIVAL_DAYS else "unparsed")
        return _resolve_rule(frame, ctx)
    when = _resolve_one_off(frame, ctx)
    if when is None:
        return None
    return Resolution(when, None, None, ctx.flags, ctx.grain)
