"""English productions of the time grammar.

Productions are grouped by stage (recurrence, full dates, durations, relative days,
weekdays, dates, times, parts of day, specials); ``bot.timeparse.parser`` interleaves the
English and Chinese stages.  Latin word boundaries are written as look-arounds on
``[A-Za-z0-9]`` rather than ``\\b`` so that "明天3pm" or "18:30去" still tokenize.
"""

from __future__ import annotations

import re

from bot.timeparse.lexicon import (
    EN_HOLIDAYS,
    EN_MONTH,
    EN_PERIOD_NAMES,
    EN_WEEKDAY,
    EN_WEEKDAY_FULL,
    EN_ZONE_ABBREVIATIONS,
    EN_ZONE_WORD,
    en_month,
    en_weekday,
    is_weekday_abbreviation,
)
from bot.timeparse.model import ClockTime
from bot.timeparse.numbers import EN_NUM, EN_ORDINAL, en_value, ordinal_value
from bot.timeparse.scanner import Handler, Rule, Scan
from bot.timeparse.slots import (
    add_time,
    apply_duration,
    set_date,
    set_recurrence,
    set_slot,
    shifted_day,
    valid_day,
)

__all__ = ["STAGES"]

L = r"(?<![A-Za-z0-9])"
R = r"(?![A-Za-z0-9])"
_F = re.IGNORECASE

