"""The durable inbox: nothing taken from Telegram is lost across stops and kills."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any, cast

import asyncpg

from bot.storage.postgres import PostgresDatabase
from tests.fakes.harness import BotHarness
from tests.fakes.llm import FakeLLM
from tests.fakes.postgres import POSTGRES_URL, on_postgres, schema_for
from tests.fakes.telegram import FakeUser
from tests.fakes.waiting import until

ANNA = FakeUser(101, "Anna", "en")
BORIS = FakeUser(202, "Boris", "en")
LI = FakeUser(303, "李雷", "zh-hans")


async def inbox_ids(database: Path) -> set[int]:
    """The update ids on disk right now, read as another process would (its own connection)."""
    if on_postgres():
        conn = await asyncpg.connect(
            POSTGRES_URL, server_settings={"search_path": schema_for(database)}
        )
        try:
            return {row[0] for row in await conn.fetch("SELECT update_id FROM inbox")}
        finally:
            await conn.close()
    with sqlite3.connect(database) as conn:
        return {row[0] for row in conn.execute("SELECT update_id FROM inbox")}


async def streams_started(llm: FakeLLM, count: int) -> None:
    await until(lambda: len(llm.chat_requests) >= count)


def killed(harness: BotHarness, target: Path) -> Path:
    """The database as a SIGKILL of the bot would leave it: every committed transaction,
    nothing else, and nothing written by the bot from now on."""
    if on_postgres():
        # The server keeps what was committed; the killed process's connections drop (what
        # they had not committed is rolled back) and it writes nothing more.
        assert harness.services is not None
        cast(PostgresDatabase, harness.services.db).pool.terminate()
        return harness.database
    with sqlite3.connect(harness.database) as source, sqlite3.connect(target) as copy:
        source.backup(copy)  # a copy: the bot goes on writing to the original
    return target


async def test_updates_are_on_disk_before_their_offset_confirms_them(
    harness: BotHarness,
) -> None:
    harness.llm.hold_stream = asyncio.Event()
    confirmed: list[tuple[int, set[int]]] = []
    fetch = harness.api._get_updates

    async def checking_fetch(params: dict[str, Any]) -> list[dict[str, Any]]:
        confirmed.append((params.get("offset", 0), await inbox_ids(harness.database)))
        return await fetch(params)

    harness.api._get_updates = checking_fetch  # type: ignore[method-assign]
    pushed = [harness.api.push_text(user, "hello")["message_id"] for user in (ANNA, BORIS, LI)]
    await streams_started(harness.llm, 3)
    await harness.api.wait_for(lambda: any(offset > 3 for offset, _ in confirmed))
    for offset, on_disk in confirmed:
        assert set(range(1, offset)) <= on_disk, (offset, on_disk)
    assert len(pushed) == 3
    harness.llm.hold_stream.set()
    await harness.settle()
    assert len(harness.api.sent_messages()) == 3
    assert await inbox_ids(harness.database) == set()  # handled updates leave the inbox


async def test_a_kill_mid_answer_loses_nothing(harness: BotHarness, tmp_path: Path) -> None:
    harness.llm.hold_stream = asyncio.Event()
    for number in range(5):
        harness.api.push_text(ANNA, f"message {number}")
    harness.api.push_text(LI, "你好")
    await streams_started(harness.llm, 2)  # Anna's first and Li's answers are being written
    database = killed(harness, tmp_path / "killed.sqlite3")
    harness.llm.hold_stream.set()
    await harness.stop()

    restarted = BotHarness(database=database, llm=harness.llm)
    await restarted.start()  # Telegram has nothing new: the offset had confirmed everything
    try:
        anna = await restarted.api.wait_for_messages(5, ANNA.id)
        [li] = await restarted.api.wait_for_messages(1, LI.id)
        await restarted.settle()
        texts = [message["text"] for message in anna]
        assert "restarted while answering your message “message 0”" in texts[0]
        assert texts[1:] == [f"You said: message {n}" for n in range(1, 5)]
        assert "重启" in li["text"] and "你好" in li["text"]
        assert len(restarted.api.sent_messages()) == 6  # the apology is said once
        assert await inbox_ids(database) == set()
    finally:
        await restarted.stop()


async def test_a_stop_with_a_backlog_answers_it_after_the_restart(harness: BotHarness) -> None:
    await harness.stop()
    await harness.start(shutdown_grace_seconds=0.1)
    held = harness.llm.hold_stream = asyncio.Event()
    for number in range(20):
        harness.api.push_text(ANNA, f"message {number}")
    await streams_started(harness.llm, 1)
    await harness.stop()  # the answer under way is stopped; 19 wait in the inbox
    assert len(await inbox_ids(harness.database)) == 20
    harness.llm.hold_stream = None
    held.set()
    await harness.start()
    answers = await harness.api.wait_for_messages(20, ANNA.id)
    await harness.settle()
    texts = [message["text"] for message in answers]
    assert "restarted while answering your message “message 0”" in texts[0]
    assert texts[1:] == [f"You said: message {n}" for n in range(1, 20)]
    assert await inbox_ids(harness.database) == set()
