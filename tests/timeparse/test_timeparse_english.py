"""English expressions: one-off times, rules, tasks and texts without a time.

Reference moment: Tuesday 2026-03-10 09:00 in Asia/Shanghai.
"""

from __future__ import annotations

import pytest
from timeparse_helpers import NOW, SHANGHAI, first_three, local

from bot.timeparse import parse_when

ONE_OFF = [
    # (text, local first occurrence, task)
    ("in 20 minutes", "2026-03-10 09:20", None),
    ("in 2 hours check the oven", "2026-03-10 11:00", "check the oven"),
    ("in half an hour stretch", "2026-03-10 09:30", "stretch"),
    ("in an hour and a half", "2026-03-10 10:30", None),
    ("in 1h30m", "2026-03-10 10:30", None),
    ("in 1.5 hours", "2026-03-10 10:30", None),
    ("in a couple of hours", "2026-03-10 11:00", None),
    ("in twenty-five minutes", "2026-03-10 09:25", None),
    ("20 minutes from now", "2026-03-10 09:20", None),
    ("2 hours later", "2026-03-10 11:00", None),
    ("remind me in 5 min to stretch", "2026-03-10 09:05", "stretch"),
    ("in 3 days follow up with Bob", "2026-03-13 09:00", "follow up with Bob"),
    ("in 2 weeks", "2026-03-24 09:00", None),
    ("in 6 months renew the lease", "2026-09-10 09:00", "renew the lease"),
    ("in 3 days at 5pm", "2026-03-13 17:00", None),
    ("tomorrow at 3pm call mom", "2026-03-11 15:00", "call mom"),
    ("call mom tomorrow at 3pm", "2026-03-11 15:00", "call mom"),
    ("remind me to call mom tomorrow at 3pm", "2026-03-11 15:00", "call mom"),
    ("tmrw 9am gym", "2026-03-11 09:00", "gym"),
    ("8pm tomorrow", "2026-03-11 20:00", None),
    ("tomorrow 9 standup", "2026-03-11 09:00", "standup"),
    ("the day after tomorrow at 7am run", "2026-03-12 07:00", "run"),
    ("tomorrow morning at 6:30 catch the train", "2026-03-11 06:30", "catch the train"),
    ("tomorrow morning", "2026-03-11 09:00", None),
    ("tomorrow evening at 7", "2026-03-11 19:00", None),
    ("at 5", "2026-03-10 17:00", None),
    ("at 10", "2026-03-10 10:00", None),
    ("at 5pm", "2026-03-10 17:00", None),
    ("at 18:30 leave for the cinema", "2026-03-10 18:30", "leave for the cinema"),
    ("at 7:45 pm take the pills", "2026-03-10 19:45", "take the pills"),
    ("call John at 4:15 PM", "2026-03-10 16:15", "call John"),
    ("around 4 p.m.", "2026-03-10 16:00", None),
    ("at noon lunch with Li", "2026-03-10 12:00", "lunch with Li"),
    ("at midnight", "2026-03-11 00:00", None),
    ("half past 3", "2026-03-10 15:30", None),
    ("quarter to 5 pm", "2026-03-10 16:45", None),
    ("at 3 o'clock", "2026-03-10 15:00", None),
    ("at seven thirty pm", "2026-03-10 19:30", None),
    ("9 in the morning", "2026-03-11 09:00", None),
    ("at 9 in the evening", "2026-03-10 21:00", None),
    ("tonight at 8 water the plants", "2026-03-10 20:00", "water the plants"),
    ("at 11 tonight", "2026-03-10 23:00", None),
    ("tonight", "2026-03-10 20:00", None),
    ("this evening", "2026-03-10 19:00", None),
    ("this afternoon at 4", "2026-03-10 16:00", None),
    ("on Friday at 10am send the invoice", "2026-03-13 10:00", "send the invoice"),
    ("friday 10:30 dentist", "2026-03-13 10:30", "dentist"),
    ("Sunday 5pm call grandpa", "2026-03-15 17:00", "call grandpa"),
    ("Tuesday at 5pm", "2026-03-10 17:00", None),
    ("Tuesday", "2026-03-17 09:00", None),
    ("this Friday at 4:30 PM", "2026-03-13 16:30", None),
    ("Sat 10am", "2026-03-14 10:00", None),
    ("Let's meet on sat at 5", "2026-03-14 17:00", "Let's meet"),
    ("next Monday at 9:00 plan the week", "2026-03-16 09:00", "plan the week"),
    ("next Friday 10am", "2026-03-20 10:00", None),
    ("Friday next week", "2026-03-20 09:00", None),
    ("Monday after next", "2026-03-23 09:00", None),
    ("Call the dentist next Thursday morning", "2026-03-19 09:00", "Call the dentist"),
    ("on March 14 at noon buy a cake", "2026-03-14 12:00", "buy a cake"),
    ("14 March at noon", "2026-03-14 12:00", None),
    ("March 20 book the flight", "2026-03-20 09:00", "book the flight"),
    ("the 5th of April at 10am", "2026-04-05 10:00", None),
    ("Oct. 1st 2026", "2026-10-01 09:00", None),
    ("March 3rd", "2027-03-03 09:00", None),
    ("3/14", "2026-03-14 09:00", None),
    ("31/12", "2026-12-31 09:00", None),
    ("on 4/5 at 2pm", "2026-04-05 14:00", None),
    ("2026-12-01 18:00", "2026-12-01 18:00", None),
    ("on 2026-04-02 at 08:15 renew passport", "2026-04-02 08:15", "renew passport"),
    ("Flight on 2026-05-01T06:45", "2026-05-01 06:45", "Flight"),
    ("on the 20th", "2026-03-20 09:00", None),
    ("on the 3rd at 4pm", "2026-04-03 16:00", None),
    ("on the first Monday of next month", "2026-04-06 09:00", None),
    ("end of the month", "2026-03-31 09:00", None),
    ("by end of week", "2026-03-13 09:00", None),
    ("next week", "2026-03-16 09:00", None),
    ("next month", "2026-04-01 09:00", None),
    ("this weekend", "2026-03-14 09:00", None),
    ("next weekend", "2026-03-21 09:00", None),
    ("EOD", "2026-03-10 17:00", None),
    ("meeting from 2 to 4pm", "2026-03-10 14:00", "meeting"),
    ("tomorrow 8-9pm yoga", "2026-03-11 20:00", "yoga"),
    ("Set a reminder for 7pm to call dad", "2026-03-10 19:00", "call dad"),
    ("don't forget to buy milk tomorrow", "2026-03-11 09:00", "buy milk"),
    ("at 9 sharp", "2026-03-10 21:00", None),
    ("at 7.30", "2026-03-10 19:30", None),
    ("tomorrow at lunch", "2026-03-11 12:00", None),
    ("this time tomorrow", "2026-03-11 09:00", None),
    ("christmas eve at 8pm", "2026-12-24 20:00", None),
    ("in a week's time call Bob", "2026-03-17 09:00", "call Bob"),
    ("remind me on Monday to call the bank at 10", "2026-03-16 10:00", "call the bank"),
]


