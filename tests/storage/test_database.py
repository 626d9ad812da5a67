"""The database wrapper: one-hop batches in aiosqlite's thread, and transactions."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from bot.storage import Database


async def test_run_executes_in_the_connection_thread_with_the_open_connection(
    tmp_path: Path,
) -> None:
    db = await Database.open(tmp_path / "db.sqlite3")
    try:
        await db.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL)")
        await db.execute("INSERT INTO notes (text) VALUES (?)", ("from the public API",))

        def batch(connection: sqlite3.Connection) -> tuple[list[str], str]:
            texts = [row[0] for row in connection.execute("SELECT text FROM notes")]
            return texts, threading.current_thread().name

        texts, thread = await db.run(batch)
        assert texts == ["from the public API"]
        assert thread != threading.current_thread().name  # not the event loop's thread
    finally:
        await db.close()


async def test_run_write_commits_or_rolls_back(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "db.sqlite3")
    try:
        await db.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL)")

        def add(connection: sqlite3.Connection) -> int:
            return connection.execute("INSERT INTO notes (text) VALUES ('kept')").lastrowid or 0

        def add_then_fail(connection: sqlite3.Connection) -> None:
            connection.execute("INSERT INTO notes (text) VALUES ('lost')")
            raise RuntimeError("boom")

        assert await db.run_write(add) == 1
        with pytest.raises(RuntimeError):
            await db.run_write(add_then_fail)
        rows = await db.fetchall("SELECT text FROM notes")
        assert [row["text"] for row in rows] == ["kept"]
        assert await db.fetchone("SELECT text FROM notes WHERE text = 'lost'") is None
    finally:
        await db.close()


async def test_run_on_a_closed_database_fails_loudly(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "db.sqlite3")
    await db.close()
    with pytest.raises(ValueError):
        await db.run(lambda connection: connection.execute("SELECT 1").fetchone())
