"""Forgetting everything or a topic (index rows, pages, context words and vectors included),
export, chat migration."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest
from memory_fakes import FailingEmbedder, HashingEmbedder

from bot.memory import MediaRecord, MemoryStore, NewMessage
from bot.memory.facts import SourcesForgotten
from bot.memory.index import decode_body, encode_key
from bot.memory.ingest import MessageWriter
from tests.fakes.database import open_memory

NOW = datetime(2026, 7, 1, 10, 0, tzinfo=UTC)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[MemoryStore]:
    memory = await open_memory(tmp_path / "memory.db", embedder=HashingEmbedder())
    yield memory
    await memory.close()


async def add(store: MemoryStore, user: int, *texts: str, chat: int | None = None) -> list[int]:
    ids = await store.add_messages(
        NewMessage(
            user_id=user,
            chat_id=user if chat is None else chat,
            role="user",
            text=text,
            at=NOW - timedelta(hours=len(texts) - i),
        )
        for i, text in enumerate(texts)
    )
    await store.flush_embeddings()
    return ids


async def index_rows(store: MemoryStore, ids: list[int]) -> int:
    marks = ",".join("?" * len(ids))
    db = store.database
    fts = await db.fetchone(f"SELECT count(*) FROM memory_fts WHERE rowid IN ({marks})", ids)
    return fts[0] + await store.vectors.count("message", ids)


async def test_forget_all_erases_the_scope_and_only_it(store: MemoryStore) -> None:
    mine = await add(store, 1, "I love sailing on the lake", "my boat is called Aurora")
    theirs = await add(store, 2, "sailing lessons start Monday")
    await store.add_fact(
        user_id=1, chat_id=1, text="Anna owns a boat", source_message_ids=mine, now=NOW
    )
    await store.flush_embeddings()
    assert await index_rows(store, mine) == 4
    assert await store.forget_all(user_id=1, chat_id=1) == 3
    assert await store.search(user_id=1, query="sailing boat Aurora", now=NOW) == []
    assert await store.search_facts(user_id=1, chat_id=1, query="boat") == []
    assert await index_rows(store, mine) == 0
    assert await store.vectors.count("fact") == 0
    assert await store.export(user_id=1, chat_id=1) | {"exported_at": None} == {
        "scope_id": 1,
        "exported_at": None,
        "messages": [],
        "facts": [],
        "media": [],
        "summaries": [],
    }
    assert [h.message_id for h in await store.search(user_id=2, query="sailing", now=NOW)] == theirs
    # Memory starts afresh afterwards.
    [again] = await add(store, 1, "sailing again next year")
    assert [h.message_id for h in await store.search(user_id=1, query="sailing", now=NOW)] == [
        again
    ]


async def test_forget_topic_preview_then_delete(store: MemoryStore) -> None:
    ex = await add(store, 1, "I broke up with Mark yesterday", "Mark kept my jacket")
    keep = await add(store, 1, "the jacket I bought in Rome is blue", "work was busy")
    fact = await store.add_fact(
        user_id=1, chat_id=1, text="Anna dated Mark", source_message_ids=[ex[0]], now=NOW
    )
    derived = await store.add_fact(
        user_id=1, chat_id=1, text="Anna is single", source_message_ids=[ex[0]], now=NOW
    )
    unrelated = await store.add_fact(user_id=1, chat_id=1, text="Anna works in Rome", now=NOW)
    preview = await store.preview_forget_topic(user_id=1, chat_id=1, topic="Mark", now=NOW)
    assert set(preview.message_ids) == set(ex)
    assert set(preview.fact_ids) == {fact.id, derived.id}  # named, or drawn from those messages
    assert preview.total == 4 and not preview.is_empty
    assert {hit.message_id for hit in preview.sample_messages} == set(ex)
    # The preview deleted nothing.
    assert set(ex) <= {h.message_id for h in await store.search(user_id=1, query="Mark", now=NOW)}
    # Another user pressing a forged button deletes nothing.
    assert (
        await store.forget_items(
            user_id=2, chat_id=2, message_ids=preview.message_ids, fact_ids=preview.fact_ids
        )
        == 0
    )
    removed = await store.forget_items(
        user_id=1, chat_id=1, message_ids=preview.message_ids, fact_ids=preview.fact_ids
    )
    assert removed == 4
    remaining = {h.message_id for h in await store.search(user_id=1, query="Mark jacket", now=NOW)}
    assert remaining == set(keep)  # dense fusion still offers what is left, never the forgotten
    assert await index_rows(store, ex) == 0 and await index_rows(store, keep) == 4
    facts, _ = await store.list_facts(user_id=1, chat_id=1, include_superseded=True)
    assert [f.id for f in facts] == [unrelated.id]


async def test_forget_topic_in_one_step_and_specific_words_dominate(store: MemoryStore) -> None:
    japan = await add(store, 1, "our trip to Japan was amazing", "Japan rail pass was worth it")
    trips = await add(store, 1, "business trip to Leeds", "road trip plans", "trip budget sheet")
    await add(store, 1, "lunch was good", "the weather is grey", "new phone arrived")
    assert await store.forget_topic(user_id=1, chat_id=1, topic="my trip to Japan", now=NOW) == 2
    left = {h.message_id for h in await store.search(user_id=1, query="trip Japan", now=NOW)}
    assert set(trips) <= left and not left & set(japan)
    empty = await store.preview_forget_topic(user_id=3, chat_id=3, topic="anything", now=NOW)
    assert empty.is_empty


async def test_export_is_json_with_iso_times(store: MemoryStore) -> None:
    ids = await add(store, 1, "我喜欢爬山", "hiking is fun")
    await store.add_fact(
        user_id=1, chat_id=1, text="Anna likes hiking", source_message_ids=ids, now=NOW
    )
    await add(store, 2, "not mine")
    exported = json.loads(json.dumps(await store.export(user_id=1, chat_id=1), ensure_ascii=False))
    assert [m["text"] for m in exported["messages"]] == ["我喜欢爬山", "hiking is fun"]
    assert datetime.fromisoformat(exported["messages"][0]["at"]) == NOW - timedelta(hours=2)
    [fact] = exported["facts"]
    assert fact["text"] == "Anna likes hiking" and fact["source_message_ids"] == ids
    assert datetime.fromisoformat(fact["created_at"]) == NOW


async def test_migrate_chat_moves_group_memory(store: MemoryStore) -> None:
    group = await add(store, 1, "the group voted for pizza night", chat=-10)
    await store.add_fact(user_id=1, chat_id=-10, text="The group likes pizza", now=NOW)
    assert await store.migrate_chat(-10, -100123) == 1
    assert await store.search(user_id=1, chat_id=-10, query="pizza", now=NOW) == []
    moved = await store.search(user_id=1, chat_id=-100123, query="pizza", now=NOW)
    assert [(h.message_id, h.chat_id) for h in moved] == [(group[0], -100123)]
    assert (await store.search_facts(user_id=1, chat_id=-100123, query="pizza"))[
        0
    ].text == "The group likes pizza"


async def test_migrate_chat_merges_into_a_supergroup_that_already_speaks(
    store: MemoryStore,
) -> None:
    old = await add(store, 1, "old group talks about chess", chat=-20)
    new = await add(store, 2, "new supergroup talks about chess too", chat=-100200)
    await store.migrate_chat(-20, -100200)
    hits = await store.search(user_id=1, chat_id=-100200, query="chess", now=NOW)
    assert {h.message_id for h in hits} == {*old, *new}
    assert await store.search(user_id=1, chat_id=-20, query="chess", now=NOW) == []
    [later] = await add(store, 1, "chess club on Friday", chat=-100200)
    assert later in {
        h.message_id for h in await store.search(user_id=1, chat_id=-100200, query="chess", now=NOW)
    }


# --- forgetting leaves nothing behind ---------------------------------------------------------


@pytest.fixture
async def opened() -> AsyncIterator[list[MemoryStore]]:
    """Stores a test opens, closed afterwards even when it fails."""
    stores: list[MemoryStore] = []
    yield stores
    for memory in stores:
        await memory.close()


async def lexical_store(
    opened: list[MemoryStore], path: Path, *texts: str
) -> tuple[MemoryStore, list[int]]:
    """A store without embedder (a search finds only what shares words with the query)
    holding these messages of user 1, one minute apart: one conversation."""
    memory = await open_memory(path)
    opened.append(memory)
    ids = await memory.add_messages(
        NewMessage(user_id=1, chat_id=1, role="user", text=text, at=NOW + timedelta(minutes=minute))
        for minute, text in enumerate(texts)
    )
    return memory, ids


async def bodies(store: MemoryStore, ids: list[int]) -> list[tuple[list[str], list[str]]]:
    """The (own words, context words) each message is indexed with."""
    rows = await store.database.fetchall(
        f"SELECT rowid, body FROM memory_fts WHERE rowid IN ({','.join('?' * len(ids))})", ids
    )
    by_id = {row[0]: decode_body(row[1]) for row in rows}
    return [by_id[message_id] for message_id in ids]


async def index_pages_hold(store: MemoryStore, table: str, *words: str) -> list[str]:
    """Which of the words are still written in an index: in the pages of an FTS5 index (its
    segments, ``<table>_data``) on SQLite; in the rows' bodies or lexemes on PostgreSQL."""
    if store.database.dialect == "sqlite":
        sql = f"SELECT block FROM {table}_data"
    else:
        sql = f"SELECT convert_to(body || ' ' || tsv::text, 'UTF8') FROM {table}"
    blocks = [bytes(row[0]) for row in await store.database.fetchall(sql)]
    return [word for word in words if any(word.encode() in block for block in blocks)]