@pytest.mark.parametrize(("text", "expected", "task"), ONE_OFF)
def test_one_off(text: str, expected: str, task: str | None) -> None:
    result = parse_when(text, NOW, SHANGHAI)
    assert result is not None, text
    assert result.rrule is None
    assert local(result) == expected
    assert result.task == task
    assert result.when.tzinfo is not None


RULES = [
    # (text, rrule, first three occurrences' local dates/times, task)
    (
        "every day at 7am vitamins",
        "FREQ=DAILY;BYHOUR=7;BYMINUTE=0",
        ["2026-03-11 07:00", "2026-03-12 07:00", "2026-03-13 07:00"],
        "vitamins",
    ),
    (
        "every other Monday at 9am water the plants",
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO;BYHOUR=9;BYMINUTE=0",
        ["2026-03-16 09:00", "2026-03-30 09:00", "2026-04-13 09:00"],
        "water the plants",
    ),
    (
        "every weekday at 8:30 check email",
        "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;BYHOUR=8;BYMINUTE=30",
        ["2026-03-11 08:30", "2026-03-12 08:30", "2026-03-13 08:30"],
        "check email",
    ),
    (
        "every month on the 1st",
        "FREQ=MONTHLY;BYMONTHDAY=1;BYHOUR=9;BYMINUTE=0",
        ["2026-04-01 09:00", "2026-05-01 09:00", "2026-06-01 09:00"],
        None,
    ),
    (
        "pay rent on the 15th of every month",
        "FREQ=MONTHLY;BYMONTHDAY=15;BYHOUR=9;BYMINUTE=0",
        ["2026-03-15 09:00", "2026-04-15 09:00", "2026-05-15 09:00"],
        "pay rent",
    ),
    (
        "every year on May 5",
        "FREQ=YEARLY;BYMONTH=5;BYMONTHDAY=5;BYHOUR=9;BYMINUTE=0",
        ["2026-05-05 09:00", "2027-05-05 09:00", "2028-05-05 09:00"],
        None,
    ),
    (
        "every Dec 25",
        "FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=25;BYHOUR=9;BYMINUTE=0",
        ["2026-12-25 09:00", "2027-12-25 09:00", "2028-12-25 09:00"],
        None,
    ),
    (
        "every 3 days at 20:00 clean the litter box",
        "FREQ=DAILY;INTERVAL=3;BYHOUR=20;BYMINUTE=0",
        ["2026-03-10 20:00", "2026-03-13 20:00", "2026-03-16 20:00"],
        "clean the litter box",
    ),
    (
        "weekdays at 9",
        "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;BYHOUR=9;BYMINUTE=0",
        ["2026-03-11 09:00", "2026-03-12 09:00", "2026-03-13 09:00"],
        None,
    ),
    (
        "on weekends at 10",
        "FREQ=WEEKLY;BYDAY=SA,SU;BYHOUR=10;BYMINUTE=0",
        ["2026-03-14 10:00", "2026-03-15 10:00", "2026-03-21 10:00"],
        None,
    ),
    (
        "every Saturday and Sunday at 10:00 long run",
        "FREQ=WEEKLY;BYDAY=SA,SU;BYHOUR=10;BYMINUTE=0",
        ["2026-03-14 10:00", "2026-03-15 10:00", "2026-03-21 10:00"],
        "long run",
    ),
    (
        "every Mon, Wed and Fri at 6pm gym",
        "FREQ=WEEKLY;BYDAY=MO,WE,FR;BYHOUR=18;BYMINUTE=0",
        ["2026-03-11 18:00", "2026-03-13 18:00", "2026-03-16 18:00"],
        "gym",
    ),
    (
        "Mondays and Thursdays at 7pm",
        "FREQ=WEEKLY;BYDAY=MO,TH;BYHOUR=19;BYMINUTE=0",
        ["2026-03-12 19:00", "2026-03-16 19:00", "2026-03-19 19:00"],
        None,
    ),
    (
        "Monday to Friday at 8",
        "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;BYHOUR=8;BYMINUTE=0",
        ["2026-03-11 08:00", "2026-03-12 08:00", "2026-03-13 08:00"],
        None,
    ),
    (
        "every last Friday of the month at 5pm drinks",
        "FREQ=MONTHLY;BYDAY=-1FR;BYHOUR=17;BYMINUTE=0",
        ["2026-03-27 17:00", "2026-04-24 17:00", "2026-05-29 17:00"],
        "drinks",
    ),
    (
        "every 2 weeks on Thursday",
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=TH;BYHOUR=9;BYMINUTE=0",
        ["2026-03-12 09:00", "2026-03-26 09:00", "2026-04-09 09:00"],
        None,
    ),
    (
        "remind me to take my pills every day at 8 am and 8 pm",
        "FREQ=DAILY;BYHOUR=8,20;BYMINUTE=0",
        ["2026-03-10 20:00", "2026-03-11 08:00", "2026-03-11 20:00"],
        "take my pills",
    ),
    (
        "every night at 10 pm",
        "FREQ=DAILY;BYHOUR=22;BYMINUTE=0",
        ["2026-03-10 22:00", "2026-03-11 22:00", "2026-03-12 22:00"],
        None,
    ),
    (
        "every 30 minutes drink water",
        "FREQ=MINUTELY;INTERVAL=30",
        ["2026-03-10 09:30", "2026-03-10 10:00", "2026-03-10 10:30"],
        "drink water",
    ),
    (
        "every quarter",
        "FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=10;BYHOUR=9;BYMINUTE=0",
        ["2026-04-10 09:00", "2026-07-10 09:00", "2026-10-10 09:00"],
        None,
    ),
    (
        "every month on the 31st",
        "FREQ=MONTHLY;BYMONTHDAY=28,29,30,31;BYHOUR=9;BYMINUTE=0;BYSETPOS=-1",
        ["2026-03-31 09:00", "2026-04-30 09:00", "2026-05-31 09:00"],
        None,
    ),
    (
        "every Monday starting next week",
        "FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0",
        ["2026-03-16 09:00", "2026-03-23 09:00", "2026-03-30 09:00"],
        None,
    ),
    (
        "every day at 7 starting the day after tomorrow",
        "FREQ=DAILY;BYHOUR=7;BYMINUTE=0",
        ["2026-03-12 07:00", "2026-03-13 07:00", "2026-03-14 07:00"],
        None,
    ),
]


