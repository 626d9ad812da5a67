"""Chinese productions of the time grammar.

Numbers may be digits or Chinese numerals (``十二点半``, ``两点一刻``, ``二零二六年``).
Risky tokens are guarded: ``一点`` after 快/多/好… ("a bit") is not one o'clock, ``三号线`` is
a metro line, ``周一次`` is "once a week".
"""

from __future__ import annotations

import re

from bot.timeparse.lexicon import (
    ZH_HOLIDAYS,
    ZH_PERIOD,
    ZH_PERIODS,
    ZH_WEEK_WORD,
    ZH_WEEKDAY_CHAR,
    ZH_ZONE_NAMES,
    zh_weekday,
)
from bot.timeparse.model import ClockTime
from bot.timeparse.numbers import CN_NUM, ZH_NUM, cn_value
from bot.timeparse.scanner import Handler, Rule, Scan
from bot.timeparse.slots import (
    add_time,
    apply_duration,
    set_date,
    set_recurrence,
    set_slot,
    shifted_day,
)

__all__ = ["STAGES"]

WW = ZH_WEEK_WORD
WD = ZH_WEEKDAY_CHAR
_UNTIL_WORD = r"(?:直到|一直到|截止到|截至|到(?=[^。，,！!]{1,10}为止))"
_UNTIL_HEAD = rf"(?:{_UNTIL_WORD}\s*)?"
_UNTIL_TAIL = r"(?:\s*为止)?"
_DAY_SEP = r"(?:[、,，/\s和与及跟]|以及)*"
_RANGE = r"(?:到|至|-|~|～|—)"
_DAYS = rf"{WW}?{WD}(?:{_DAY_SEP}{WW}?{WD})*(?:{_RANGE}{WW}?{WD})?"


def _rule(name: str, pattern: str, handler: Handler) -> Rule:
    return Rule(name, re.compile(pattern), handler)


def _num(text: str | None) -> int | None:
    return cn_value(text) if text else None


def _weekday_list(text: str) -> list[int]:
    """Weekdays in "一三五", "周一、周三", "六和日", "一到五"."""
    chars = re.findall(WD, re.sub(WW, "", text))
    days = [zh_weekday(c) for c in chars]
    if len(days) == 2 and re.search(_RANGE, text):
        first, last = days
        days = [(first + i) % 7 for i in range((last - first) % 7 + 1)]
    return days


_DAY_ITEM = re.compile(rf"(?P<sep>{_DAY_SEP})(?P<ww>{WW})?(?P<d>{WD})")
_HOUR_MARKS = ("点", "點", "时", "時", ":", "：")


def _day_list_end(m: re.Match[str], scan: Scan) -> int:
    """Where the weekday list in group "days" really ends.  Run-together days must ascend
    ("周一三五"), so "周五一起" is Friday + "一起"; a last run-together day followed by 点
    is an hour ("周二三点" is Tuesday 3 o'clock)."""
    text, base = m["days"], m.start("days")
    if re.search(_RANGE, text):
        return m.end("days")
    kept: list[re.Match[str]] = []
    previous = -1
    for item in _DAY_ITEM.finditer(text):
        day = zh_weekday(item["d"])
        glued = not (item["sep"] or item["ww"])
        if kept and glued and day <= previous:
            break
        kept.append(item)
        previous = day
    last = kept[-1]
    glued_last = not (last["sep"] or last["ww"])
    if len(kept) > 1 and glued_last and scan.after(base + last.end(), 1) in _HOUR_MARKS:
        kept.pop()
    return base + kept[-1].end()


# --- recurrence ---------------------------------------------------------------------------


def _nth_weekday(m: re.Match[str], scan: Scan) -> bool:
    n = -1 if m["last"] else _num(m["n"])
    if not n or not set_slot(scan.frame, nth_weekday=(n, zh_weekday(m["d"]))):
        return False
    return set_recurrence(scan.frame, "MONTHLY")


def _last_day_every(m: re.Match[str], scan: Scan) -> bool:
    day = {"初": 1, "中": 15}.get((m["p"] or "")[-1:], -1)
    return set_date(scan.frame, None, None, day) and set_recurrence(scan.frame, "MONTHLY")


def _workdays(m: re.Match[str], scan: Scan) -> bool:
    days = [5, 6] if "末" in m.group(0) or "六" in m.group(0) else [0, 1, 2, 3, 4]
    return set_recurrence(scan.frame, "WEEKLY", 1, days)


def _interval(m: re.Match[str], *, gap_counts: bool = True) -> int | None:
    """Rule interval: "每三天" -> 3; "每隔一周"/"隔周" -> 2 (skip one: every second one).
    For hours and minutes "每隔3小时" is read as commonly meant: every 3 hours."""
    every_other = gap_counts and (bool(m["ge"]) or bool(m.groupdict().get("ge2")))
    n = _num(m["n"]) if m["n"] else 1
    if n is None:
        return None
    return n + 1 if every_other else n


