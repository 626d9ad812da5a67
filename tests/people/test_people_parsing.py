"""Reading dates, cadences and Chinese numbers from people's words; names and relations."""

from __future__ import annotations

import pytest

from bot.people.calendar import GREGORIAN, LUNAR
from bot.people.parsing import CADENCE_OFF, find_cadence, find_date, parse_cadence, zh_number
from bot.people.relations import canonical_relation, match_people, name_key


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("03-14", (3, 14, None, GREGORIAN, False)),
        ("3/14", (3, 14, None, GREGORIAN, False)),
        ("14/03", (3, 14, None, GREGORIAN, False)),
        ("1990-03-14", (3, 14, 1990, GREGORIAN, False)),
        ("14.03.1990", (3, 14, 1990, GREGORIAN, False)),
        ("14 March", (3, 14, None, GREGORIAN, False)),
        ("March 14th, 1990", (3, 14, 1990, GREGORIAN, False)),
        ("the 2nd of Sept", (9, 2, None, GREGORIAN, False)),
        ("Feb 29", (2, 29, None, GREGORIAN, False)),
        ("3月14日", (3, 14, None, GREGORIAN, False)),
        ("三月十四号", (3, 14, None, GREGORIAN, False)),
        ("1990年3月14日", (3, 14, 1990, GREGORIAN, False)),
        ("农历八月十五", (8, 15, None, LUNAR, False)),
        ("阴历正月初一", (1, 1, None, LUNAR, False)),
        ("农历闰四月初八", (4, 8, None, LUNAR, True)),
        ("腊月二十三", (12, 23, None, LUNAR, False)),
        ("冬月廿九", (11, 29, None, LUNAR, False)),
        ("1960年农历八月十五", (8, 15, 1960, LUNAR, False)),
        ("农历一九六〇年八月十五", (8, 15, 1960, LUNAR, False)),
        ("lunar 8/15", (8, 15, None, LUNAR, False)),
        ("lunar leap 4/8", (4, 8, None, LUNAR, True)),
        ("lunar 闰4/8", (4, 8, None, LUNAR, True)),
        ("Eve lunar 闰 4/8", (4, 8, None, LUNAR, True)),
        ("lunar 4/8 leap", (4, 8, None, LUNAR, True)),
        ("lunar 4/8 (leap month)", (4, 8, None, LUNAR, True)),
        ("lunar leap month 4/8", (4, 8, None, LUNAR, True)),
        ("lunar 4/8 闰月", (4, 8, None, LUNAR, True)),
        ("闰4/8", (4, 8, None, LUNAR, True)),
        ("农历闰4/8", (4, 8, None, LUNAR, True)),
        ("农历 8/15", (8, 15, None, LUNAR, False)),
        ("lunar 8/15 1960", (8, 15, 1960, LUNAR, False)),
        ("lunar 4/8 leap, 1990", (4, 8, 1990, LUNAR, True)),
        ("15th day of the 8th lunar month", (8, 15, None, LUNAR, False)),
        ("妈妈农历八月十五生日", (8, 15, None, LUNAR, False)),
    ],
)
def test_dates(text: str, expected: tuple) -> None:
    found = find_date(text)
    assert found is not None
    assert (found.month, found.day, found.year, found.calendar, found.is_leap_month) == expected


def test_where_the_date_was() -> None:
    found = find_date("Anna Schmidt 03-14")
    assert found is not None and (found.start, found.end) == (13, 18)


def test_the_leap_words_are_part_of_the_date() -> None:
    for text in ("Eve lunar 4/8 leap", "Eve lunar 闰4/8", "Eve lunar leap 4/8"):
        found = find_date(text)
        assert found is not None and text[: found.start] == "Eve " and found.end == len(text)


@pytest.mark.parametrize(
    "text",
    ["2月30日", "13/13", "Feb 30", "lunar 13/1", "lunar 闰13/8", "闰4/31", "someday",
     "call mom", "2027"],
)  # fmt: skip
def test_no_date(text: str) -> None:
    assert find_date(text) is None


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("every 2 weeks", 14),
        ("every week", 7),
        ("every other month", 60),
        ("every 10 days", 10),
        ("twice a month", 15),
        ("once a year", 365),
        ("weekly", 7),
        ("monthly", 30),
        ("quarterly", 91),
        ("每周", 7),
        ("每两周", 14),
        ("每月", 30),
        ("每个月", 30),
        ("每三个月", 90),
        ("每季度", 91),
        ("两周一次", 14),
        ("半个月一次", 15),
        ("off", CADENCE_OFF),
        ("取消", CADENCE_OFF),
    ],
)
def test_cadences(text: str, days: int) -> None:
    assert parse_cadence(text) == days


def test_cadence_words_are_found_after_a_name() -> None:
    assert find_cadence("Anna every 2 weeks") == (14, 5, 18)
    assert find_cadence("妈妈每月") == (30, 2, 4)
    assert find_cadence("Tom off") == (CADENCE_OFF, 4, 7)
    assert find_cadence("Stoffel") is None
    assert parse_cadence("whenever") is None


@pytest.mark.parametrize(
    ("text", "number"),
    [("十五", 15), ("二十三", 23), ("廿一", 21), ("初八", 8), ("初十", 10), ("卅", 30),
     ("十", 10), ("三", 3), ("1990", 1990), ("一九九〇", 1990), ("百", None), ("", None)],
)  # fmt: skip
def test_chinese_numbers(text: str, number: int | None) -> None:
    assert zh_number(text) == number


@pytest.mark.parametrize(
    ("text", "key"),
    [("Mom", "mother"), ("我妈妈", "mother"), ("my older sister", "sister"), ("老公", "husband"),
     ("Best friend", "friend"), ("neighbour", "neighbor"), ("gardener", "gardener"), (None, None)],
)  # fmt: skip
def test_relations(text: str | None, key: str | None) -> None:
    assert canonical_relation(text) == key


def test_name_keys() -> None:
    assert name_key("  My  Anna's ") == "anna"
    assert name_key("我的妈妈") == "妈妈"
    assert name_key("My") == "my"


class _P:
    def __init__(self, id: int, name: str, relation_key: str | None = None, aliases=()) -> None:
        self.id, self.name, self.relation_key, self.aliases = id, name, relation_key, aliases


def test_matching_prefers_names_then_relations_then_first_names() -> None:
    people = [
        _P(1, "妈妈", "mother"),
        _P(2, "Anna Schmidt", "sister", ("Annie",)),
        _P(3, "Anna", "colleague"),
        _P(4, "Maria", "mother"),
    ]
    assert [m.person_id for m in match_people("mom", people)] == [1, 4]
    assert [m.person_id for m in match_people("妈妈", people)] == [1]
    assert [m.person_id for m in match_people("Anna", people)] == [3]
    assert [m.person_id for m in match_people("annie", people)] == [2]
    assert [m.person_id for m in match_people("my sister", people)] == [2]
    assert match_people("Bob", people) == []
