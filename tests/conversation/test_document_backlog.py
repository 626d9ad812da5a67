"""The document backlog: a shared document's parts are kept before the answer, stored in batches
that move the backlog on in their own transaction, resumed after a crash by one replica only,
and never brought back once forgotten. Each test runs on SQLite and on the real PostgreSQL
(``each_engine``); the replica tests open two connections pools on one PostgreSQL schema."""

from __future__ import annotations

import asyncio
import dataclasses
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.chats import ChatKind
from bot.conversation import Attachment, Incoming
from bot.conversation import documents as documents_module
from bot.conversation.documents import DocumentBacklog, PendingDocument
from bot.memory import MemoryStore
from bot.storage import CORE_MIGRATIONS, Database
from tests.fakes.account_world import AccountWorld
from tests.fakes.clock import FakeClock
from tests.fakes.postgres import fresh_schema, open_postgres

ANNA = 101
LEASE = timedelta(minutes=2)


def shared_book(parts: int, *, name: str = "book.txt", chat_id: int = ANNA) -> Incoming:
    """A message sharing a document of ``parts`` parts, each with its own word (``wordN``)."""
    chunks = tuple(f"[{name}, part {n}] Chapter word{n} of the book." for n in range(1, parts + 1))
    attachment = Attachment("document", "file-book", "u-book", file_name=name, chunks=chunks)
    kind = ChatKind.PRIVATE if chat_id == ANNA else ChatKind.GROUP
    return Incoming(
        chat_id,
        kind,
        ANNA,
        "Anna",
        f"summarise this\n[document: {name}]",
        datetime(2026, 12, 1, 9, tzinfo=UTC),
        attachments=(attachment,),
    )


async def share(
    memory: MemoryStore, backlog: DocumentBacklog, incoming: Incoming
) -> tuple[int, PendingDocument]:
    """Store the message with its backlog row, as the conversation does, without storing the
    parts yet; returns the message id and the pending document."""
    [pending] = backlog.pending(incoming)
    message_id = await memory.add_message(
        user_id=incoming.user_id,
        chat_id=incoming.chat_id,
        role="user",
        text=incoming.text,
        at=incoming.at,
        also=await backlog.writer([pending]),
    )
    return message_id, pending


async def stored_parts(db: Database, chat_id: int = ANNA) -> Counter[int]:
    """How many times each part number of the book is stored, with its media row."""
    rows = await db.fetchall(
        "SELECT m.part, s.text FROM memory_media AS m JOIN messages AS s ON s.id = m.message_id"
        " WHERE s.chat_id = ? AND m.part IS NOT NULL",
        (chat_id,),
    )
    for row in rows:
        assert row["text"].startswith(f"[book.txt, part {row['part']}] ")
    return Counter(row["part"] for row in rows)


async def backlog_rows(db: Database) -> list[Any]:
    return await db.fetchall("SELECT id, next_part, claim_token FROM document_backlog")


async def pieces(db: Database) -> int:
    row = await db.fetchone("SELECT COUNT(*) AS n FROM document_backlog_pieces")
    assert row is not None
    return int(row["n"])