async def index_terms(store: MemoryStore, table: str) -> list[str]:
    """Every term an index holds (FTS5's vocabulary; the lexemes of the tsvectors)."""
    db = store.database
    if db.dialect == "sqlite":
        await db.execute(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.{table}_terms"
            f" USING fts5vocab(main, {table}, row)"
        )
        return [row[0] for row in await db.fetchall(f"SELECT term FROM temp.{table}_terms")]
    return [
        row[0] for row in await db.fetchall(f"SELECT word FROM ts_stat('SELECT tsv FROM {table}')")
    ]


async def memory_tables(store: MemoryStore) -> list[str]:
    """The memory component's tables (on SQLite with FTS5's own, such as memory_fts_data)."""
    if store.database.dialect == "sqlite":
        sql = "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'memory%'"
    else:
        sql = (
            "SELECT table_name FROM information_schema.tables"
            " WHERE table_schema = current_schema() AND table_name LIKE 'memory%'"
        )
    return [row[0] for row in await store.database.fetchall(sql)]


CONVERSATION = (
    "we walked along the harbour at sunset",
    "I love my zanzibarx ukulele",
    "my brother lives in Lyon",
    "he cooks great pasta",
    "the weather is grey",
)


async def test_forgotten_words_leave_the_context_of_the_following_messages(
    tmp_path: Path, opened: list[MemoryStore]
) -> None:
    store, ids = await lexical_store(opened, tmp_path / "forget.db", *CONVERSATION)
    # The two messages after the ukulele one are indexed with its words as context.
    before = await store.search(user_id=1, query="zanzibarx", now=NOW)
    assert {hit.message_id for hit in before} == {ids[1], ids[2], ids[3]}
    preview = await store.preview_forget_topic(user_id=1, chat_id=1, topic="zanzibarx", now=NOW)
    assert preview.message_ids == (ids[1],)
    await store.forget_items(user_id=1, chat_id=1, message_ids=preview.message_ids)
    for query in ("zanzibarx", "ukulele", "my zanzibarx ukulele"):
        assert await store.search(user_id=1, query=query, now=NOW) == []
    # Each follower is indexed as if the forgotten message had never been written.
    control, control_ids = await lexical_store(
        opened, tmp_path / "control.db", *(text for text in CONVERSATION if "ukulele" not in text)
    )
    kept = [ids[0], *ids[2:]]
    assert await bodies(store, kept) == await bodies(control, control_ids)
    assert any("harbour" in context for _, context in await bodies(store, [ids[2]]))
    # ... and the words are gone from the index pages, not only from the rows.
    assert await index_pages_hold(store, "memory_fts", "zanzibarx", "ukulel") == []


