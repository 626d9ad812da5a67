"""Time hints in memory questions: "last week", "in March", "on 3 June", "上周", "三月", "去年".

A hint becomes a window of local time, computed relative to ``now`` in ``now``'s time zone. The
ranker boosts messages written inside the window (it does not filter: people mention past events
later, "the trip last year" may have been told this year).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

__all__ = ["TimeWindow", "parse_time_window"]


@dataclass(frozen=True, slots=True)
class TimeWindow:
    """A span of time a question points at: ``start`` inclusive, ``end`` exclusive (aware)."""

    start: datetime
    end: datetime
    #: The query's text that expressed the hint (its words are weak evidence of the topic).
    phrase: str

    def contains(self, moment: datetime) -> bool:
        return self.start <= moment < self.end

    @property
    def span(self) -> timedelta:
        return self.end - self.start


_MONTH_NAMES = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4,
    "apr": 4, "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8,
    "september": 9, "sept": 9, "sep": 9, "october": 10, "oct": 10, "november": 11, "nov": 11,
    "december": 12, "dec": 12,
}  # fmt: skip
_MONTH = "(" + "|".join(sorted(_MONTH_NAMES, key=len, reverse=True)) + r")\.?"
_WEEKDAYS = {
    "monday": 0, "mon": 0, "tuesday": 1, "tue": 1, "tues": 1, "wednesday": 2, "wed": 2,
    "thursday": 3, "thu": 3, "thurs": 3, "friday": 4, "fri": 4, "saturday": 5, "sat": 5,
    "sunday": 6, "sun": 6,
}  # fmt: skip
_WEEKDAY = "(" + "|".join(sorted(_WEEKDAYS, key=len, reverse=True)) + ")"
_ZH_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
_ZH_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
              "八": 8, "九": 9}  # fmt: skip
_SEASONS = {"spring": 3, "summer": 6, "fall": 9, "autumn": 9, "winter": 12,
            "春": 3, "夏": 6, "秋": 9, "冬": 12}  # fmt: skip
_NUMBER_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
                 "seven": 7, "eight": 8, "nine": 9, "ten": 10, "couple of": 2, "a couple of": 2,
                 "few": 3, "a few": 3, "several": 4}  # fmt: skip
# Words before a month name that make it a date rather than a verb ("may", "march").
_MONTH_CUES = r"(?:in|on|during|since|of|early|late|mid|until|by|before|after|around)"


def parse_time_window(query: str, now: datetime) -> TimeWindow | None:
    """The narrowest time window the query mentions, or None when it names no time."""
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    text = query.casefold()
    windows = [window for window in _all_windows(text, now) if window.start < window.end]
    if not windows:
        return None
    return min(windows, key=lambda window: window.span)


def _all_windows(text: str, now: datetime) -> Iterator[TimeWindow]:
    for pattern, build in _RULES:
        for match in pattern.finditer(text):
            window = build(match, now)
            if window is not None:
                yield window


# --- building blocks --------------------------------------------------------------------------


def _local_midnight(day: date, now: datetime) -> datetime:
    return datetime.combine(day, time(), tzinfo=now.tzinfo)


def _days(first: date, count: int, now: datetime, phrase: str) -> TimeWindow:
    start = _local_midnight(first, now)
    return TimeWindow(start, _local_midnight(first + timedelta(days=count), now), phrase)


def _month_window(year: int, month: int, now: datetime, phrase: str, months: int = 1) -> TimeWindow:
    end_year, end_month = year + (month - 1 + months) // 12, (month - 1 + months) % 12 + 1
    return TimeWindow(
        _local_midnight(date(year, month, 1), now),
        _local_midnight(date(end_year, end_month, 1), now),
        phrase,
    )


def _year_window(year: int, now: datetime, phrase: str) -> TimeWindow:
    return _month_window(year, 1, now, phrase, months=12)


def _recent_month_year(month: int, now: datetime, *, strictly_past: bool = False) -> int:
    """The year of the latest such month not after now (strictly before this month if asked)."""
    if month < now.month or (month == now.month and not strictly_past):
        return now.year
    return now.year - 1


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _day_of_month(
    year: int | None, month: int, day: int, now: datetime, phrase: str
) -> TimeWindow | None:
    if year is None:
        year = now.year
        candidate = _safe_date(year, month, day)
        if candidate is not None and candidate > now.date():
            year -= 1
    found = _safe_date(year, month, day)
    return _days(found, 1, now, phrase) if found else None


def _week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _past_weekday(weekday: int, now: datetime, phrase: str) -> TimeWindow:
    """The latest such weekday before today ("on Friday", "last Friday")."""
    today = now.date()
    back = (today.weekday() - weekday) % 7 or 7
    return _days(today - timedelta(days=back), 1, now, phrase)


def _season(start_month: int, year: int, now: datetime, phrase: str) -> TimeWindow:
    return _month_window(year, start_month, now, phrase, months=3)


def _latest_season_year(start_month: int, now: datetime, *, last: bool) -> int:
    """The year in which the latest (or, with ``last``, the previous) such season began."""
    current = now.year * 12 + now.month - 1
    year = now.year if now.year * 12 + start_month - 1 <= current else now.year - 1
    if last and current < year * 12 + start_month - 1 + 3:
        year -= 1  # we are in that season now: "last summer" is a year back
    return year


def _zh_number(text: str) -> int | None:
    if text.isdigit():
        return int(text)
    if text == "几":
        return 3
    if text.startswith("十"):
        text = "一" + text
    if "十" in text:
        tens, _, units = text.partition("十")
        return _ZH_DIGITS.get(tens, 0) * 10 + (_ZH_DIGITS.get(units, 0) if units else 0)
    total = 0
    for char in text:
        if char not in _ZH_DIGITS:
            return None
        total = total * 10 + _ZH_DIGITS[char]
    return total


def _english_number(text: str) -> int | None:
    text = text.strip()
    if text.isdigit():
        return int(text)
    return _NUMBER_WORDS.get(text)


def _ago(amount: int, unit: str, now: datetime, phrase: str) -> TimeWindow:
    """A window around "N units ago", widened because people round such spans."""
    today = now.date()
    if unit in ("day", "天", "日"):
        center = today - timedelta(days=amount)
        return _days(center - timedelta(days=1), 3, now, phrase)
    if unit in ("week", "周", "星期", "个星期", "礼拜", "个礼拜"):
        center = today - timedelta(weeks=amount)
        return _days(center - timedelta(days=4), 9, now, phrase)
    if unit in ("month", "个月", "月"):
        center = today - timedelta(days=30 * amount)
        return _days(center - timedelta(days=15), 31, now, phrase)
    center_year = now.year - amount
    return _year_window(center_year, now, phrase)


# --- rules: (pattern, builder) ----------------------------------------------------------------

_Builder = Callable[[re.Match[str], datetime], TimeWindow | None]


def _rule_iso_date(match: re.Match[str], now: datetime) -> TimeWindow | None:
    year, month, day = (int(part) for part in match.groups())
    return _day_of_month(year, month, day, now, match.group())


def _rule_month_day(match: re.Match[str], now: datetime) -> TimeWindow | None:
    month = _MONTH_NAMES[match.group(1)]
    year = int(match.group(3)) if match.group(3) else None
    return _day_of_month(year, month, int(match.group(2)), now, match.group())


def _rule_day_month(match: re.Match[str], now: datetime) -> TimeWindow | None:
    month = _MONTH_NAMES[match.group(2)]
    year = int(match.group(3)) if match.group(3) else None
    return _day_of_month(year, month, int(match.group(1)), now, match.group())


def _rule_month_year(match: re.Match[str], now: datetime) -> TimeWindow | None:
    return _month_window(int(match.group(2)), _MONTH_NAMES[match.group(1)], now, match.group())


def _rule_cued_month(match: re.Match[str], now: datetime) -> TimeWindow | None:
    cue, month = match.group(1), _MONTH_NAMES[match.group(2)]
    if cue == "this":
        year = now.year
    else:
        year = _recent_month_year(month, now, strictly_past=cue == "last")
    return _month_window(year, month, now, match.group())


def _rule_year(match: re.Match[str], now: datetime) -> TimeWindow | None:
    year = int(match.group(1))
    return _year_window(year, now, match.group()) if 1900 < year <= now.year + 1 else None


def _rule_relative_day(match: re.Match[str], now: datetime) -> TimeWindow | None:
    offsets = {"the day before yesterday": 2, "day before yesterday": 2, "yesterday": 1,
               "last night": 1, "today": 0, "tonight": 0, "this morning": 0,
               "this afternoon": 0, "this evening": 0, "earlier today": 0}  # fmt: skip
    offset = offsets[match.group()]
    return _days(now.date() - timedelta(days=offset), 1, now, match.group())


def _rule_ago(match: re.Match[str], now: datetime) -> TimeWindow | None:
    amount = _english_number(match.group(1))
    return _ago(amount, match.group(2), now, match.group()) if amount else None


def _rule_past_span(match: re.Match[str], now: datetime) -> TimeWindow | None:
    amount = _english_number(match.group(1) or "1") or 1
    unit_days = {"day": 1, "week": 7, "month": 30, "year": 365}[match.group(2)]
    start = now - timedelta(days=amount * unit_days)
    return TimeWindow(start, now + timedelta(seconds=1), match.group())


def _rule_named_period(match: re.Match[str], now: datetime) -> TimeWindow | None:
    which, unit = match.group(1), match.group(2)
    today = now.date()
    back = 0 if which == "this" else 1
    if unit == "week":
        start = _week_start(today) - timedelta(weeks=back)
        return _days(start, 7, now, match.group())
    if unit == "weekend":
        saturday = _week_start(today) - timedelta(weeks=back) + timedelta(days=5)
        if which != "this" and today.weekday() >= 5:
            saturday = _week_start(today) - timedelta(days=2)
        return _days(saturday, 2, now, match.group())
    if unit == "month":
        index = now.year * 12 + now.month - 1 - back
        return _month_window(index // 12, index % 12 + 1, now, match.group())
    return _year_window(now.year - back, now, match.group())


def _rule_weekday(match: re.Match[str], now: datetime) -> TimeWindow | None:
    return _past_weekday(_WEEKDAYS[match.group(2)], now, match.group())


def _rule_season(match: re.Match[str], now: datetime) -> TimeWindow | None:
    cue, season = match.group(1), match.group(2)
    if not cue and not match.group(3):
        return None  # a bare "fall" or "spring" is too often a verb or a noun
    start_month = _SEASONS[season]
    if match.group(3):
        year = int(match.group(3))
    elif cue == "this":
        year = now.year if start_month != 12 or now.month == 12 else now.year - 1
    else:
        year = _latest_season_year(start_month, now, last=cue == "last")
    return _season(start_month, year, now, match.group())


def _rule_recently(match: re.Match[str], now: datetime) -> TimeWindow | None:
    return TimeWindow(now - timedelta(days=30), now + timedelta(seconds=1), match.group())


def _rule_zh_full_date(match: re.Match[str], now: datetime) -> TimeWindow | None:
    year = int(match.group(1)) if match.group(1) else None
    month, day = _zh_number(match.group(2)), _zh_number(match.group(3))
    if not month or not day:
        return None
    return _day_of_month(year, month, day, now, match.group())


def _zh_year(prefix: str | None, now: datetime) -> int | None:
    if not prefix:
        return None
    relative = {"去年": -1, "今年": 0, "前年": -2}
    if prefix in relative:
        return now.year + relative[prefix]
    return int(prefix.rstrip("年"))


def _rule_zh_month(match: re.Match[str], now: datetime) -> TimeWindow | None:
    month = _zh_number(match.group(2))
    if not month or not 1 <= month <= 12:
        return None
    year = _zh_year(match.group(1), now) or _recent_month_year(month, now)
    return _month_window(year, month, now, match.group())


def _rule_zh_year(match: re.Match[str], now: datetime) -> TimeWindow | None:
    year = _zh_year(match.group(), now)
    return _year_window(year, now, match.group()) if year else None


def _rule_zh_relative_day(match: re.Match[str], now: datetime) -> TimeWindow | None:
    word = match.group()
    if word.startswith("大前"):
        offset = 3
    elif word.startswith("前"):
        offset = 2
    elif word.startswith("昨"):
        offset = 1
    else:
        offset = 0
    return _days(now.date() - timedelta(days=offset), 1, now, word)


def _rule_zh_week(match: re.Match[str], now: datetime) -> TimeWindow | None:
    which, weekday = match.group(1), match.group(2)
    back = 1 if which == "上" else 0
    start = _week_start(now.date()) - timedelta(weeks=back)
    if weekday:
        return _days(start + timedelta(days=_ZH_WEEKDAYS[weekday]), 1, now, match.group())
    return _days(start, 7, now, match.group())


def _rule_zh_weekend(match: re.Match[str], now: datetime) -> TimeWindow | None:
    saturday = _week_start(now.date()) - timedelta(weeks=1) + timedelta(days=5)
    return _days(saturday, 2, now, match.group())


def _rule_zh_bare_weekday(match: re.Match[str], now: datetime) -> TimeWindow | None:
    return _past_weekday(_ZH_WEEKDAYS[match.group(1)], now, match.group())


def _rule_zh_month_relative(match: re.Match[str], now: datetime) -> TimeWindow | None:
    back = 1 if match.group(1) == "上" else 0
    index = now.year * 12 + now.month - 1 - back
    return _month_window(index // 12, index % 12 + 1, now, match.group())


def _rule_zh_ago(match: re.Match[str], now: datetime) -> TimeWindow | None:
    amount = _zh_number(match.group(1))
    return _ago(amount, match.group(2), now, match.group()) if amount else None


def _rule_zh_few_days(match: re.Match[str], now: datetime) -> TimeWindow | None:
    return _days(now.date() - timedelta(days=6), 6, now, match.group())


def _rule_zh_season(match: re.Match[str], now: datetime) -> TimeWindow | None:
    start_month = _SEASONS[match.group(2)]
    year = _zh_year(match.group(1), now)
    if year is None:
        year = _latest_season_year(start_month, now, last=False)
    return _season(start_month, year, now, match.group())


_ZH_NUM = "[0-9零一二两三四五六七八九十几]+"
_ZH_MONTH_NUM = "[0-9一二三四五六七八九十]{1,3}"

_RULES: list[tuple[re.Pattern[str], _Builder]] = [
    (re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b"), _rule_iso_date),
    (
        re.compile(rf"\b{_MONTH}\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s*(\d{{4}})\b)?"),
        _rule_month_day,
    ),
    (
        re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}(?:,?\s*(\d{{4}})\b)?"),
        _rule_day_month,
    ),
    (re.compile(rf"\b{_MONTH}\s*,?\s*(\d{{4}})\b"), _rule_month_year),
    (re.compile(rf"\b{_MONTH_CUES}\s+(?:the\s+)?(?:(last|this)\s+)?{_MONTH}\b"), _rule_cued_month),
    (re.compile(rf"\b(last|this)\s+{_MONTH}\b"), _rule_cued_month),
    (re.compile(r"\b((?:19|20)\d{2})\b"), _rule_year),
    (
        re.compile(
            r"the day before yesterday|day before yesterday|yesterday|last night|earlier today"
            r"|\btoday\b|\btonight\b|this morning|this afternoon|this evening"
        ),
        _rule_relative_day,
    ),
    (
        re.compile(
            r"\b(\d+|a couple of|couple of|a few|few|several|an?|one|two|three|four|five|six"
            r"|seven|eight|nine|ten)\s+(day|week|month|year)s?\s+ago\b"
        ),
        _rule_ago,
    ),
    (
        re.compile(r"\b(?:past|last)\s+(\d+|two|three|four|five|six|seven|few)?\s*(day|week)s\b"),
        _rule_past_span,
    ),
    (re.compile(r"\b(last|this|previous|past)\s+(week|weekend|month|year)\b"), _rule_named_period),
    (re.compile(rf"\b(last|on|this)\s+{_WEEKDAY}\b"), _rule_weekday),
    (
        re.compile(
            r"\b(last|this|in|during)?\s*(spring|summer|fall|autumn|winter)(?:\s+of)?"
            r"(?:\s+(\d{4}))?\b"
        ),
        _rule_season,
    ),
    (re.compile(r"\b(recently|lately|the other day)\b"), _rule_recently),
    # Chinese.
    (
        re.compile(rf"(?:(\d{{4}})年)?({_ZH_MONTH_NUM})月({_ZH_NUM})[日号]"),
        _rule_zh_full_date,
    ),
    (
        re.compile(
            rf"(\d{{4}}年|去年|今年|前年)?({_ZH_MONTH_NUM})月份?(?![0-9零一二两三四五六七八九十几日号])"
        ),
        _rule_zh_month,
    ),
    (re.compile(r"\d{4}年(?!\d|[零一二两三四五六七八九十]+月)|去年|今年|前年"), _rule_zh_year),
    (
        re.compile(r"大前天|前天|昨天|昨日|昨晚|昨儿|今天|今日|今早|今晚|今儿"),
        _rule_zh_relative_day,
    ),
    (re.compile(r"上个?周末"), _rule_zh_weekend),
    (
        re.compile(r"(上|这|本)(?:个)?(?:周|星期|礼拜)([一二三四五六日天])?(?!末)"),
        _rule_zh_week,
    ),
    (re.compile(r"(?<![上这本个])(?:周|星期|礼拜)([一二三四五六日天])"), _rule_zh_bare_weekday),
    (re.compile(r"(上|这|本)个?月(?!份)"), _rule_zh_month_relative),
    (re.compile(rf"({_ZH_NUM})\s*(天|日|周|个星期|星期|个礼拜|礼拜|个月|年)前"), _rule_zh_ago),
    (re.compile(r"前几天|这几天|这些天|最近|近来"), _rule_zh_few_days),
    (re.compile(r"(去年|今年|前年)?(春|夏|秋|冬)(?:天|季)"), _rule_zh_season),
]
