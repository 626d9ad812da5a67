"""SIGKILL while a long shared document is being stored in memory: no part is lost, none is
stored twice.

The bot runs as its own process (``python -m bot``) on a SQLite file against the fake Bot API
over loopback HTTP, which serves the document. Anna sends a book of a few thousand parts; once
the first parts are in memory the bot is killed, started again (it resumes the backlog), killed
again mid-way, and started a third time until nothing is left to store. At each kill the
database holds exactly the parts the backlog says were stored (they move on in one
transaction); in the end every part is stored once and found by search. No model is reachable:
the answer fails politely, the document is kept all the same.
"""

from __future__ import annotations

import signal
import sqlite3
from collections import Counter
from functools import partial
from pathlib import Path

from bot.memory import MemoryStore
from tests.fakes.bot_process import BotProcess, KillingBotAPI
from tests.fakes.telegram import FakeUser
from tests.fakes.waiting import until

ANNA = FakeUser(101, "Anna", "en")
#: Parts of the book: a dozen batches of 512, seconds of storing on a loaded machine.
PARTS = 6000


def book(parts: int) -> bytes:
    """Paragraphs of ~1,000 characters (each becomes one part), each with its own word."""
    filler = "The harbour master wrote down every ship that came in. " * 17
    return "\n\n".join(f"Page word{n}x. {filler}" for n in range(1, parts + 1)).encode()


def progress(database: Path) -> tuple[int, int | None]:
    """(parts stored, the backlog's next part or None without a backlog row), read as another
    process reads it."""
    if not database.exists():
        return 0, None
    with sqlite3.connect(database) as conn:
        try:
            stored = conn.execute(
                "SELECT COUNT(*) FROM memory_media WHERE part IS NOT NULL"
            ).fetchone()[0]
            row = conn.execute("SELECT next_part FROM document_backlog").fetchone()
        except sqlite3.OperationalError:  # the tables are not made yet
            return 0, None
    return stored, row[0] if row else None


def stored_beyond(database: Path, count: int) -> bool:
    return progress(database)[0] > count


async def test_kills_mid_storing_lose_no_part_and_store_none_twice(tmp_path: Path) -> None:
    api = KillingBotAPI()
    await api.start()
    database = tmp_path / "dazi.sqlite3"
    try:
        bot = BotProcess(api, database, tmp_path, file_base_url=await api.api.start_file_server())
        file = api.api.add_file(book(PARTS))
        api.api.push_message(
            ANNA, document={**file, "file_name": "book.txt", "mime_type": "text/plain"}
        )
        at_kill: list[int] = []
        for _ in range(2):  # killed mid-way twice: once storing, once resuming
            more = partial(stored_beyond, database, progress(database)[0])
            process = await bot.start()
            try:
                await until(more, timeout=60, every=0.002)
                process.send_signal(signal.SIGKILL)
                await process.wait()
            finally:
                if process.returncode is None:
                    process.kill()
                    await process.wait()
            stored, next_part = progress(database)
            assert next_part is not None, f"stored to the end before the kill\n{bot.log_tail()}"
            assert stored == next_part - 1  # the parts and the backlog moved on together
            at_kill.append(stored)
        process = await bot.start()
        try:
            await until(lambda: progress(database) == (PARTS, None), timeout=120)
        finally:
            process.send_signal(signal.SIGTERM)
            await process.wait()
        await api.drained()
    finally:
        await api.api.stop_file_server()
        await api.stop()
    assert 0 < at_kill[0] < at_kill[1] < PARTS, at_kill
    with sqlite3.connect(database) as conn:
        rows = conn.execute(
            "SELECT m.part, s.text FROM memory_media AS m JOIN messages AS s"
            " ON s.id = m.message_id JOIN memory_fts AS f ON f.rowid = s.id"
            " WHERE m.part IS NOT NULL"
        ).fetchall()
    assert Counter(part for part, _ in rows) == Counter(range(1, PARTS + 1))
    assert all(text.startswith(f"[book.txt, part {part}] Page word{part}x.") for part, text in rows)
    memory = await MemoryStore.open(database)
    try:
        for part in (1, at_kill[0], at_kill[0] + 1, at_kill[1] + 1, PARTS):
            [best, *_] = await memory.search(user_id=ANNA.id, query=f"word{part}x")
            assert best.text.startswith(f"[book.txt, part {part}] "), part
    finally:
        await memory.close()
