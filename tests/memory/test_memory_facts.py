"""Facts: scoped add/list/delete, supersession with history and provenance, fact search."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.memory import MemoryStore
from tests.fakes.database import open_memory

NOW = datetime(2026, 4, 2, 9, 30, tzinfo=UTC)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[MemoryStore]:
    memory = await open_memory(tmp_path / "memory.db")
    yield memory
    await memory.close()


async def test_add_list_and_page_facts(store: MemoryStore) -> None:
    source = await store.add_message(
        user_id=1, chat_id=1, role="user", text="I'm vegetarian", at=NOW
    )
    first = await store.add_fact(
        user_id=1, chat_id=1, text="  Anna is   vegetarian. ", source_message_ids=[source], now=NOW
    )
    assert first.text == "Anna is vegetarian."
    assert (first.status, first.source_message_ids, first.created_at) == ("active", (source,), NOW)
    for i in range(11):
        await store.add_fact(user_id=1, chat_id=1, text=f"fact number {i}", now=NOW)
    page, total = await store.list_facts(user_id=1, chat_id=1, offset=0, limit=10)
    assert total == 12 and len(page) == 10
    assert page[0].text == "fact number 10"  # newest first
    rest, _ = await store.list_facts(user_id=1, chat_id=1, offset=10, limit=10)
    assert [fact.id for fact in rest][-1] == first.id
    assert (await store.list_facts(user_id=2, chat_id=2)) == ([], 0)


async def test_delete_fact_is_scoped(store: MemoryStore) -> None:
    mine = await store.add_fact(user_id=1, chat_id=1, text="Anna has a dog named Rex", now=NOW)
    assert not await store.delete_fact(user_id=2, chat_id=2, fact_id=mine.id)
    assert not await store.delete_fact(user_id=1, chat_id=-300, fact_id=mine.id)  # group scope
    assert await store.get_fact(user_id=1, chat_id=1, fact_id=mine.id) is not None
    assert await store.delete_fact(user_id=1, chat_id=1, fact_id=mine.id)
    assert await store.get_fact(user_id=1, chat_id=1, fact_id=mine.id) is None
    assert await store.search_facts(user_id=1, chat_id=1, query="dog Rex") == []
    assert not await store.delete_fact(user_id=1, chat_id=1, fact_id=mine.id)


async def test_provenance_never_crosses_scopes(store: MemoryStore) -> None:
    mine = await store.add_message(user_id=1, chat_id=1, role="user", text="I live in Oslo", at=NOW)
    theirs = await store.add_message(
        user_id=2, chat_id=2, role="user", text="I live in Rome", at=NOW
    )
    fact = await store.add_fact(
        user_id=1,
        chat_id=1,
        text="Anna lives in Oslo",
        source_message_ids=[mine, theirs, 999],
        now=NOW,
    )
    assert fact.source_message_ids == (mine,)


async def test_supersede_keeps_history_and_pointer(store: MemoryStore) -> None:
    old = await store.add_fact(user_id=1, chat_id=1, text="Anna lives in Paris", now=NOW)
    later = NOW + timedelta(days=30)
    moved = await store.add_message(
        user_id=1, chat_id=1, role="user", text="Moved to Berlin!", at=later
    )
    new = await store.supersede_fact(
        user_id=1,
        chat_id=1,
        fact_ids=old.id,
        text="Anna lives in Berlin",
        source_message_ids=[moved],
        now=later,
    )
    assert new is not None and new.status == "active" and new.source_message_ids == (moved,)
    previous = await store.get_fact(user_id=1, chat_id=1, fact_id=old.id)
    assert previous is not None
    assert (previous.status, previous.superseded_by, previous.updated_at) == (
        "superseded",
        new.id,
        later,
    )
    active, total = await store.list_facts(user_id=1, chat_id=1)
    assert [fact.id for fact in active] == [new.id] and total == 1
    history, total = await store.list_facts(user_id=1, chat_id=1, include_superseded=True)
    assert {fact.id for fact in history} == {old.id, new.id} and total == 2
    # A superseded or foreign fact cannot be superseded again.
    assert (
        await store.supersede_fact(user_id=1, chat_id=1, fact_ids=[old.id], text="x", now=later)
        is None
    )
    assert (
        await store.supersede_fact(user_id=2, chat_id=2, fact_ids=[new.id], text="x", now=later)
        is None
    )
    # Deleting the current version erases the versions it replaced too.
    assert await store.delete_fact(user_id=1, chat_id=1, fact_id=new.id)
    assert (await store.list_facts(user_id=1, chat_id=1, include_superseded=True))[1] == 0


async def test_retract_marks_no_longer_true(store: MemoryStore) -> None:
    fact = await store.add_fact(user_id=1, chat_id=1, text="Anna smokes", now=NOW)
    assert not await store.retract_fact(user_id=2, chat_id=2, fact_id=fact.id, now=NOW)
    assert await store.retract_fact(user_id=1, chat_id=1, fact_id=fact.id, now=NOW)
    assert (await store.get_fact(user_id=1, chat_id=1, fact_id=fact.id)).status == "deleted"
    assert (await store.list_facts(user_id=1, chat_id=1))[1] == 0
    assert await store.search_facts(user_id=1, chat_id=1, query="smokes") == []


async def test_fact_search_is_ranked_and_scoped(store: MemoryStore) -> None:
    await store.add_fact(user_id=1, chat_id=1, text="Anna is allergic to peanuts", now=NOW)
    await store.add_fact(user_id=1, chat_id=1, text="Anna's brother is called Max", now=NOW)
    await store.add_fact(user_id=1, chat_id=1, text="Anna 喜欢喝乌龙茶", now=NOW)
    await store.add_fact(user_id=2, chat_id=2, text="Ben is allergic to cats", now=NOW)
    hits = await store.search_facts(user_id=1, chat_id=1, query="what allergies does she have?")
    assert hits[0].text == "Anna is allergic to peanuts" and hits[0].score > 0
    assert all(fact.scope_id == 1 for fact in hits)
    tea = await store.search_facts(user_id=1, chat_id=1, query="她爱喝什么茶")
    assert tea[0].text == "Anna 喜欢喝乌龙茶"