def _every_week(m: re.Match[str], scan: Scan) -> bool | int:
    interval = _interval(m)
    if interval is None:
        return False
    if not m["days"]:
        return set_recurrence(scan.frame, "WEEKLY", interval)
    end = _day_list_end(m, scan)
    days = _weekday_list(scan.text[m.start("days") : end])
    return set_recurrence(scan.frame, "WEEKLY", interval, days) and end


_UNIT_FREQ = {
    "天": ("DAILY", None),
    "日": ("DAILY", None),
    "晚": ("DAILY", "night"),
    "夜": ("DAILY", "night"),
    "早": ("DAILY", "morning"),
    "朝": ("DAILY", "morning"),  # Cantonese "每朝八点"
    "月": ("MONTHLY", None),
    "年": ("YEARLY", None),
    "小时": ("HOURLY", None),
    "钟头": ("HOURLY", None),
    "分钟": ("MINUTELY", None),
}


def _every_unit(m: re.Match[str], scan: Scan) -> bool:
    freq, period = _UNIT_FREQ[m["u"]]
    if m["n"] == "半":
        if freq != "HOURLY":
            return False
        return set_recurrence(scan.frame, "MINUTELY", 30)
    interval = _interval(m, gap_counts=freq not in ("HOURLY", "MINUTELY"))
    if interval is None:
        return False
    if m["half"] and freq == "HOURLY":
        return set_recurrence(scan.frame, "MINUTELY", interval * 60 + 30)
    return set_recurrence(scan.frame, freq, interval, period=period)


def _daily(m: re.Match[str], scan: Scan) -> bool:
    return set_recurrence(scan.frame, "DAILY")


def _weekday_range(m: re.Match[str], scan: Scan) -> bool:
    days = _weekday_list(m.group(0))
    scan.frame.weekday_range = True
    return len(days) > 1 and set_recurrence(scan.frame, "WEEKLY", 1, days)


def _except(m: re.Match[str], scan: Scan) -> bool:
    """ "每天除了周日", "除周末外每天", "工作日（周五除外）": days taken out of a rule."""
    frame = scan.frame
    if frame.freq == "DAILY" and frame.interval == 1:
        base = list(range(7))
    elif frame.freq == "WEEKLY" and frame.byday:
        base = list(frame.byday)
    else:
        return False
    text = m["days"] or m["days2"]
    excluded = [5, 6] if "末" in text else _weekday_list(text)
    days = [day for day in base if day not in excluded]
    if not days or days == base:
        return False
    frame.freq, frame.byday = "WEEKLY", days
    return True


_EXCEPT_DAYS = rf"(?:{WW}末|週末|{WW}{WD}(?:{_DAY_SEP}{WW}?{WD})*)"


def _nth_in_month(m: re.Match[str], scan: Scan) -> bool:
    """ "下个月第一个周一", "1月的第二个星期五": one day, a nth weekday of a month."""
    n = -1 if m["last"] else _num(m["n"])
    if not n or not set_slot(scan.frame, nth_weekday=(n, zh_weekday(m["d"]))):
        return False
    if m["m"]:
        month = _num(m["m"])
        return month is not None and 1 <= month <= 12 and set_slot(scan.frame, month=month)
    shift = _MONTH_SHIFTS.get(m["shift"] or "") or 0
    return not shift or set_slot(scan.frame, month_shift=shift)


_RECURRENCE = [
    _rule(
        "recur",
        rf"每个?月的?(?:第(?P<n>[一二三四五1-5])个|(?P<last>最后一个)){WW}(?P<d>{WD})",
        _nth_weekday,
    ),
    _rule(
        "date",
        rf"(?:(?P<shift>这个月|本月|下下个?月|下个?月|次月)|(?<![\d个每])(?P<m>{ZH_NUM})\s*月份?)?"
        rf"的?(?:第(?P<n>[一二三四五1-5])个|(?P<last>最后一个)){WW}(?P<d>{WD})",
        _nth_in_month,
    ),
    _rule("recur", r"每个?月的?(?:最后一天|月底|月末|(?P<p>月?[初中]))", _last_day_every),
    _rule(
        "recur", r"(?:每个|每逢|每)?工作日|(?:每个|每逢|每)(?:周末|星期六日|礼拜六日)", _workdays
    ),
    _rule(
        "recur",
        rf"(?:每逢|每(?P<ge>隔)?|(?P<ge2>隔))\s*(?P<n>{ZH_NUM})?\s*个?\s*{WW}(?:的)?"
        rf"(?P<days>{_DAYS})?(?![次回遍])",
        _every_week,
    ),
    _rule(
        "recur",
        rf"每(?P<ge>隔)?\s*(?P<n>{ZH_NUM}|半)?\s*个?\s*(?P<half>半)?\s*个?"
        r"(?P<u>天|日|晚|夜|早|朝|月|年|小时|钟头|分钟)(?![次回遍])",
        _every_unit,
    ),
    _rule("recur", r"(?<![今明后後昨前每白当聊])(?:天天|日日)(?!气)", _daily),
    _rule("recur", rf"{WW}{WD}{_RANGE}{WW}?{WD}", _weekday_range),
    _rule(
        "recur",
        rf"[(（,，]?\s*(?:除了?|除去|不包括|不含)\s*(?P<days>{_EXCEPT_DAYS})\s*(?:以外|之外|外|除外)?"
        rf"\s*[)）]?|[(（,，]?\s*(?P<days2>{_EXCEPT_DAYS})\s*除外\s*[)）]?",
        _except,
    ),
]


