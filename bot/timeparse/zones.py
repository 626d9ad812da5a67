"""Resolve what a user types for ``/timezone`` into IANA zone names.

Accepted, in this order:

1. a zone abbreviation ("EST", "PST", "JST"; "CST"/"IST" are ambiguous and give several),
   checked first: "EST" and "MST" are also IANA keys, but fixed-offset legacy ones that know
   nothing of daylight saving, and people who type them mean New York or Denver;
2. an IANA name in any case or with spaces ("europe/berlin", "America/New York");
3. a UTC offset ("UTC+8", "GMT-5", "+05:30", "东八区");
4. a city or country in English or Chinese ("Berlin", "柏林", "New York", "北京", "India"):
   the city part of every IANA name plus a small alias table (countries with several zones,
   such as the USA, Canada, Russia, Australia, Mexico or Indonesia, give several);
5. the user's current local time ("15:40", "3:40pm", "下午3点40"), compared with ``now``.

Offsets (3 and 5) become a fixed zone when they are whole hours: ``Etc/GMT-8`` for UTC+8
(POSIX sign convention), ``UTC`` for 0.  A fixed zone is exact today but knows nothing of
daylight saving, so the bot should suggest naming a city; the IANA ``Etc`` area has no
fractional offsets, so +05:30 and friends give the city zones that currently use that
offset (Asia/Kolkata...).  A local time without am/pm, or one near the date line, gives
several candidates.  Results are canonical names (links such as "Asia/Calcutta" or
"Japan" are followed); [] means nothing matched.
"""

from __future__ import annotations

import importlib.resources
import re
from datetime import UTC, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from bot.timeparse import grammar_en, grammar_zh
from bot.timeparse.model import ClockTime
from bot.timeparse.numbers import cn_value, normalize
from bot.timeparse.resolve import period_reading
from bot.timeparse.scanner import MASK, Scan, run_rules

__all__ = [
    "ALIASES",
    "ALTERNATIVES",
    "canonical",
    "place_zone",
    "resolve_timezone",
    "timezone_alternatives",
]

_SKIP_AREAS = ("Etc/", "SystemV/", "US/", "Brazil/", "Canada/", "Chile/", "Mexico/")
_SKIP_NAMES = {"localtime", "Factory"}
_CLOCK_SLACK = 10  # minutes

