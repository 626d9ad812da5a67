"""How people's dates, durations and cadences are written, in English and Chinese.

Texts are Markdown (the transport renders them as Telegram HTML); anything a user typed goes
through :func:`md` (one line) or :func:`md_block` (keeps line breaks) first.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from bot.people.model import ImportantDate, Person
from bot.people.relations import canonical_relation

__all__ = [
    "ago",
    "cadence_words",
    "contact_day",
    "date_words",
    "day_words",
    "in_days",
    "md",
    "md_block",
    "person_label",
    "zh_lunar_day",
    "zh_lunar_month",
]

_MD_SPECIAL = re.compile(r"([\\`*_\[\]()#+\-.!|~<>&{}=])")
_EN_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_EN_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_ZH_DAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
_ZH_DIGITS = "〇一二三四五六七八九"
_ZH_MONTHS = ("正", "二", "三", "四", "五", "六", "七", "八", "九", "十", "冬", "腊")


def md(text: str) -> str:
    """Escape user text for Markdown, on one line."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def md_block(text: str) -> str:
    """Escape user text for Markdown, keeping its line breaks (a drafted message)."""
    return "\n".join(_MD_SPECIAL.sub(r"\\\1", line.rstrip()) for line in text.strip().splitlines())


def person_label(person: Person, *, escape: bool = True) -> str:
    """``Anna (sister)`` / ``Anna（姐姐）``-neutral: the name with the relation in brackets."""
    name = md(person.name) if escape else person.name
    bold = f"**{name}**" if escape else name
    if person.relation and not _same(person.relation, person.name, person.relation_key):
        relation = md(person.relation) if escape else person.relation
        return f"{bold} ({relation})"
    return bold


def _same(relation: str, name: str, relation_key: str | None) -> bool:
    """Whether showing the relation would only repeat the name ("妈妈 (mother)")."""
    return relation.casefold() == name.casefold() or canonical_relation(name) == relation_key


def zh_lunar_month(month: int, leap: bool = False) -> str:
    return ("闰" if leap else "") + _ZH_MONTHS[month - 1] + "月"


def zh_lunar_day(day: int) -> str:
    if day <= 10:
        return "初" + ("十" if day == 10 else _ZH_DIGITS[day])
    if day < 20:
        return "十" + _ZH_DIGITS[day - 10]
    if day == 20:
        return "二十"
    if day < 30:
        return "廿" + _ZH_DIGITS[day - 20]
    return "三十"


def _zh_year(year: int) -> str:
    return f"{year}年"


def date_words(item: ImportantDate, lang: str) -> str:
    """The date as the user gave it: ``14 Mar 1990``, ``lunar 8/15``, ``农历八月十五``."""
    if item.is_lunar:
        if lang == "zh":
            year = _zh_year(item.year) if item.year else ""
            month = zh_lunar_month(item.month, item.is_leap_month)
            return f"{year}农历{month}{zh_lunar_day(item.day)}"
        leap = "leap " if item.is_leap_month else ""
        year = f" {item.year}" if item.year else ""
        return f"lunar {leap}{item.month}/{item.day}{year}"
    if lang == "zh":
        year = _zh_year(item.year) if item.year else ""
        return f"{year}{item.month}月{item.day}日"
    year = f" {item.year}" if item.year else ""
    return f"{item.day} {_EN_MONTHS[item.month - 1]}{year}"


def day_words(day: date, today: date, lang: str) -> str:
    """A calendar day with its weekday, and the year when it is not this year's."""
    with_year = day.year != today.year
    if lang == "zh":
        text = f"{day.month}月{day.day}日（{_ZH_DAYS[day.weekday()]}）"
        return f"{day.year}年{text}" if with_year else text
    text = f"{_EN_DAYS[day.weekday()]} {day.day} {_EN_MONTHS[day.month - 1]}"
    return f"{text} {day.year}" if with_year else text


def short_day(day: date, lang: str) -> str:
    """``14 Mar`` / ``3月14日``."""
    return f"{day.month}月{day.day}日" if lang == "zh" else f"{day.day} {_EN_MONTHS[day.month - 1]}"


def in_days(days: int, lang: str) -> str:
    """``today`` / ``tomorrow`` / ``in 3 days`` (and the Chinese)."""
    if lang == "zh":
        return {0: "今天", 1: "明天", 2: "后天"}.get(days, f"{days}天后")
    return {0: "today", 1: "tomorrow"}.get(days, f"in {days} days")


def ago(moment: datetime, now: datetime, lang: str, *, today: date | None = None) -> str:
    """How long ago, in words: ``today``, ``yesterday``, ``3 weeks ago``, ``4个月前``."""
    if today is not None:
        days = (today - moment.date()).days
    else:
        days = (now - moment) // timedelta(days=1)
    days = max(days, 0)
    if lang == "zh":
        if days == 0:
            return "今天"
        if days == 1:
            return "昨天"
        if days < 14:
            return f"{days}天前"
        if days < 60:
            return f"{days // 7}周前"
        if days < 365:
            return f"{days // 30}个月前"
        return f"{days // 365}年多前" if days % 365 > 30 else f"{days // 365}年前"
    if days == 0:
        return "today"
    if days == 1:
        return "yesterday"
    if days < 14:
        return f"{days} days ago"
    if days < 60:
        return f"{days // 7} weeks ago"
    if days < 365:
        return f"{days // 30} months ago"
    years = days // 365
    unit = "year" if years == 1 else "years"
    return f"over {years} {unit} ago" if days % 365 > 30 else f"{years} {unit} ago"


def contact_day(day: date, today: date, lang: str) -> str:
    """When a contact was, for its confirmation: ``today``; ``yesterday, Fri 27 Nov``;
    ``2 weeks ago, Sat 14 Nov``; ``昨天，11月27日周五``."""
    days = (today - day).days
    midnight = datetime.combine(day, datetime.min.time())
    words = ago(midnight, midnight, lang, today=today)
    if days <= 0:
        return words
    if lang == "zh":
        year = f"{day.year}年" if day.year != today.year else ""
        return f"{words}，{year}{day.month}月{day.day}日{_ZH_DAYS[day.weekday()]}"
    return f"{words}, {day_words(day, today, lang)}"


def cadence_words(days: int, lang: str) -> str:
    """``every 2 weeks`` / ``每2周``."""
    units = ((365, "year", "年"), (91, "quarter", "季度"), (30, "month", "个月"), (7, "week", "周"))
    for size, en, zh in units:
        if days % size == 0 or (size == 30 and days in (60, 90, 120, 180)):
            count = days // size
            if lang == "zh":
                unit = "月" if zh == "个月" and count == 1 else zh
                return f"每{unit}" if count == 1 else f"每{count}{zh}"
            return f"every {en}" if count == 1 else f"every {count} {en}s"
    if lang == "zh":
        return "每天" if days == 1 else f"每{days}天"
    return "every day" if days == 1 else f"every {days} days"
