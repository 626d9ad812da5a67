"""The store's public contract: opening, ingest, the benchmark snippet, sender bookkeeping."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest

from bot.memory import MemoryStore, NewMessage
from bot.storage import Database, MessageRepository
from tests.fakes.database import open_database, open_memory

T0 = datetime(2026, 3, 14, 12, 0, tzinfo=UTC)


async def poison_messages(db: Database) -> type[Exception]:
    """Make the database refuse to store a message saying 'poison'; return the error type."""
    if db.dialect == "sqlite":
        await db.execute(
            "CREATE TRIGGER poison BEFORE INSERT ON messages WHEN NEW.text = 'poison'"
            " BEGIN SELECT RAISE(ABORT, 'refused'); END"
        )
        return sqlite3.IntegrityError
    await db.execute(
        "CREATE FUNCTION poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
        " IF NEW.text = 'poison' THEN RAISE EXCEPTION 'refused'; END IF; RETURN NEW; END $$"
    )
    await db.execute(
        "CREATE TRIGGER poison BEFORE INSERT ON messages FOR EACH ROW EXECUTE FUNCTION poison()"
    )
    return asyncpg.RaiseError


async def test_contract_snippet_works_verbatim(tmp_path: Path) -> None:
    path = tmp_path / "memory.db"
    store = await MemoryStore.open(path)  # creates or migrates the schema
    mid = await store.add_message(
        user_id=7,
        chat_id=7,
        role="user",
        text="My sister Lena lives in Hamburg",
        at=T0,
        speaker=None,
    )
    hits = await store.search(user_id=7, query="Where does Lena live?", k=10, now=T0)  # best first
    assert (hits[0].message_id, hits[0].text, hits[0].at) == (
        mid,
        "My sister Lena lives in Hamburg",
        T0,
    )
    assert hits[0].score > 0
    await store.close()


async def test_reopening_keeps_messages_and_index(tmp_path: Path) -> None:
    store = await open_memory(tmp_path / "m.db")
    await store.add_message(user_id=1, chat_id=1, role="user", text="I adopted a cat", at=T0)
    await store.close()
    store = await open_memory(tmp_path / "m.db")
    hits = await store.search(user_id=1, query="cat", now=T0)
    assert [hit.text for hit in hits] == ["I adopted a cat"]
    await store.close()


async def test_shared_database_is_migrated_but_not_closed(tmp_path: Path) -> None:
    db = await open_database(tmp_path / "shared.db")
    store = await MemoryStore.open(db)
    await store.add_message(user_id=1, chat_id=1, role="user", text="hello there", at=T0)
    await store.close()
    row = await db.fetchone("SELECT version FROM schema_versions WHERE component = 'memory'")
    assert row is not None and row[0] >= 1
    assert (await db.fetchone("SELECT count(*) FROM messages"))[0] == 1  # still open
    await db.close()


async def test_sender_and_scope_columns(tmp_path: Path) -> None:
    store = await open_memory(tmp_path / "m.db")
    private = await store.add_message(user_id=5, chat_id=5, role="user", text="hi", at=T0)
    reply = await store.add_message(user_id=5, chat_id=5, role="assistant", text="hey", at=T0)
    group = await store.add_message(
        user_id=5,
        chat_id=-100,
        role="user",
        text="hi all",
        at=T0,
        speaker="Anna",
        sender_id=9,
        tg_message_id=44,
        reply_to_tg_id=43,
        thread=3,
    )
    repository = MessageRepository(store.database)
    stored = {m: await repository.get(m) for m in (private, reply, group)}
    assert (stored[private].scope_id, stored[private].user_id) == (5, 5)
    assert (stored[reply].scope_id, stored[reply].user_id) == (5, None)
    record = stored[group]
    assert (record.scope_id, record.chat_id, record.user_id, record.speaker) == (
        -100,
        -100,
        9,
        "Anna",
    )
    assert (record.tg_message_id, record.reply_to_tg_id, record.thread) == (44, 43, 3)
    await store.close()


async def test_bulk_ingest_returns_ids_in_order(tmp_path: Path) -> None:
    store = await open_memory(tmp_path / "m.db")
    first = await store.add_message(user_id=1, chat_id=1, role="user", text="one", at=T0)
    rows = [
        NewMessage(
            user_id=1, chat_id=1, role="user", text=f"note {i}", at=T0 + timedelta(minutes=i)
        )
        for i in range(5)
    ]
    rows.append({"user_id": 2, "chat_id": 2, "role": "user", "text": "dict row", "at": T0})
    ids = await store.add_messages(rows)
    assert ids == list(range(first + 1, first + 7))
    found = await store.get_messages(user_id=1, chat_id=1, message_ids=ids)
    assert [hit.text for hit in found] == [f"note {i}" for i in range(5)]  # id 2's row is not ours
    assert await store.add_messages([]) == []
    await store.close()


async def test_invalid_messages_are_rejected(tmp_path: Path) -> None:
    store = await open_memory(tmp_path / "m.db")
    with pytest.raises(ValueError):
        await store.add_message(
            user_id=1, chat_id=1, role="user", text="x", at=datetime(2026, 1, 1)
        )
    with pytest.raises(ValueError):
        await store.add_message(user_id=1, chat_id=1, role="robot", text="x", at=T0)
    await store.close()


async def test_messages_from_many_chats_at_once_share_round_trips(tmp_path: Path) -> None:
    """A busy moment is group-committed: every message kept, found, and in few transactions."""
    db = await open_database(tmp_path / "busy.db")
    store = await MemoryStore.open(db)
    transactions = 0
    run_write = db.run_write

    async def counting(work):  # type: ignore[no-untyped-def]
        nonlocal transactions
        transactions += 1
        return await run_write(work)

    db.run_write = counting  # type: ignore[method-assign]
    users = range(100, 140)
    ids = await asyncio.gather(
        *(
            store.add_message(
                user_id=user, chat_id=user, role="user", text=f"my locker code is {user}7", at=T0
            )
            for user in users
        )
    )
    assert len(set(ids)) == len(ids) == 40
    assert transactions <= 2
    for user in users:
        hits = await store.search(user_id=user, query="what is my locker code?", now=T0)
        assert [hit.text for hit in hits] == [f"my locker code is {user}7"]
    await store.close()
    await db.close()


async def test_a_message_that_cannot_be_stored_does_not_lose_the_others(tmp_path: Path) -> None:
    db = await open_database(tmp_path / "poison.db")
    store = await MemoryStore.open(db)
    refused = await poison_messages(db)
    results = await asyncio.gather(
        *(
            store.add_message(user_id=user, chat_id=user, role="user", text=text, at=T0)
            for user, text in ((1, "first words"), (2, "poison"), (3, "third words"))
        ),
        return_exceptions=True,
    )
    assert isinstance(results[1], refused)
    assert all(isinstance(result, int) for result in (results[0], results[2]))
    for user, word in ((1, "first"), (3, "third")):
        assert [hit.text for hit in await store.search(user_id=user, query=word, now=T0)]
    assert not await store.search(user_id=2, query="poison", now=T0)
    await store.close()
    await db.close()


async def test_a_lone_message_that_fails_is_reported_once_and_not_stored(tmp_path: Path) -> None:
    db = await open_database(tmp_path / "lone.db")
    store = await MemoryStore.open(db)
    refused = await poison_messages(db)
    transactions = 0
    run_write = db.run_write

    async def counting(work):  # type: ignore[no-untyped-def]
        nonlocal transactions
        transactions += 1
        return await run_write(work)

    db.run_write = counting  # type: ignore[method-assign]
    with pytest.raises(refused):
        await store.add_message(user_id=1, chat_id=1, role="user", text="poison", at=T0)
    await store.close()
    assert transactions == 1  # not retried behind the caller's back
    assert (await db.fetchone("SELECT count(*) FROM messages"))[0] == 0
    await db.close()
