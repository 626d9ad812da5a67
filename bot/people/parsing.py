"""Reading dates and cadences from people's words, in English and Chinese. Deterministic: the
language model only copies the user's words into a tool call, this module reads them.

Dates (:func:`find_date`):

* numeric: ``03-14``, ``3/14`` (month first; ``14/03`` when the first number cannot be a
  month), ``1990-03-14``, ``14.03.1990``, ``14.03.``;
* English: ``14 March``, ``March 14th``, ``14th of March 1990``, ``Mar 14, 1990``;
* Chinese: ``3月14日``, ``三月十四号``, ``1990年3月14日``;
* lunar: ``农历八月十五``, ``阴历正月初一``, ``农历闰四月初八``, ``腊月二十三`` (正月/冬月/腊月
  and 初X/廿X days say "lunar" by themselves), ``1960年农历八月十五``, ``lunar 8/15``,
  ``15th day of the 8th lunar month``; a leap month as ``lunar leap 4/8``, ``lunar 闰4/8``,
  ``lunar 4/8 leap``, ``lunar 4/8 (leap month)``, ``闰4/8``, ``农历闰4/8`` or ``农历闰四月初八``.

Cadences (:func:`parse_cadence`): ``every 2 weeks``, ``weekly``, ``every other month``,
``twice a month``, ``每周``, ``每两周``, ``每月``, ``每三个月``, ``两周一次``, ``off``/``取消``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.people.calendar import GREGORIAN, LUNAR, valid_date

__all__ = [
    "CADENCE_OFF",
    "DateWords",
    "find_cadence",
    "find_date",
    "parse_cadence",
    "zh_number",
]

#: What :func:`parse_cadence` returns for "stop keeping in touch".
CADENCE_OFF = 0

_EN_MONTHS = {
    "january": 1,
    "february": 2,
    "march": 3,
    "april": 4,
    "may": 5,
    "june": 6,
    "july": 7,
    "august": 8,
    "september": 9,
    "october": 10,
    "november": 11,
    "december": 12,
}
_EN_MONTH_KEYS = {name[:3]: number for name, number in _EN_MONTHS.items()} | {"sept": 9}
_MONTH_WORD = (
    r"(?P<mname>january|february|march|april|may|june|july|august|september|october|"
    r"november|december|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)\.?"
)
_ORD = r"(?:st|nd|rd|th)?"
_ZH_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5}
_ZH_DIGITS |= {"六": 6, "七": 7, "八": 8, "九": 9}
_ZH_NUM = r"[〇零一二两三四五六七八九十百廿卅]+"
_LUNAR_MONTH_NAMES = {"正": 1, "冬": 11, "腊": 12}


@dataclass(frozen=True, slots=True)
class DateWords:
    """A date read from text, and where it was (``start``/``end`` in the text)."""

    month: int
    day: int
    year: int | None = None
    calendar: str = GREGORIAN
    is_leap_month: bool = False
    start: int = 0
    end: int = 0

    @property
    def is_lunar(self) -> bool:
        return self.calendar == LUNAR


def zh_number(text: str) -> int | None:
    """``十五`` -> 15, ``二十三`` -> 23, ``廿一`` -> 21, ``初八`` -> 8, ``1990`` / ``一九九〇``
    -> 1990, digits too; None when it is not a number."""
    text = text.strip()
    if not text:
        return None
    if text.isdigit():
        return int(text)
    if text.startswith("初"):
        rest = zh_number(text[1:])
        return rest if rest is not None and rest <= 10 else None
    if text == "卅":
        return 30
    if text.startswith("廿"):
        rest = zh_number(text[1:]) if len(text) > 1 else 0
        return None if rest is None or rest > 9 else 20 + rest
    if len(text) == 4 and all(char in _ZH_DIGITS for char in text):
        return int("".join(str(_ZH_DIGITS[char]) for char in text))
    if "十" in text:
        tens, _, ones = text.partition("十")
        high = _ZH_DIGITS.get(tens, -1) if tens else 1
        low = _ZH_DIGITS.get(ones, -1) if ones else 0
        if high < 0 or low < 0 or len(tens) > 1 or len(ones) > 1:
            return None
        return high * 10 + low
    if len(text) == 1 and text in _ZH_DIGITS:
        return _ZH_DIGITS[text]
    return None


def _year(text: str | None) -> int | None:
    return zh_number(text) if text else None


# -- lunar ---------------------------------------------------------------------------------

_ZH_LUNAR = re.compile(
    rf"(?:(?P<y1>\d{{4}}|[〇零一二三四五六七八九]{{4}})\s*年\s*)?"
    rf"(?P<mark>农历|阴历|旧历|陰曆|農曆)?\s*"
    rf"(?:(?P<y2>\d{{4}}|[〇零一二三四五六七八九]{{4}})\s*年\s*)?"
    rf"(?P<leap>闰|閏)?\s*(?P<month>正|冬|腊|臘|\d{{1,2}}|{_ZH_NUM})\s*月\s*(?:的)?\s*"
    rf"(?P<day>初\s*{_ZH_NUM}|初\d{{1,2}}|\d{{1,2}}|{_ZH_NUM})\s*(?:日|号|號)?"
)
_LEAP_WORD = r"(?:leap(?:\s+month)?|闰月?|閏月?)"
_EN_LUNAR = re.compile(
    r"(?:\blunar\s+(?:calendar\s+)?(?:(?P<year>\d{4})\s*[-/.]\s*)?"
    rf"(?:(?P<leap>{_LEAP_WORD})\s*)?|(?:农历|阴历|旧历|農曆|陰曆)\s*(?:(?P<leap4>闰|閏)\s*)?"
    r"|(?<![\w/.-])(?P<leap1>闰|閏)\s*)"
    r"(?P<month>\d{1,2})\s*[-/.]\s*(?P<day>\d{1,2})(?![\d/.-])"
    rf"(?P<leap3>\s*\(?\s*{_LEAP_WORD}\b\s*\)?)?(?:\s*,?\s*(?P<year3>\d{{4}})\b)?"
    r"|\b(?P<day2>\d{1,2})" + _ORD + r"\s+(?:day\s+)?of\s+(?:the\s+)?(?P<leap2>leap\s+)?"
    r"(?P<month2>\d{1,2})" + _ORD + r"\s+(?:chinese\s+)?lunar\s+month"
    r"(?:\s*,?\s*(?P<year2>\d{4}))?",
    re.IGNORECASE,
)


_LUNAR_MARK = re.compile(r"\blunar\b|农历|阴历|旧历|農曆|陰曆|闰|閏", re.IGNORECASE)


def _zh_lunar(text: str) -> DateWords | None:
    for match in _ZH_LUNAR.finditer(text):
        month_word = match["month"].replace("臘", "腊")
        day_word = match["day"].replace(" ", "")
        month = _LUNAR_MONTH_NAMES.get(month_word) or zh_number(month_word)
        day = zh_number(day_word)
        lunar = bool(
            match["mark"]
            or match["leap"]
            or month_word in _LUNAR_MONTH_NAMES
            or day_word.startswith(("初", "廿", "卅"))
        )
        if not lunar or month is None or day is None:
            continue
        year = _year(match["y1"] or match["y2"])
        if not valid_date(LUNAR, month, day, year):
            continue
        return DateWords(month, day, year, LUNAR, bool(match["leap"]), match.start(), match.end())
    return None


def _en_lunar(text: str) -> DateWords | None:
    for match in _EN_LUNAR.finditer(text):
        if match["month"]:
            month, day = int(match["month"]), int(match["day"])
            year = match["year"] or match["year3"]
            leap = any(match[group] for group in ("leap", "leap1", "leap3", "leap4"))
        else:
            month, day = int(match["month2"]), int(match["day2"])
            year, leap = match["year2"], bool(match["leap2"])
        number = int(year) if year else None
        if valid_date(LUNAR, month, day, number):
            return DateWords(month, day, number, LUNAR, leap, match.start(), match.end())
    return None


# -- gregorian -----------------------------------------------------------------------------

_ISO = re.compile(
    r"(?<!\d)(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})(?!\d)"
)
_DOTTED = re.compile(r"(?<![\d.])(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?P<y>\d{4})?(?![\d])")
_SLASHED = re.compile(
    r"(?<![\d/.-])(?P<a>\d{1,2})[-/](?P<b>\d{1,2})(?:[-/](?P<y>\d{4}))?(?![\d/-])"
)
_ZH_DATE = re.compile(
    rf"(?:(?P<y>\d{{4}}|[〇零一二三四五六七八九]{{4}})\s*年\s*)?"
    rf"(?P<m>\d{{1,2}}|{_ZH_NUM})\s*月\s*(?P<d>\d{{1,2}}|{_ZH_NUM})\s*(?:日|号|號)?"
)
_EN_MONTH_DAY = re.compile(
    rf"\b{_MONTH_WORD}\s+(?P<d>\d{{1,2}}){_ORD}\b(?:,?\s+(?P<y>\d{{4}})\b)?", re.IGNORECASE
)
_EN_DAY_MONTH = re.compile(
    rf"\b(?P<d>\d{{1,2}}){_ORD}\s+(?:of\s+)?{_MONTH_WORD}(?:,?\s+(?P<y>\d{{4}})\b)?",
    re.IGNORECASE,
)


def _gregorian(month: int, day: int, year: int | None, match: re.Match[str]) -> DateWords | None:
    if not valid_date(GREGORIAN, month, day, year):
        return None
    return DateWords(month, day, year, GREGORIAN, False, match.start(), match.end())


def _numeric(text: str) -> DateWords | None:
    for match in _ISO.finditer(text):
        found = _gregorian(int(match["m"]), int(match["d"]), int(match["y"]), match)
        if found:
            return found
    for match in _DOTTED.finditer(text):
        year = int(match["y"]) if match["y"] else None
        found = _gregorian(int(match["m"]), int(match["d"]), year, match)
        if found:
            return found
    for match in _SLASHED.finditer(text):
        first, second = int(match["a"]), int(match["b"])
        year = int(match["y"]) if match["y"] else None
        month, day = (second, first) if first > 12 else (first, second)
        found = _gregorian(month, day, year, match)
        if found:
            return found
    return None


def _words(text: str) -> DateWords | None:
    for pattern in (_EN_MONTH_DAY, _EN_DAY_MONTH):
        for match in pattern.finditer(text):
            month = _EN_MONTH_KEYS[match["mname"].lower()[:4].rstrip(".")[:3]]
            found = _gregorian(month, int(match["d"]), _year(match["y"]), match)
            if found:
                return found
    for match in _ZH_DATE.finditer(text):
        zh_month, zh_day = zh_number(match["m"]), zh_number(match["d"])
        if zh_month is not None and zh_day is not None:
            found = _gregorian(zh_month, zh_day, _year(match["y"]), match)
            if found:
                return found
    return None


def find_date(text: str) -> DateWords | None:
    """The first date in ``text`` (lunar forms first, since they contain Gregorian-looking
    parts), or None. Words that say "lunar" are never read as a Gregorian date."""
    lunar = _zh_lunar(text) or _en_lunar(text)
    if lunar is not None or _LUNAR_MARK.search(text):
        return lunar
    return _numeric(text) or _words(text)


# -- cadence -------------------------------------------------------------------------------

_EN_NUMBERS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "other": 2,
    "couple of": 2,
    "few": 3,
}
_UNITS = {
    "day": 1,
    "week": 7,
    "fortnight": 14,
    "month": 30,
    "quarter": 91,
    "year": 365,
    "天": 1,
    "日": 1,
    "周": 7,
    "星期": 7,
    "礼拜": 7,
    "禮拜": 7,
    "月": 30,
    "季度": 91,
    "季": 91,
    "年": 365,
}
_ADVERBS = {
    "daily": 1,
    "weekly": 7,
    "biweekly": 14,
    "fortnightly": 14,
    "monthly": 30,
    "bimonthly": 60,
    "quarterly": 91,
    "yearly": 365,
    "annually": 365,
}
_EN_COUNT = (
    r"(?P<n>\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
    r"other|couple of|few)"
)
_EN_UNIT = r"(?P<unit>day|week|fortnight|month|quarter|year)s?"
_EN_EVERY = re.compile(rf"\bevery\s+(?:{_EN_COUNT}\s+)?{_EN_UNIT}\b", re.IGNORECASE)
_EN_TIMES = re.compile(
    r"\b(?P<times>once|twice|(?P<k>\d+|two|three|four)\s+times)\s+(?:a|an|per|every)\s+"
    + _EN_UNIT.replace("s?", ""),
    re.IGNORECASE,
)
_EN_ADVERB = re.compile(r"\b(" + "|".join(_ADVERBS) + r")\b", re.IGNORECASE)
_ZH_UNIT = r"(?P<unit>天|日|周|星期|礼拜|禮拜|月|季度|季|年)"
_ZH_COUNT = r"(?P<n>\d+|[一二两三四五六七八九十半]+)"
_ZH_EVERY = re.compile(rf"每\s*(?:隔\s*)?(?:{_ZH_COUNT}\s*)?个?\s*{_ZH_UNIT}")
_ZH_ONCE = re.compile(rf"{_ZH_COUNT}\s*个?\s*{_ZH_UNIT}\s*(?:联系|聊|见|打)?\s*一次")
_OFF_WORD = re.compile(
    r"(?:^|(?<=\s)|(?<=[\u4e00-\u9fff]))(?:off|stop|never|none|取消|不用了?|关闭|停止|不需要)"
    r"\s*[.!。！]?\s*$",
    re.IGNORECASE,
)


def _count(word: str | None) -> float | None:
    if not word:
        return 1
    word = word.lower().strip()
    if word.isdigit():
        return int(word)
    if word == "半":
        return 0.5
    return _EN_NUMBERS.get(word) or zh_number(word)


def find_cadence(text: str) -> tuple[int, int, int] | None:
    """Days between contacts and where the words were (``days, start, end``); days is
    :data:`CADENCE_OFF` for "off"; None when the text says no cadence."""
    if match := _OFF_WORD.search(text):
        return CADENCE_OFF, match.start(), match.end()
    if match := _EN_TIMES.search(text):
        times = {"once": 1, "twice": 2}.get(match["times"].lower()) or _count(match["k"]) or 1
        return max(1, round(_UNITS[match["unit"].lower()] / times)), match.start(), match.end()
    for pattern in (_EN_EVERY, _ZH_EVERY, _ZH_ONCE):
        if match := pattern.search(text):
            count = _count(match["n"])
            if count:
                days = max(1, round(count * _UNITS[match["unit"].lower()]))
                return days, match.start(), match.end()
    if match := _EN_ADVERB.search(text):
        return _ADVERBS[match[1].lower()], match.start(), match.end()
    return None


def parse_cadence(text: str) -> int | None:
    """Days between contacts from words (see the module docstring); :data:`CADENCE_OFF` for
    "off", None when the words say no cadence."""
    found = find_cadence(text)
    return found[0] if found else None
