"""A failing disk: writes reported as failed, background loops that back off, a clean exit."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
from pathlib import Path

import pytest

from bot.app import build_services
from bot.config import load_settings
from bot.reminders.background import PassLoop
from tests.fakes.harness import TEST_API_KEY, TEST_TOKEN, BotHarness
from tests.fakes.telegram import FakeUser
from tests.fakes.waiting import until

ANNA = FakeUser(101, "Anna", "en")
LI = FakeUser(202, "李雷", "zh-hans")


async def test_a_failed_write_is_reported_never_as_safe(
    harness: BotHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert harness.services is not None

    async def disk_full(*args: object, **kwargs: object) -> list[int]:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(harness.services.memory, "add_messages", disk_full)
    harness.api.push_text(ANNA, "Remember my locker code is 4711")
    [reply] = await harness.api.wait_for_messages(1, ANNA.id)
    assert "I could not save that" in reply["text"] and "safe" not in reply["text"]
    harness.api.push_text(LI, "记住我的柜子密码")
    [reply] = await harness.api.wait_for_messages(1, LI.id)
    assert "没能保存" in reply["text"]


async def test_a_start_on_a_broken_database_closes_what_it_opened(tmp_path: Path) -> None:
    database = tmp_path / "dazi.sqlite3"
    database.write_bytes(b"this is not a database, it is a full disk's garbage" * 100)
    settings = load_settings(
        _env_file=None,
        telegram_bot_token=TEST_TOKEN,
        openai_api_key=TEST_API_KEY,
        database_path=database,
    )
    before = set(threading.enumerate())
    with pytest.raises(sqlite3.DatabaseError):
        await build_services(settings)
    # No thread it started (the database's) is left to hold the process: each ends, however
    # long a loaded machine takes to run it to its end. Compared by identity: a thread of an
    # earlier test in this worker may end meanwhile, which a count would miss.
    await until(lambda: not [t for t in threading.enumerate() if t not in before], timeout=10)


async def test_a_failing_loop_backs_off_and_logs_each_error_once_a_minute(
    caplog: pytest.LogCaptureFixture,
) -> None:
    passes = 0

    async def failing_pass() -> float:
        nonlocal passes
        passes += 1
        raise sqlite3.OperationalError("attempt to write a readonly database")

    loop = PassLoop("test-loop", failing_pass, what="test", error_delay=0.01)
    with caplog.at_level(logging.ERROR):
        loop.start()
        await asyncio.sleep(0.5)
        await loop.stop(1.0)
    assert passes <= 7  # 0.01, 0.02, 0.04 ... s apart, not 50 tries
    logged = [r for r in caplog.records if "round failed" in r.getMessage()]
    assert len(logged) == 1
