"""When something happened, from people's words, in English and Chinese: "2 weeks ago",
"last Tuesday", "三天前", "上周二", "11/20". Deterministic, and never in the future: a day
that would be after today is not read (the caller logs today instead).

Read relative to the user's local ``today`` (:func:`find_past`):

* ``today``, ``this morning``, ``tonight``, ``今天``, ``今晚``, ``刚才`` -> today;
* ``yesterday``, ``last night``, ``昨天``, ``昨晚`` -> 1 day ago; ``the day before yesterday``,
  ``前天`` -> 2; ``大前天`` -> 3;
* ``3 days ago``, ``two weeks ago``, ``a couple of months back``, ``a year ago``,
  ``三天前``, ``两周以前``, ``一个多月前``, ``半个月前``, ``两年前`` (months and years are
  calendar months and years, the day kept or moved to the month's last day);
* ``last week`` / ``上周`` -> 7 days ago; ``last month`` / ``上个月``; ``last year`` / ``去年``;
* ``last Tuesday``, ``on Tuesday``, ``Tuesday``, ``this past Tuesday``, ``周二``, ``星期二``:
  the most recent Tuesday **before** today (said on a Tuesday: a week ago);
* ``上周二`` / ``上星期二``: Tuesday of the previous calendar week (Monday to Sunday), as it
  is meant in Chinese; ``上上周`` two weeks back;
* ``last weekend`` / ``上周末``: the Saturday of the weekend before the current week's;
  ``over the weekend`` / ``周末``: the most recent Saturday (today on a Saturday);
* dates: ``11/20``, ``20 Nov``, ``Nov 20``, ``11月20日``, ``2026-11-20``, ``the 20th``,
  ``20号``: without a year the latest such day up to today (so in January, ``12/20`` is last
  December); a date with a year after today is not read.
"""

from __future__ import annotations

import calendar as _calendar
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from bot.people.calendar import GREGORIAN
from bot.people.parsing import find_date, zh_number

__all__ = ["PastDay", "find_past", "without"]


@dataclass(frozen=True, slots=True)
class PastDay:
    """A day read from text, and where the words were (``start``/``end`` in the text)."""

    day: date
    start: int
    end: int


# -- arithmetic ----------------------------------------------------------------------------


def months_back(today: date, months: int) -> date:
    """The same day ``months`` calendar months earlier (the month's last day if shorter)."""
    index = today.year * 12 + today.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(today.day, _calendar.monthrange(year, month)[1]))


def _weekday_before(today: date, weekday: int) -> date:
    """The most recent ``weekday`` (0 = Monday) strictly before today."""
    return today - timedelta(days=(today.weekday() - weekday - 1) % 7 + 1)


def _week_start(today: date, weeks_back: int = 0) -> date:
    """The Monday of the calendar week ``weeks_back`` weeks before today's."""
    return today - timedelta(days=today.weekday() + 7 * weeks_back)


def _recent_saturday(today: date) -> date:
    """The Saturday of the most recent weekend (today's, when today is in one)."""
    return today - timedelta(days=(today.weekday() - 5) % 7)


def _last_weekend(today: date) -> date:
    """The Saturday of the weekend before the current week's (Monday to Sunday)."""
    return _week_start(today, 1) + timedelta(days=5)


def _day_of_month(today: date, day: int) -> date | None:
    """The latest ``day`` of a month up to today."""
    for back in range(0, 3):
        month = months_back(today.replace(day=1), back)
        if day <= _calendar.monthrange(month.year, month.month)[1]:
            found = month.replace(day=day)
            if found <= today:
                return found
    return None


def _latest(month: int, day: int, year: int | None, today: date) -> date | None:
    """A calendar date up to today: with a year as given (None when after today), without
    one the latest such day (Feb 29 on Feb 28 in other years)."""
    if year is not None:
        try:
            found = date(year, month, day)
        except ValueError:
            return None
        return found if found <= today else None
    for candidate in (today.year, today.year - 1):
        last = _calendar.monthrange(candidate, month)[1]
        found = date(candidate, month, min(day, last))
        if found <= today:
            return found
    return None  # pragma: no cover - last year's day is always before today


# -- words ---------------------------------------------------------------------------------