async def test_deleting_messages_reencodes_their_followers_in_the_same_transaction(
    tmp_path: Path, opened: list[MemoryStore], monkeypatch: pytest.MonkeyPatch
) -> None:
    store, ids = await lexical_store(opened, tmp_path / "forget.db", *CONVERSATION)

    def fail(*args: object, **kwargs: object) -> int:
        raise RuntimeError("re-encoding failed")

    with monkeypatch.context() as patch:
        patch.setattr(MessageWriter, "reencode_followers", fail, raising=False)
        with pytest.raises(RuntimeError):
            await store.forget_items(user_id=1, chat_id=1, message_ids=[ids[1]])
    # Nothing was deleted: the deletion and the re-encoding commit together or not at all.
    assert len(await store.get_messages(user_id=1, chat_id=1, message_ids=ids)) == 5
    assert ids[1] in {h.message_id for h in await store.search(user_id=1, query="ukulele")}
    # Deleting by id (not by topic) scrubs the followers too; the last message had none.
    assert await store.forget_items(user_id=1, chat_id=1, message_ids=[ids[1], ids[4]]) == 2
    assert await store.search(user_id=1, query="ukulele", now=NOW) == []
    assert [hit.message_id for hit in await store.search(user_id=1, query="pasta", now=NOW)] == [
        ids[3]
    ]


