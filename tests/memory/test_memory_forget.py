"""Forgetting everything or a topic (index rows and vectors included), export, chat migration."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from memory_fakes import HashingEmbedder

from bot.memory import MemoryStore, NewMessage

NOW = datetime(2026, 7, 1, 10, 0, tzinfo=UTC)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[MemoryStore]:
    memory = await MemoryStore.open(tmp_path / "memory.db", embedder=HashingEmbedder())
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
    with pytest.raises(ValueError):
        await store.migrate_chat(5, -7)


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