_EN_COUNTS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
    "a couple of": 2, "couple of": 2, "a couple": 2, "a few": 3, "few": 3, "several": 3,
}  # fmt: skip
_EN_WEEKDAYS = {
    "monday": 0, "mon": 0, "tuesday": 1, "tues": 1, "tue": 1, "wednesday": 2, "wed": 2,
    "thursday": 3, "thurs": 3, "thur": 3, "thu": 3, "friday": 4, "fri": 4, "saturday": 5,
    "sat": 5, "sunday": 6, "sun": 6,
}  # fmt: skip
_ZH_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "末": 7}
_PART_OF_DAY = r"(?:\s+(?:morning|afternoon|evening|night))?"
_ZH_PART_OF_DAY = r"(?:早上|早晨|上午|中午|下午|傍晚|晚上|夜里)?"
_FULL_DAYS = "monday|tuesday|wednesday|thursday|friday|saturday|sunday"
_SHORT_DAYS = "mon|tues|tue|wed|thurs|thur|thu|fri|sat|sun"
_EN_COUNT = (
    r"(?P<n>\d{1,4}|a\s+couple\s+of|a\s+couple|couple\s+of|a\s+few|few|several|an|a|one|two|"
    r"three|four|five|six|seven|eight|nine|ten|eleven|twelve)"
)
_ZH_COUNT = r"(?P<n>\d{1,4}|[一二两三四五六七八九十半几]+)"

_I = re.IGNORECASE
_Reader = Callable[[re.Match[str], date], date | None]


def _en_ago(match: re.Match[str], today: date) -> date | None:
    count = _EN_COUNTS.get(" ".join(match["n"].lower().split()))
    count = count if count is not None else int(match["n"])
    unit = match["unit"].lower()
    if unit == "month":
        return months_back(today, count)
    if unit == "year":
        return months_back(today, 12 * count)
    return today - timedelta(days=count * {"day": 1, "week": 7, "fortnight": 14}[unit])


def _zh_count(word: str) -> float | None:
    if word == "半":
        return 0.5
    if word == "几":
        return 3
    if word.endswith("半") and len(word) > 1:
        whole = zh_number(word[:-1])
        return None if whole is None else whole + 0.5
    return zh_number(word)


def _zh_ago(match: re.Match[str], today: date) -> date | None:
    count = _zh_count(match["n"])
    if count is None or count <= 0:
        return None
    unit = match["unit"] or match["unit2"]
    if unit in ("天", "日"):
        return today - timedelta(days=round(count))
    if unit == "月":
        return months_back(today, round(count)) if count >= 1 else today - timedelta(days=15)
    if unit == "年":
        return months_back(today, round(count * 12))
    return today - timedelta(days=round(count * 7))  # weeks


def _last_unit(match: re.Match[str], today: date) -> date | None:
    unit = match["unit"].lower()
    if unit in ("week", "周", "星期", "礼拜", "禮拜"):
        return today - timedelta(days=7 * (2 if match["twice"] else 1))
    if unit in ("month", "月"):
        return months_back(today, 2 if match["twice"] else 1)
    return months_back(today, 12)


def _zh_last_week_day(match: re.Match[str], today: date) -> date | None:
    weekday = _ZH_WEEKDAYS[match["wd"]]
    start = _week_start(today, len(match["up"]))
    return start + timedelta(days=5 if weekday == 7 else weekday)


def _zh_weekday(match: re.Match[str], today: date) -> date | None:
    weekday = _ZH_WEEKDAYS[match["wd"]]
    if weekday == 7:
        return _recent_saturday(today)
    if match["this"]:
        found = _week_start(today) + timedelta(days=weekday)
        return found if found < today else None
    return _weekday_before(today, weekday)


def _fixed(days: int) -> _Reader:
    return lambda match, today: today - timedelta(days=days)


def _month_day(match: re.Match[str], today: date) -> date | None:
    day = zh_number(match["d"]) if not match["d"].isdigit() else int(match["d"])
    return _day_of_month(today, day) if day and 1 <= day <= 31 else None