async def test_forgotten_facts_leave_nothing_in_the_facts_index(store: MemoryStore) -> None:
    await store.add_fact(user_id=1, chat_id=1, text="Anna plays the quokkafoo", now=NOW)
    kept = await store.add_fact(user_id=1, chat_id=1, text="Anna has a cat named Pixel", now=NOW)
    owed = await store.add_fact(user_id=1, chat_id=1, text="Anna owes Brian wombatcoins", now=NOW)
    await store.flush_embeddings()
    assert await index_pages_hold(store, "memory_fact_fts", "quokkafoo", "wombatcoin") == [
        "quokkafoo",
        "wombatcoin",
    ]
    preview = await store.preview_forget_topic(user_id=1, chat_id=1, topic="quokkafoo", now=NOW)
    assert await store.forget_items(user_id=1, chat_id=1, fact_ids=preview.fact_ids) == 1
    assert await store.delete_fact(user_id=1, chat_id=1, fact_id=owed.id)  # the 🗑 button
    assert await index_pages_hold(store, "memory_fact_fts", "quokkafoo", "wombatcoin") == []
    assert await index_pages_hold(store, "memory_fact_fts", "pixel") == ["pixel"]
    terms = await index_terms(store, "memory_fact_fts")
    assert terms and not [t for t in terms if "quokkafoo" in t or "wombatcoin" in t]
    assert [f.id for f in await store.search_facts(user_id=1, chat_id=1, query="cat")] == [kept.id]


async def test_forget_all_leaves_nothing_of_the_scope_in_any_memory_table(
    tmp_path: Path, opened: list[MemoryStore]
) -> None:
    embedder = FailingEmbedder()
    embedder.down = False
    store = await open_memory(tmp_path / "memory.db", embedder=embedder)
    opened.append(store)
    mine = await add(store, 1, "I love my zanzibarx ukulele", "蝾螈是我的宠物")
    await add(store, 2, "sailing lessons start Monday")
    await store.add_fact(user_id=1, chat_id=1, text="Anna plays the quokkafoo", now=NOW)
    await store.flush_embeddings()
    embedder.down = True  # what follows stays queued for embedding
    mine += await add(store, 1, "my zanzibarx needs new strings")
    fact = await store.add_fact(user_id=1, chat_id=1, text="Anna names a salamander", now=NOW)
    db = store.database
    queued = {row[0] for row in await db.fetchall("SELECT item_id FROM memory_embed_queue")}
    assert {mine[-1], fact.id} <= queued and await store.vectors.count("message", mine) == 2
    assert await store.vectors.count("fact") == 1
    key = (await db.fetchone("SELECT key FROM memory_scopes WHERE scope_id = 1"))[0]
    facts = [f.id for f in (await store.list_facts(user_id=1, chat_id=1))[0]]
    mine_items = {("message", i) for i in mine} | {("fact", i) for i in facts}

    assert await store.forget_all(user_id=1, chat_id=1) == 5

    own_words = ("zanzibarx", "ukulel", "蝾螈", "quokkafoo", "salamand")
    tables = await memory_tables(store)
    index = "memory_fts_data" if db.dialect == "sqlite" else "memory_fts"
    assert {"memory_scopes", index, "memory_vectors", "memory_embed_queue"} <= set(tables)
    for table in tables:
        rows = await db.fetchall(f"SELECT * FROM {table}")
        for row in rows:
            if table == "memory_embed_queue":
                assert (row["kind"], row["item_id"]) not in mine_items, table
            for name, value in zip(row.keys(), row, strict=True):
                if name == "scope_id" or name.startswith("partition"):
                    assert value != 1, (table, name)
                if isinstance(value, str | bytes):
                    data = value.encode() if isinstance(value, str) else value
                    assert not [w for w in own_words if w.encode() in data], (table, name)
    assert await db.fetchone("SELECT 1 FROM memory_scopes WHERE scope_id = 1") is None
    prefixes = tuple(f"{encode_key(key)}{mark}" for mark in "xz")
    assert not [
        term for term in await index_terms(store, "memory_fts") if term.startswith(prefixes)
    ]
    # The other user keeps everything; user 1 starts afresh, under a new key.
    assert len(await store.search(user_id=2, query="sailing", now=NOW)) == 1
    embedder.down = False
    [again] = await add(store, 1, "a new ukulele")
    assert [h.message_id for h in await store.search(user_id=1, query="ukulele", now=NOW)] == [
        again
    ]
    new_key = (await db.fetchone("SELECT key FROM memory_scopes WHERE scope_id = 1"))[0]
    assert new_key != key


