"""The leftover guard: time-like words the grammar did not consume make the reading a question.

Reference moment: Wednesday 2026-11-25 10:30 in Europe/Berlin.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.timeparse import parse_when

BERLIN = "Europe/Berlin"
NOW = datetime(2026, 11, 25, 10, 30, tzinfo=ZoneInfo(BERLIN))

FLAGGED = [
    # (text, a piece of what must be reported as not understood; "" when two understood
    # parts disagree, None when the text is understood after all)
    ("tomorrow at 5ish call mom", None),  # "about 5" is 5 (issue 12)
    ("tomorrow at 9 or 10 call", "or"),
    ("every day at 8 but only on holidays", "but only on holidays"),
    ("tomorrow at 9, 2 days before the exam", "2 days before"),
    ("Friday and also tomorrow at 9", "also"),
    ("tomorrow at 9 three times a day", "three times a day"),
    ("every day at 8 for the whole month", "for the whole month"),
    ("tomorrow at 9 then every Monday", "then"),
    ("tomorrow at 9 on the 4th floor", ""),  # two days that disagree: tomorrow, the 4th
    ("tomorrow at 9 in January", "January"),
    ("on Friday at 9 until", "until"),
    ("tomorrow Friday at 9", ""),
    ("Friday at 9 the 5th", ""),  # the 5th is a Saturday
    ("every day at 8 to Friday", "to"),
    ("tomorrow at 9 and tonight", "tonight"),
    ("明天8点和15号交报告", ""),
    ("每天8点，周日除外吗", None),
    ("每天吃3次药", "吃3次药"),
    ("明天农历初一拜佛", "农历"),
    ("明天9点和后天", "后天"),
    ("每天8点到周五", "到"),
    ("每周一9点，每个月第二个周三", "每"),
    ("从3月1日到3月5日", "到3月5日"),
    ("明天开会前准备材料", "开会前准备材料"),
    ("明天饭后吃药", "饭后吃药"),
    ("tomorrow before the gym 2 hours earlier", "2 hours earlier"),
]


@pytest.mark.parametrize(("text", "piece"), FLAGGED)
def test_leftover_time_words_ask(text: str, piece: str | None) -> None:
    result = parse_when(text, NOW, BERLIN)
    if piece is None:  # understood after all, but never silently wrong
        assert result is not None
        return
    assert result is not None, text
    assert result.ambiguity == "unparsed" and result.needs_question
    if piece:
        assert result.unparsed is not None and piece in result.unparsed


CLEAN = [
    "tomorrow at 3pm call mom",
    "every day at 7 starting the day after tomorrow",
    "every Monday starting next week",
    "next Monday at 9:00 plan the week",
    "remind me at 5pm to pick up Anna from school",
    "tomorrow at 9 take 2 pills",
    "明天下午三点和小李吃饭",
    "每天8点饭后吃药",
    "明天早上8点提醒我上班",
    "每周二9点和5点开会",
    "every Tuesday at 9 and 5",
    "in 3 weeks on Friday",
    "Monday week",
    "a week on Friday",
    "meeting from 2 to 4pm",
    "every day at 8 until Friday",
    "every day at 8 for a week",
    "every day except weekends at 7",
    "remind me on Saturday to call grandma for her 80th birthday",
    "明天上午10点去3号楼开会",
    "team meeting every Monday at 10am in room 5",
    "后天中午12点和朋友吃饭",
    "今晚8点看第3集",
]


@pytest.mark.parametrize("text", CLEAN)
def test_fully_understood_text_is_not_questioned(text: str) -> None:
    result = parse_when(text, NOW, BERLIN)
    assert result is not None, text
    assert "unparsed" not in result.flags, (text, result.unparsed)
