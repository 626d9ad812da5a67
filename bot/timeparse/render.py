"""Human-readable rendering of rules and one-off times in English ("en") and Chinese ("zh").

    describe_rule("FREQ=WEEKLY;INTERVAL=2;BYDAY=MO;BYHOUR=9;BYMINUTE=0", "en")
    -> "every other Monday at 09:00"      ("zh": "每隔一周的周一 09:00")
    format_when(datetime(2026, 11, 29, 15, 0), "zh") -> "2026年11月29日（周日）15:00"

Unknown languages fall back to English.
"""

from __future__ import annotations

import re
from datetime import datetime

from bot.timeparse.rules import WEEKDAY_CODES, parse_rule

__all__ = ["describe_rule", "format_when"]

_EN_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_EN_DAYS_SHORT = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_EN_MONTHS: tuple[str, ...] = ("January", "February", "March", "April", "May", "June", "July")
_EN_MONTHS += ("August", "September", "October", "November", "December")
_ZH_DAYS = "一二三四五六日"
_EN_NTH = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth", -1: "last"}
_ZH_NTH = {1: "第一个", 2: "第二个", 3: "第三个", 4: "第四个", 5: "第五个", -1: "最后一个"}
_WEEKDAYS = ["MO", "TU", "WE", "TH", "FR"]
_WEEKEND = ["SA", "SU"]


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _en_join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _byday(value: str) -> list[tuple[int | None, int]]:
    """Parse BYDAY: "1MO,-1FR" -> [(1, 0), (-1, 4)]; plain codes have no ordinal."""
    days = []
    for item in filter(None, value.split(",")):
        m = re.fullmatch(r"([+-]?\d+)?([A-Z]{2})", item)
        if m and m[2] in WEEKDAY_CODES:
            days.append((int(m[1]) if m[1] else None, WEEKDAY_CODES.index(m[2])))
    return days


def _monthday(parts: dict[str, str]) -> tuple[int, bool]:
    """The day of month, and whether shorter months use their last day instead
    ("BYMONTHDAY=28,29,30,31;BYSETPOS=-1" is "the 31st or the last day")."""
    days = [int(d) for d in parts.get("BYMONTHDAY", "1").split(",") if d]
    if parts.get("BYSETPOS") == "-1" and len(days) > 1:
        return max(days), True
    return days[0], False


def _times(parts: dict[str, str], lang: str) -> str:
    if "BYHOUR" not in parts:
        return ""
    minutes = [int(m) for m in parts.get("BYMINUTE", "0").split(",") if m]
    stamps = [f"{int(h):02d}:{m:02d}" for h in parts["BYHOUR"].split(",") for m in minutes]
    if lang == "zh":
        return " " + "、".join(stamps)
    return " at " + _en_join(stamps)


def _en_every(interval: int, unit: str) -> str:
    if interval == 1:
        return f"every {unit}"
    if interval == 2 and unit not in ("hour", "minute"):
        return f"every other {unit}"
    return f"every {interval} {unit}s"


def _en_weekly(parts: dict[str, str], interval: int) -> str:
    days = _byday(parts.get("BYDAY", ""))
    codes = [WEEKDAY_CODES[d] for _, d in days]
    if not days:
        return _en_every(interval, "week")
    if codes in (_WEEKDAYS, _WEEKEND) and interval == 1:
        return "every weekday" if codes == _WEEKDAYS else "every weekend"
    names = _en_join([_EN_DAYS[d] for _, d in days])
    if interval == 1:
        return f"every {names}"
    if interval == 2 and len(days) == 1:
        return f"every other {names}"
    return f"{_en_every(interval, 'week')} on {names}"


def _en_nths(days: list[tuple[int | None, int]]) -> str:
    """ "the second and fourth Tuesday", "the first Monday and the last Friday"."""
    if len({day for _, day in days}) == 1:
        nths = _en_join([_EN_NTH.get(nth or 1, _ordinal(nth or 1)) for nth, _ in days])
        return f"the {nths} {_EN_DAYS[days[0][1]]}"
    return _en_join(
        [f"the {_EN_NTH.get(nth or 1, _ordinal(nth or 1))} {_EN_DAYS[day]}" for nth, day in days]
    )


def _en_monthly(parts: dict[str, str], interval: int) -> str:
    head = _en_every(interval, "month")
    days = _byday(parts.get("BYDAY", ""))
    if days and days[0][0] is not None:
        return f"{head} on {_en_nths(days)}"
    listed = [int(d) for d in parts.get("BYMONTHDAY", "").split(",") if d]
    if len(listed) > 1 and "BYSETPOS" not in parts:
        return f"{head} on the {_en_join([_ordinal(d) for d in listed])}"
    monthday, or_last = _monthday(parts)
    text = f"{head} on the {'last day' if monthday == -1 else _ordinal(monthday)}"
    return text + (" (or the last day)" if or_last else "")


def _en_yearly(parts: dict[str, str], interval: int) -> str:
    head = _en_every(interval, "year")
    days = _byday(parts.get("BYDAY", ""))
    if "BYMONTH" in parts and days and days[0][0] is not None:
        month = _EN_MONTHS[int(parts["BYMONTH"].split(",")[0]) - 1]
        return f"{head} on {_en_nths(days)} of {month}"
    if "BYMONTH" in parts and "BYMONTHDAY" in parts:
        month = _EN_MONTHS[int(parts["BYMONTH"].split(",")[0]) - 1]
        return f"{head} on {month} {int(parts['BYMONTHDAY'].split(',')[0])}"
    return head