#: Names that are not the city part of an IANA key: Chinese names, countries, big cities
#: that share a zone with another city.
ALIASES: dict[str, tuple[str, ...]] = {
    # China and neighbours
    "beijing": ("Asia/Shanghai",),
    "peking": ("Asia/Shanghai",),
    "china": ("Asia/Shanghai",),
    "guangzhou": ("Asia/Shanghai",),
    "shenzhen": ("Asia/Shanghai",),
    "hangzhou": ("Asia/Shanghai",),
    "chengdu": ("Asia/Shanghai",),
    "wuhan": ("Asia/Shanghai",),
    "nanjing": ("Asia/Shanghai",),
    "tianjin": ("Asia/Shanghai",),
    "xian": ("Asia/Shanghai",),
    "xi'an": ("Asia/Shanghai",),
    "suzhou": ("Asia/Shanghai",),
    "chongqing": ("Asia/Shanghai",),
    "taiwan": ("Asia/Taipei",),
    "japan": ("Asia/Tokyo",),
    "osaka": ("Asia/Tokyo",),
    "kyoto": ("Asia/Tokyo",),
    "korea": ("Asia/Seoul",),
    "south korea": ("Asia/Seoul",),
    "busan": ("Asia/Seoul",),
    "india": ("Asia/Kolkata",),
    "mumbai": ("Asia/Kolkata",),
    "bombay": ("Asia/Kolkata",),
    "delhi": ("Asia/Kolkata",),
    "new delhi": ("Asia/Kolkata",),
    "bangalore": ("Asia/Kolkata",),
    "bengaluru": ("Asia/Kolkata",),
    "vietnam": ("Asia/Ho_Chi_Minh",),
    "saigon": ("Asia/Ho_Chi_Minh",),
    "hanoi": ("Asia/Bangkok",),
    "thailand": ("Asia/Bangkok",),
    "indonesia": ("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"),
    "bali": ("Asia/Makassar",),
    "philippines": ("Asia/Manila",),
    "malaysia": ("Asia/Kuala_Lumpur",),
    "uae": ("Asia/Dubai",),
    "abu dhabi": ("Asia/Dubai",),
    "israel": ("Asia/Jerusalem",),
    "tel aviv": ("Asia/Jerusalem",),
    "turkey": ("Europe/Istanbul",),
    "turkiye": ("Europe/Istanbul",),
    "saudi arabia": ("Asia/Riyadh",),
    "qatar": ("Asia/Qatar",),
    "iran": ("Asia/Tehran",),
    "iraq": ("Asia/Baghdad",),
    "pakistan": ("Asia/Karachi",),
    "bangladesh": ("Asia/Dhaka",),
    "nepal": ("Asia/Kathmandu",),
    "sri lanka": ("Asia/Colombo",),
    "myanmar": ("Asia/Yangon",),
    "cambodia": ("Asia/Phnom_Penh",),
    "laos": ("Asia/Vientiane",),
    "mongolia": ("Asia/Ulaanbaatar",),
    "kazakhstan": ("Asia/Almaty",),
    "uzbekistan": ("Asia/Tashkent",),
    "hong kong": ("Asia/Hong_Kong",),
    "macau": ("Asia/Macau",),
    "macao": ("Asia/Macau",),
    "singapore": ("Asia/Singapore",),
    "jakarta": ("Asia/Jakarta",),
    "kuala lumpur": ("Asia/Kuala_Lumpur",),
    "ankara": ("Europe/Istanbul",),
    # Europe
    "uk": ("Europe/London",),
    "united kingdom": ("Europe/London",),
    "england": ("Europe/London",),
    "britain": ("Europe/London",),
    "manchester": ("Europe/London",),
    "edinburgh": ("Europe/London",),
    "germany": ("Europe/Berlin",),
    "munich": ("Europe/Berlin",),
    "frankfurt": ("Europe/Berlin",),
    "hamburg": ("Europe/Berlin",),
    "cologne": ("Europe/Berlin",),
    "france": ("Europe/Paris",),
    "spain": ("Europe/Madrid",),
    "barcelona": ("Europe/Madrid",),
    "italy": ("Europe/Rome",),
    "milan": ("Europe/Rome",),
    "netherlands": ("Europe/Amsterdam",),
    "switzerland": ("Europe/Zurich",),
    "geneva": ("Europe/Zurich",),
    "austria": ("Europe/Vienna",),
    "portugal": ("Europe/Lisbon",),
    "ireland": ("Europe/Dublin",),
    "scotland": ("Europe/London",),
    "wales": ("Europe/London",),
    "great britain": ("Europe/London",),
    "belgium": ("Europe/Brussels",),
    "luxembourg": ("Europe/Luxembourg",),
    "denmark": ("Europe/Copenhagen",),
    "norway": ("Europe/Oslo",),
    "sweden": ("Europe/Stockholm",),
    "finland": ("Europe/Helsinki",),
    "iceland": ("Atlantic/Reykjavik",),
    "poland": ("Europe/Warsaw",),
    "czechia": ("Europe/Prague",),
    "czech republic": ("Europe/Prague",),
    "slovakia": ("Europe/Bratislava",),
    "hungary": ("Europe/Budapest",),
    "romania": ("Europe/Bucharest",),
    "bulgaria": ("Europe/Sofia",),
    "greece": ("Europe/Athens",),
    "croatia": ("Europe/Zagreb",),
    "serbia": ("Europe/Belgrade",),
    "ukraine": ("Europe/Kyiv",),
    "kiev": ("Europe/Kyiv",),
    "belarus": ("Europe/Minsk",),
    "estonia": ("Europe/Tallinn",),
    "latvia": ("Europe/Riga",),
    "lithuania": ("Europe/Vilnius",),
    "holland": ("Europe/Amsterdam",),
    "russia": ("Europe/Moscow", "Asia/Yekaterinburg", "Asia/Novosibirsk", "Asia/Vladivostok"),
    "st petersburg": ("Europe/Moscow",),
    "saint petersburg": ("Europe/Moscow",),
    # Americas
    "usa": (
        "America/New_York",
        "America/Chicago",
        "America/Denver",
        "America/Los_Angeles",
    ),
    "us": ("America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles"),
    "united states": (
        "America/New_York",
        "America/Chicago",
        "America/Denver",
        "America/Los_Angeles",
    ),
    "america": ("America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles"),
    "nyc": ("America/New_York",),
    "new york city": ("America/New_York",),
    "boston": ("America/New_York",),
    "washington": ("America/New_York",),
    "washington dc": ("America/New_York",),
    "philadelphia": ("America/New_York",),
    "atlanta": ("America/New_York",),
    "miami": ("America/New_York",),
    "houston": ("America/Chicago",),
    "dallas": ("America/Chicago",),
    "austin": ("America/Chicago",),
    "san francisco": ("America/Los_Angeles",),
    "sf": ("America/Los_Angeles",),
    "la": ("America/Los_Angeles",),
    "seattle": ("America/Los_Angeles",),
    "san jose": ("America/Los_Angeles",),
    "san diego": ("America/Los_Angeles",),
    "las vegas": ("America/Los_Angeles",),
    "silicon valley": ("America/Los_Angeles",),
    "canada": ("America/Toronto", "America/Vancouver", "America/Edmonton", "America/Halifax"),
    "montreal": ("America/Toronto",),
    "ottawa": ("America/Toronto",),
    "calgary": ("America/Edmonton",),
    "brazil": ("America/Sao_Paulo",),
    "rio de janeiro": ("America/Sao_Paulo",),
    "argentina": ("America/Argentina/Buenos_Aires",),
    "mexico": ("America/Mexico_City", "America/Cancun", "America/Hermosillo", "America/Tijuana"),
    "chile": ("America/Santiago",),
    "colombia": ("America/Bogota",),
    "peru": ("America/Lima",),
    "venezuela": ("America/Caracas",),
    "cuba": ("America/Havana",),
    "arizona": ("America/Phoenix",),
    "hawaii": ("Pacific/Honolulu",),
    "alaska": ("America/Anchorage",),
    "eastern": ("America/New_York",),
    "central": ("America/Chicago",),
    "mountain": ("America/Denver",),
    "pacific": ("America/Los_Angeles",),
    # Oceania, Africa
    "australia": (
        "Australia/Sydney",
        "Australia/Brisbane",
        "Australia/Adelaide",
        "Australia/Perth",
    ),
    "canberra": ("Australia/Sydney",),
    "new zealand": ("Pacific/Auckland",),
    "wellington": ("Pacific/Auckland",),
    "egypt": ("Africa/Cairo",),
    "south africa": ("Africa/Johannesburg",),
    "cape town": ("Africa/Johannesburg",),
    "kenya": ("Africa/Nairobi",),
    "nigeria": ("Africa/Lagos",),
    "morocco": ("Africa/Casablanca",),
    "ghana": ("Africa/Accra",),
    "ethiopia": ("Africa/Addis_Ababa",),
    "tanzania": ("Africa/Dar_es_Salaam",),
    "墨西哥": ("America/Mexico_City", "America/Cancun", "America/Hermosillo", "America/Tijuana"),
    "印度尼西亚": ("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"),
    "印尼": ("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"),
    "葡萄牙": ("Europe/Lisbon",),
    "波兰": ("Europe/Warsaw",),
    "瑞典": ("Europe/Stockholm",),
    "挪威": ("Europe/Oslo",),
    "丹麦": ("Europe/Copenhagen",),
    "芬兰": ("Europe/Helsinki",),
    "希腊": ("Europe/Athens",),
    "乌克兰": ("Europe/Kyiv",),
    "比利时": ("Europe/Brussels",),
    "奥地利": ("Europe/Vienna",),
    "巴基斯坦": ("Asia/Karachi",),
    "沙特": ("Asia/Riyadh",),
    "伊朗": ("Asia/Tehran",),
    "蒙古": ("Asia/Ulaanbaatar",),
    "柬埔寨": ("Asia/Phnom_Penh",),
    "缅甸": ("Asia/Yangon",),
    "阿根廷": ("America/Argentina/Buenos_Aires",),
    "智利": ("America/Santiago",),
    "哥伦比亚": ("America/Bogota",),
    "秘鲁": ("America/Lima",),
    "南非": ("Africa/Johannesburg",),
    "肯尼亚": ("Africa/Nairobi",),
    "尼日利亚": ("Africa/Lagos",),
    "摩洛哥": ("Africa/Casablanca",),
    # Chinese names
    "北京": ("Asia/Shanghai",),
    "上海": ("Asia/Shanghai",),
    "中国": ("Asia/Shanghai",),
    "广州": ("Asia/Shanghai",),
    "深圳": ("Asia/Shanghai",),
    "杭州": ("Asia/Shanghai",),
    "成都": ("Asia/Shanghai",),
    "武汉": ("Asia/Shanghai",),
    "南京": ("Asia/Shanghai",),
    "天津": ("Asia/Shanghai",),
    "重庆": ("Asia/Shanghai",),
    "西安": ("Asia/Shanghai",),
    "苏州": ("Asia/Shanghai",),
    "厦门": ("Asia/Shanghai",),
    "青岛": ("Asia/Shanghai",),
    "长沙": ("Asia/Shanghai",),
    "沈阳": ("Asia/Shanghai",),
    "哈尔滨": ("Asia/Shanghai",),
    "乌鲁木齐": ("Asia/Urumqi", "Asia/Shanghai"),
    "香港": ("Asia/Hong_Kong",),
    "澳门": ("Asia/Macau",),
    "台北": ("Asia/Taipei",),
    "台湾": ("Asia/Taipei",),
    "东京": ("Asia/Tokyo",),
    "大阪": ("Asia/Tokyo",),
    "日本": ("Asia/Tokyo",),
    "首尔": ("Asia/Seoul",),
    "韩国": ("Asia/Seoul",),
    "新加坡": ("Asia/Singapore",),
    "吉隆坡": ("Asia/Kuala_Lumpur",),
    "马来西亚": ("Asia/Kuala_Lumpur",),
    "曼谷": ("Asia/Bangkok",),
    "泰国": ("Asia/Bangkok",),
    "河内": ("Asia/Bangkok",),
    "胡志明市": ("Asia/Ho_Chi_Minh",),
    "越南": ("Asia/Ho_Chi_Minh",),
    "雅加达": ("Asia/Jakarta",),
    "马尼拉": ("Asia/Manila",),
    "菲律宾": ("Asia/Manila",),
    "印度": ("Asia/Kolkata",),
    "孟买": ("Asia/Kolkata",),
    "新德里": ("Asia/Kolkata",),
    "迪拜": ("Asia/Dubai",),
    "以色列": ("Asia/Jerusalem",),
    "伊斯坦布尔": ("Europe/Istanbul",),
    "土耳其": ("Europe/Istanbul",),
    "莫斯科": ("Europe/Moscow",),
    "俄罗斯": ("Europe/Moscow", "Asia/Yekaterinburg", "Asia/Novosibirsk", "Asia/Vladivostok"),
    "伦敦": ("Europe/London",),
    "英国": ("Europe/London",),
    "都柏林": ("Europe/Dublin",),
    "爱尔兰": ("Europe/Dublin",),
    "巴黎": ("Europe/Paris",),
    "法国": ("Europe/Paris",),
    "柏林": ("Europe/Berlin",),
    "慕尼黑": ("Europe/Berlin",),
    "法兰克福": ("Europe/Berlin",),
    "德国": ("Europe/Berlin",),
    "马德里": ("Europe/Madrid",),
    "巴塞罗那": ("Europe/Madrid",),
    "西班牙": ("Europe/Madrid",),
    "罗马": ("Europe/Rome",),
    "米兰": ("Europe/Rome",),
    "意大利": ("Europe/Rome",),
    "阿姆斯特丹": ("Europe/Amsterdam",),
    "荷兰": ("Europe/Amsterdam",),
    "苏黎世": ("Europe/Zurich",),
    "瑞士": ("Europe/Zurich",),
    "维也纳": ("Europe/Vienna",),
    "布鲁塞尔": ("Europe/Brussels",),
    "斯德哥尔摩": ("Europe/Stockholm",),
    "赫尔辛基": ("Europe/Helsinki",),
    "华沙": ("Europe/Warsaw",),
    "布拉格": ("Europe/Prague",),
    "雅典": ("Europe/Athens",),
    "基辅": ("Europe/Kyiv",),
    "纽约": ("America/New_York",),
    "波士顿": ("America/New_York",),
    "华盛顿": ("America/New_York",),
    "费城": ("America/New_York",),
    "迈阿密": ("America/New_York",),
    "亚特兰大": ("America/New_York",),
    "芝加哥": ("America/Chicago",),
    "休斯顿": ("America/Chicago",),
    "达拉斯": ("America/Chicago",),
    "丹佛": ("America/Denver",),
    "凤凰城": ("America/Phoenix",),
    "洛杉矶": ("America/Los_Angeles",),
    "旧金山": ("America/Los_Angeles",),
    "西雅图": ("America/Los_Angeles",),
    "圣何塞": ("America/Los_Angeles",),
    "拉斯维加斯": ("America/Los_Angeles",),
    "硅谷": ("America/Los_Angeles",),
    "檀香山": ("Pacific/Honolulu",),
    "夏威夷": ("Pacific/Honolulu",),
    "安克雷奇": ("America/Anchorage",),
    "美国": ("America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles"),
    "多伦多": ("America/Toronto",),
    "温哥华": ("America/Vancouver",),
    "蒙特利尔": ("America/Toronto",),
    "加拿大": ("America/Toronto", "America/Vancouver", "America/Edmonton", "America/Halifax"),
    "墨西哥城": ("America/Mexico_City",),
    "圣保罗": ("America/Sao_Paulo",),
    "巴西": ("America/Sao_Paulo",),
    "布宜诺斯艾利斯": ("America/Argentina/Buenos_Aires",),
    "悉尼": ("Australia/Sydney",),
    "墨尔本": ("Australia/Melbourne",),
    "布里斯班": ("Australia/Brisbane",),
    "珀斯": ("Australia/Perth",),
    "阿德莱德": ("Australia/Adelaide",),
    "澳大利亚": ("Australia/Sydney", "Australia/Brisbane", "Australia/Adelaide", "Australia/Perth"),
    "澳洲": ("Australia/Sydney", "Australia/Brisbane", "Australia/Adelaide", "Australia/Perth"),
    "奥克兰": ("Pacific/Auckland",),
    "新西兰": ("Pacific/Auckland",),
    "开罗": ("Africa/Cairo",),
    "埃及": ("Africa/Cairo",),
    "约翰内斯堡": ("Africa/Johannesburg",),
    "内罗毕": ("Africa/Nairobi",),
    "拉各斯": ("Africa/Lagos",),
}

