"""describe_rule and format_when in English and Chinese."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.timeparse import describe_rule, format_when

CASES = [
    (
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO;BYHOUR=9;BYMINUTE=0",
        "every other Monday at 09:00",
        "每隔一周的周一 09:00",
    ),
    (
        "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;BYHOUR=8;BYMINUTE=30",
        "every weekday at 08:30",
        "每个工作日 08:30",
    ),
    ("FREQ=WEEKLY;BYDAY=SA,SU;BYHOUR=10;BYMINUTE=0", "every weekend at 10:00", "每个周末 10:00"),
    (
        "FREQ=WEEKLY;BYDAY=MO,WE,FR;BYHOUR=18;BYMINUTE=0",
        "every Monday, Wednesday and Friday at 18:00",
        "每周一、三、五 18:00",
    ),
    (
        "FREQ=WEEKLY;INTERVAL=3;BYDAY=TU;BYHOUR=9;BYMINUTE=0",
        "every 3 weeks on Tuesday at 09:00",
        "每3周的周二 09:00",
    ),
    (
        "FREQ=MONTHLY;BYMONTHDAY=1;BYHOUR=9;BYMINUTE=0",
        "every month on the 1st at 09:00",
        "每月1日 09:00",
    ),
    (
        "FREQ=MONTHLY;BYMONTHDAY=-1;BYHOUR=9;BYMINUTE=0",
        "every month on the last day at 09:00",
        "每月最后一天 09:00",
    ),
    (
        "FREQ=MONTHLY;BYDAY=1MO;BYHOUR=10;BYMINUTE=0",
        "every month on the first Monday at 10:00",
        "每月第一个周一 10:00",
    ),
    (
        "FREQ=MONTHLY;BYMONTHDAY=22;BYHOUR=9;BYMINUTE=0",
        "every month on the 22nd at 09:00",
        "每月22日 09:00",
    ),
    (
        "FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=14;BYHOUR=9;BYMINUTE=0",
        "every year on March 14 at 09:00",
        "每年3月14日 09:00",
    ),
    ("FREQ=DAILY;BYHOUR=7;BYMINUTE=0", "every day at 07:00", "每天 07:00"),
    ("FREQ=DAILY;INTERVAL=2;BYHOUR=7;BYMINUTE=0", "every other day at 07:00", "每隔一天 07:00"),
    ("FREQ=DAILY;INTERVAL=3;BYHOUR=20;BYMINUTE=0", "every 3 days at 20:00", "每3天 20:00"),
    ("FREQ=DAILY;BYHOUR=9,21;BYMINUTE=0", "every day at 09:00 and 21:00", "每天 09:00、21:00"),
    ("FREQ=HOURLY;INTERVAL=2", "every 2 hours", "每2小时"),
    (
        "FREQ=MONTHLY;BYMONTHDAY=28,29,30,31;BYHOUR=9;BYMINUTE=0;BYSETPOS=-1",
        "every month on the 31st (or the last day) at 09:00",
        "每月31日（或当月最后一天） 09:00",
    ),
    ("FREQ=MINUTELY;INTERVAL=30", "every 30 minutes", "每30分钟"),
]


@pytest.mark.parametrize(("rule", "english", "chinese"), CASES)
def test_describe_rule(rule: str, english: str, chinese: str) -> None:
    assert describe_rule(rule, "en") == english
    assert describe_rule(rule, "zh") == chinese
    assert describe_rule("RRULE:" + rule, "zh-CN") == chinese


def test_format_when() -> None:
    when = datetime(2026, 11, 29, 15, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    assert format_when(when, "en") == "Sun 29 Nov 2026, 15:00"
    assert format_when(when, "zh") == "2026年11月29日（周日）15:00"
    assert format_when(datetime(2026, 3, 2, 8, 5), "en") == "Mon 2 Mar 2026, 08:05"


def test_malformed_rules_do_not_raise() -> None:
    assert describe_rule("FREQ=DAILY;INTERVAL=x", "en") == "repeating"
    assert describe_rule("FREQ=WEEKLY;BYHOUR=nine", "zh") == "重复"
