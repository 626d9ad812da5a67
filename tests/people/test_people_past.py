"""Reading when a contact happened: "2 weeks ago", "last Tuesday", "三天前", "上周二", "11/20";
never a day after today."""

from __future__ import annotations

from datetime import date

import pytest

from bot.people.past import find_past, months_back, without

SATURDAY = date(2026, 11, 28)


@pytest.mark.parametrize(
    ("text", "day", "rest"),
    [
        # English, relative
        ("2 weeks ago dinner", date(2026, 11, 14), "dinner"),
        ("dinner 3 days ago", date(2026, 11, 25), "dinner"),
        ("two weeks ago", date(2026, 11, 14), ""),
        ("a couple of weeks ago, drinks", date(2026, 11, 14), "drinks"),
        ("a few days back", date(2026, 11, 25), ""),
        ("a month ago", date(2026, 10, 28), ""),
        ("a year ago at the wedding", date(2025, 11, 28), "at the wedding"),
        ("yesterday lunch", date(2026, 11, 27), "lunch"),
        ("had coffee yesterday morning", date(2026, 11, 27), "had coffee"),
        ("last night, dinner", date(2026, 11, 27), "dinner"),
        ("the day before yesterday", date(2026, 11, 26), ""),
        ("this morning coffee", SATURDAY, "coffee"),
        ("lunch last week", date(2026, 11, 21), "lunch"),
        ("last month", date(2026, 10, 28), ""),
        # English, weekdays and weekends: the most recent such day before today
        ("last Tuesday", date(2026, 11, 24), ""),
        ("on Monday coffee", date(2026, 11, 23), "coffee"),
        ("coffee on Monday", date(2026, 11, 23), "coffee"),
        ("Friday night drinks", date(2026, 11, 27), "drinks"),
        ("on sat", date(2026, 11, 21), ""),
        ("last Saturday", date(2026, 11, 21), ""),
        ("last weekend hiking", date(2026, 11, 21), "hiking"),
        ("over the weekend", SATURDAY, ""),
        # Chinese, relative
        ("三天前一起吃饭", date(2026, 11, 25), "一起吃饭"),
        ("我们三天以前见过", date(2026, 11, 25), "我们见过"),
        ("两周前", date(2026, 11, 14), ""),
        ("两个星期前打了电话", date(2026, 11, 14), "打了电话"),
        ("十多天前", date(2026, 11, 18), ""),
        ("半个月前", date(2026, 11, 13), ""),
        ("一个多月前", date(2026, 10, 28), ""),
        ("两年前", date(2024, 11, 28), ""),
        ("几天前", date(2026, 11, 25), ""),
        ("昨天打了电话", date(2026, 11, 27), "打了电话"),
        ("昨晚吃饭", date(2026, 11, 27), "吃饭"),
        ("前天", date(2026, 11, 26), ""),
        ("大前天", date(2026, 11, 25), ""),
        ("今天早上喝茶", SATURDAY, "喝茶"),
        ("上周", date(2026, 11, 21), ""),
        ("上个月", date(2026, 10, 28), ""),
        ("上上周", date(2026, 11, 14), ""),
        ("去年", date(2025, 11, 28), ""),
        # Chinese, weekdays: 周二 the most recent, 上周二 in the previous calendar week
        ("周二", date(2026, 11, 24), ""),
        ("星期天去爬山", date(2026, 11, 22), "去爬山"),
        ("上周二见面", date(2026, 11, 17), "见面"),
        ("上个星期五", date(2026, 11, 20), ""),
        ("上周末", date(2026, 11, 21), ""),
        ("这周二", date(2026, 11, 24), ""),
        # dates: the latest such day up to today
        ("11/20 dinner", date(2026, 11, 20), "dinner"),
        ("dinner on 11/20", date(2026, 11, 20), "dinner"),
        ("12/20", date(2025, 12, 20), ""),
        ("20 Nov", date(2026, 11, 20), ""),
        ("on the 20th", date(2026, 11, 20), ""),
        ("the 30th", date(2026, 10, 30), ""),
        ("11月20日吃饭", date(2026, 11, 20), "吃饭"),
        ("20号", date(2026, 11, 20), ""),
        ("2026-11-02", date(2026, 11, 2), ""),
    ],
)
def test_past_days(text: str, day: date, rest: str) -> None:
    found = find_past(text, SATURDAY)
    assert found is not None, text
    assert found.day == day
    assert without(text, found.start, found.end) == rest


@pytest.mark.parametrize(
    "text",
    ["coffee in the park", "sat in the park", "tomorrow", "明天", "next week", "2027-01-02",
     "这周日", "下周二", "下个星期五", "每周二", "next Tuesday", "every Monday", ""],
)  # fmt: skip
def test_no_past_day(text: str) -> None:
    assert find_past(text, SATURDAY) is None


def test_weekdays_are_strictly_before_today() -> None:
    tuesday = date(2026, 11, 24)
    assert find_past("last Tuesday", tuesday).day == date(2026, 11, 17)  # type: ignore[union-attr]
    assert find_past("on Tuesday", tuesday).day == date(2026, 11, 17)  # type: ignore[union-attr]
    assert find_past("周二", tuesday).day == date(2026, 11, 17)  # type: ignore[union-attr]
    wednesday = date(2026, 11, 25)
    assert find_past("last Tuesday", wednesday).day == tuesday  # type: ignore[union-attr]


def test_last_weekend_from_sunday_and_monday() -> None:
    sunday, monday = date(2026, 11, 29), date(2026, 11, 30)
    assert find_past("last weekend", sunday).day == date(2026, 11, 21)  # type: ignore[union-attr]
    assert find_past("last weekend", monday).day == SATURDAY  # type: ignore[union-attr]
    assert find_past("上周末", monday).day == SATURDAY  # type: ignore[union-attr]
    assert find_past("over the weekend", sunday).day == SATURDAY  # type: ignore[union-attr]


def test_months_keep_the_day_or_the_months_last() -> None:
    assert months_back(date(2027, 3, 31), 1) == date(2027, 2, 28)
    assert months_back(date(2027, 1, 15), 2) == date(2026, 11, 15)
    assert find_past("a month ago", date(2027, 3, 31)).day == date(2027, 2, 28)  # type: ignore[union-attr]


def test_a_date_in_january_is_last_year() -> None:
    january = date(2027, 1, 3)
    assert find_past("12/20", january).day == date(2026, 12, 20)  # type: ignore[union-attr]
    assert find_past("12月20日", january).day == date(2026, 12, 20)  # type: ignore[union-attr]
    assert find_past("the 20th", january).day == date(2026, 12, 20)  # type: ignore[union-attr]
    assert find_past("2 weeks ago", january).day == date(2026, 12, 20)  # type: ignore[union-attr]


def test_the_first_reference_wins() -> None:
    found = find_past("yesterday, not 3 days ago", SATURDAY)
    assert found is not None and found.day == date(2026, 11, 27)
