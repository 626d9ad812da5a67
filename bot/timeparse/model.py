"""Data types shared by the grammar, the resolver and callers.

``Frame`` is the grammar's output: the slots a time expression filled ("tomorrow" sets
``day_offset``, "3pm" sets a ``ClockTime``, "every other Monday" sets ``freq``/``interval``/
``byday``...), plus the character spans it consumed.  ``resolve`` turns a frame into a
``ParsedWhen``, the public result.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from dateutil.relativedelta import relativedelta

__all__ = ["AMBIGUITY_ORDER", "ASK_CODES", "ClockTime", "Frame", "ParsedWhen"]

#: Ambiguity codes, most important first; ``ParsedWhen.ambiguity`` is the first one present.
#: The first five (``ASK_CODES``) mean the reading must not be confirmed without asking:
#:
#: - ``lunar``: a Chinese lunar date ("农历八月十五"); ``when`` is only its Gregorian look-alike.
#: - ``unparsed``: time-like words were left over ("except Sunday", "差", "and 5", "17h30x");
#:   ``ParsedWhen.unparsed`` holds them and ``when`` is only what was understood.
#: - ``anchor``: the time hangs on the user's day ("明天下班后", "after work"); ``choices``
#:   holds the usual times, ``when`` the first of them.
#: - ``date_order``: "3/12" where day-month and month-day orders are both common; ``choices``
#:   holds both readings.
#: - ``multi``: several times or days were given for a one-off; ``choices`` holds each.
#: - ``past``: the returned one-off time is not in the future (e.g. "today at 8am" said at 9).
#: - ``rolled``: the literal reading had passed, so the next day/month/year was used
#:   ("at 8am" said at 9am -> tomorrow 08:00; "on March 1" said on March 10 -> next year).
#: - ``ampm``: a bare 1-12 hour ("at 5", "8点") whose am/pm was chosen by heuristic.
#: - ``next``: "next Friday" said early in the week: read as Friday of next calendar week,
#:   though some people mean the coming Friday.
#: - ``period``: only a part of day was given ("tonight", "下午"); its default time was used.
#: - ``day_only``: only a date was given; the default time of day was used.
#: - ``multi`` (also for a rule whose extra times do not fit in it).
AMBIGUITY_ORDER = (
    "lunar",
    "unparsed",
    "anchor",
    "date_order",
    "multi",
    "past",
    "rolled",
    "ampm",
    "next",
    "period",
    "day_only",
)
#: Codes that call for a question rather than a confirmation.
ASK_CODES = ("lunar", "unparsed", "anchor", "date_order", "multi")


@dataclass
class ClockTime:
    """A time of day as written. ``meridiem`` is "am"/"pm" when stated, "24h" when the hour
    is unambiguous (13-23, 0, a leading zero, "15时"), None when it could be either."""

    hour: int
    minute: int = 0
    meridiem: str | None = None
    next_day: bool = False  # "midnight": 00:00 at the end of the day it is attached to


@dataclass
class Frame:
    """Slots filled by the grammar for one message."""

    spans: list[tuple[int, int]] = field(default_factory=list)
    invalid: bool = False
    # exact offset from now ("in 20 minutes") and calendar offset ("in 3 days")
    delta: timedelta | None = None
    calendar_delta: relativedelta | None = None
    day_offset: int | None = None  # today=0, tomorrow=1, ...
    explicit_today: bool = False  # "today"/"tonight"/"今天": a passed time is "past", not rolled
    weekdays: list[int] = field(default_factory=list)  # 0=Monday
    week_shift: int | None = None  # None: next occurrence; 0: this week; 1: next week...
    loose_next: bool = False  # English "next Friday": some mean the coming Friday
    weekday_range: bool = False  # "Monday to Friday": implies a weekly rule
    year: int | None = None
    month: int | None = None
    day: int | None = None  # -1: last day of the month
    month_shift: int | None = None  # "下个月15号": 1
    nth_weekday: tuple[int, int] | None = None  # (n, weekday): "first Monday of the month"
    more_nth: list[tuple[int, int]] = field(default_factory=list)  # "2nd and 4th Tuesday"
    more_days: list[int] = field(default_factory=list)  # "1号和15号": 15
    weeks_after: int = 0  # "Monday week", "a week on Friday": weeks after the next one
    date_order: tuple[int, int] | None = None  # "3/12": the other (month, day) reading
    anchor: tuple[tuple[int, int], ...] = ()  # "下班后": usual (hour, minute) choices
    lunar: bool = False  # "农历八月十五"
    conflict: bool = False  # two slots disagree in a way the resolver cannot settle
    times: list[ClockTime] = field(default_factory=list)
    same_time: bool = False  # "this time tomorrow": the current time of day
    range_meridiem: str | None = None  # "8-9pm": the am/pm of the range end
    period: str | None = None
    special: str | None = None  # end_month, end_week, end_year, weekend, start_month...
    # recurrence
    freq: str | None = None  # DAILY, WEEKLY, MONTHLY, YEARLY, HOURLY, MINUTELY
    interval: int = 1
    byday: list[int] = field(default_factory=list)  # weekdays of a weekly rule
    until: tuple[str, int, int, int] | None = None  # ("weekday", wd, 0, 0) / ("date", y, m, d)
    span: tuple[int, str] | None = None  # "for a week": (1, "w"); units d/w/mo/times
    shift_days: int | None = None  # "3 weeks from June 1st", "2 days after Friday": days on
    strict_weekday: bool = False  # "two Tuesdays from now": today does not count
    holiday: str | None = None  # a holiday whose date depends on the year ("easter", "中秋")
    # a named zone the time is read in: (label as written, IANA name or "+480" offset minutes)
    zone: tuple[str, str] | None = None

    def has_time(self) -> bool:
        """Whether any slot that pins a moment was filled."""
        return any(
            (
                self.delta is not None,
                self.calendar_delta is not None,
                self.day_offset is not None,
                bool(self.weekdays),
                self.day is not None,
                self.nth_weekday is not None,
                bool(self.times),
                bool(self.anchor),
                self.period is not None,
                self.special is not None,
                self.holiday is not None,
                self.freq is not None,
                self.week_shift is not None and self.week_shift > 0,
                bool(self.month_shift),
            )
        )


@dataclass(frozen=True)
class ParsedWhen:
    """A parsed reminder time.

    ``when`` is the first occurrence, aware, in the user's zone.  ``rrule`` is an RFC 5545
    rule (no DTSTART line) interpreted in local wall time from ``dtstart``; None for a
    one-off.  ``task`` is the message without the time expression and filler words.
    """

    when: datetime
    rrule: str | None = None
    task: str | None = None
    ambiguity: str | None = None
    flags: tuple[str, ...] = ()
    dtstart: datetime | None = None
    grain: str = "minute"  # "day" when only a date was given and the default time was used
    unparsed: str | None = None  # time-like words the grammar could not place
    choices: tuple[ParsedWhen, ...] = ()  # the readings to offer when one must be chosen
    relative: bool = False  # an exact offset from now ("in 20 minutes"), not a wall time
    zone: str | None = None  # the zone the user named ("EST", "北京时间"), as written
    zone_when: datetime | None = None  # ``when`` on that zone's clock (None without a zone)

    @property
    def needs_question(self) -> bool:
        """Whether the reading must be confirmed by the user before anything is set."""
        return any(code in ASK_CODES for code in self.flags)

    @property
    def is_recurring(self) -> bool:
        return self.rrule is not None