@pytest.fixture(autouse=True)
def small_pieces(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pieces of two parts: batches end inside pieces, resuming starts inside one."""
    monkeypatch.setattr(documents_module, "PIECE_PARTS", 2)


@pytest.fixture
async def world(each_engine: Database) -> AsyncIterator[tuple[Database, MemoryStore, Any]]:
    memory = await MemoryStore.open(each_engine)
    clock = FakeClock(datetime(2026, 12, 1, 9, tzinfo=UTC))
    backlog = await DocumentBacklog.open(each_engine, memory, clock, lease=LEASE)
    yield each_engine, memory, (backlog, clock)
    await backlog.stop()
    await memory.close()


async def test_the_backlog_is_written_with_the_message_and_goes_once_all_is_stored(
    world: tuple[Database, MemoryStore, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    db, memory, (backlog, _) = world
    monkeypatch.setattr(documents_module, "DOCUMENT_BATCH", 4)
    _, pending = await share(memory, backlog, shared_book(10))
    [row] = await backlog_rows(db)
    assert (row["next_part"], row["claim_token"]) == (1, pending.token)
    assert await stored_parts(db) == Counter() and await pieces(db) == 5
    assert await backlog.store(pending)
    assert await stored_parts(db) == Counter(range(1, 11))
    assert await backlog_rows(db) == [] and await pieces(db) == 0
    for n in (1, 10):
        [hit, *_] = await memory.search(user_id=ANNA, query=f"word{n}")
        assert hit.text.startswith(f"[book.txt, part {n}] ")


async def test_each_batch_of_parts_is_committed_on_its_own(
    world: tuple[Database, MemoryStore, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Batches are committed one by one (a crash loses at most one batch's work, and no
    transaction holds the database for two), the next batch's words found meanwhile."""
    db, memory, (backlog, _) = world
    monkeypatch.setattr(documents_module, "DOCUMENT_BATCH", 4)
    _, pending = await share(memory, backlog, shared_book(10))
    written: list[int] = []
    run_write = db.run_write

    async def counting(work: Callable[[Any], Any]) -> Any:
        def counted(conn: Any) -> Any:
            before = conn.execute("SELECT COUNT(*) FROM messages").fetchone()[0]
            result = work(conn)
            written.append(conn.execute("SELECT COUNT(*) FROM messages").fetchone()[0] - before)
            return result

        return await run_write(counted)

    monkeypatch.setattr(db, "run_write", counting)
    assert await backlog.store(pending)
    assert [n for n in written if n] == [4, 4, 2]
    assert await stored_parts(db) == Counter(range(1, 11))


async def test_a_dead_storers_backlog_is_resumed_from_its_next_part_exactly_once(
    world: tuple[Database, MemoryStore, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    db, memory, (backlog, clock) = world
    monkeypatch.setattr(documents_module, "DOCUMENT_BATCH", 3)
    _, pending = await share(memory, backlog, shared_book(11))
    # The first process stores one batch, then dies (the rest of its work never happens).
    await backlog._store_batch(pending, 0)
    [row] = await backlog_rows(db)
    assert row["next_part"] == 4 and await pieces(db) == 5  # parts 1-2 went, 3 is in piece 1
    # Its claim is alive for a lease: nobody else takes it before.
    assert await backlog.claim() == []
    clock.advance(LEASE + timedelta(seconds=1))
    assert await backlog.resume() == 1
    assert await stored_parts(db) == Counter(range(1, 12))
    assert await backlog_rows(db) == [] and await backlog.resume(everything=True) == 0


async def test_at_start_every_claim_is_resumed_and_the_dead_claim_stores_nothing(
    world: tuple[Database, MemoryStore, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """One process (SQLite): a claim left at start is a dead process's, lease or not; and a
    storer that lost its claim has its batch rolled back instead of storing a part twice."""
    db, memory, (backlog, _) = world
    monkeypatch.setattr(documents_module, "DOCUMENT_BATCH", 5)
    _, pending = await share(memory, backlog, shared_book(12))
    [resumed] = await backlog.claim(everything=True)
    assert resumed.parts == pending.parts and resumed.next_part == 1
    assert not await backlog.store(pending)  # the old claim: rolled back at once
    assert await stored_parts(db) == Counter()
    assert await backlog.store(resumed)
    assert await stored_parts(db) == Counter(range(1, 13))


async def test_forgetting_the_document_mid_way_stops_storing_for_good(
    world: tuple[Database, MemoryStore, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    db, memory, (backlog, clock) = world
    monkeypatch.setattr(documents_module, "DOCUMENT_BATCH", 2)
    message_id, pending = await share(memory, backlog, shared_book(12))
    forget_after = 2  # batches

    real_add = memory.add_messages
    calls = 0

    async def add_then_forget(*args: Any, **kwargs: Any) -> list[int]:
        nonlocal calls
        calls += 1
        if calls == forget_after + 1:  # the user forgets the document before this batch
            await memory.forget_items(user_id=ANNA, chat_id=ANNA, message_ids=[message_id])
        return await real_add(*args, **kwargs)

    monkeypatch.setattr(memory, "add_messages", add_then_forget)
    assert not await backlog.store(pending)
    assert await backlog_rows(db) == []  # went with the message (ON DELETE CASCADE)
    assert set(await stored_parts(db)) <= {1, 2, 3, 4}  # nothing after the forget
    clock.advance(timedelta(days=1))
    assert await backlog.resume(everything=True) == 0
    assert not await memory.search(user_id=ANNA, query="word12")


async def test_forget_all_export_and_a_group_moving_take_the_backlog_along(
    world: tuple[Database, MemoryStore, Any],
) -> None:
    db, memory, (backlog, _) = world
    group, supergroup = -4001, -1004001
    await share(memory, backlog, shared_book(3))
    await share(memory, backlog, shared_book(4, name="minutes.pdf", chat_id=group))
    mine = await backlog.export(user_id=ANNA, chat_id=ANNA)
    assert [(d["file_name"], d["parts"], d["parts_stored"]) for d in mine] == [
        ("book.txt", 3, 0),
        ("minutes.pdf", 4, 0),
    ]
    assert await backlog.migrate_chat(group, supergroup) == 1
    assert await backlog.migrate_chat(group, supergroup) == 0
    [theirs] = await backlog.export(user_id=ANNA, chat_id=supergroup)
    assert (theirs["file_name"], theirs["chat_id"]) == ("minutes.pdf", supergroup)
    assert await backlog.forget_all(user_id=ANNA, chat_id=supergroup) == 1
    assert await backlog.forget_all(user_id=ANNA, chat_id=ANNA) == 1
    assert await backlog_rows(db) == []


async def test_a_group_moving_mid_way_goes_on_under_its_new_id(
    world: tuple[Database, MemoryStore, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    db, memory, (backlog, _) = world
    group, supergroup = -4001, -1004001
    monkeypatch.setattr(documents_module, "DOCUMENT_BATCH", 2)
    _, pending = await share(memory, backlog, shared_book(6, chat_id=group))
    await backlog._store_batch(pending, 0)
    await memory.migrate_chat(group, supergroup)
    await backlog.migrate_chat(group, supergroup)
    assert not await backlog.store(pending)  # the old id's batch is rolled back, the claim freed
    assert await backlog.resume() == 1
    assert await stored_parts(db, supergroup) == Counter(range(1, 7))


# -- replicas on PostgreSQL ----------------------------------------------------------------------


@pytest.fixture
async def replicas() -> AsyncIterator[tuple[list[DocumentBacklog], MemoryStore, FakeClock]]:
    """Two replicas' backlogs (each its own pool) on one PostgreSQL schema."""
    async with fresh_schema() as schema:
        dbs = [await open_postgres(schema) for _ in range(2)]
        clock = FakeClock(datetime(2026, 12, 1, 9, tzinfo=UTC))
        try:
            await dbs[0].migrate("core", CORE_MIGRATIONS)
            memories = [await MemoryStore.open(db) for db in dbs]
            backlogs = [
                await DocumentBacklog.open(db, memory, clock, lease=LEASE)
                for db, memory in zip(dbs, memories, strict=True)
            ]
            yield backlogs, memories[0], clock
            for memory in memories:
                await memory.close()
        finally:
            for db in dbs:
                await db.close()


async def test_replicas_resume_each_backlog_once_and_a_late_claim_loses(
    replicas: tuple[list[DocumentBacklog], MemoryStore, FakeClock],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (first, second), memory, clock = replicas
    monkeypatch.setattr(documents_module, "DOCUMENT_BATCH", 4)
    dead = []
    for _ in range(6):  # six documents, each left by a replica that died after one batch
        _, pending = await share(memory, first, shared_book(9))
        await first._store_batch(pending, 0)
        dead.append(pending)
    assert await first.claim() == [] and await second.claim() == []  # leases still alive
    clock.advance(LEASE + timedelta(seconds=1))
    # Both replicas claim at the same moment: each document goes to one of them.
    claims: list[list[PendingDocument]] = await asyncio.gather(
        first.claim(limit=6), second.claim(limit=6)
    )
    ids = [document.id for claimed in claims for document in claimed]
    assert sorted(ids) == sorted(document.id for document in dead)
    # The dead replica's storing, were it to wake up now, stores nothing.
    assert not await first.store(dead[0])
    stores: list[Callable[[], Awaitable[bool]]] = [
        lambda document=document, backlog=backlog: backlog.store(document)
        for backlog, claimed in zip((first, second), claims, strict=True)
        for document in claimed
    ]
    assert all(await asyncio.gather(*(store() for store in stores)))
    rows = await memory.database.fetchall(
        "SELECT m.file_id, m.part, COUNT(*) AS n FROM memory_media AS m"
        " WHERE m.part IS NOT NULL GROUP BY m.file_id, m.part"
    )
    assert len(rows) == 9 and all(row["n"] == 6 for row in rows)  # 6 books, each part once
    assert await memory.database.fetchall("SELECT id FROM document_backlog") == []


async def test_forgetting_a_topic_its_unstored_parts_mention_drops_their_rest(
    account_world: AccountWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    """/forget lighthouse while a book is half stored: memory's matches go, and so does the
    rest of the book whose parts not yet stored mention it (never stored later)."""
    monkeypatch.setattr(documents_module, "DOCUMENT_BATCH", 2)
    memory, backlog = account_world.memory, account_world.documents
    chunks = [f"[book.txt, part {n}] Chapter word{n} of the book." for n in range(1, 9)]
    chunks[5] = "[book.txt, part 6] The lighthouse keeper's chapter."
    shared = dataclasses.replace(
        shared_book(8),
        attachments=(dataclasses.replace(shared_book(8).attachments[0], chunks=tuple(chunks)),),
    )
    _, pending = await share(memory, backlog, shared)
    other_book = dataclasses.replace(shared_book(3), text="[document: other.txt]")
    await share(memory, backlog, other_book)  # pending, never mentions it
    await backlog._store_batch(pending, 0)
    preview = await account_world.account.preview_topic(
        user_id=ANNA, chat_id=ANNA, topic="lighthouse"
    )
    assert preview.counts() == {"pending_documents": 1}
    [example] = preview.examples("pending_documents")
    assert "lighthouse keeper" in example.text
    done = await account_world.account.forget_topic(preview, user_id=ANNA, chat_id=ANNA)
    assert done == {"pending_documents": 1}
    assert not await backlog.store(pending)
    assert await backlog.resume(everything=True) == 1  # the other book only
    assert not await memory.search(user_id=ANNA, query="lighthouse")
    assert await stored_parts(account_world.db) == Counter([1, 2, 1, 2, 3])