# --- full dates ---------------------------------------------------------------------------


def _full_date(m: re.Match[str], scan: Scan) -> bool:
    year, month, day = _num(m["y"]), _num(m["m"]), _num(m["d"])
    if year is None or month is None or day is None:
        return False
    return set_date(scan.frame, year, month, day)


_LUNAR_MONTHS = {"正": 1, "冬": 11, "腊": 12}
_LUNAR_FESTIVALS = {
    "春节": (1, 1),
    "元宵节": (1, 15),
    "元宵": (1, 15),
    "端午节": (5, 5),
    "端午": (5, 5),
    "七夕": (7, 7),
    "中秋节": (8, 15),
    "中秋": (8, 15),
    "重阳节": (9, 9),
    "重阳": (9, 9),
    "除夕": (12, 30),
}
_LUNAR_FESTIVAL = "|".join(sorted(_LUNAR_FESTIVALS, key=len, reverse=True))
#: Festivals by name: their date is known for every year, so it is not asked about.
_FESTIVAL_KEYS = {
    "春节": "spring_festival",
    "元宵": "lantern",
    "端午": "dragon_boat",
    "七夕": "qixi",
    "中秋": "mid_autumn",
    "重阳": "double_ninth",
    "除夕": "lunar_new_years_eve",
    "清明": "qingming",
}


class _LunarMatch:
    """The two spellings of a lunar date ("农历正月初一", "正月初一") under one set of names."""

    def __init__(self, match: re.Match[str]) -> None:
        self._match = match

    def __getitem__(self, name: str) -> str | None:
        value = self._match[name]
        if value is None and name in ("m", "d"):
            value = self._match[name + "2"]
        return value


def _lunar_date(m: _LunarMatch, scan: Scan) -> bool:
    """ "农历八月十五", "正月初一", "中秋": a lunar date (asked about, never guessed)."""
    if m["fest"]:
        count = _num(m["n"]) if m["n"] else 0
        if count is None or count > 60:
            return False
        shift = -count if m["dir"] == "前" else count
        if shift and not set_slot(scan.frame, shift_days=shift):
            return False
        return set_slot(scan.frame, holiday=_FESTIVAL_KEYS[(m["fest"] or "")[:2]])
    month_text, raw = m["m"], m["d"] or ""
    month = _LUNAR_MONTHS.get(month_text or "") or _num(month_text)
    day = _num(raw[1:] if raw.startswith("初") else raw)
    if month is None or day is None or not (1 <= month <= 12 and 1 <= day <= 30):
        return False
    scan.frame.lunar = True
    return set_slot(scan.frame, month=month, day=day)


_FULL_DATES = [
    _rule(
        "date",
        rf"(?:(?:农历|阴历|旧历)\s*(?P<m>{ZH_NUM}|正|冬|腊)\s*月\s*(?P<d>初?{ZH_NUM})\s*[日号]?"
        rf"|(?P<m2>正|腊)月\s*(?P<d2>初?{ZH_NUM}))"
        rf"|(?P<fest>{_LUNAR_FESTIVAL}|清明)节?(?:(?P<dir>前|后)\s*(?P<n>{ZH_NUM})\s*天)?",
        lambda m, scan: _lunar_date(_LunarMatch(m), scan),
    ),
    _rule(
        "date",
        rf"(?P<y>\d{{4}}|[〇零一二三四五六七八九]{{4}})\s*年\s*(?P<m>{ZH_NUM})\s*月\s*"
        rf"(?P<d>{ZH_NUM})\s*[日号號]?",
        _full_date,
    ),
]

# --- durations ----------------------------------------------------------------------------