_ABBREVIATIONS: dict[str, tuple[str, ...]] = {
    "utc": ("UTC",),
    "gmt": ("UTC",),
    "z": ("UTC",),
    "zulu": ("UTC",),
    "cet": ("Europe/Berlin",),
    "cest": ("Europe/Berlin",),
    "eet": ("Europe/Athens",),
    "eest": ("Europe/Athens",),
    "wet": ("Europe/Lisbon",),
    "bst": ("Europe/London",),
    "msk": ("Europe/Moscow",),
    "est": ("America/New_York",),
    "edt": ("America/New_York",),
    "et": ("America/New_York",),
    "cst": ("America/Chicago", "Asia/Shanghai"),
    "cdt": ("America/Chicago",),
    "ct": ("America/Chicago",),
    "mst": ("America/Denver",),
    "mdt": ("America/Denver",),
    "mt": ("America/Denver",),
    "pst": ("America/Los_Angeles",),
    "pdt": ("America/Los_Angeles",),
    "pt": ("America/Los_Angeles",),
    "akst": ("America/Anchorage",),
    "akdt": ("America/Anchorage",),
    "hst": ("Pacific/Honolulu",),
    "hast": ("Pacific/Honolulu",),
    "ast": ("America/Halifax", "Asia/Riyadh"),
    "adt": ("America/Halifax",),
    "nst": ("America/St_Johns",),
    "ndt": ("America/St_Johns",),
    "wib": ("Asia/Jakarta",),
    "wita": ("Asia/Makassar",),
    "wit": ("Asia/Jayapura",),
    "pht": ("Asia/Manila",),
    "ict": ("Asia/Bangkok",),
    "pkt": ("Asia/Karachi",),
    "gst": ("Asia/Dubai",),
    "sast": ("Africa/Johannesburg",),
    "eat": ("Africa/Nairobi",),
    "wat": ("Africa/Lagos",),
    "brt": ("America/Sao_Paulo",),
    "art": ("America/Argentina/Buenos_Aires",),
    "aet": ("Australia/Sydney",),
    "nzt": ("Pacific/Auckland",),
    "met": ("Europe/Berlin",),
    "west": ("Europe/Lisbon",),
    "ist": ("Asia/Kolkata", "Europe/Dublin", "Asia/Jerusalem"),
    "jst": ("Asia/Tokyo",),
    "kst": ("Asia/Seoul",),
    "hkt": ("Asia/Hong_Kong",),
    "sgt": ("Asia/Singapore",),
    "aest": ("Australia/Sydney",),
    "aedt": ("Australia/Sydney",),
    "acst": ("Australia/Adelaide",),
    "awst": ("Australia/Perth",),
    "nzst": ("Pacific/Auckland",),
    "nzdt": ("Pacific/Auckland",),
    "北京时间": ("Asia/Shanghai",),
    "东京时间": ("Asia/Tokyo",),
    "格林尼治时间": ("UTC",),
    "世界时": ("UTC",),
}

