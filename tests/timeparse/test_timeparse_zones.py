"""resolve_timezone: IANA names, cities, offsets and the user's local time."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.timeparse.zones import resolve_timezone

NOW = datetime(2026, 3, 10, 7, 40, tzinfo=UTC)  # 15:40 in Shanghai, 08:40 in Berlin

CASES = [
    ("europe/berlin", ["Europe/Berlin"]),
    ("America/New York", ["America/New_York"]),
    ("Asia/Calcutta", ["Asia/Kolkata"]),
    ("Berlin", ["Europe/Berlin"]),
    ("柏林", ["Europe/Berlin"]),
    ("New York", ["America/New_York"]),
    ("北京", ["Asia/Shanghai"]),
    ("上海", ["Asia/Shanghai"]),
    ("东京", ["Asia/Tokyo"]),
    ("London", ["Europe/London"]),
    ("Sydney", ["Australia/Sydney"]),
    ("Beijing", ["Asia/Shanghai"]),
    ("San Francisco", ["America/Los_Angeles"]),
    ("I'm in Berlin", ["Europe/Berlin"]),
    ("北京时间", ["Asia/Shanghai"]),
    ("Japan", ["Asia/Tokyo"]),
    ("PST", ["America/Los_Angeles"]),
    ("UTC", ["UTC"]),
    ("UTC+8", ["Etc/GMT-8"]),
    ("GMT-5", ["Etc/GMT+5"]),
    ("utc+14", ["Etc/GMT-14"]),
    ("东八区", ["Etc/GMT-8"]),
    ("+05:30", ["Asia/Colombo", "Asia/Kolkata"]),
    ("UTC+5:45", ["Asia/Kathmandu"]),
    ("15:40", ["Etc/GMT-8"]),
    ("3:40pm", ["Etc/GMT-8"]),
    ("下午3点40", ["Etc/GMT-8"]),
    ("现在是下午3点40分", ["Etc/GMT-8"]),
    ("15:43", ["Etc/GMT-8"]),  # a clock read a little late
    ("8:40 am", ["Etc/GMT-1"]),
    ("13:10", ["Asia/Colombo", "Asia/Kolkata"]),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_resolve_timezone(text: str, expected: list[str]) -> None:
    assert resolve_timezone(text, NOW) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("CST", ["America/Chicago", "Asia/Shanghai"]),
        ("3:40", ["Etc/GMT+4", "Etc/GMT-8"]),  # am or pm
        ("20:40", ["Etc/GMT-13", "Etc/GMT+11"]),  # either side of the date line
        ("美国", ["America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles"]),
    ],
)
def test_ambiguous_inputs_give_several_candidates(text: str, expected: list[str]) -> None:
    assert resolve_timezone(text, NOW) == expected


@pytest.mark.parametrize("text", ["", "hello", "我很好", "UTC+25", "Atlantis", "25:99"])
def test_unknown_inputs_give_nothing(text: str) -> None:
    assert resolve_timezone(text, NOW) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # abbreviations win over IANA's fixed-offset legacy keys of the same name
        ("EST", ["America/New_York"]),
        ("est", ["America/New_York"]),
        ("EDT", ["America/New_York"]),
        ("MST", ["America/Denver"]),
        ("PST", ["America/Los_Angeles"]),
        ("HST", ["Pacific/Honolulu"]),
        ("AKST", ["America/Anchorage"]),
        ("Eastern Time", ["America/New_York"]),
        ("Arizona", ["America/Phoenix"]),
        # countries, including names that start like a prefix ("in", "it's", "now")
        ("India", ["Asia/Kolkata"]),
        ("I live in India", ["Asia/Kolkata"]),
        ("Indianapolis", ["America/Indiana/Indianapolis"]),
        ("Italy", ["Europe/Rome"]),
        ("Japan", ["Asia/Tokyo"]),
        ("Korea", ["Asia/Seoul"]),
        ("UK", ["Europe/London"]),
        ("France", ["Europe/Paris"]),
        ("Spain", ["Europe/Madrid"]),
        ("Brazil", ["America/Sao_Paulo"]),
        ("Singapore", ["Asia/Singapore"]),
        ("Vietnam", ["Asia/Ho_Chi_Minh"]),
        ("Thailand", ["Asia/Bangkok"]),
        ("Portugal", ["Europe/Lisbon"]),
        ("Poland", ["Europe/Warsaw"]),
        ("in Ireland", ["Europe/Dublin"]),
        ("time zone: Tokyo", ["Asia/Tokyo"]),
    ],
)
def test_abbreviations_and_countries(text: str, expected: list[str]) -> None:
    assert resolve_timezone(text, NOW) == expected


@pytest.mark.parametrize(
    ("text", "count"),
    [("Australia", 4), ("Canada", 4), ("USA", 4), ("Russia", 4), ("Indonesia", 3), ("Mexico", 4)],
)
def test_countries_with_several_zones_ask(text: str, count: int) -> None:
    assert len(resolve_timezone(text, NOW)) == count


def test_alternatives_for_names_that_may_mean_another_zone() -> None:
    from bot.timeparse.zones import timezone_alternatives

    assert timezone_alternatives("MST") == ("America/Phoenix",)
    assert timezone_alternatives("Berlin") == ()