_UNIT = r"(?:秒钟?|分钟|分|刻钟|小时|钟头|钟|天|日|周|星期|礼拜|月|年)"
_PART = (
    rf"(?:(?:{ZH_NUM}|半)\s*个?\s*半?\s*{_UNIT}\s*半?"
    r"|(?<![\d一二三四五六七八九十两])个半\s*(?:钟头|钟|小时))"
)
_PART_RE = re.compile(
    rf"(?P<n>{ZH_NUM}|半)?\s*(?P<ge>个)?\s*(?P<half>半)?\s*(?P<u>{_UNIT})\s*(?P<half2>半)?"
)
_UNIT_SECONDS = {"秒": 1, "秒钟": 1, "分钟": 60, "分": 60, "刻钟": 900}
_UNIT_SECONDS.update({"小时": 3600, "钟头": 3600, "钟": 3600})
_UNIT_DAYS = {"天": 1, "日": 1, "周": 7, "星期": 7, "礼拜": 7}


def _duration_parts(text: str) -> list[tuple[float, str]] | None:
    parts: list[tuple[float, str]] = []
    for m in _PART_RE.finditer(text):
        unit = m["u"]
        if unit in ("月", "钟") and not m["ge"]:
            return None  # "3月" is March, "3钟" is nothing
        if m["n"] is None and not (m["ge"] and m["half"]):
            return None
        qty: float | None = 0.5 if m["n"] == "半" else _num(m["n"]) if m["n"] else 1  # 个半钟
        if qty is None:
            return None
        if m["half"] or m["half2"]:
            qty += 0.5
        parts.append((qty, unit))
    return parts or None


def _duration(m: re.Match[str], scan: Scan) -> bool:
    if not (m["pre"] or m["post"]):
        return False
    if scan.before(m.start(), 1) in ("点", "时", "點", "時"):
        return False
    parts = _duration_parts(m["body"])
    if parts is None:
        return False
    converted: list[tuple[float, str]] = []
    for qty, unit in parts:
        if unit in _UNIT_SECONDS:
            converted.append((qty * _UNIT_SECONDS[unit], "s"))
        elif unit in _UNIT_DAYS:
            converted.append((qty * _UNIT_DAYS[unit], "d"))
        else:
            converted.append((qty, "mo" if unit == "月" else "y"))
    return apply_duration(scan.frame, converted)


_SPAN_UNITS = {"天": "d", "日": "d", "周": "w", "星期": "w", "礼拜": "w", "月": "mo"}


def _span(m: re.Match[str], scan: Scan) -> bool:
    """How long a rule lasts: "连续7天", "持续一周", "共5次"."""
    if scan.frame.freq is None:
        return False
    count = _num(m["n"])
    if count is None or count < 1:
        return False
    unit = "times" if m["u"] in ("次", "回") else _SPAN_UNITS[m["u"]]
    return set_slot(scan.frame, span=(count, unit))


_DURATIONS = [
    _rule(
        "span",
        rf"(?:连续|持续|一共|总共|共)\s*(?P<n>{ZH_NUM})\s*个?\s*(?P<u>天|日|周|星期|礼拜|月|次|回)",
        _span,
    ),
    _rule(
        "duration",
        rf"(?P<pre>再过|过了?)?\s*(?P<body>{_PART}+?)(?P<post>之后|以后|过后|后)?"
        rf"(?=[^\d一二三四五六七八九十半个分钟小时天周月年]|$)",
        _duration,
    ),
]

# --- relative days ------------------------------------------------------------------------

_REL_DAYS = {
    "昨天": (-1, None),
    "昨晚": (-1, "night"),
    "前天": (-2, None),
    "今天": (0, None),
    "今日": (0, None),
    "今儿": (0, None),
    "今儿个": (0, None),
    "今早": (0, "morning"),
    "今晨": (0, "morning"),
    "今晚": (0, "night"),
    "今夜": (0, "night"),
    "明天": (1, None),
    "明日": (1, None),
    "明儿": (1, None),
    "明儿个": (1, None),
    "翌日": (1, None),
    "次日": (1, None),
    "明早": (1, "morning"),
    "明晨": (1, "morning"),
    "明晚": (1, "night"),
    "明夜": (1, "night"),
    "后天": (2, None),
    "後天": (2, None),
    "大后天": (3, None),
    "大後天": (3, None),
    "大大后天": (4, None),
    # Cantonese
    "听日": (1, None),
    "听朝": (1, "morning"),
    "听晚": (1, "night"),
    "后日": (2, None),
    "琴日": (-1, None),
    "后晚": (2, "night"),
}
_REL_DAY = "(?:" + "|".join(sorted(_REL_DAYS, key=len, reverse=True)) + ")"


def _relday(m: re.Match[str], scan: Scan) -> bool:
    offset, period = _REL_DAYS[m.group(0)]
    if not set_slot(scan.frame, day_offset=offset):
        return False
    if offset == 0:
        scan.frame.explicit_today = True
    return period is None or set_slot(scan.frame, period=period)


