"""Which way round a user writes "3/12": month first or day first, guessed from the zone.

Month-first short dates are the norm in the United States and its territories, Canada (mixed,
but month-first dominates in English), the Philippines and a few Pacific states, and in China,
Taiwan, Japan and Korea (year/month/day order, so "3/12" is the 12th of March).  Elsewhere, and
for zones without a country (UTC, fixed offsets), "3/12" is asked about when both readings are
possible.  Countries come from tzdata's ``zone.tab``.
"""

from __future__ import annotations

import importlib.resources
from functools import cache

__all__ = ["MONTH_FIRST_COUNTRIES", "country_of", "month_first"]

MONTH_FIRST_COUNTRIES = frozenset(
    {"US", "CA", "PH", "FM", "MH", "PW", "GU", "MP", "AS", "PR", "VI", "UM", "CN", "TW", "JP", "KR"}
)


@cache
def _countries() -> dict[str, str]:
    """IANA zone -> ISO country code, from tzdata's zone.tab (links followed)."""
    try:
        text = importlib.resources.files("tzdata").joinpath("zoneinfo/zone.tab").read_text()
    except (ModuleNotFoundError, FileNotFoundError, OSError):
        return {}
    found: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) >= 3:
            found[fields[2]] = fields[0]
    return found


def country_of(zone: str) -> str | None:
    """The ISO country code of a zone ("Europe/Berlin" -> "DE"); None for UTC and offsets."""
    from bot.timeparse.zones import canonical

    countries = _countries()
    return countries.get(zone) or countries.get(canonical(zone))


@cache
def month_first(zone: str) -> bool:
    """Whether "3/12" means the 12th of March for people in ``zone``."""
    return country_of(zone) in MONTH_FIRST_COUNTRIES