#: Zones people may mean by a name that resolved to one zone; offered as a one-tap switch.
ALTERNATIVES: dict[str, tuple[str, ...]] = {
    "mst": ("America/Phoenix",),  # Arizona keeps MST all year
    "mt": ("America/Phoenix",),
    "mountain": ("America/Phoenix",),
    "america/denver": ("America/Phoenix",),
    "denver": ("America/Phoenix",),
    "est": ("America/Toronto",),
    "pst": ("America/Vancouver",),
    "gmt": ("Europe/London",),  # GMT in winter, BST in summer
    "brazil": ("America/Manaus", "America/Fortaleza"),
    "巴西": ("America/Manaus", "America/Fortaleza"),
}

_PREFIX = re.compile(
    r"^(?:(?:my\s+time\s*zone\s+is|time\s*zone[:\s]|tz[:\s]|i(?:'m|\s+am)\s+(?:in|at)|i\s+live\s+in"
    r"|in|my\s+(?:local\s+)?time\s+is|(?:the\s+)?(?:local\s+)?time\s+(?:here\s+)?is|now\s+it'?s"
    r"|it'?s(?:\s+now)?|it\s+is(?:\s+now)?|now)(?:\s+|:\s*|$)"
    r"|(?:我在|我住在|我现在在|在|时区[:：是\s]*|现在是|现在)\s*)",
    re.IGNORECASE,
)
_SUFFIX = re.compile(r"\s*(?:time|时间|时区|now|right\s+now|here|了|市|[.!。！])$", re.IGNORECASE)
_OFFSET = re.compile(
    r"^(?:utc|gmt|z)?\s*(?P<sign>[+\-−])\s*(?P<h>\d{1,2})(?:(?::|h)?(?P<m>\d{2})|\.(?P<f>5|75|25))?$",
    re.IGNORECASE,
)
_ZH_OFFSET = re.compile(r"^(?P<side>东|西)(?P<h>[\d一二三四五六七八九十]+)区$")