_RELATIVE_DAYS = [_rule("relday", _REL_DAY, _relday)]

# --- weekdays -----------------------------------------------------------------------------

_WEEK_MODS = {"这": 0, "这个": 0, "本": 0, "下": 1, "下个": 1, "下下": 2, "下下个": 2}
_WEEK_MODS.update({"上": -1, "上个": -1, "今个": 0})


def _weekday(m: re.Match[str], scan: Scan) -> bool | int:
    end = _day_list_end(m, scan)
    days = _weekday_list(scan.text[m.start("days") : end])
    if m["until"] and scan.frame.freq is not None:  # "每天8点直到周五"
        if len(days) != 1 or (m["mod"] or "") not in ("", "这", "这个", "本"):
            return False
        if m["tail"] and end == m.end("days"):
            end = m.end()
        return set_slot(scan.frame, until=("weekday", days[0], 0, 0)) and end
    if m["until"] or (m["tail"] and end == m.end("days")):
        return False
    if not days or not set_slot(scan.frame, weekdays=days):
        return False
    shift = _WEEK_MODS.get(m["mod"] or "")
    return (shift is None or set_slot(scan.frame, week_shift=shift)) and end


def _weekend(m: re.Match[str], scan: Scan) -> bool:
    shift = _WEEK_MODS.get(m["mod"] or "")
    if shift is not None and not set_slot(scan.frame, week_shift=shift):
        return False
    return set_slot(scan.frame, special="weekend")


_WEEKDAYS = [
    _rule(
        "weekday",
        rf"(?P<until>{_UNTIL_WORD})?\s*(?P<mod>下下个?|下个?|这个?|今个|本|上个?)?"
        rf"(?P<days>{WW}{WD}(?:{_DAY_SEP}{WW}?{WD})*)(?![次回遍])(?P<tail>\s*为止)?",
        _weekday,
    ),
    _rule("weekday", r"(?P<mod>下下个?|下个?|这个?|本)?(?:周末|週末)", _weekend),
]

# --- dates --------------------------------------------------------------------------------


def _month_day(m: re.Match[str], scan: Scan) -> bool:
    month, day = _num(m["m"]), _num(m["d"])
    if month is None or day is None:
        return False
    if _until(m, scan):
        if not (1 <= month <= 12 and 1 <= day <= 31):
            return False
        return set_slot(scan.frame, until=("date", 0, month, day))
    if re.match(_UNTIL_WORD, m.group(0)) or m.group(0).endswith("为止"):
        return False
    return set_date(scan.frame, None, month, day)


_PART_OF_MONTH = {"初": 1, "中": 15, "底": -1, "末": -1, "尾": -1}


def _month_part(m: re.Match[str], scan: Scan) -> bool:
    month = _num(m["m"])
    if month is None or not 1 <= month <= 12:
        return False
    return set_date(scan.frame, None, month, _PART_OF_MONTH[m["p"]])


_MONTH_SHIFTS = {"这个月": 0, "本月": 0, "下月": 1, "下个月": 1, "下下月": 2, "下下个月": 2}
_MONTH_SHIFTS["次月"] = 1


def _day_of_month(m: re.Match[str], scan: Scan) -> bool:
    day = _num(m["d"])
    if day is None or not 1 <= day <= 31:
        return False
    cue = m["shift"] or scan.touches_mask(m.start(), m.end())
    if m["suf"] == "日" and not (m["d"].isdigit() or cue):
        return False
    counted = re.match(r"[线楼门床房车位码球机院层]", scan.after(m.end(), 1))
    if m["suf"] != "日" and counted and not m["shift"]:
        return False  # "3号楼", "三号线": a building, a metro line
    shift = _MONTH_SHIFTS.get(m["shift"] or "")
    if shift and not set_slot(scan.frame, month_shift=shift):
        return False
    return set_date(scan.frame, None, None, day)


def _holiday(m: re.Match[str], scan: Scan) -> bool:
    month, day = ZH_HOLIDAYS[m["h"]]
    if m["dir"]:  # "国庆前一天", "元旦后两天"
        count = _num(m["n"])
        if count is None or count > 60:
            return False
        month, day = shifted_day(month, day, -count if m["dir"] == "前" else count)
    if _until(m, scan):
        return set_slot(scan.frame, until=("date", 0, month, day))
    return set_date(scan.frame, None, month, day)


def _monthdays(m: re.Match[str], scan: Scan) -> bool:
    """Several days of the month: "1号和15号", "每月1、15号"."""
    values = [_num(n) for n in re.findall(ZH_NUM, m["days"])]
    days = list(dict.fromkeys(v for v in values if v is not None))
    if len(days) < 2 or any(not 1 <= d <= 28 for d in days):
        return False
    if not set_date(scan.frame, None, None, days[0]):
        return False
    scan.frame.more_days = days[1:]
    return True