@pytest.mark.parametrize(("text", "rrule", "occurrences", "task"), RULES)
def test_rules(text: str, rrule: str, occurrences: list[str], task: str | None) -> None:
    result = parse_when(text, NOW, SHANGHAI)
    assert result is not None, text
    assert result.rrule == rrule
    assert result.dtstart == result.when
    assert first_three(result) == occurrences
    assert result.task == task


NOTHING = [
    "hello there",
    "hello, how are you?",
    "I love the color blue",
    "I sat down",
    "may I ask something",
    "I have 2 cats",
    "I slept 8 hours",
    "meeting room 5",
    "The score was 3-2",
    "Call me at 555-1234",
    "it costs 3/4 of the price",
    "good morning",
    "what time is it",
    "on February 30 at 10am something",
    "2026-02-30",
    "",
]


@pytest.mark.parametrize("text", NOTHING)
def test_no_time(text: str) -> None:
    assert parse_when(text, NOW, SHANGHAI) is None


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("at 5", "ampm"),
        ("tonight", "period"),
        ("March 20", "day_only"),
        ("at 8am", "rolled"),
        ("today at 8am", "past"),
        ("next Friday", "next"),
        ("on Monday and Wednesday at 9am", "multi"),
    ],
)
def test_ambiguity_flags(text: str, code: str) -> None:
    result = parse_when(text, NOW, SHANGHAI)
    assert result is not None
    assert result.ambiguity == code


@pytest.mark.parametrize("text", ["yesterday at 5", "last Friday", "昨天下午三点", "上周五"])
def test_past_references_are_flagged(text: str) -> None:
    result = parse_when(text, NOW, SHANGHAI)
    assert result is not None
    assert result.ambiguity == "past"
    assert result.when < NOW


def test_past_today_is_returned_and_flagged() -> None:
    result = parse_when("today at 8am", NOW, SHANGHAI)
    assert result is not None
    assert local(result) == "2026-03-10 08:00"
    assert result.when < NOW


def test_rolled_time_goes_to_tomorrow() -> None:
    result = parse_when("at 8am", NOW, SHANGHAI)
    assert result is not None
    assert local(result) == "2026-03-11 08:00"


def test_default_time_is_configurable() -> None:
    from datetime import time

    result = parse_when("March 20", NOW, SHANGHAI, default_time=time(7, 30))
    assert result is not None
    assert local(result) == "2026-03-20 07:30"
    assert result.grain == "day"


def test_naive_now_is_read_in_the_users_zone() -> None:
    result = parse_when("in 10 minutes", NOW.replace(tzinfo=None), SHANGHAI)
    assert result is not None
    assert local(result) == "2026-03-10 09:10"