@cache
def _links() -> dict[str, str]:
    """Backward-compatible link -> canonical zone, from tzdata's tzdata.zi."""
    try:
        text = importlib.resources.files("tzdata").joinpath("zoneinfo/tzdata.zi").read_text()
    except (ModuleNotFoundError, FileNotFoundError, OSError):
        return {}
    links = {}
    for line in text.splitlines():
        if line.startswith("L "):
            _, target, name = line.split()[:3]
            links[name] = target
    return links


def canonical(name: str) -> str:
    """The canonical zone of an IANA name or link ("Asia/Calcutta" -> "Asia/Kolkata")."""
    target = _links().get(name, name)
    return "UTC" if target in ("Etc/UTC", "Etc/GMT", "GMT") else target


@cache
def _zone_keys() -> dict[str, str]:
    """lowercase (spaces and underscores folded) IANA name -> IANA name."""
    return {
        _fold(z): z
        for z in available_timezones()
        if z not in _SKIP_NAMES and not z.startswith(("posix/", "right/"))
    }


@cache
def _city_index() -> dict[str, tuple[str, ...]]:
    index: dict[str, set[str]] = {}
    for zone in available_timezones():
        if "/" not in zone or zone.startswith(_SKIP_AREAS) or zone.startswith(("posix/", "right/")):
            continue
        city = zone.rsplit("/", 1)[1]
        for key in {_fold(city), _fold(city).replace(" ", "")}:
            index.setdefault(key, set()).add(canonical(zone))
    return {k: tuple(sorted(v)) for k, v in index.items()}