def _until(m: re.Match[str], scan: Scan) -> bool:
    """Whether the match ends a rule already read: "直到周五", "到15号为止"."""
    text = m.group(0)
    marked = text.startswith(("直到", "一直到", "截止到", "截至")) or text.endswith("为止")
    return marked and scan.frame.freq is not None


_HOLIDAY = "|".join(sorted(ZH_HOLIDAYS, key=len, reverse=True))


def _last_day(m: re.Match[str], scan: Scan) -> bool:
    """ "十月最后一天", "下个月最后一天", "这个月的最后一天"."""
    if m["m"]:
        month = _num(m["m"])
        return month is not None and 1 <= month <= 12 and set_date(scan.frame, None, month, -1)
    shift = _MONTH_SHIFTS.get(m["shift"])
    if shift and not set_slot(scan.frame, month_shift=shift):
        return False
    return set_date(scan.frame, None, None, -1)


_DATES = [
    _rule(
        "date",
        rf"(?:(?P<shift>这个月|本月|下下个?月|下个?月|次月)|(?<![\d个])(?P<m>{ZH_NUM})\s*月份?)\s*的?"
        r"\s*最后一天",
        _last_day,
    ),
    _rule(
        "date",
        rf"{_UNTIL_HEAD}(?<![\d一二三四五六七八九十第周])(?P<h>{_HOLIDAY})节?"
        rf"(?:(?P<dir>前|后|後)\s*(?P<n>{ZH_NUM})\s*天)?(?:那天|当天)?{_UNTIL_TAIL}",
        _holiday,
    ),
    _rule(
        "date",
        rf"(?<![\d月])(?P<days>(?:\d{{1,2}}|{CN_NUM})\s*[号號日]?(?:\s*(?:和|、|,|，|及|与|跟)\s*"
        rf"(?:\d{{1,2}}|{CN_NUM})\s*[号號日]?)+)(?<=[号號日])",
        _monthdays,
    ),
    _rule(
        "date",
        rf"{_UNTIL_HEAD}(?<![\d个])(?P<m>{ZH_NUM})\s*月份?\s*(?P<d>{ZH_NUM})\s*[日号號]?"
        rf"{_UNTIL_TAIL}",
        _month_day,
    ),
    _rule("date", rf"(?<![\d个])(?P<m>{ZH_NUM})\s*月份?(?P<p>[初中底末尾])", _month_part),
    _rule(
        "date",
        rf"(?P<shift>这个月|本月|下下个?月|下个?月|次月)?\s*的?\s*(?<![\d.])(?P<d>\d{{1,2}}|{CN_NUM})"
        r"\s*(?P<suf>[号號]|日)",
        _day_of_month,
    ),
]

# --- times --------------------------------------------------------------------------------

_GUARD_BEFORE = "快多少好慢大小高低有差早晚重轻近远些再一第这那几"


def _zh_hour(m: re.Match[str], scan: Scan) -> bool:
    hour = _num(m["h"])
    if hour is None:
        return False
    if hour > 24:
        if m["p"] or (m["h"].isdigit() and scan.touches_mask(m.start(), m.end())):
            scan.frame.invalid = True  # "明天25点": no such time, and no default either
            return True
        return False
    minute = _zh_minute(m)
    if minute is None:
        return False
    if m["cha"] or m["pcha"]:  # "两点差一刻", "差一刻两点": a quarter to two
        if not 0 < minute < 60:
            return False
        hour, minute = (hour - 1) % 24, 60 - minute
        if hour == 0 and not m["p"]:
            hour = 12
    if not _hour_is_plausible(m, scan, detailed=minute > 0 or bool(m["zheng"])):
        return False
    return add_time(
        scan.frame,
        _zh_clock(hour, minute, m["h"], m["p"]),
    ) and _zh_period(scan, m["p"])


def _zh_minute(m: re.Match[str]) -> int | None:
    if m["pcha"]:
        if m["pcq"]:
            return 15 if m["pcq"][0] in "一1" else 45
        value = _num(m["pcm"])
        return value if value is not None and value < 60 and not m["cha"] else None
    if m["cha"]:
        if m["cq"]:
            return 15 if m["cq"][0] in "一1" else 45
        value = _num(m["cm"]) if m["cm"] else None
        return value if value is not None and value < 60 else None
    if m["half"]:
        return 30
    if m["zi"]:  # Cantonese "三点一个字": 3:05
        count = _num(m["zi"])
        return count * 5 if count is not None and 0 < count < 12 else None
    if m["q"]:
        return 15 if m["q"][0] in "一1" else 45
    if m["m"]:
        minute = _num(m["m"].lstrip("零〇")) if m["m"].lstrip("零〇") else 0
        return minute if minute is not None and minute < 60 else None
    return 0