async def test_a_failed_first_write_never_lends_its_key_to_another_scope(
    tmp_path: Path, opened: list[MemoryStore]
) -> None:
    store = await open_memory(tmp_path / "memory.db")
    opened.append(store)
    good = NewMessage(user_id=5, chat_id=5, role="user", text="my secret plan", at=NOW)
    broken = {"user_id": 5, "chat_id": 5, "role": "user", "text": None, "at": NOW}
    with pytest.raises((sqlite3.IntegrityError, asyncpg.IntegrityConstraintViolationError)):
        await store.add_messages([good, broken])  # rolled back, the scope's new key too
    [theirs] = await add(store, 6, "my secret diary")
    [mine] = await add(store, 5, "my secret plan again")
    keys = await store.database.fetchall("SELECT scope_id, key FROM memory_scopes")
    assert sorted(row[0] for row in keys) == [5, 6] and len({row[1] for row in keys}) == 2
    again = await open_memory(tmp_path / "memory.db")  # as after a restart: no caches
    opened.append(again)
    for memory in (store, again):
        for user, expected in ((5, mine), (6, theirs)):
            hits = await memory.search(user_id=user, query="secret", now=NOW)
            assert [hit.message_id for hit in hits] == [expected]


async def test_a_fact_whose_source_messages_are_gone_is_never_stored(store: MemoryStore) -> None:
    [kept, forgotten] = await add(store, 1, "I live in Lyon", "My parrot is called Kiwi")
    await store.forget_items(user_id=1, chat_id=1, message_ids=[forgotten])
    with pytest.raises(SourcesForgotten):
        await store.add_fact(
            user_id=1, chat_id=1, text="Anna has a parrot", source_message_ids=[forgotten], now=NOW
        )
    fact = await store.add_fact(
        user_id=1, chat_id=1, text="Anna lives in Lyon", source_message_ids=[kept], now=NOW
    )
    assert list(fact.source_message_ids) == [kept]
    assert (await store.list_facts(user_id=1, chat_id=1))[1] == 1


async def test_forgetting_messages_takes_facts_learned_after_the_preview(
    store: MemoryStore,
) -> None:
    ids = await add(store, 1, "My parrot is called Kiwi", "I live in Lyon")
    preview = await store.preview_forget_topic(user_id=1, chat_id=1, topic="parrot", now=NOW)
    assert preview.message_ids == (ids[0],) and preview.fact_ids == ()
    # Learning finishes between the preview and the confirmation.
    await store.add_fact(
        user_id=1, chat_id=1, text="Anna's bird is Kiwi", source_message_ids=[ids[0]], now=NOW
    )
    await store.forget_items(
        user_id=1, chat_id=1, message_ids=preview.message_ids, fact_ids=preview.fact_ids
    )
    assert (await store.list_facts(user_id=1, chat_id=1))[1] == 0


async def test_forgetting_a_message_takes_its_media_along(store: MemoryStore) -> None:
    wine, other = await add(store, 1, "[photo: a bottle of Barolo 2016]", "[photo: a cat]")
    await store.attach_media(
        [
            MediaRecord(wine, "photo", "file-wine", content="a bottle of Barolo 2016"),
            MediaRecord(other, "photo", "file-cat", content="a cat"),
        ]
    )
    preview = await store.preview_forget_topic(user_id=1, chat_id=1, topic="Barolo", now=NOW)
    assert wine in preview.message_ids and other not in preview.message_ids
    await store.forget_items(user_id=1, chat_id=1, message_ids=preview.message_ids)
    exported = await store.export(user_id=1, chat_id=1)
    assert [m["file_id"] for m in exported["media"]] == ["file-cat"]
    await store.forget_all(user_id=1, chat_id=1)
    left = await store.database.fetchone("SELECT COUNT(*) AS n FROM memory_media")
    assert left["n"] == 0
