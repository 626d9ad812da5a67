"""SIGKILL around a burst of due reminders: none is lost, and a reminder is sent twice only
when the kill fell between Telegram accepting it and the bot recording it.

The bot runs as its own process (``python -m bot``) on a SQLite file against a fake Bot API over
loopback HTTP; the fake kills it at chosen sends, and the bot is started again. Between runs the
database is read: a reminder Telegram accepted but the database does not record as delivered is
"in the window". Exactly those, as often as they were in it, and nothing else, arrive twice.
Deterministic: the kills are placed by send count, not by time. Most of its time is four
interpreter starts.
"""

from __future__ import annotations

from pathlib import Path

from tests.fakes.bot_process import crash_run, kill_points

BURST = 30


async def test_kills_around_a_burst_lose_nothing_and_duplicate_only_in_the_window(
    tmp_path: Path,
) -> None:
    kills = kill_points(
        [
            (1, False),  # at the burst's first send, before Telegram's answer reaches the bot
            (8, True),  # 2 ms after an answer: recorded or in the window, either is fine
            (15, False),  # mid-burst, before the answer
        ]
    )
    report = await crash_run(tmp_path, count=BURST, kills=kills)
    detail = f"accepted per run {report.runs}, in the window {dict(report.in_window)}"
    assert report.lost == [], detail
    assert sum(report.in_window.values()) >= 2, detail  # the kills before the answer
    assert report.extra_deliveries == report.in_window, detail