def _hour_is_plausible(m: re.Match[str], scan: Scan, detailed: bool) -> bool:
    """Digits, a part of day, minutes or a neighbouring time expression make "X点" a time.
    A bare "一点" is far more often "a bit" (多喝一点水) and is refused; other bare numerals
    are refused after 快/多/好/有/第… ("有两点建议")."""
    if m["p"] or m["h"].isdigit() or detailed or m["u"].endswith(("钟", "鐘")):
        return True
    if scan.touches_mask(m.start(), m.end()):
        return True
    if scan.after(m.end(), 1) in ("点", "儿", "點", "兒") or m["u"].startswith(("时", "時")):
        return False
    previous = scan.before(m.start(), 1)
    return m["h"] != "一" and (not previous or previous not in _GUARD_BEFORE)


def _zh_clock(hour: int, minute: int, raw: str, period: str | None) -> ClockTime:
    if hour == 24:
        return ClockTime(0, minute, "24h", next_day=True)
    if hour == 0 or hour >= 13 or (raw.isdigit() and raw.startswith("0")):
        return ClockTime(hour, minute, "24h")
    return ClockTime(hour, minute, None)


def _zh_period(scan: Scan, period: str | None) -> bool:
    return not period or set_slot(scan.frame, period=ZH_PERIODS[period])


def _zh_colon(m: re.Match[str], scan: Scan) -> bool:
    hour, minute = int(m["h"]), int(m["m"])
    if hour > 24 or minute > 59:
        return False
    return add_time(scan.frame, _zh_clock(hour, minute, m["h"], m["p"])) and _zh_period(
        scan, m["p"]
    )


def _same_time(m: re.Match[str], scan: Scan) -> bool:
    """The current time of day next to a day expression: "明天这个时候"."""
    if not scan.touches_mask(m.start(), m.end()):
        return False
    scan.frame.same_time = True
    return True


_TIMES = [
    _rule(
        "time",
        rf"(?P<p>{ZH_PERIOD})\s*(?P<h>\d{{1,2}})\s*[:：]\s*(?P<m>\d{{2}})(?!\d)",
        _zh_colon,
    ),
    _rule(
        "time",
        rf"(?:在|于)?(?P<p>{ZH_PERIOD})?\s*(?:(?P<pcha>差\s*(?:(?P<pcq>[一1三3]刻)|(?P<pcm>{ZH_NUM})"
        rf"\s*分钟?))\s*)?(?P<h>{ZH_NUM})\s*(?P<u>点钟?|點鐘?|时|時)\s*(?:过\s*(?=[零〇一二三四五六七八九十两半\d]))?"
        rf"(?:(?P<cha>差\s*(?:(?P<cq>[一1三3]刻)|(?P<cm>{ZH_NUM})\s*分钟?))|(?P<half>半)"
        rf"|(?P<q>[一1三3]刻|[一1三3]个骨)|(?P<zi>{ZH_NUM})\s*个字|(?P<zheng>整|正(?![在好式常确经]))"
        rf"|(?P<m>[零〇]?{ZH_NUM})\s*分?钟?)?"
        r"(?:左右|前后|前後|多)?",
        _zh_hour,
    ),
    _rule("time", r"的?(?:这个|同一|同样的?)(?:时候|时间|点)", _same_time),
]

_RANGE_END = (
    rf"(?:{ZH_PERIOD})?\s*{ZH_NUM}\s*(?:点钟?|點|时|時)\s*(?:半|[一1三3]刻|整|[零〇]?{ZH_NUM}\s*分?钟?)?"
    r"|\d{1,2}[:：]\d{2}"
)


def _range_end(m: re.Match[str], scan: Scan) -> bool:
    """Time ranges ("8点到9点"): keep the start, swallow "到9点" (neither time nor task)."""
    return bool(re.search(r"(?:[点點分半刻整]|\d)\s*$", scan.before(m.start(), 4)))


_RANGES = [_rule("range", rf"\s*(?:到|至|~|～|-|–|—)\s*(?:{_RANGE_END})", _range_end)]

# --- parts of day -------------------------------------------------------------------------


def _period(m: re.Match[str], scan: Scan) -> bool:
    if scan.after(m.end(), 1) == "好":
        return False
    return set_slot(scan.frame, period=ZH_PERIODS[m.group(0)])