def _describe_en(parts: dict[str, str]) -> str:
    freq = parts.get("FREQ", "")
    interval = int(parts.get("INTERVAL", "1"))
    if freq == "DAILY":
        head = _en_every(interval, "day")
    elif freq == "WEEKLY":
        head = _en_weekly(parts, interval)
    elif freq == "MONTHLY":
        head = _en_monthly(parts, interval)
    elif freq == "YEARLY":
        head = _en_yearly(parts, interval)
    elif freq == "HOURLY":
        head = _en_every(interval, "hour")
    elif freq == "MINUTELY":
        head = _en_every(interval, "minute")
    else:
        head = "repeating"
    return head + _times(parts, "en") + _limit(parts, "en")


def _limit(parts: dict[str, str], lang: str) -> str:
    """ ", until Fri 27 Nov" / "，直到11月27日" / ", 5 times" / "，共5次"."""
    if "COUNT" in parts and parts["COUNT"].isdigit():
        count = int(parts["COUNT"])
        return f"，共{count}次" if lang == "zh" else f", {count} times"
    if "UNTIL" in parts:
        try:
            last = datetime.strptime(parts["UNTIL"][:8], "%Y%m%d")
        except ValueError:
            return ""
        if lang == "zh":
            return f"，直到{last.year}年{last.month}月{last.day}日"
        month = _EN_MONTHS[last.month - 1][:3]
        return f", until {_EN_DAYS_SHORT[last.weekday()]} {last.day} {month} {last.year}"
    return ""


def _zh_every(interval: int, unit: str, counter: str = "") -> str:
    if interval == 1:
        return f"每{unit}" if unit != "天" else "每天"
    if interval == 2:
        return f"每隔一{counter}{unit}"
    return f"每{interval}{counter}{unit}"


def _zh_weekly(parts: dict[str, str], interval: int) -> str:
    days = _byday(parts.get("BYDAY", ""))
    codes = [WEEKDAY_CODES[d] for _, d in days]
    if not days:
        return _zh_every(interval, "周")
    if codes in (_WEEKDAYS, _WEEKEND) and interval == 1:
        return "每个工作日" if codes == _WEEKDAYS else "每个周末"
    names = "周" + "、".join(_ZH_DAYS[d] for _, d in days)
    if interval == 1:
        return "每" + names
    return f"{_zh_every(interval, '周')}的{names}"


def _zh_nths(days: list[tuple[int | None, int]]) -> str:
    return "和".join(f"{_ZH_NTH.get(nth or 1, f'第{nth}个')}周{_ZH_DAYS[day]}" for nth, day in days)


def _zh_monthly(parts: dict[str, str], interval: int) -> str:
    head = "每月" if interval == 1 else f"{_zh_every(interval, '月', '个')}的"
    days = _byday(parts.get("BYDAY", ""))
    if days and days[0][0] is not None:
        return head + _zh_nths(days)
    listed = [int(d) for d in parts.get("BYMONTHDAY", "").split(",") if d]
    if len(listed) > 1 and "BYSETPOS" not in parts:
        return head + "和".join(f"{d}日" for d in listed)
    monthday, or_last = _monthday(parts)
    text = head + ("最后一天" if monthday == -1 else f"{monthday}日")
    return text + ("（或当月最后一天）" if or_last else "")


def _zh_yearly(parts: dict[str, str], interval: int) -> str:
    head = "每年" if interval == 1 else f"{_zh_every(interval, '年')}的"
    days = _byday(parts.get("BYDAY", ""))
    if "BYMONTH" in parts and days and days[0][0] is not None:
        return f"{head}{int(parts['BYMONTH'].split(',')[0])}月的{_zh_nths(days)}"
    if "BYMONTH" in parts and "BYMONTHDAY" in parts:
        month = int(parts["BYMONTH"].split(",")[0])
        return f"{head}{month}月{int(parts['BYMONTHDAY'].split(',')[0])}日"
    return head.rstrip("的")


def _describe_zh(parts: dict[str, str]) -> str:
    freq = parts.get("FREQ", "")
    interval = int(parts.get("INTERVAL", "1"))
    if freq == "DAILY":
        head = _zh_every(interval, "天")
    elif freq == "WEEKLY":
        head = _zh_weekly(parts, interval)
    elif freq == "MONTHLY":
        head = _zh_monthly(parts, interval)
    elif freq == "YEARLY":
        head = _zh_yearly(parts, interval)
    elif freq == "HOURLY":
        head = "每小时" if interval == 1 else f"每{interval}小时"
    elif freq == "MINUTELY":
        head = "每分钟" if interval == 1 else f"每{interval}分钟"
    else:
        head = "重复"
    return head + _times(parts, "zh") + _limit(parts, "zh")


def describe_rule(rrule: str, lang: str) -> str:
    """Render an RRULE for humans: "every weekday at 08:30" / "每个工作日 08:30".

    A malformed rule gives a generic "repeating" / "重复" rather than an exception."""
    parts = parse_rule(rrule)
    chinese = lang.lower().startswith("zh")
    try:
        return _describe_zh(parts) if chinese else _describe_en(parts)
    except (ValueError, IndexError):
        return "重复" if chinese else "repeating"


def format_when(dt: datetime, lang: str) -> str:
    """Render a one-off time: "Sun 29 Nov 2026, 15:00" / "2026年11月29日（周日）15:00"."""
    if lang.lower().startswith("zh"):
        return f"{dt.year}年{dt.month}月{dt.day}日（周{_ZH_DAYS[dt.weekday()]}）{dt:%H:%M}"
    month = _EN_MONTHS[dt.month - 1][:3]
    return f"{_EN_DAYS_SHORT[dt.weekday()]} {dt.day} {month} {dt.year}, {dt:%H:%M}"