_PATTERNS: list[tuple[re.Pattern[str], _Reader]] = [
    # English
    (re.compile(r"\b(?:the\s+)?day\s+before\s+yesterday\b" + _PART_OF_DAY, _I), _fixed(2)),
    (re.compile(r"\b(?:yesterday" + _PART_OF_DAY + r"|last\s+night)\b", _I), _fixed(1)),
    (
        re.compile(
            r"\b(?:(?:earlier\s+|just\s+)?today|this\s+(?:morning|afternoon|evening)|tonight|"
            r"just\s+now)\b",
            _I,
        ),
        _fixed(0),
    ),
    (
        re.compile(
            rf"\b{_EN_COUNT}\s+(?P<unit>day|week|fortnight|month|year)s?\s+(?:ago|back)\b", _I
        ),
        _en_ago,
    ),
    (
        re.compile(r"\b(?:last|past)\s+(?P<twice>)(?P<unit>week|month|year)\b", _I),
        _last_unit,
    ),
    (
        re.compile(r"\b(?:(?:on\s+)?last|(?:on\s+)?this\s+past|the\s+past)\s+weekend\b", _I),
        lambda match, today: _last_weekend(today),
    ),
    (
        re.compile(r"\b(?:(?:over|on|at)\s+the|this)\s+weekend\b", _I),
        lambda match, today: _recent_saturday(today),
    ),
    (
        re.compile(
            rf"\b(?:(?:on\s+)?(?:last|this\s+past|past)\s+(?P<wd>{_FULL_DAYS}|{_SHORT_DAYS})"
            rf"|on\s+(?:this\s+)?(?P<wd2>{_FULL_DAYS}|{_SHORT_DAYS})"
            rf"|(?<!next )(?<!every )(?<!coming )(?:this\s+)?(?P<wd3>{_FULL_DAYS}))\b"
            + _PART_OF_DAY,
            _I,
        ),
        lambda match, today: _weekday_before(
            today, _EN_WEEKDAYS[(match["wd"] or match["wd2"] or match["wd3"]).lower()]
        ),
    ),
    (
        re.compile(r"\b(?:on\s+)?the\s+(?P<d>\d{1,2})(?:st|nd|rd|th)\b(?!\s+(?:of|day))", _I),
        _month_day,
    ),
    # Chinese
    (re.compile(r"大前天" + _ZH_PART_OF_DAY), _fixed(3)),
    (re.compile(r"前(?:天|日|晚)" + _ZH_PART_OF_DAY), _fixed(2)),
    (re.compile(r"昨(?:天|日|晚|夜|儿|兒)" + _ZH_PART_OF_DAY), _fixed(1)),
    (re.compile(r"今(?:天|日|早|晚|儿|兒)" + _ZH_PART_OF_DAY + r"|刚才|剛才|刚刚|剛剛"), _fixed(0)),
    (
        re.compile(
            rf"{_ZH_COUNT}\s*多?\s*(?:(?P<unit>天|日|年|周|星期|礼拜|禮拜)|"
            rf"(?:个|個)\s*多?\s*(?P<unit2>月|星期|礼拜|禮拜))\s*多?\s*(?:以前|之前|前)"
        ),
        _zh_ago,
    ),
    (
        re.compile(
            r"(?P<up>上{1,2})\s*(?:个|個)?\s*(?:周|星期|礼拜|禮拜)\s*(?P<wd>[一二三四五六日天末])"
        ),
        _zh_last_week_day,
    ),
    (re.compile(r"上\s*(?:个|個)?\s*周末"), lambda match, today: _last_weekend(today)),
    (
        re.compile(r"(?P<twice>上)?上\s*(?:个|個)?\s*(?P<unit>周|星期|礼拜|禮拜|月)"),
        _last_unit,
    ),
    (re.compile(r"去年"), lambda match, today: months_back(today, 12)),
    (
        re.compile(
            r"(?<![下每个個])(?P<this>这|這|本)?\s*(?:个|個)?\s*(?:周|星期|礼拜|禮拜)\s*"
            r"(?P<wd>[一二三四五六日天末])" + _ZH_PART_OF_DAY
        ),
        _zh_weekday,
    ),
    (
        re.compile(
            r"(?<![月\d〇零一二两三四五六七八九十廿卅])"
            r"(?P<d>\d{1,2}|[一二三四五六七八九十廿卅]{1,3})\s*(?:号|號)"
        ),
        _month_day,
    ),
]


def _date_words(text: str, today: date) -> PastDay | None:
    """A calendar date in the text (``11/20``, ``11月20日``...), the latest up to today."""
    found = find_date(text)
    if found is None or found.calendar != GREGORIAN:
        return None
    day = _latest(found.month, found.day, found.year, today)
    if day is None:
        return None
    start = found.start
    head = text[:start]
    if re.search(r"\bon\s+(?:the\s+)?$", head, _I):
        start = re.search(r"\bon\s+(?:the\s+)?$", head, _I).start()  # type: ignore[union-attr]
    return PastDay(day, start, found.end)


def find_past(text: str, today: date) -> PastDay | None:
    """The first past day the text speaks of (see the module docstring), or None."""
    found: list[PastDay] = []
    for pattern, read in _PATTERNS:
        for match in pattern.finditer(text):
            try:
                day = read(match, today)
            except (ValueError, OverflowError):
                day = None
            if day is not None and day <= today:
                found.append(PastDay(day, match.start(), match.end()))
                break
    if dated := _date_words(text, today):
        found.append(dated)
    if not found:
        return None
    return min(found, key=lambda item: (item.start, -(item.end - item.start)))


def _cjk(char: str) -> bool:
    return "\u3000" <= char <= "\u9fff" or "\uff00" <= char <= "\uffef"


def without(text: str, start: int, end: int) -> str:
    """The text without ``text[start:end]``, tidied ("dinner 2 weeks ago" -> "dinner",
    "我们三天前一起吃饭" -> "我们一起吃饭")."""
    left, right = text[:start].rstrip(), text[end:].lstrip()
    if left and right and not (_cjk(left[-1]) or _cjk(right[0])):
        joined = f"{left} {right}"
    else:
        joined = left + right
    joined = " ".join(joined.split())
    joined = re.sub(r"\s+([,，、.。!！?？;；])", r"\1", joined)
    return joined.strip(" ,，、;；:：-—")