def _fold(name: str) -> str:
    return re.sub(r"[\s_]+", " ", name.strip().lower())


def _unique(zones: list[str] | tuple[str, ...]) -> list[str]:
    seen: list[str] = []
    for zone in zones:
        name = canonical(zone)
        if name not in seen:
            seen.append(name)
    return seen


def _offset_zones(minutes: int, now: datetime) -> list[str]:
    """Zones for a UTC offset: a fixed Etc zone for whole hours, else city zones that use
    the offset at ``now``."""
    if minutes == 0:
        return ["UTC"]
    if minutes % 60 == 0 and -12 <= minutes // 60 <= 14:
        return [f"Etc/GMT{-minutes // 60:+d}"]
    found = []
    for zone in sorted(set(_city_index_values())):
        offset = now.astimezone(ZoneInfo(zone)).utcoffset()
        if offset is not None and offset == timedelta(minutes=minutes):
            found.append(zone)
    return found


@cache
def _city_index_values() -> tuple[str, ...]:
    return tuple(z for zones in _city_index().values() for z in zones)


def _parse_offset(text: str) -> int | None:
    m = _OFFSET.match(text)
    if m:
        minutes = int(m["h"]) * 60 + int(m["m"] or 0)
        if m["f"]:
            minutes += int(60 * float("0." + m["f"]))
        if int(m["m"] or 0) >= 60 or minutes > 14 * 60:
            return None
        return -minutes if m["sign"] in "-−" else minutes
    m = _ZH_OFFSET.match(text)
    if m:
        hours = cn_value(m["h"])
        if hours is None or hours > 12:
            return None
        return hours * 60 if m["side"] == "东" else -hours * 60
    return None