_WD_SEP = r"\s*(?:,|and|&|/|or|\+)\s*(?:and\s+)?"
_WD_RANGE = r"\s*(?:-|–|to|through|thru|till|until)\s*"
_WD_LIST = rf"{EN_WEEKDAY}s?(?:{_WD_SEP}{EN_WEEKDAY}s?)*"
_WD_SPEC = rf"(?:{EN_WEEKDAY}{_WD_RANGE}{EN_WEEKDAY}|{_WD_LIST})"
_HOUR_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7}
_HOUR_WORDS.update({"eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12})
_HOUR_WORD = "(?:" + "|".join(sorted(_HOUR_WORDS, key=len, reverse=True)) + ")"
_MINUTE_WORDS = {
    "o'clock": 0,
    "oh five": 5,
    "ten": 10,
    "fifteen": 15,
    "twenty": 20,
    "twenty-five": 25,
    "twenty five": 25,
    "thirty": 30,
    "thirty-five": 35,
    "thirty five": 35,
    "forty": 40,
    "forty-five": 45,
    "forty five": 45,
    "fifty": 50,
    "fifty-five": 55,
    "fifty five": 55,
}
_MINUTE_WORD = "(?:" + "|".join(sorted(_MINUTE_WORDS, key=len, reverse=True)) + ")"
_AMPM = r"(?:a\.m\.?|p\.m\.?|am|pm)"
#: am/pm, also as one letter glued to the digits ("6p", "7:45a")
_AMPM_GLUED = rf"(?:\s*{_AMPM}|(?<=\d)[ap])"
_ISH = r"(?:\s*-?\s*ish(?![A-Za-z]))?"  # "5ish", "4pm-ish": about then, which is then
_ON = rf"(?:{L}(?:on|by|until|till|through|thru|up\s+to|before|for|from|starting(?:\s+on)?)\s+)?"
_AT = rf"(?:{L}(?:at|by|around|about|before|until|till|from|starting\s+at)\s+|@\s*)?"


def _rule(name: str, pattern: str, handler: Handler) -> Rule:
    return Rule(name, re.compile(pattern, _F), handler)


def _weekdays_in(text: str) -> list[int]:
    """All weekdays named in a list or range ("Mon-Fri", "Mondays and Thursdays")."""
    names = re.findall(EN_WEEKDAY, text, _F)
    days = [en_weekday(n) for n in names]
    if len(days) == 2 and re.search(_WD_RANGE, text, _F) and not re.search(_WD_SEP, text, _F):
        first, last = days
        span = (last - first) % 7
        days = [(first + i) % 7 for i in range(span + 1)]
    return days


def _ampm(token: str | None) -> str | None:
    if not token or not token.strip():
        return None
    return "am" if token.strip().lower().startswith("a") else "pm"


def _clock(hour: int, minute: int, ampm: str | None, raw_hour: str = "") -> ClockTime | None:
    if ampm and not 1 <= hour <= 12:
        return None
    meridiem = ampm
    if meridiem is None and (hour == 0 or hour >= 13 or raw_hour.startswith("0")):
        meridiem = "24h"
    return ClockTime(hour, minute, meridiem)


# --- recurrence -------------------------------------------------------------------------

_NTH = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4}
_NTH.update({"4th": 4, "fifth": 5, "5th": 5, "last": -1})
_NTH_WORD = r"(?:first|1st|second|2nd|third|3rd|fourth|4th|fifth|5th|last)"
_NTH_LIST = rf"{_NTH_WORD}(?:\s*(?:,|and|&)\s*(?:the\s+)?{_NTH_WORD})*"


def _nth_weekday(m: re.Match[str], scan: Scan) -> bool:
    """ "the first Monday of the month", "every 2nd and 4th Tuesday", "first Monday in
    January" (one-off or, with every/each, a monthly or yearly rule)."""
    frame = scan.frame
    which = (m["which"] or "").lower()
    every = bool(m["every"]) or which in ("every", "each")
    if not (every or which or m["mon"] or m["the"]):
        return False  # "last Friday" is a past weekday, not the month's last one
    weekday = en_weekday(m["wd"])
    found = [(_NTH[o.lower()], weekday) for o in re.findall(_NTH_WORD, m["ords"], _F)]
    nths = list(dict.fromkeys(found))
    if not set_slot(frame, nth_weekday=nths[0]):
        return False
    frame.more_nth = nths[1:]
    if which == "next" and not set_slot(frame, month_shift=1):
        return False
    if m["mon"]:
        year = int(m["y"]) if m["y"] else None
        if not set_slot(frame, month=en_month(m["mon"]), year=year):
            return False
        return set_recurrence(frame, "YEARLY") if every else True
    return set_recurrence(frame, "MONTHLY") if every else True


def _monthdays(m: re.Match[str], scan: Scan) -> bool:
    """Several days of the month: "on the 1st and 15th", "every 1st and 15th"."""
    days = [ordinal_value(d) for d in re.findall(EN_ORDINAL, m["days"], _F)]
    values = list(dict.fromkeys(d for d in days if d is not None))
    if len(values) < 2 or any(not 1 <= d <= 28 for d in values):
        return False
    if not set_date(scan.frame, None, None, values[0]):
        return False
    scan.frame.more_days = values[1:]
    if m["every"] or (m["which"] or "").lower() in ("every", "each"):
        return set_recurrence(scan.frame, "MONTHLY")
    return True


def _monthday_every(m: re.Match[str], scan: Scan) -> bool:
    text = (m["ord"] or m["ord2"]).lower()
    day = -1 if text.startswith("last") else ordinal_value(text)
    if day is None or not set_date(scan.frame, None, None, day):
        return False
    return set_recurrence(scan.frame, "MONTHLY")


_EVERY_UNITS = {
    "day": ("DAILY", None),
    "night": ("DAILY", "night"),
    "morning": ("DAILY", "morning"),
    "afternoon": ("DAILY", "afternoon"),
    "evening": ("DAILY", "evening"),
    "week": ("WEEKLY", None),
    "month": ("MONTHLY", None),
    "year": ("YEARLY", None),
    "hour": ("HOURLY", None),
    "hr": ("HOURLY", None),
    "minute": ("MINUTELY", None),
    "min": ("MINUTELY", None),
    "quarter": ("MONTHLY", None),
}


def _every_interval(m: re.Match[str]) -> float | None:
    if m["other"]:
        return 2
    if m["ord"]:
        return ordinal_value(m["ord"])
    if m["num"]:
        return en_value(m["num"])
    return 1


def _every(m: re.Match[str], scan: Scan) -> bool:
    interval = _every_interval(m)
    unit = re.sub(r"\s+", "", m["unit"].lower())
    if interval is None or interval <= 0:
        return False
    if re.fullmatch(_WD_SPEC, m["unit"], _F):
        return _whole(interval) and set_recurrence(
            scan.frame, "WEEKLY", int(interval), _weekdays_in(m["unit"])
        )
    if unit.startswith(("weekday", "workday", "businessday")):
        return _whole(interval) and set_recurrence(
            scan.frame, "WEEKLY", int(interval), [0, 1, 2, 3, 4]
        )
    if unit.startswith("weekend"):
        return _whole(interval) and set_recurrence(scan.frame, "WEEKLY", int(interval), [5, 6])
    if unit.startswith("fortnight"):
        return _whole(interval) and set_recurrence(scan.frame, "WEEKLY", int(interval) * 2)
    freq, period = _EVERY_UNITS[unit.rstrip("s") if unit != "hrs" else "hr"]
    if not _whole(interval):
        return _fractional_every(scan, freq, interval)
    months = 3 if unit.startswith("quarter") else 1
    return set_recurrence(scan.frame, freq, int(interval) * months, period=period)


def _whole(value: float) -> bool:
    return float(value).is_integer()


def _fractional_every(scan: Scan, freq: str, interval: float) -> bool:
    """Fractional hours become minutes: "every 1.5 hours" -> every 90 minutes."""
    if freq != "HOURLY":
        return False
    return set_recurrence(scan.frame, "MINUTELY", round(interval * 60))


_ADVERBS = {
    "daily": ("DAILY", 1, None),
    "everyday": ("DAILY", 1, None),
    "nightly": ("DAILY", 1, "night"),
    "weekly": ("WEEKLY", 1, None),
    "biweekly": ("WEEKLY", 2, None),
    "fortnightly": ("WEEKLY", 2, None),
    "monthly": ("MONTHLY", 1, None),
    "bimonthly": ("MONTHLY", 2, None),
    "quarterly": ("MONTHLY", 3, None),
    "yearly": ("YEARLY", 1, None),
    "annually": ("YEARLY", 1, None),
    "hourly": ("HOURLY", 1, None),
}


def _adverb(m: re.Match[str], scan: Scan) -> bool:
    freq, interval, period = _ADVERBS[m["w"].lower().replace("-", "")]
    return set_recurrence(scan.frame, freq, interval, period=period)


def _plural_weekdays(m: re.Match[str], scan: Scan) -> bool:
    return set_recurrence(scan.frame, "WEEKLY", 1, _weekdays_in(m["list"]))


def _day_class(m: re.Match[str], scan: Scan) -> bool:
    word = m["w"].lower()
    days = [5, 6] if "end" in word else [0, 1, 2, 3, 4]
    return set_recurrence(scan.frame, "WEEKLY", 1, days)


def _weekday_range(m: re.Match[str], scan: Scan) -> bool:
    days = _weekdays_in(m.group(0))
    if len(days) < 2:
        return False
    scan.frame.weekday_range = True
    return set_recurrence(scan.frame, "WEEKLY", 1, days)


def _except(m: re.Match[str], scan: Scan) -> bool:
    """Days taken out of a daily or weekly rule: "every day except Sunday", "every weekday
    but not Friday", "daily except weekends"."""
    frame = scan.frame
    if frame.freq == "DAILY" and frame.interval == 1:
        base = list(range(7))
    elif frame.freq == "WEEKLY" and frame.byday:
        base = list(frame.byday)
    else:
        return False
    word = re.sub(r"\s+", "", m["ex"].lower())
    if word.startswith("weekend"):
        excluded = [5, 6]
    elif word.startswith(("weekday", "workday")):
        excluded = [0, 1, 2, 3, 4]
    else:
        excluded = _weekdays_in(m["ex"])
    days = [day for day in base if day not in excluded]
    if not days or days == base:
        return False
    frame.freq, frame.byday = "WEEKLY", days
    return True


_EXCEPT = _rule(
    "recur",
    rf"{L}(?:,\s*)?(?:except|excluding|but\s+not|apart\s+from|other\s+than)\s+(?:on\s+)?"
    rf"(?:the\s+)?(?P<ex>week\s*ends?|week\s*days?|work\s*days?|{_WD_LIST}){R}",
    _except,
)


def _counted_weekday(m: re.Match[str], scan: Scan) -> bool:
    """ "two Tuesdays from now", "the third Friday from now": the n-th one after today."""
    count = en_value(m["n"]) if m["n"] else ordinal_value(m["o"])
    if count is None or not _whole(count) or not 1 <= count <= 52:
        return False
    if not set_slot(scan.frame, weekdays=[en_weekday(m["wd"])]):
        return False
    scan.frame.strict_weekday = True
    return count == 1 or set_slot(scan.frame, shift_days=7 * (int(count) - 1))


_RECURRENCE = [
    _rule(
        "weekday",
        rf"{L}(?:the\s+)?(?:(?P<n>{EN_NUM})|(?P<o>{EN_ORDINAL}))\s+(?P<wd>{EN_WEEKDAY})s?\s+"
        rf"(?:from\s+(?:now|today)|away|out|later|hence){R}",
        _counted_weekday,
    ),
    _rule(
        "recur",
        rf"{L}(?:(?P<every>every|each)\s+|on\s+)?(?P<the>the\s+)?(?P<ords>{_NTH_LIST})\s+"
        rf"(?P<wd>{EN_WEEKDAY})s?(?:\s+(?:of|in)\s+(?:(?P<which>the|every|each|next|this)\s+month"
        rf"|(?P<mon>{EN_MONTH})(?:,?\s+(?P<y>\d{{4}}))?))?{R}",
        _nth_weekday,
    ),
    _rule(
        "recur",
        rf"{L}(?:(?P<every>every|each)\s+|on\s+)?(?:the\s+)?(?P<days>{EN_ORDINAL}"
        rf"(?:\s*(?:,|and|&)\s*(?:the\s+)?{EN_ORDINAL})+)(?:\s+(?:day\s+)?of\s+"
        rf"(?P<which>the|every|each)\s+month)?{R}(?!\s+(?:{EN_WEEKDAY}|{EN_MONTH}|of){R})",
        _monthdays,
    ),
    _rule(
        "recur",
        rf"{L}(?:on\s+)?(?:the\s+)?(?P<ord>{EN_ORDINAL}|last\s+day|last)\s+(?:day\s+)?of\s+"
        rf"(?:every|each)\s+month{R}"
        rf"|{L}(?:every|each)\s+(?:the\s+)?(?P<ord2>{EN_ORDINAL}|last\s+day)"
        rf"(?:\s+(?:day\s+)?of\s+(?:the|every|each)\s+month)?{R}"
        rf"(?!\s+(?:{EN_WEEKDAY}|{EN_MONTH}|week|day|month|year|hour|minute|of){R})",
        _monthday_every,
    ),
    _rule(
        "recur",
        rf"{L}(?:every|each)\s+(?:single\s+)?(?:(?P<other>other|second|alternate|2nd)\s+"
        rf"|(?P<ord>third|fourth|fifth|sixth|\d+(?:st|nd|rd|th))\s+|(?P<num>{EN_NUM})\s+)?"
        rf"(?P<unit>{_WD_SPEC}|week\s*days?|work\s*days?|business\s+days?|week\s*ends?"
        rf"|days?|nights?|mornings?|afternoons?|evenings?|weeks?|fortnights?|months?|years?"
        rf"|quarters?|hours?|hrs?|minutes?|mins?){R}",
        _every,
    ),
    _rule(
        "recur",
        rf"{L}(?:every|each)(?=\s+(?:the\s+)?(?:{EN_ORDINAL}|\d{{1,2}})\s+(?:of\s+)?{EN_MONTH}{R}"
        rf"|\s+{EN_MONTH}\s+(?:the\s+)?(?:{EN_ORDINAL}|\d{{1,2}}){R})",
        lambda m, scan: set_recurrence(scan.frame, "YEARLY"),
    ),
    _rule(
        "recur",
        rf"{L}(?P<w>daily|everyday|nightly|weekly|bi-?weekly|fortnightly|monthly|bi-?monthly"
        rf"|quarterly|yearly|annually|hourly){R}",
        _adverb,
    ),
    _EXCEPT,
    _rule(
        "recur",
        rf"{L}(?:(?:on|every|each)\s+)?(?P<list>{EN_WEEKDAY_FULL}s(?:{_WD_SEP}"
        rf"{EN_WEEKDAY_FULL}s?)*){R}",
        _plural_weekdays,
    ),
    _rule(
        "recur",
        rf"{L}(?:(?:on|at|during|over)\s+(?:the\s+)?)?(?P<w>week\s*days|work\s*days"
        rf"|business\s+days|week\s*ends){R}",
        _day_class,
    ),
    _rule(
        "recur",
        rf"{L}(?:(?:from|on)\s+)?{EN_WEEKDAY}{_WD_RANGE}{EN_WEEKDAY}{R}",
        _weekday_range,
    ),
    _EXCEPT,
]

# --- full dates ---------------------------------------------------------------------------


def _iso(m: re.Match[str], scan: Scan) -> bool:
    if not set_date(scan.frame, int(m["y"]), int(m["m"]), int(m["d"])):
        return False
    if m["H"]:
        return add_time(scan.frame, ClockTime(int(m["H"]), int(m["M"]), "24h"))
    return True


def _until_date(m: re.Match[str], scan: Scan, year: int | None, month: int, day: int) -> bool:
    """The end of a rule: "until 5 December" (the day is checked like any date)."""
    if year is not None and year < 100:
        year += 2000
    if not valid_day(year, month, day):
        scan.frame.invalid = True
        return True
    return set_slot(scan.frame, until=("date", year or 0, month, day))


_COUNTED_BEFORE = re.compile(
    r"(?<![A-Za-z])(?:pages?|p\.|steps?|parts?|chapters?|ch\.|items?|no\.|number|#|ratio|score"
    r"|versions?|v|rated|scored|episodes?|ep\.|seasons?|rounds?|sets?|games?|take|eat|drink|add"
    r"|use|mix|pour|cut|only)\s*$",
    re.IGNORECASE,
)


def _numeric_date(m: re.Match[str], scan: Scan) -> bool:
    """ "3/12": month first where people write it so (the US, China...); elsewhere day first,
    with the other reading kept for a question when both are possible."""
    if _COUNTED_BEFORE.search(scan.before(m.start(), 14)):
        return False  # "page 1/2", "step 3/4": a count, not a date
    first, second = int(m["a"]), int(m["b"])
    day_first = not scan.month_first
    if first > 12 or (day_first and second <= 12):
        month, day = second, first
    else:
        month, day = first, second
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return False
    year = int(m["y"]) if m["y"] else None
    if _until_word(m, scan):
        return _until_date(m, scan, year, month, day)
    if not set_date(scan.frame, year, month, day):
        return False
    if day_first and first != second and first <= 12 and second <= 12:
        scan.frame.date_order = (day, month)  # the month-first reading
    return True


def _dotted_date(m: re.Match[str], scan: Scan) -> bool:
    day, month = int(m["d"]), int(m["m"])
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return False
    return set_date(scan.frame, int(m["y"]), month, day)


def _moving_holiday(m: re.Match[str], scan: Scan) -> bool:
    """Holidays whose date moves with the year: Easter, Thanksgiving, Mother's Day..."""
    name = re.sub(r"[\s'’]+", "", m["mh"].lower())
    key = next(key for prefix, key in _MOVING_HOLIDAYS if name.startswith(prefix))
    shift = 0
    if m["n"]:
        count = en_value(m["n"].split()[0]) if m["n"].lower() != "day" else 1
        if count is None or not _whole(count):
            return False
        shift = int(count) * (-1 if m["dir"].lower() == "before" else 1)
    if shift and not set_slot(scan.frame, shift_days=shift):
        return False
    return set_slot(scan.frame, holiday=key)


_MOVING_HOLIDAYS = (
    ("goodfriday", "good_friday"),
    ("eastermonday", "easter_monday"),
    ("easter", "easter"),
    ("thanksgiving", "thanksgiving"),
    ("mother", "mothers_day"),
    ("father", "fathers_day"),
    ("labo", "labor_day"),
    ("memorial", "memorial_day"),
    ("blackfriday", "black_friday"),
)

_FULL_DATES = [
    _rule(
        "date",
        rf"{_ON}{L}(?:(?:the\s+|a\s+)?(?P<n>day|{EN_NUM}\s+days?)\s+(?P<dir>before|after)\s+)?"
        rf"(?:on\s+)?(?P<mh>good\s+friday|easter(?:\s+(?:sunday|monday|day))?"
        rf"|thanksgiving(?:\s+day)?|mother['’]?s['’]?\s+day|father['’]?s['’]?\s+day"
        rf"|labou?r\s+day|memorial\s+day|black\s+friday){R}",
        _moving_holiday,
    ),
    _rule(
        "date",
        rf"{_ON}(?<![\d.])(?P<y>\d{{4}})[-/.](?P<m>\d{{1,2}})[-/.](?P<d>\d{{1,2}})"
        r"(?:(?:T|\s+|\s*,\s*)(?:at\s+)?(?P<H>\d{1,2}):(?P<M>\d{2})(?::\d{2}(?:\.\d+)?)?"
        r"(?:Z|[+-]\d{2}:\d{2})?)?"
        r"(?![\d:])",
        _iso,
    ),
    _rule(
        "date",
        rf"{_ON}(?<![\d/.:])(?P<a>\d{{1,2}})/(?P<b>\d{{1,2}})(?:/(?P<y>\d{{4}}|\d{{2}}))?"
        r"(?![\d/])(?!\s*(?:cups?|of|tsp|tbsp|teaspoons?|tablespoons?|inch(?:es)?|in|miles?|km|kg"
        r"|g|lbs?|pounds?|oz|ounces?|l|ml|liters?|litres?|cm|mm|m|h|hrs?|hours?|mins?|minutes?|s"
        r"|secs?|seconds?|days?|weeks?|months?|years?|pieces?|slices?|of"
        r"|an?\s+(?:hour|hr|minute|min|day|week|month|year)s?|pills?|tablets?|capsules?|doses?"
        r"|servings?|portions?|glass(?:es)?|bottles?|bags?|boxes?|spoons?|points?)(?![A-Za-z]))",
        _numeric_date,
    ),
    _rule(
        "date",
        rf"{_ON}(?<![\d.])(?P<d>\d{{1,2}})\.(?P<m>\d{{1,2}})\.(?P<y>\d{{4}})(?!\d)",
        _dotted_date,
    ),
]

# --- durations --------------------------------------------------------------------------

_HOLIDAY_WORDS = (
    r"(?:christmas|xmas|new\s+year|valentine|halloween|easter|good\s+friday|thanksgiving"
    r"|mother['’]?s|father['’]?s)"
)
_UNIT_WORD = (
    r"(?:seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|weeks?|wks?|fortnights?|months?"
    r"|years?|yrs?)"
)
_FRACTION = r"(?:\d+\s+)?\d+/\d+"  # "1/4", "1 1/2"
_QUARTERS = r"(?:(?:a|one|two|three|1|2|3)\s+)?quarters?"
_QTY = (
    rf"(?:{_FRACTION}(?:\s+of)?(?:\s+an?)?|{_QUARTERS}\s+of\s+an?|{_QUARTERS}(?=\s+h)"
    rf"|an?\s+half|half\s+an?|half|{EN_NUM}(?:\s+and\s+(?:a\s+)?half)?)"
)
_PART = (
    rf"(?:{_QTY}(?:\s+and\s+a\s+half)?\s*-?\s*{_UNIT_WORD}(?:\s+and\s+a\s+half)?"
    r"|(?:\d+(?:\.\d+)?|(?:\d+\s+)?\d+/\d+)\s?(?:h|m|min|s|d|w)(?:\s?\d+\s?m(?:in)?|(?<=h)[0-5]\d)?)"
)
_DURATION = rf"{_PART}(?:\s*(?:,|and)?\s*{_PART})*"
_PART_RE = re.compile(
    rf"(?P<q>{_QTY})(?P<h1>\s+and\s+a\s+half)?\s*-?\s*(?P<u>{_UNIT_WORD})(?P<h2>\s+and\s+a\s+half)?"
    r"|(?P<cq>\d+(?:\.\d+)?|(?:\d+\s+)?\d+/\d+)\s?(?P<cu>h|min|m|s|d|w)(?:\s?(?P<cm>\d+)\s?m(?:in)?|(?<=h)(?P<cm2>[0-5]\d))?",
    _F,
)
_UNIT_KEYS = {"se": "s", "s": "s", "mi": "m", "m": "m", "ho": "h", "hr": "h", "h": "h"}
_UNIT_KEYS.update({"da": "d", "d": "d", "we": "w", "wk": "w", "w": "w", "mo": "mo", "y": "y"})


def _fraction_value(text: str) -> float | None:
    """ "1/4" -> 0.25, "1 1/2" -> 1.5 (a zero denominator or a fraction over 100 is none)."""
    m = re.fullmatch(r"(?:(\d+)\s+)?(\d+)/(\d+)", text.strip())
    if not m or int(m[3]) == 0 or int(m[2]) > 100:
        return None
    return int(m[1] or 0) + int(m[2]) / int(m[3])


_QUARTER_COUNTS = {"a": 1, "one": 1, "two": 2, "three": 3, "1": 1, "2": 2, "3": 3}


def _quantity(text: str) -> float | None:
    text = re.sub(r"\s+", " ", text.lower().strip())
    text = re.sub(r" of(?: an?)?$| an?$", "", text) if "/" in text or "quarter" in text else text
    if "/" in text:
        return _fraction_value(text)
    if "quarter" in text:
        count = _QUARTER_COUNTS.get(text.split()[0], 1) if " " in text else 1
        return count / 4
    if text.startswith("half") or text in ("a half", "an half"):
        return 0.5
    half = re.match(r"(.+) and (?:a )?half$", text)
    if half:
        whole = en_value(half[1])
        return None if whole is None else whole + 0.5
    return en_value(text)


def _duration_parts(text: str) -> list[tuple[float, str]] | None:
    """[(amount, unit key)] for "an hour and a half", "1h30", "2 days and 3 hours"."""
    parts: list[tuple[float, str]] = []
    for m in _PART_RE.finditer(text):
        if m["cq"]:
            unit = m["cu"].lower()
            amount = _fraction_value(m["cq"]) if "/" in m["cq"] else float(m["cq"])
            if amount is None:
                return None
            parts.append((amount, "m" if unit.startswith("m") else unit))
            if m["cm"] or m["cm2"]:
                parts.append((float(m["cm"] or m["cm2"]), "m"))
            continue
        qty = _quantity(m["q"])
        if qty is None:
            return None
        if m["h1"] or m["h2"]:
            qty += 0.5
        unit = m["u"].lower()
        if unit.startswith("fo"):
            parts.append((qty * 2, "w"))
            continue
        key = "mo" if unit.startswith("mo") else "y" if unit.startswith("y") else unit[:2]
        parts.append((qty, _UNIT_KEYS[key]))
    return parts or None


def _duration(m: re.Match[str], scan: Scan) -> bool:
    parts = _duration_parts(m["dur"] or m["dur2"])
    return parts is not None and apply_duration(scan.frame, parts)


def _offset_from(m: re.Match[str], scan: Scan) -> bool | int:
    """ "3 weeks from June 1st", "a week from tomorrow", "2 days after Friday": whole days
    or weeks counted from the day named next (consumed here, the day by its own rule)."""
    if m["one"] and re.match(r"\s*(?:tomorrow|tmrw?|yesterday)", scan.after(m.end(), 12), _F):
        return False  # "the day after tomorrow" is a day of its own
    parts = [(1.0, "d")] if m["one"] else _duration_parts(m["dur"])
    if parts is None or any(unit not in ("d", "w") or not _whole(q) for q, unit in parts):
        return False
    days = sum(int(q) * (7 if unit == "w" else 1) for q, unit in parts)
    if m["dir"].lower() == "before":
        days = -days
    return days != 0 and set_slot(scan.frame, shift_days=days) and m.end("dir")


def _span(m: re.Match[str], scan: Scan) -> bool:
    """How long a rule lasts: "for a week", "for the next 3 days", "5 times"."""
    if scan.frame.freq is None:
        return False
    if m["tn"]:
        count, unit = en_value(m["tn"]), "times"
    else:
        count = en_value(m["n"]) if m["n"] else 1
        word = m["u"].lower()
        unit = "mo" if word.startswith("mo") else "d" if word.startswith("d") else "w"
        if word.startswith("fo") and count is not None:
            count *= 2
    if count is None or not _whole(count) or count < 1:
        return False
    return set_slot(scan.frame, span=(int(count), unit))


_DURATIONS = [
    _rule(
        "duration",
        rf"{L}(?:(?P<dur>{_DURATION})|(?:the\s+|a\s+)?(?P<one>day))\s+(?P<dir>from|after|before)\s+"
        rf"(?=(?:the\s+|next\s+|this\s+)?"
        rf"(?:tomorrow|tmrw?|today|{EN_WEEKDAY}|{EN_MONTH}|\d{{1,2}}(?:st|nd|rd|th)|{_HOLIDAY_WORDS})"
        rf"{R})",
        _offset_from,
    ),
    _rule(
        "span",
        rf"{L}for\s+(?:the\s+next\s+|another\s+)?(?:(?P<n>{EN_NUM})\s+)?"
        rf"(?P<u>days?|weeks?|months?|fortnights?){R}"
        rf"|{L}(?:for\s+)?(?P<tn>{EN_NUM})\s+times{R}(?!\s+(?:a|an|per|each|every){R})",
        _span,
    ),
    _rule(
        "duration",
        rf"{L}(?:in|after|within)\s+(?:about\s+|around\s+|roughly\s+|another\s+)?"
        rf"(?P<dur>{_DURATION}){R}(?:(?:'s|')?\s+(?:from\s+now|later|time))?"
        rf"|{L}(?P<dur2>{_DURATION})\s+(?:from\s+now|later|hence|from\s+today){R}",
        _duration,
    ),
]

# --- relative days ----------------------------------------------------------------------

_REL_DAYS = {"today": 0, "tonight": 0, "tonite": 0}


def _relday(m: re.Match[str], scan: Scan) -> bool:
    frame = scan.frame
    if m["dat"]:
        return set_slot(frame, day_offset=2)
    word = m["w"].lower()
    if word == "yesterday":
        return set_slot(frame, day_offset=-1)
    if word in _REL_DAYS:
        ok = set_slot(frame, day_offset=0)
        frame.explicit_today = ok
        if ok and word != "today":
            return set_slot(frame, period="night")
        return ok
    return set_slot(frame, day_offset=1)


def _this_period(m: re.Match[str], scan: Scan) -> bool:
    if not set_slot(scan.frame, day_offset=0, period=EN_PERIOD_NAMES[m["p"].lower()]):
        return False
    scan.frame.explicit_today = True
    return True


_RELATIVE_DAYS = [
    _rule(
        "relday",
        rf"{L}(?:(?:the\s+)?day\s+after\s+(?P<dat>tomorrow|tmrw?)|(?P<w>today|tonight|tonite"
        rf"|tomorrow|tomorow|tommorow|tommorrow|tmrw|tmr|2morrow|2moro|yesterday)){R}",
        _relday,
    ),
    _rule(
        "relday",
        rf"{L}(?:later\s+)?this\s+(?P<p>morning|afternoon|evening){R}",
        _this_period,
    ),
]

# --- weekdays ---------------------------------------------------------------------------

_WEEK_MODS = {
    "this coming": None,
    "this": None,
    "coming": None,
    "upcoming": None,
    "the coming": None,
    "next": 1,
    "following": 1,
    "the following": 1,
    "last": -1,
}
_WEEK_POSTS = {"after next": 2, "next week": 1, "of next week": 1, "this week": 0}
_WEEK_POSTS.update({"of this week": 0, "week after next": 2})


_UNTIL = ("until", "till", "through", "thru", "up to")


def _until_word(m: re.Match[str], scan: Scan) -> bool:
    """Whether the match is an end ("until Friday") of a rule already read."""
    lead = re.match(r"\s*(until|till|through|thru|up\s+to)\s", m.group(0), _F)
    return bool(lead) and scan.frame.freq is not None


def _weekday(m: re.Match[str], scan: Scan) -> bool:
    mod = re.sub(r"\s+", " ", (m["mod"] or "").lower())
    post = re.sub(r"\s+", " ", (m["post"] or "").lower())
    risky = is_weekday_abbreviation(m["list"].split()[0].strip(",&/"))
    cue = mod or m["on"] or m["pre"] or m["wk"] or scan.touches_mask(m.start(), m.end())
    if risky and not cue and not re.match(r"\s*(?:\d|at\s)", scan.after(m.end()), _F):
        return False
    days = _weekdays_in(m["list"])
    if _until_word(m, scan):
        if len(days) != 1 or mod or post:
            return False
        return set_slot(scan.frame, until=("weekday", days[0], 0, 0))
    shift = _WEEK_POSTS.get(post) if post else _WEEK_MODS.get(mod)
    if not set_slot(scan.frame, weekdays=days):
        return False
    if m["pre"] or m["wk"]:  # "a week on Friday", "Monday week"
        if shift is not None or len(days) != 1:
            return False
        count = en_value(m["pre"].split()[0]) if m["pre"] else 1
        scan.frame.weeks_after = int(count or 1)
        return True
    scan.frame.loose_next = mod == "next" and not post
    return shift is None or set_slot(scan.frame, week_shift=shift)


_WEEKDAYS = [
    _rule(
        "weekday",
        rf"{L}(?:(?P<pre>(?:a|one|two|three|four|[1-9])\s+weeks?)\s+(?:on|from)\s+)?"
        rf"(?:(?P<on>on|by|until|till|through|thru|up\s+to|before|for|from|starting(?:\s+on)?"
        rf"|beginning(?:\s+on)?)\s+)?"
        rf"(?:(?P<mod>this\s+coming|this|next|coming|upcoming|the\s+coming|(?:the\s+)?following"
        rf"|last)"
        rf"\s+)?(?P<list>{EN_WEEKDAY}(?:{_WD_SEP}{EN_WEEKDAY})*)"
        rf"(?:\s+(?P<post>after\s+next|(?:of\s+)?next\s+week|(?:of\s+)?this\s+week"
        rf"|week\s+after\s+next)|\s+(?P<wk>week)(?!\s*(?:after|end|day)))?{R}",
        _weekday,
    ),
]

# --- dates --------------------------------------------------------------------------------

_DAY = rf"(?:{EN_ORDINAL}|\d{{1,2}})"
_NOT_TIME = r"(?!\s*(?::|\.\d|am\b|pm\b|a\.m|p\.m|hours?|minutes?|mins?|hrs?|o'?clock))"


def _day_value(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.isdigit() else ordinal_value(text)


def _month_day(m: re.Match[str], scan: Scan) -> bool:
    day = _day_value(m["d"])
    if day is None or not 1 <= day <= 31:
        return False
    spelled = not m["d"].strip()[0].isdigit()
    if m["mon"].lower().startswith("may") and spelled and " of " not in m.group(0).lower():
        return False  # "you may first..." is not May
    year = int(m["y"].lstrip("'’")) if m["y"] else None
    if _until_word(m, scan):
        return _until_date(m, scan, year, en_month(m["mon"]), day)
    return set_date(scan.frame, year, en_month(m["mon"]), day)


def _day_of_month(m: re.Match[str], scan: Scan) -> bool:
    text = (m["d"] or m["d2"]).lower()
    day = -1 if text.startswith("last") else _day_value(text)
    if day is None:
        return False
    which = (m["which"] or "").lower()
    if _until_word(m, scan) and not which and 1 <= day <= 31:
        return set_slot(scan.frame, until=("monthday", day, 0, 0))
    if which == "next" and not set_slot(scan.frame, month_shift=1):
        return False
    return set_date(scan.frame, None, None, day)


def _holiday(m: re.Match[str], scan: Scan) -> bool:
    name = re.sub(r"\s+", " ", m["h"].lower())
    shift = 0
    if m["n"]:
        count = en_value(m["n"].split()[0]) if m["n"].lower() != "day" else 1
        if count is None or not _whole(count):
            return False
        shift = int(count) * (-1 if m["dir"].lower() == "before" else 1)
    for pattern, (month, day) in EN_HOLIDAYS.items():
        if re.fullmatch(pattern, name, _F):
            month, day = shifted_day(month, day, shift)
            if _until_word(m, scan):
                return _until_date(m, scan, None, month, day)
            return set_date(scan.frame, None, month, day)
    return False


_HOLIDAY = "|".join(EN_HOLIDAYS)


def _last_day_of(m: re.Match[str], scan: Scan) -> bool:
    """ "the last day of October", "last day of February" (28 or 29 as the year has it),
    "the last day of next month"."""
    if m["mon"]:
        return set_date(scan.frame, None, en_month(m["mon"]), -1)
    if m["which"].lower() == "next" and not set_slot(scan.frame, month_shift=1):
        return False
    return set_date(scan.frame, None, None, -1)


_DATES = [
    _rule(
        "date",
        rf"{_ON}{L}(?:the\s+)?last\s+day\s+of\s+(?:(?P<mon>{EN_MONTH})"
        rf"|(?:the\s+)?(?P<which>this|next|the|current)\s+month){R}",
        _last_day_of,
    ),
    _rule(
        "date",
        rf"{_ON}{L}(?:(?:the\s+|a\s+)?(?P<n>day|{EN_NUM}\s+days?)\s+(?P<dir>before|after)\s+)?"
        rf"(?:the\s+)?(?:on\s+)?(?P<h>{_HOLIDAY}){R}",
        _holiday,
    ),
    _rule(
        "date",
        rf"{_ON}{L}(?:the\s+)?(?P<d>{_DAY})\s+(?:day\s+)?(?:of\s+)?(?P<mon>{EN_MONTH})"
        rf"(?:,?\s+(?P<y>\d{{4}}|['’]\d{{2}}))?{R}",
        _month_day,
    ),
    _rule(
        "date",
        rf"{_ON}{L}(?P<mon>{EN_MONTH})\s+(?:the\s+)?(?P<d>{_DAY}){R}{_NOT_TIME}"
        rf"(?:,?\s+(?P<y>\d{{4}}|['’]\d{{2}}){R})?",
        _month_day,
    ),
    _rule(
        "date",
        rf"{_ON}{L}the\s+(?P<d>{EN_ORDINAL}|last\s+day)(?:\s+of\s+(?P<which>this|next|the)"
        rf"\s+month)?{R}|{L}(?:on|by)\s+(?P<d2>\d{{1,2}}(?:st|nd|rd|th)){R}",
        _day_of_month,
    ),
]


# --- times --------------------------------------------------------------------------------


_CLOCK_CUE = re.compile(r"^\s*(?:at|by|around|about|before|until|till|from|starting\s+at)\s|^@", _F)


def _impossible(m: re.Match[str], scan: Scan) -> bool:
    """An impossible clock ("at 25:00", "13pm") said as a time: the message names no usable
    moment, rather than a default one."""
    if _CLOCK_CUE.match(m.group(0)) or m["ap"] or scan.touches_mask(m.start(), m.end()):
        scan.frame.invalid = True
        return True
    return False


def _colon_time(m: re.Match[str], scan: Scan) -> bool:
    hour, minute = int(m["h"]), int(m["m"])
    if hour > 24 or minute > 59 or (hour == 24 and minute):
        return _impossible(m, scan)
    clock = _clock(hour, minute, _ampm(m["ap"]), m["h"])
    if clock is None:
        return _impossible(m, scan)
    return add_time(scan.frame, clock)


def _ampm_time(m: re.Match[str], scan: Scan) -> bool:
    clock = _clock(int(m["h"]), int(m["m"] or 0), _ampm(m["ap"]))
    if clock is None or int(m["m"] or 0) > 59:
        return _impossible(m, scan)
    return add_time(scan.frame, clock)


def _h_time(m: re.Match[str], scan: Scan) -> bool:
    """European "17h", "17h30", "9h": hour h minutes."""
    hour, minute = int(m["h"]), int(m["m"] or 0)
    if hour > 24 or minute > 59:
        return _impossible(m, scan)
    if re.search(
        r"(?:for|every|each|in|within|after|took|takes?|spent|about)\s*$",
        scan.before(m.start(), 10),
        _F,
    ):
        return False
    cue = _CLOCK_CUE.match(m.group(0)) or scan.touches_mask(m.start(), m.end())
    if not (cue or hour >= 13 or m["m"] or m["h"].startswith("0")):
        return False
    clock = _clock(hour, minute, None, m["h"])
    return clock is not None and add_time(scan.frame, clock)


def _half_hour(m: re.Match[str], scan: Scan) -> bool:
    """British "half 5" (= 5:30), "half seven"."""
    hour = _word_hour(m["h"])
    if hour is None or not 1 <= hour <= 12:
        return False
    cue = _CLOCK_CUE.match(m.group(0)) or scan.touches_mask(m.start(), m.end())
    following = scan.after(m.end(), 16)
    if not (
        cue or m["ap"] or re.match(r"\s*(?:$|[,.!;]|\x00|tonight|today|tomorrow)", following, _F)
    ):
        return False
    return add_time(scan.frame, ClockTime(hour, 30, _ampm(m["ap"])))


def _another_time(m: re.Match[str], scan: Scan) -> bool:
    """A second hour joined to a time: "at 9 and 5", "at 9am and 1pm"."""
    if scan.kind_before(m.start()) != "time":
        return False
    hour, minute = int(m["h"]), int(m["m"] or 0)
    clock = _clock(hour, minute, _ampm(m["ap"]), m["h"])
    return clock is not None and minute <= 59 and add_time(scan.frame, clock)


def _compact_time(m: re.Match[str], scan: Scan) -> bool:
    """ "at 1145", "at 0930", "at 2100": four digits are a 24-hour clock, three ("at 930")
    an hour whose am/pm is still open."""
    hour, minute = int(m["h"]), int(m["m"])
    meridiem = "24h" if len(m["h"]) == 2 else None
    return add_time(scan.frame, ClockTime(hour, minute, meridiem if hour else "24h"))


def _word_hour(text: str) -> int | None:
    text = text.lower()
    return int(text) if text.isdigit() else _HOUR_WORDS.get(text)


def _oclock(m: re.Match[str], scan: Scan) -> bool:
    hour = _word_hour(m["h"])
    if hour is None:
        return False
    clock = _clock(hour, 0, _ampm(m["ap"]), m["h"])
    return clock is not None and add_time(scan.frame, clock)


def _relative_clock(m: re.Match[str], scan: Scan) -> bool:
    """Clock times relative to an hour: "half past 3", "quarter to 5", "10 past 9"."""
    q = m["q"].lower()
    if m["dir"].lower() == "of" and "quarter" not in q:
        return False  # "quarter of 5" is 4:45; "3 of 5" is a count
    minutes = 30 if q == "half" else 15 if "quarter" in q else en_value(q)
    target = m["h"].lower()
    hour = 12 if target == "noon" else 0 if target == "midnight" else _word_hour(target)
    if hour is None or minutes is None or not 0 < minutes < 60:
        return False
    if m["dir"].lower() in ("to", "before", "till", "til", "of"):
        hour, minutes = (hour - 1) % 24 or (12 if m["ap"] else 0), 60 - minutes
    meridiem = "24h" if target in ("noon", "midnight") else _ampm(m["ap"])
    return add_time(scan.frame, ClockTime(hour, int(minutes), meridiem))


def _word_time(m: re.Match[str], scan: Scan) -> bool:
    hour = _HOUR_WORDS[m["h"].lower()]
    minute_word = (m["mw"] or "").lower()
    minute = _MINUTE_WORDS.get(re.sub(r"\s+", " ", minute_word).replace("’", "'"), 0)
    ampm = _ampm(m["ap"])
    following = scan.after(m.end(), 20)
    settled = ampm or minute_word or scan.touches_mask(m.start(), m.end())
    if not settled and not re.match(
        r"\s*(?:$|[,.!;]|\x00|tonight|today|tomorrow|in\s+the|at\s+night)", following, _F
    ):
        return False
    return add_time(scan.frame, ClockTime(hour, minute, ampm))


def _bare_hour(m: re.Match[str], scan: Scan) -> bool:
    """A bare hour after "at": "at 5", "at 7.30" (a dot separates minutes only here)."""
    clock = _clock(int(m["h"]), int(m["m"] or 0), None, m["h"])
    return clock is not None and add_time(scan.frame, clock)


def _hour_before_period(m: re.Match[str], scan: Scan) -> bool:
    """A bare hour before a part of day: "9 in the morning", "8 tonight"."""
    follows_period = re.match(r"\s+(?:in\s+the|at\s+night)", scan.after(m.end(), 16), _F)
    if not follows_period and scan.kind_after(m.end()) != "relday":
        return False
    clock = _clock(int(m["h"]), int(m["m"] or 0), None, m["h"])
    return clock is not None and add_time(scan.frame, clock)


def _hour_after_day(m: re.Match[str], scan: Scan) -> bool:
    """A bare hour right after a day expression: "friday 10:30", "tomorrow 9"."""
    if scan.kind_before(m.start()) not in ("weekday", "relday", "date"):
        return False
    clock = _clock(int(m["h"]), int(m["m"] or 0), None, m["h"])
    return clock is not None and add_time(scan.frame, clock)


_NAMED_TIMES = {
    "noon": ClockTime(12, 0, "24h"),
    "midday": ClockTime(12, 0, "24h"),
    "lunchtime": ClockTime(12, 0, "24h"),
    "lunch time": ClockTime(12, 0, "24h"),
    "midnight": ClockTime(0, 0, "24h", next_day=True),
    "eod": ClockTime(17, 0, "24h"),
    "breakfast": ClockTime(8, 0, "24h"),
    "lunch": ClockTime(12, 0, "24h"),
    "dinner": ClockTime(19, 0, "24h"),
    "cob": ClockTime(17, 0, "24h"),
}


def _named_time(m: re.Match[str], scan: Scan) -> bool:
    word = re.sub(r"\s+", " ", m["w"].lower())
    if word.startswith(("end", "close")):
        word = "eod"
    return add_time(scan.frame, _NAMED_TIMES[word])


def _same_time(m: re.Match[str], scan: Scan) -> bool:
    """The current time of day next to a day expression: "this time tomorrow"."""
    if not scan.touches_mask(m.start(), m.end()):
        return False
    scan.frame.same_time = True
    return True


_NOT_QUANTITY = (
    r"(?!\s*(?:[:./\d-]|%|st\b|nd\b|rd\b|th\b|(?:minutes?|mins?|hours?|hrs?|days?|weeks?"
    r"|months?|years?|people|persons?|times?|pieces?|items?|percent|kg|km|miles?|x)"
    r"(?![A-Za-z])))"
)

_TIMES = [
    _rule(
        "time",
        rf"{_AT}{L}(?P<q>half|(?:a\s+)?quarter|\d{{1,2}}|ten|five|twenty|twenty[-\s]five)"
        rf"\s+(?:minutes?\s+)?(?P<dir>past|after|to|before|till|til|of)\s+"
        rf"(?P<h>\d{{1,2}}|{_HOUR_WORD}|noon|midnight)(?:(?P<ap>{_AMPM_GLUED})(?![A-Za-z])|{R})",
        _relative_clock,
    ),
    _rule(
        "time",
        rf"{_AT}(?<![\d:.])(?P<h>\d{{1,2}}):(?P<m>\d{{2}})(?::\d{{2}})?(?P<ap>{_AMPM_GLUED})?"
        rf"(?![A-Za-z0-9:]){_ISH}(?:\s+sharp{R})?",
        _colon_time,
    ),
    _rule(
        "time",
        rf"{_AT}(?<![\d:.])(?P<h>\d{{1,2}})(?:\.(?P<m>\d{{2}}))?(?P<ap>{_AMPM_GLUED})(?![A-Za-z])"
        rf"{_ISH}(?:\s+sharp{R})?",
        _ampm_time,
    ),
    _rule(
        "time",
        rf"{_AT}(?<![\d:.]){L}(?P<h>\d{{1,2}})h(?P<m>\d{{2}})?{R}",
        _h_time,
    ),
    _rule(
        "time",
        rf"(?:{L}(?:at|by|around|before|until|till|from|starting\s+at)\s+|@\s*)(?<![\d:.])"
        rf"(?P<h>[01]?\d|2[0-3])(?P<m>[0-5]\d)(?:\s*(?:h|hrs|hours){R})?{R}"
        rf"(?!\s*(?:[-:./\d]|people|persons|kg|km|miles|meters|m{R}|feet|ft|dollars|euros|yuan|usd"
        rf"|points?|pts|words|steps|calories|kcal))",
        _compact_time,
    ),
    _rule(
        "time",
        rf"{L}(?P<h>\d{{1,2}})(?::(?P<m>[0-5]\d))?\s*-?\s*ish{R}{_NOT_QUANTITY}",
        _bare_hour,
    ),
    _rule(
        "time",
        rf"{L}(?P<h>{_HOUR_WORD})(?:[\s-]+(?P<mw>{_MINUTE_WORD}))?\s*(?P<ap>{_AMPM})(?![A-Za-z])",
        _word_time,
    ),
    _rule(
        "time",
        rf"{_AT}{L}half\s+(?P<h>\d{{1,2}}|{_HOUR_WORD}){R}(?!\s*(?:past|an?\s|hours?|"
        rf"minutes?|days?|weeks?|months?|years?|[:./\d%]))(?:\s*(?P<ap>{_AMPM})(?![A-Za-z]))?",
        _half_hour,
    ),
    _rule(
        "time",
        rf"{_AT}{L}(?P<h>\d{{1,2}}|{_HOUR_WORD})\s*o['’]?clock(?:\s*(?P<ap>{_AMPM}))?"
        rf"(?![A-Za-z])",
        _oclock,
    ),
    _rule(
        "time",
        rf"{L}(?:at|by|around|about)\s+(?P<h>{_HOUR_WORD})(?:\s+(?P<mw>{_MINUTE_WORD}))?"
        rf"(?:\s*(?P<ap>{_AMPM}))?(?![A-Za-z])",
        _word_time,
    ),
    _rule(
        "time",
        rf"(?:{L}(?:at|by|around|about|before|until|till|from|starting\s+at)\s+|@\s*)"
        rf"(?<![\d:.])(?P<h>\d{{1,2}})(?:\.(?P<m>[0-5]\d)(?![\d.%]))?{R}{_NOT_QUANTITY}"
        rf"(?:\s+sharp{R})?",
        _bare_hour,
    ),
    _rule(
        "time",
        rf"{L}(?P<h>\d{{1,2}})(?::(?P<m>\d{{2}}))?(?=\s+(?:in\s+the\s+(?:morning|afternoon"
        rf"|evening)|at\s+night){R}|\s*\x00)",
        _hour_before_period,
    ),
    _rule(
        "time",
        rf"(?<![\w:./-])(?P<h>\d{{1,2}})(?::(?P<m>\d{{2}}))?{R}{_NOT_QUANTITY}",
        _hour_after_day,
    ),
    _rule(
        "time",
        rf"{L}(?:(?:at|by|around|before|until|till)\s+)?(?:the\s+)?(?:(?:twelve|12)\s+)?"
        rf"(?P<w>noon|midday|midnight"
        rf"|lunchtime|lunch\s+time|eod|cob|end\s+of\s+(?:the\s+)?(?:work\s*)?day"
        rf"|close\s+of\s+business)(?:\s*-?\s*ish)?{R}",
        _named_time,
    ),
    _rule(
        "time",
        rf"{L}(?:at|by|around|before|after)\s+(?P<w>breakfast|lunch|dinner){R}",
        _named_time,
    ),
    _rule("time", rf"{L}(?:at\s+)?(?:this|the\s+same|same)\s+time{R}", _same_time),
    _rule(
        "time",
        rf"\s*(?:,\s*)?(?:and|&)\s+(?:(?:at|again\s+at)\s+)?(?<![\d:.])(?P<h>\d{{1,2}})"
        rf"(?:[:.](?P<m>\d{{2}}))?(?:\s*(?P<ap>{_AMPM})(?![A-Za-z]))?{R}{_NOT_QUANTITY}",
        _another_time,
    ),
]


def _range_end(m: re.Match[str], scan: Scan) -> bool:
    """Time ranges ("8-9pm", "from 2 to 4"): keep the start time, swallow the end (its
    am/pm is kept for a bare start hour).  "10 to 6" without "from" is a clock (17:50)."""
    before = scan.before(m.start(), 16)
    if not re.search(r"\d\s*(?:[ap]\.?m\.?)?$", before[-6:], _F):
        return False
    clock_like = re.search(r"(?<![\d:.])(?:5|10|20|25)$", before) and re.match(
        r"\s+to\s", m.group(0)
    )
    if clock_like and not re.search(r"(?:from|between)\s+\d+$", before, _F):
        return False
    scan.frame.range_meridiem = _ampm(m["ap"])
    return True


_RANGES = [
    _rule(
        "range",
        rf"\s*(?:-|–|—|~|\s(?:to|until|till)\s)\s*(?<![\d:])\d{{1,2}}(?::\d{{2}})?"
        rf"(?:\s*(?P<ap>{_AMPM}))?(?![A-Za-z0-9:/])",
        _range_end,
    ),
]

# --- parts of day -------------------------------------------------------------------------


def _period(m: re.Match[str], scan: Scan) -> bool:
    if re.search(r"(?:good|last|every|each)\s*$", scan.before(m.start(), 8), _F):
        return False
    if not (m["pre"] or scan.touches_mask(m.start(), m.end())):
        return False
    return set_slot(scan.frame, period=EN_PERIOD_NAMES[m["p"].lower()])


#: Times that hang on the user's day: asked about, with these usual times as choices.
_ANCHORS = {
    "work_end": ((17, 0), (18, 0), (19, 0)),
    "school_end": ((15, 0), (16, 0), (17, 0)),
    "work_start": ((7, 0), (8, 0), (9, 0)),
    "bed": ((21, 0), (22, 0), (23, 0)),
    "home": ((18, 0), (19, 0), (20, 0)),
}


def _anchor(m: re.Match[str], scan: Scan) -> bool:
    word = re.sub(r"\s+", " ", m["a"].lower())
    if scan.frame.times:  # "at 7 after work": the clock time says it, the anchor its half
        period = "morning" if word.startswith("before work") else "evening"
        return scan.frame.period is not None or set_slot(scan.frame, period=period)
    if word.startswith(("after work", "after my shift")):
        key = "work_end"
    elif word.startswith(("after school", "after class")):
        key = "school_end"
    elif word.startswith("before"):
        key = "bed" if "bed" in word else "work_start"
    elif "bed" in word:
        key = "bed"
    else:
        key = "home"
    return set_slot(scan.frame, anchor=_ANCHORS[key])


_PERIODS = [
    _rule(
        "period",
        rf"{L}first\s+thing(?:\s+in\s+the\s+morning)?{R}",
        lambda m, scan: set_slot(scan.frame, period="morning"),
    ),
    _rule(
        "anchor",
        rf"{L}(?P<a>after\s+(?:work|school|class|my\s+shift)|before\s+(?:work|school|bed(?:time)?)"
        rf"|at\s+bedtime|when\s+i\s+get\s+home){R}",
        _anchor,
    ),
    _rule(
        "period",
        rf"{L}(?P<pre>in\s+the\s+|during\s+the\s+|at\s+|this\s+)?(?P<p>morning|afternoon"
        rf"|evening|night){R}",
        _period,
    ),
]

# --- specials -------------------------------------------------------------------------------


def _end_of(m: re.Match[str], scan: Scan) -> bool:
    unit = m["u"].lower()
    if m["n"] and not _shift_unit(scan, unit, 1):
        return False
    return set_slot(scan.frame, special=f"end_{unit}")


def _start_of(m: re.Match[str], scan: Scan) -> bool:
    unit = m["u"].lower()
    if m["n"] and not _shift_unit(scan, unit, 1):
        return False
    return set_slot(scan.frame, special=f"start_{unit}")


def _shift_unit(scan: Scan, unit: str, shift: int) -> bool:
    if unit == "week":
        return set_slot(scan.frame, week_shift=shift)
    if unit == "month":
        return set_slot(scan.frame, month_shift=shift)
    return set_slot(scan.frame, special="next_year") if shift else True


def _next_unit(m: re.Match[str], scan: Scan) -> bool:
    mod = m["mod"].lower()
    shift = 0 if mod == "this" else 1
    unit = m["u"].lower()
    if unit == "weekend":
        return set_slot(scan.frame, special="weekend", week_shift=shift)
    if unit == "year":
        return shift == 0 or set_slot(scan.frame, special="next_year")
    return _shift_unit(scan, unit, shift)


def _weekend(m: re.Match[str], scan: Scan) -> bool:
    return set_slot(scan.frame, special="weekend")


_SPECIALS = [
    _rule(
        "special",
        rf"{L}(?:(?:on|for|in)\s+)?(?:the\s+)?week\s+after\s+next{R}",
        lambda m, scan: set_slot(scan.frame, week_shift=2),
    ),
    _rule(
        "special",
        rf"{L}(?:(?:by|at|on|before|until|till)\s+)?(?:the\s+)?end\s+of\s+(?:the\s+|this\s+)?"
        rf"(?P<n>next\s+)?(?P<u>month|week|year){R}",
        _end_of,
    ),
    _rule(
        "special",
        rf"{L}(?:(?:by|at|on)\s+)?(?:the\s+)?(?:beginning|start)\s+of\s+(?:the\s+)?"
        rf"(?P<n>next\s+)?(?P<u>month|week|year){R}",
        _start_of,
    ),
    _rule(
        "special",
        rf"{L}(?:(?:on|at|over|for)\s+)?(?P<mod>next|this|coming|(?:the\s+)?following)\s+"
        rf"(?P<u>weekend|week|month|year){R}",
        _next_unit,
    ),
    _rule(
        "special",
        rf"{L}(?:(?:on|at|over|for|by)\s+)?(?:the\s+)?weekend{R}",
        _weekend,
    ),
]

# --- explicit zones ------------------------------------------------------------------------


def _zone_key(abbr: str, sign: str | None, hours: str | None, minutes: str | None) -> str | None:
    """IANA name or "+480"-style offset minutes for "EST", "UTC+8", "GMT-05:30"."""
    if sign and hours:
        offset = int(hours) * 60 + int(minutes or 0)
        if abbr.lower() not in ("utc", "gmt") or offset > 14 * 60:
            return None
        return f"{sign}{offset}"
    value = EN_ZONE_ABBREVIATIONS[abbr.lower()]
    return value if isinstance(value, str) else f"{round(value * 60):+d}"


def _next_to_time(scan: Scan, start: int, end: int) -> bool:
    return bool(scan.frame.times) and scan.touches_mask(start, end)


def _zone_abbreviation(m: re.Match[str], scan: Scan) -> bool:
    """ "5pm EST", "Friday 9:00 GMT", "3pm UTC+8", "9am Pacific time": right after a time."""
    if not _next_to_time(scan, m.start(), m.end()):
        return False
    key = _zone_key(m["abbr"], m["sign"], m["oh"], m["om"])
    label = re.sub(r"\s+time$", "", m.group(0).strip(), flags=_F)
    return key is not None and set_slot(scan.frame, zone=(label, key))


def _zone_place(m: re.Match[str], scan: Scan) -> bool:
    """ "4 pm Tokyo time", "noon New York time": a city's clock."""
    if not _next_to_time(scan, m.start(), m.end()):
        return False
    from bot.timeparse.zones import place_zone  # zones builds on the grammar

    key = place_zone(m["place"])
    return key is not None and set_slot(scan.frame, zone=(m["place"], key))


_ZONES = [
    _rule(
        "zone",
        rf"{L}(?:in\s+)?(?P<abbr>{EN_ZONE_WORD})(?:\s*(?P<sign>[+-])\s*(?P<oh>\d{{1,2}})"
        rf"(?::?(?P<om>\d{{2}}))?)?(?:\s+time)?{R}",
        _zone_abbreviation,
    ),
    _rule(
        "zone",
        rf"{L}(?:in\s+)?(?P<place>[A-Z][A-Za-z.'-]+(?:\s+[A-Z][A-Za-z.'-]+)?)\s+time{R}",
        _zone_place,
    ),
    _rule("zone", rf"{L}(?:in\s+)?(?P<place>[A-Z][A-Za-z.'-]+)\s+time{R}", _zone_place),
]

STAGES: dict[str, list[Rule]] = {
    "recurrence": _RECURRENCE,
    "full_dates": _FULL_DATES,
    "durations": _DURATIONS,
    "relative_days": _RELATIVE_DAYS,
    "weekdays": _WEEKDAYS,
    "dates": _DATES,
    "ranges": _RANGES,
    "times": _TIMES,
    "periods": _PERIODS,
    "specials": _SPECIALS,
    "zones": _ZONES,
}
