"""Word lists of the time grammar: weekdays, months and parts of day, English and Chinese.

Parts of day are mapped to canonical period names used by the resolver:
``early`` (凌晨), ``morning``, ``noon``, ``afternoon``, ``dusk`` (傍晚), ``evening``,
``night`` (tonight/晚上) and ``late`` (半夜/深夜).
"""

from __future__ import annotations

__all__ = [
    "EN_HOLIDAYS",
    "EN_MONTH",
    "EN_PERIOD_NAMES",
    "EN_WEEKDAY",
    "EN_WEEKDAY_FULL",
    "EN_ZONE_ABBREVIATIONS",
    "EN_ZONE_WORD",
    "PERIOD_DEFAULTS",
    "ZH_HOLIDAYS",
    "ZH_PERIOD",
    "ZH_PERIODS",
    "ZH_WEEKDAY_CHAR",
    "ZH_WEEK_WORD",
    "ZH_ZONE_NAMES",
    "en_month",
    "en_weekday",
    "is_weekday_abbreviation",
    "zh_weekday",
]

EN_WEEKDAY_FULL = r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
EN_WEEKDAY = (
    r"(?:mon(?:day)?|tue(?:s(?:day)?)?|wed(?:nesday|s)?|thu(?:r(?:s(?:day)?)?)?"
    r"|fri(?:day)?|sat(?:urday)?|sun(?:day)?)"
)
_EN_WEEKDAY_PREFIX = {"mo": 0, "tu": 1, "we": 2, "th": 3, "fr": 4, "sa": 5, "su": 6}

_EN_MONTH_NAMES = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]
EN_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)

ZH_WEEK_WORD = r"(?:周|週|星期|礼拜|禮拜)"
ZH_WEEKDAY_CHAR = r"[一二三四五六日天1-7]"
_ZH_WEEKDAY_VALUES = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}

ZH_PERIODS = {
    "凌晨": "early",
    "清晨": "morning",
    "早晨": "morning",
    "早上": "morning",
    "上午": "morning",
    "早": "morning",
    "中午": "noon",
    "正午": "noon",
    "午后": "afternoon",
    "下午": "afternoon",
    "下昼": "afternoon",
    "晏昼": "afternoon",
    "朝早": "morning",
    "傍晚": "dusk",
    "黄昏": "dusk",
    "晚上": "night",
    "晚间": "night",
    "夜晚": "night",
    "夜里": "night",
    "夜间": "night",
    "晚": "night",
    "半夜": "late",
    "深夜": "late",
    "午夜": "late",
}
ZH_PERIOD = "(?:" + "|".join(sorted(ZH_PERIODS, key=len, reverse=True)) + ")"

EN_PERIOD_NAMES = {
    "morning": "morning",
    "afternoon": "afternoon",
    "evening": "evening",
    "night": "night",
    "tonight": "night",
}

#: Fixed-date holidays (month, day).  Lunar ones (春节, 中秋) are left to the people service.
EN_HOLIDAYS = {
    r"christmas\s+eve": (12, 24),
    r"christmas(?:\s+day)?|xmas": (12, 25),
    r"new\s+year'?s\s+eve": (12, 31),
    r"new\s+year'?s(?:\s+day)?": (1, 1),
    r"valentine'?s(?:\s+day)?": (2, 14),
    r"halloween": (10, 31),
    r"boxing\s+day": (12, 26),
    r"independence\s+day": (7, 4),
    r"(?:st\.?|saint)\s+patrick'?s(?:\s+day)?": (3, 17),
    r"april\s+fools'?(?:\s+day)?": (4, 1),
}
ZH_HOLIDAYS = {
    "元旦": (1, 1),
    "情人节": (2, 14),
    "妇女节": (3, 8),
    "愚人节": (4, 1),
    "劳动节": (5, 1),
    "五一": (5, 1),
    "儿童节": (6, 1),
    "六一": (6, 1),
    "教师节": (9, 10),
    "国庆节": (10, 1),
    "国庆": (10, 1),
    "双十一": (11, 11),
    "光棍节": (11, 11),
    "平安夜": (12, 24),
    "圣诞节": (12, 25),
    "圣诞": (12, 25),
}

#: Time used when only a part of day is given ("tonight", "明天下午").
PERIOD_DEFAULTS = {
    "early": (6, 0),
    "morning": (9, 0),
    "noon": (12, 0),
    "afternoon": (15, 0),
    "dusk": (18, 0),
    "evening": (19, 0),
    "night": (20, 0),
    "late": (23, 0),
}


def en_weekday(word: str) -> int:
    """0-6 for an English weekday name or abbreviation (plural allowed)."""
    return _EN_WEEKDAY_PREFIX[word.strip().lower()[:2]]


def is_weekday_abbreviation(word: str) -> bool:
    """True for the short forms that are also everyday words ("sat", "sun")."""
    return word.strip().lower() in ("sat", "sun")


def en_month(word: str) -> int:
    """1-12 for an English month name or abbreviation."""
    word = word.strip().lower().rstrip(".")
    for i, name in enumerate(_EN_MONTH_NAMES):
        if name.startswith(word[:3]):
            return i + 1
    raise ValueError(word)


def zh_weekday(char: str) -> int:
    """0-6 for 一…六/日/天 or a digit 1-7."""
    if char.isdigit():
        return (int(char) - 1) % 7
    return _ZH_WEEKDAY_VALUES[char]


#: Zone abbreviations said after a time ("5pm EST").  A standard or summer abbreviation is
#: that fixed offset (hours), as written: "EST" in July is still UTC-5.  The season-free
#: forms ("ET", "PT") are the zone, with its daylight saving.  CST (China or US Central) and
#: IST (India, Ireland or Israel) are read as China and India, the common meaning for our
#: users, and confirmed in the user's own time like every other zone.
EN_ZONE_ABBREVIATIONS: dict[str, float | str] = {
    "utc": 0,
    "gmt": 0,
    "z": 0,
    "wet": 0,
    "west": 1,
    "bst": 1,
    "cet": 1,
    "cest": 2,
    "eet": 2,
    "eest": 3,
    "msk": 3,
    "ist": 5.5,
    "sgt": 8,
    "hkt": 8,
    "cst": 8,
    "awst": 8,
    "jst": 9,
    "kst": 9,
    "acst": 9.5,
    "aest": 10,
    "aedt": 11,
    "nzst": 12,
    "nzdt": 13,
    "hst": -10,
    "akst": -9,
    "akdt": -8,
    "pst": -8,
    "pdt": -7,
    "mst": -7,
    "mdt": -6,
    "cdt": -5,
    "est": -5,
    "edt": -4,
    "ast": -4,
    "et": "America/New_York",
    "ct": "America/Chicago",
    "mt": "America/Denver",
    "pt": "America/Los_Angeles",
    "eastern": "America/New_York",
    "central": "America/Chicago",
    "mountain": "America/Denver",
    "pacific": "America/Los_Angeles",
}
EN_ZONE_WORD = (
    "(?:"
    + "|".join(sorted((k for k in EN_ZONE_ABBREVIATIONS if len(k) > 1), key=len, reverse=True))
    + ")"
)
#: Chinese zone names that are not a city: "美东时间", "北京时间" is a city.
ZH_ZONE_NAMES = {
    "美东": "America/New_York",
    "美中": "America/Chicago",
    "美西": "America/Los_Angeles",
    "格林尼治": "UTC",
    "格林威治": "UTC",
    "协调世界": "UTC",
    "世界标准": "UTC",
}
