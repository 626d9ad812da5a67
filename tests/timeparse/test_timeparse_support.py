"""Expressions that are read for real (or asked about with choices), and impossible ones.

Reference moment: Wednesday 2026-11-25 10:30 in Europe/Berlin.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.timeparse import describe_rule, occurrences, parse_when

BERLIN = "Europe/Berlin"
NOW = datetime(2026, 11, 25, 10, 30, tzinfo=ZoneInfo(BERLIN))


def _local(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M")


ONE_OFF = [
    # (text, first occurrence, flags that must be present, task)
    ("at 17h call mom", "2026-11-25 17:00", (), "call mom"),
    ("17h30 meeting", "2026-11-25 17:30", (), "meeting"),
    ("tomorrow 9h15 dentist", "2026-11-26 09:15", (), "dentist"),
    ("half 5", "2026-11-25 17:30", ("ampm",), None),
    ("at half seven tonight", "2026-11-25 19:30", (), None),
    ("10 to 6 this evening", "2026-11-25 17:50", (), None),
    ("ten to six this evening", "2026-11-25 17:50", (), None),
    ("at 10 to 6 pick up Tom", "2026-11-25 17:50", ("ampm",), "pick up Tom"),
    ("first Monday in January", "2027-01-04 09:00", ("day_only",), None),
    ("the last Friday of next month", "2026-12-25 09:00", ("day_only",), None),
    ("下个月第一个周一", "2026-12-07 09:00", ("day_only",), None),
    ("1月的第二个星期五开会", "2027-01-08 09:00", ("day_only",), "开会"),
    ("两点差一刻", "2026-11-25 13:45", ("ampm",), None),
    ("下午两点差五分开会", "2026-11-25 13:55", (), "开会"),
    ("明天8点差5分", "2026-11-26 07:55", ("ampm",), None),
    ("in 3 weeks on Friday", "2026-12-18 09:00", ("day_only",), None),
    ("a week on Friday", "2026-12-04 09:00", ("day_only",), None),
    ("Monday week at 10am", "2026-12-07 10:00", (), None),
    ("two weeks on Tuesday", "2026-12-15 09:00", ("day_only",), None),
    ("国庆前一天", "2027-09-30 09:00", ("day_only",), None),
    ("元旦后两天上午10点", "2027-01-03 10:00", (), None),
    ("the day before Christmas at 6pm", "2026-12-24 18:00", (), None),
    ("12/3", "2027-03-12 09:00", ("date_order",), None),  # day-first zone: asked
    ("25/3", "2027-03-25 09:00", ("day_only",), None),  # only one reading
    ("3/3 at 10am", "2027-03-03 10:00", (), None),  # both readings are the same day
    ("明天下班后", "2026-11-26 17:00", ("anchor",), None),
    ("tomorrow after work buy milk", "2026-11-26 17:00", ("anchor",), "buy milk"),
    ("放学后接孩子", "2026-11-25 15:00", ("anchor",), "接孩子"),
    ("明天下班后7点", "2026-11-26 19:00", (), None),  # the clock time settles it
    ("tomorrow at 7 after work", "2026-11-26 19:00", (), None),
    ("农历八月十五吃月饼", "2027-09-15 09:00", ("lunar",), "吃月饼"),
    ("中秋节", "2027-09-15 09:00", ("day_only",), None),  # a festival's date is known: not asked
    ("tomorrow at 9 and 5", "2026-11-26 09:00", ("multi",), None),
    ("1号和15号交房租", "2026-12-01 09:00", ("multi",), "交房租"),
]


@pytest.mark.parametrize(("text", "expected", "flags", "task"), ONE_OFF)
def test_one_off(text: str, expected: str, flags: tuple[str, ...], task: str | None) -> None:
    result = parse_when(text, NOW, BERLIN)
    assert result is not None, text
    assert result.rrule is None
    assert _local(result.when) == expected
    assert set(flags) <= set(result.flags), result.flags
    assert "unparsed" not in result.flags, result.unparsed
    assert result.task == task


RULES = [
    # (text, rrule, first three occurrences, task)
    (
        "weekly on Sundays",
        "FREQ=WEEKLY;BYDAY=SU;BYHOUR=9;BYMINUTE=0",
        ["2026-11-29 09:00", "2026-12-06 09:00", "2026-12-13 09:00"],
        None,
    ),
    (
        "every 2 weeks on Mondays at 8am",
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO;BYHOUR=8;BYMINUTE=0",
        ["2026-11-30 08:00", "2026-12-14 08:00", "2026-12-28 08:00"],
        None,
    ),
    (
        "every 2nd and 4th Tuesday",
        "FREQ=MONTHLY;BYDAY=2TU,4TU;BYHOUR=9;BYMINUTE=0",
        ["2026-12-08 09:00", "2026-12-22 09:00", "2027-01-12 09:00"],
        None,
    ),
    (
        "every first Monday in January at 10am",
        "FREQ=YEARLY;BYMONTH=1;BYDAY=1MO;BYHOUR=10;BYMINUTE=0",
        ["2027-01-04 10:00", "2028-01-03 10:00", "2029-01-01 10:00"],
        None,
    ),
    (
        "every Tuesday at 9 and 5 stand-up",
        "FREQ=WEEKLY;BYDAY=TU;BYHOUR=9,17;BYMINUTE=0",
        ["2026-12-01 09:00", "2026-12-01 17:00", "2026-12-08 09:00"],
        "stand-up",
    ),
    (
        "每周二9点和5点开会",
        "FREQ=WEEKLY;BYDAY=TU;BYHOUR=9,17;BYMINUTE=0",
        ["2026-12-01 09:00", "2026-12-01 17:00", "2026-12-08 09:00"],
        "开会",
    ),
    (
        "每月1号和15号交房租",
        "FREQ=MONTHLY;BYMONTHDAY=1,15;BYHOUR=9;BYMINUTE=0",
        ["2026-12-01 09:00", "2026-12-15 09:00", "2027-01-01 09:00"],
        "交房租",
    ),
    (
        "every month on the 1st and 15th",
        "FREQ=MONTHLY;BYMONTHDAY=1,15;BYHOUR=9;BYMINUTE=0",
        ["2026-12-01 09:00", "2026-12-15 09:00", "2027-01-01 09:00"],
        None,
    ),
    (
        "每隔3小时喝水",
        "FREQ=HOURLY;INTERVAL=3",
        ["2026-11-25 13:30", "2026-11-25 16:30", "2026-11-25 19:30"],
        "喝水",
    ),
    (
        "每隔20分钟",
        "FREQ=MINUTELY;INTERVAL=20",
        ["2026-11-25 10:50", "2026-11-25 11:10", "2026-11-25 11:30"],
        None,
    ),
    (
        "每隔一周的周三",
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=WE;BYHOUR=9;BYMINUTE=0",
        ["2026-12-02 09:00", "2026-12-16 09:00", "2026-12-30 09:00"],
        None,
    ),
    (
        "every day except weekends at 7",
        "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;BYHOUR=7;BYMINUTE=0",
        ["2026-11-26 07:00", "2026-11-27 07:00", "2026-11-30 07:00"],
        None,
    ),
    (
        "every day except Sunday at 8am",
        "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR,SA;BYHOUR=8;BYMINUTE=0",
        ["2026-11-26 08:00", "2026-11-27 08:00", "2026-11-28 08:00"],
        None,
    ),
    (
        "every weekday except Friday at 8am",
        "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH;BYHOUR=8;BYMINUTE=0",
        ["2026-11-26 08:00", "2026-11-30 08:00", "2026-12-01 08:00"],
        None,
    ),
    (
        "每天早上8点，周日除外",
        "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR,SA;BYHOUR=8;BYMINUTE=0",
        ["2026-11-26 08:00", "2026-11-27 08:00", "2026-11-28 08:00"],
        None,
    ),
    (
        "除周末外每天早上7点",
        "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;BYHOUR=7;BYMINUTE=0",
        ["2026-11-26 07:00", "2026-11-27 07:00", "2026-11-30 07:00"],
        None,
    ),
    (
        "starting Monday every day at 8am",
        "FREQ=DAILY;BYHOUR=8;BYMINUTE=0",
        ["2026-11-30 08:00", "2026-12-01 08:00", "2026-12-02 08:00"],
        None,
    ),
    (
        "从下周一开始每天早上8点跑步",
        "FREQ=DAILY;BYHOUR=8;BYMINUTE=0",
        ["2026-11-30 08:00", "2026-12-01 08:00", "2026-12-02 08:00"],
        "跑步",
    ),
    (
        "every day at 8am until Friday",
        "FREQ=DAILY;BYHOUR=8;BYMINUTE=0;UNTIL=20261127T235959",
        ["2026-11-26 08:00", "2026-11-27 08:00"],
        None,
    ),
    (
        "every day at 8am for 3 days",
        "FREQ=DAILY;BYHOUR=8;BYMINUTE=0;UNTIL=20261128T235959",
        ["2026-11-26 08:00", "2026-11-27 08:00", "2026-11-28 08:00"],
        None,
    ),
    (
        "every day at 8am for a week",
        "FREQ=DAILY;BYHOUR=8;BYMINUTE=0;UNTIL=20261202T235959",
        ["2026-11-26 08:00", "2026-11-27 08:00", "2026-11-28 08:00"],
        None,
    ),
    (
        "every Monday at 9am until 14 December",
        "FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0;UNTIL=20261214T235959",
        ["2026-11-30 09:00", "2026-12-07 09:00", "2026-12-14 09:00"],
        None,
    ),
    (
        "every Monday at 9am 2 times",
        "FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0;COUNT=2",
        ["2026-11-30 09:00", "2026-12-07 09:00"],
        None,
    ),
    (
        "每天晚上9点直到周五",
        "FREQ=DAILY;BYHOUR=21;BYMINUTE=0;UNTIL=20261127T235959",
        ["2026-11-25 21:00", "2026-11-26 21:00", "2026-11-27 21:00"],
        None,
    ),
    (
        "每天晚上9点，连续两天",
        "FREQ=DAILY;BYHOUR=21;BYMINUTE=0;UNTIL=20261126T235959",
        ["2026-11-25 21:00", "2026-11-26 21:00"],
        None,
    ),
]


@pytest.mark.parametrize(("text", "rrule", "expected", "task"), RULES)
def test_rules(text: str, rrule: str, expected: list[str], task: str | None) -> None:
    result = parse_when(text, NOW, BERLIN)
    assert result is not None, text
    assert result.rrule == rrule
    assert result.dtstart is not None
    found = occurrences(result.rrule, result.dtstart, NOW, 3)
    assert [_local(moment) for moment in found] == expected
    assert "unparsed" not in result.flags, result.unparsed
    assert result.task == task


@pytest.mark.parametrize(
    "text", ["tomorrow at 25:00", "at 13pm", "tomorrow at 10:75", "明天25点", "明天晚上25点开会"]
)
def test_impossible_clock_times_give_nothing(text: str) -> None:
    assert parse_when(text, NOW, BERLIN) is None


@pytest.mark.parametrize(
    ("text", "zone", "expected", "asked"),
    [
        ("3/12", "Europe/Berlin", ["2026-12-03 09:00", "2027-03-12 09:00"], True),
        ("3/12", "Europe/London", ["2026-12-03 09:00", "2027-03-12 09:00"], True),
        ("3/12", "UTC", ["2026-12-03 09:00", "2027-03-12 09:00"], True),
        ("3/12", "America/New_York", ["2027-03-12 09:00"], False),
        ("3/12", "America/Toronto", ["2027-03-12 09:00"], False),
        ("3/12", "Asia/Manila", ["2027-03-12 09:00"], False),
        ("3/12", "Asia/Shanghai", ["2027-03-12 09:00"], False),
        ("13/12", "Europe/Berlin", ["2026-12-13 09:00"], False),
        ("12/13", "Europe/Berlin", ["2026-12-13 09:00"], False),
    ],
)
def test_numeric_dates_ask_which_way_round(
    text: str, zone: str, expected: list[str], asked: bool
) -> None:
    result = parse_when(text, NOW.astimezone(ZoneInfo(zone)), zone)
    assert result is not None
    assert ("date_order" in result.flags) is asked
    readings = [result.when] if not asked else [choice.when for choice in result.choices]
    assert [_local(moment) for moment in readings] == expected


@pytest.mark.parametrize(
    ("text", "choices"),
    [
        ("明天下班后", ["2026-11-26 17:00", "2026-11-26 18:00", "2026-11-26 19:00"]),
        ("tomorrow before bed", ["2026-11-26 21:00", "2026-11-26 22:00", "2026-11-26 23:00"]),
        ("Monday and Friday at 9am", ["2026-11-27 09:00", "2026-11-30 09:00"]),
        ("tomorrow at 9 and 5", ["2026-11-26 09:00", "2026-11-26 17:00"]),
        ("1号和15号", ["2026-12-01 09:00", "2026-12-15 09:00"]),
        ("农历八月十五", ["2027-09-15 09:00"]),
    ],
)
def test_questions_carry_their_choices(text: str, choices: list[str]) -> None:
    result = parse_when(text, NOW, BERLIN)
    assert result is not None and result.needs_question
    assert [_local(choice.when) for choice in result.choices] == choices


def test_rules_on_the_users_day_offer_rules() -> None:
    result = parse_when("每天下班后", NOW, BERLIN)
    assert result is not None and result.ambiguity == "anchor"
    assert [c.rrule for c in result.choices] == [
        f"FREQ=DAILY;BYHOUR={hour};BYMINUTE=0" for hour in (17, 18, 19)
    ]


def test_named_festivals_are_not_asked_about() -> None:
    for text in ("中秋节", "春节前三天", "清明", "Easter", "Thanksgiving"):
        result = parse_when(text, NOW, BERLIN)
        assert result is not None and not result.needs_question, text


@pytest.mark.parametrize("text", ["每年中秋节", "every Easter"])
def test_yearly_moving_holidays_are_asked_about(text: str) -> None:
    result = parse_when(text, NOW, BERLIN)
    assert result is not None and result.needs_question


def test_yearly_lunar_dates_are_asked_about_without_a_gregorian_guess() -> None:
    result = parse_when("每年农历八月十五", NOW, BERLIN)
    assert result is not None and result.ambiguity == "lunar"
    assert result.choices == ()


def test_a_rule_whose_times_do_not_fit_is_asked_about() -> None:
    result = parse_when("every day at 9:30 and 17:00", NOW, BERLIN)
    assert result is not None and result.ambiguity == "multi"


@pytest.mark.parametrize(
    ("rrule", "english", "chinese"),
    [
        (
            "FREQ=MONTHLY;BYDAY=2TU,4TU;BYHOUR=9;BYMINUTE=0",
            "every month on the second and fourth Tuesday at 09:00",
            "每月第二个周二和第四个周二 09:00",
        ),
        (
            "FREQ=MONTHLY;BYMONTHDAY=1,15;BYHOUR=9;BYMINUTE=0",
            "every month on the 1st and 15th at 09:00",
            "每月1日和15日 09:00",
        ),
        (
            "FREQ=YEARLY;BYMONTH=1;BYDAY=1MO;BYHOUR=10;BYMINUTE=0",
            "every year on the first Monday of January at 10:00",
            "每年1月的第一个周一 10:00",
        ),
        (
            "FREQ=DAILY;BYHOUR=8;BYMINUTE=0;UNTIL=20261127T235959",
            "every day at 08:00, until Fri 27 Nov 2026",
            "每天 08:00，直到2026年11月27日",
        ),
        (
            "FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0;COUNT=2",
            "every Monday at 09:00, 2 times",
            "每周一 09:00，共2次",
        ),
    ],
)
def test_new_rule_parts_are_described(rrule: str, english: str, chinese: str) -> None:
    assert describe_rule(rrule, "en") == english
    assert describe_rule(rrule, "zh") == chinese