_ANCHORS = {
    "work_end": ((17, 0), (18, 0), (19, 0)),
    "school_end": ((15, 0), (16, 0), (17, 0)),
    "work_start": ((7, 0), (8, 0), (9, 0)),
    "bed": ((21, 0), (22, 0), (23, 0)),
    "wake": ((6, 0), (7, 0), (8, 0)),
    "lunch_end": ((13, 0), (14, 0)),
    "dinner_end": ((19, 0), (20, 0)),
}


def _anchor(m: re.Match[str], scan: Scan) -> bool:
    """ "明天下班后", "放学后", "睡前": a time on the user's own day, offered as choices."""
    word = m.group(0)
    if scan.frame.times:  # "下班后7点": the clock time says it, the anchor its half of the day
        period = "morning" if word.startswith(("上班", "上学", "起床")) else "night"
        return scan.frame.period is not None or set_slot(scan.frame, period=period)
    if word.startswith(("下班", "放工", "收工")):
        key = "work_end"
    elif word.startswith(("放学", "下课")):
        key = "school_end"
    elif word.startswith(("上班", "上学")):
        key = "work_start"
    elif "睡" in word:
        key = "bed"
    elif word.startswith("起床"):
        key = "wake"
    elif "午" in word:
        key = "lunch_end"
    else:
        key = "dinner_end"
    return set_slot(scan.frame, anchor=_ANCHORS[key])


_PERIODS = [
    _rule(
        "anchor",
        r"(?:下班|放工|收工|放学|下课)(?:之后|以后|后|後|的时候|时)"
        r"|(?:上班|上学)(?:之前|以前|前)|(?:临睡|睡觉|睡)(?:之前|以前|前)|起床(?:之后|以后|后)"
        r"|(?:吃完?午饭|午饭)(?:之后|以后|后)|(?:吃完?晚饭|晚饭)(?:之后|以后|后)",
        _anchor,
    ),
    _rule(
        "period",
        r"凌晨|清晨|早晨|早上|上午|中午|正午|午后|下午|下昼|晏昼|朝早|傍晚|黄昏|晚上|晚间|夜里|夜间|夜晚"
        r"|半夜|深夜|午夜",
        _period,
    ),
]

# --- specials -------------------------------------------------------------------------------


def _end_month(m: re.Match[str], scan: Scan) -> bool:
    shift = _MONTH_SHIFTS.get((m["shift"] or "") + "月")
    if shift and not set_slot(scan.frame, month_shift=shift):
        return False
    return set_slot(scan.frame, special="end_month" if m["p"] in "底末尾" else "start_month")


def _early_month_day(m: re.Match[str], scan: Scan) -> bool:
    """ "下个月初三": the third of next month (初 counts the first ten days)."""
    day = _num(m["d"])
    if day is None or not 1 <= day <= 10:
        return False
    shift = _MONTH_SHIFTS.get((m["shift"] or "") + "月")
    if shift and not set_slot(scan.frame, month_shift=shift):
        return False
    return set_date(scan.frame, None, None, day)


def _week_alone(m: re.Match[str], scan: Scan) -> bool:
    return set_slot(scan.frame, week_shift=_WEEK_MODS[m["mod"]])


def _next_month(m: re.Match[str], scan: Scan) -> bool:
    return set_slot(scan.frame, month_shift=_MONTH_SHIFTS[m.group(0)])


def _year_end(m: re.Match[str], scan: Scan) -> bool:
    if m.group(0) == "明年":
        return set_slot(scan.frame, special="next_year")
    return set_slot(scan.frame, special="end_year")


_SPECIALS = [
    _rule(
        "special",
        r"(?:(?P<shift>这个|本|下下个?|下个?|次)?月)初(?P<d>十|[一二三四五六七八九])(?![十\d])",
        _early_month_day,
    ),
    _rule("special", r"(?:(?P<shift>这个|本|下下个?|下个?|次)?月)(?P<p>[底末初尾])", _end_month),
    _rule("special", rf"(?P<mod>下下个?|下个?|这个?|本){WW}(?![{WD[1:-1]}末])", _week_alone),
    _rule("special", r"下下个?月|下个?月|次月", _next_month),
    _rule("special", r"明年|年底|年末|年尾", _year_end),
]

# --- explicit zones ------------------------------------------------------------------------


def _zone(m: re.Match[str], scan: Scan) -> bool:
    """ "北京时间晚上8点", "纽约时间明天早上9点", "美东时间": next to a time."""
    if not (scan.frame.times and scan.touches_mask(m.start(), m.end())):
        return False
    place = m["place"]
    key = ZH_ZONE_NAMES.get(place)
    if key is None:
        from bot.timeparse.zones import place_zone  # zones builds on the grammar

        key = place_zone(place)
    return key is not None and set_slot(scan.frame, zone=(place + "时间", key))


_ZONES = [_rule("zone", r"(?P<place>[\u4e00-\u9fff]{2,5}?)(?:时间|时区)", _zone)]

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