def _local_clock(text: str) -> list[tuple[int, int]]:
    """(hour, minute) readings of a bare local time ("3:40pm", "下午3点40", "15:40")."""
    scan = Scan(text)
    rules = [
        *grammar_zh.STAGES["times"],
        *grammar_en.STAGES["times"],
        *grammar_zh.STAGES["periods"],
        *grammar_en.STAGES["periods"],
    ]
    run_rules(scan, rules)
    rest = scan.masked.replace(MASK, "")
    frame = scan.frame
    if rest.strip(" ,.") or len(frame.times) != 1:
        return []
    return _clock_readings(frame.times[0], frame.period)


def _clock_readings(clock: ClockTime, period: str | None) -> list[tuple[int, int]]:
    if clock.next_day:
        return [(0, clock.minute)]
    if clock.meridiem in ("am", "pm"):
        return [(clock.hour % 12 + (12 if clock.meridiem == "pm" else 0), clock.minute)]
    if clock.meridiem == "24h":
        return [(clock.hour % 24, clock.minute)]
    if period:
        return [(period_reading(clock.hour, period)[1], clock.minute)]
    hours = [12, 0] if clock.hour == 12 else [clock.hour % 12, clock.hour % 12 + 12]
    return [(h, clock.minute) for h in hours]


def _known_offsets(now: datetime) -> set[int]:
    """Offsets (minutes) in use at ``now``: every whole hour plus those of city zones."""
    offsets = {h * 60 for h in range(-12, 15)}
    for zone in set(_city_index_values()):
        offset = now.astimezone(ZoneInfo(zone)).utcoffset()
        if offset is not None:
            offsets.add(int(offset.total_seconds() // 60))
    return offsets


def _zones_from_local_time(text: str, now: datetime) -> list[str]:
    """Zones whose offset makes ``text`` the local time at ``now`` (10 minutes of slack for a
    clock read a little early or late)."""
    utc = now.astimezone(UTC)
    utc_minutes = utc.hour * 60 + utc.minute + utc.second / 60
    known = _known_offsets(now)
    zones: list[str] = []
    for hour, minute in _local_clock(text):
        diff = hour * 60 + minute - utc_minutes
        for candidate in (diff, diff - 1440, diff + 1440):
            distance, nearest = min((abs(candidate - offset), offset) for offset in known)
            if distance <= _CLOCK_SLACK:
                zones.extend(_offset_zones(nearest, now))
    return _unique(zones)


def _lookup_name(query: str) -> list[str]:
    folded = _fold(query)
    if folded in _ABBREVIATIONS:  # before IANA keys: "EST" means New York, not UTC-5
        return _unique(_ABBREVIATIONS[folded])
    if folded in _zone_keys():
        return _unique([_zone_keys()[folded]])
    if folded in ALIASES:
        return _unique(ALIASES[folded])
    index = _city_index()
    for key in (folded, folded.replace(" ", ""), folded.replace("st ", "saint ")):
        if key in index:
            return _unique(index[key])
    if "," in folded:
        return _lookup_name(folded.split(",")[0])
    return []


def place_zone(name: str) -> str | None:
    """The one IANA zone of a city or country name ("Tokyo", "纽约", "New York"), None when
    the name is unknown or has several zones (a time "in US time" must be asked about)."""
    folded = _fold(name)
    if len(folded) < 2 or folded in _ABBREVIATIONS:
        return None
    found = _lookup_name(name)
    return found[0] if len(found) == 1 else None


def _query(text: str) -> str:
    query = normalize(text or "").strip()[:80]
    return _SUFFIX.sub("", _PREFIX.sub("", query, count=1)).strip()


def timezone_alternatives(text: str) -> tuple[str, ...]:
    """Other zones someone may mean by ``text`` when it resolved to one ("MST": Phoenix,
    which keeps standard time all year, besides Denver)."""
    return ALTERNATIVES.get(_fold(_query(text)), ())


def resolve_timezone(text: str, now: datetime) -> list[str]:
    """Candidate IANA zones for a zone name, city, offset or current local time (see the
    module docstring); the most likely first, [] when nothing matches."""
    query = _query(text)
    if not query:
        return []
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    found = _lookup_name(query)
    if found:
        return found
    offset = _parse_offset(query.replace(" ", ""))
    if offset is not None:
        return _offset_zones(offset, now)
    return _zones_from_local_time(query, now)
