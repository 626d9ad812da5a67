"""Facts with validity (when they stopped being true, and why), and the filters of a search."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.memory import MemoryStore
from bot.memory.backends import memory_backend
from bot.memory.schema import MEMORY_MIGRATIONS
from bot.storage import CORE_MIGRATIONS
from tests.fakes.database import open_database, open_memory

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[MemoryStore]:
    memory = await open_memory(tmp_path / "memory.db")
    yield memory
    await memory.close()


async def _moved(store: MemoryStore, user: int = 1) -> tuple[int, int, int]:
    """Paris, then a message saying Berlin that supersedes it: (old fact, new fact, message)."""
    said = await store.add_message(
        user_id=user, chat_id=user, role="user", text="I live in Paris", at=NOW
    )
    old = await store.add_fact(
        user_id=user, chat_id=user, text="Anna lives in Paris.", source_message_ids=[said], now=NOW
    )
    moved_at = NOW + timedelta(days=30)
    moved = await store.add_message(
        user_id=user, chat_id=user, role="user", text="I moved to Berlin", at=moved_at
    )
    new = await store.supersede_fact(
        user_id=user,
        chat_id=user,
        fact_ids=old.id,
        text="Anna lives in Berlin.",
        source_message_ids=[moved],
        now=moved_at + timedelta(hours=2),  # learned a little after it was said
    )
    assert new is not None
    return old.id, new.id, moved


async def test_a_superseded_fact_keeps_when_and_why_it_ended(store: MemoryStore) -> None:
    old_id, new_id, moved = await _moved(store)
    old = await store.get_fact(user_id=1, chat_id=1, fact_id=old_id)
    assert old is not None and old.status == "superseded" and old.superseded_by == new_id
    assert old.valid_until == NOW + timedelta(days=30)  # when the user said it, not learned it
    assert old.ended_by_message_id == moved
    new = await store.get_fact(user_id=1, chat_id=1, fact_id=new_id)
    assert new is not None and new.valid_until is None and new.ended_by_message_id is None
    exported = await store.export(user_id=1, chat_id=1)
    by_id = {fact["id"]: fact for fact in exported["facts"]}
    assert by_id[old_id]["valid_until"] == (NOW + timedelta(days=30)).isoformat()
    assert by_id[old_id]["ended_by_message_id"] == moved


async def test_recall_gives_the_truth_and_the_history_only_when_asked(store: MemoryStore) -> None:
    await _moved(store)
    later, zone = NOW + timedelta(days=60), ZoneInfo("Europe/Berlin")
    now = await store.recall(
        user_id=1, chat_id=1, query="where do I live", now=later, budget_tokens=400
    )
    assert [fact.text for fact in now.facts] == ["Anna lives in Berlin."]
    before = await store.recall(
        user_id=1, chat_id=1, query="where did I live before?", now=later, budget_tokens=400
    )
    assert {fact.text for fact in before.facts} == {"Anna lives in Berlin.", "Anna lives in Paris."}
    prompt = before.as_prompt(zone, "en")
    assert "- Anna lives in Paris. (no longer true since 2026-07-01)" in prompt
    assert "- Anna lives in Berlin.\n" in prompt + "\n"
    zh = await store.recall(
        user_id=1, chat_id=1, query="我以前住在哪 Paris", now=later, budget_tokens=400
    )
    assert "Anna lives in Paris.（2026-07-01 起已不再成立）" in zh.as_prompt(zone, "zh")


async def test_a_retracted_fact_ends_at_the_message_that_said_so(store: MemoryStore) -> None:
    fact = await store.add_fact(user_id=1, chat_id=1, text="Anna works at Acme.", now=NOW)
    quit_at = NOW + timedelta(days=3)
    said = await store.add_message(
        user_id=1, chat_id=1, role="user", text="I quit my job at Acme", at=quit_at
    )
    assert await store.retract_fact(
        user_id=1, chat_id=1, fact_id=fact.id, now=quit_at, source_message_ids=[said]
    )
    gone = await store.get_fact(user_id=1, chat_id=1, fact_id=fact.id)
    assert gone is not None and gone.status == "deleted"
    assert (gone.valid_until, gone.ended_by_message_id) == (quit_at, said)
    # Without a message, it ended when it was retracted.
    other = await store.add_fact(user_id=1, chat_id=1, text="Anna has a cat.", now=NOW)
    await store.retract_fact(user_id=1, chat_id=1, fact_id=other.id, now=quit_at)
    ended = await store.get_fact(user_id=1, chat_id=1, fact_id=other.id)
    assert ended is not None and (ended.valid_until, ended.ended_by_message_id) == (quit_at, None)


async def test_forgetting_covers_history(store: MemoryStore) -> None:
    old_id, _, moved = await _moved(store)
    # Forgetting the message that ended a fact leaves no pointer to it.
    await store.forget_items(user_id=1, chat_id=1, message_ids=[moved])
    old = await store.get_fact(user_id=1, chat_id=1, fact_id=old_id)
    assert old is not None and old.ended_by_message_id is None and old.valid_until is not None
    # Forgetting the topic takes the history too.
    await store.forget_topic(user_id=1, chat_id=1, topic="Paris", now=NOW)
    facts, _ = await store.list_facts(user_id=1, chat_id=1, include_superseded=True)
    assert "Paris" not in " ".join(fact.text for fact in facts)
    await _moved(store, user=2)
    await store.forget_all(user_id=2, chat_id=2)
    assert (await store.list_facts(user_id=2, chat_id=2, include_superseded=True)) == ([], 0)


async def test_the_validity_migration_keeps_old_facts_and_dates_their_end(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    db = await open_database(path)
    await db.migrate("core", CORE_MIGRATIONS)
    migrations = memory_backend(db).migrations
    await db.migrate("memory", migrations[:1])  # a database from before validity
    stamp = "2026-01-02T03:04:05.000+00:00"
    for status in ("active", "superseded"):
        await db.execute(
            "INSERT INTO memory_facts (scope_id, text, status, created_at, updated_at)"
            " VALUES (1, ?, ?, ?, ?)",
            (f"a {status} fact", status, stamp, stamp),
        )
    await db.close()
    store = await open_memory(path)
    try:
        facts, _ = await store.list_facts(user_id=1, chat_id=1, include_superseded=True)
        by_status = {fact.status: fact for fact in facts}
        assert by_status["active"].valid_until is None
        assert by_status["superseded"].valid_until == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
        version = await store.database.fetchone(
            "SELECT version FROM schema_versions WHERE component = 'memory'"
        )
    finally:
        await store.close()
    assert version is not None and version[0] == len(migrations) == len(MEMORY_MIGRATIONS)


async def test_search_filters_by_time_and_person(store: MemoryStore) -> None:
    lines = [
        (datetime(2026, 1, 10, tzinfo=UTC), "Mia", "Mia: my trip to Paris was lovely"),
        (datetime(2026, 3, 10, tzinfo=UTC), "Anna", "Anna: Tom and I planned a trip to Rome"),
        (datetime(2026, 3, 20, tzinfo=UTC), "Mia", "Mia: booked a trip to Oslo"),
        (datetime(2026, 5, 1, tzinfo=UTC), "Anna", "Anna: the trip to Lisbon is next week"),
    ]
    for at, speaker, text in lines:
        await store.add_message(
            user_id=1, chat_id=1, role="user", text=text, at=at, speaker=speaker
        )
    march = await store.search(
        user_id=1,
        query="trip",
        now=NOW,
        since=datetime(2026, 3, 1, tzinfo=UTC),
        until=datetime(2026, 4, 1, tzinfo=UTC),
    )
    assert {hit.text.split()[-1] for hit in march} == {"Rome", "Oslo"}
    mia = await store.search(user_id=1, query="trip", now=NOW, person="mia")
    assert {hit.text.split()[-1] for hit in mia} == {"lovely", "Oslo"}
    tom = await store.search(user_id=1, query="trip", now=NOW, person="Tom")
    assert [hit.text.split()[-1] for hit in tom] == ["Rome"]
    before = await store.search(
        user_id=1, query="trip", now=NOW, written_before=datetime(2026, 3, 15, tzinfo=UTC)
    )
    assert {hit.text.split()[-1] for hit in before} == {"lovely", "Rome"}
    empty = await store.search(
        user_id=1, query="trip", now=NOW, since=datetime(2026, 8, 1, tzinfo=UTC)
    )
    assert empty == []
    # Another user's scope is never searched, filters or not.
    assert await store.search(user_id=2, query="trip", now=NOW, person="Mia") == []


async def test_a_fact_leads_to_the_turns_it_came_from(store: MemoryStore) -> None:
    """The fact's words find a turn that never says them ("moved", "Berlin")."""
    lease = await store.add_message(
        user_id=1,
        chat_id=1,
        role="user",
        text="Signed the lease today, the place on Kastanienallee is ours!",
        at=NOW,
    )
    for day in range(1, 30):
        await store.add_message(
            user_id=1,
            chat_id=1,
            role="user",
            text=f"Day {day}: I moved the meeting again, Berlin office is chaos",
            at=NOW + timedelta(days=day),
        )
    question = "when did I move to my new flat in Berlin?"
    before = await store.search(user_id=1, query=question, now=NOW + timedelta(days=40), k=5)
    assert lease not in [hit.message_id for hit in before]
    await store.add_fact(
        user_id=1,
        chat_id=1,
        text="Anna moved into a new flat in Berlin.",
        source_message_ids=[lease],
        now=NOW,
    )
    after = await store.search(user_id=1, query=question, now=NOW + timedelta(days=40), k=5)
    assert lease in [hit.message_id for hit in after]
    # The same for a Chinese fact and question; and never across scopes.
    said = await store.add_message(
        user_id=2, chat_id=2, role="user", text="钥匙拿到了，下周末搬！", at=NOW
    )
    await store.add_fact(
        user_id=2, chat_id=2, text="李雷搬到了深圳的新家。", source_message_ids=[said], now=NOW
    )
    hits = await store.search(user_id=2, query="我什么时候搬到深圳的？", now=NOW, k=3)
    assert said in [hit.message_id for hit in hits]
    assert said not in [h.message_id for h in await store.search(user_id=1, query="深圳 搬")]


async def test_a_summary_leads_to_its_stretch_and_goes_with_it(store: MemoryStore) -> None:
    """Two evenings say the same about Kyoto; the one summarised as the trip plan ranks first."""
    plan = []
    for minute, text in enumerate(["Booked it!", "Kyoto, finally!", "all paid"]):
        plan.append(
            await store.add_message(
                user_id=1,
                chat_id=1,
                role="user",
                text=text,
                at=NOW + timedelta(minutes=minute),
            )
        )
    other = await store.add_message(
        user_id=1,
        chat_id=1,
        role="user",
        text="Kyoto, finally!",  # a colleague's photos, weeks later
        at=NOW + timedelta(days=20),
    )
    question = "what was the plan for my Japan trip to Kyoto?"
    before = await store.search(user_id=1, query=question, now=NOW + timedelta(days=30), k=1)
    assert [hit.message_id for hit in before] == [other]
    summary = await store.add_summary(
        user_id=1,
        chat_id=1,
        text="Anna planned her Japan trip for April: Kyoto, then Osaka.",
        message_ids=plan,
        now=NOW,
    )
    assert summary is not None and (summary.first_message_id, summary.last_message_id) == (
        plan[0],
        plan[-1],
    )
    after = await store.search(user_id=1, query=question, now=NOW + timedelta(days=30), k=1)
    assert [hit.message_id for hit in after] == [plan[1]]
    exported = await store.export(user_id=1, chat_id=1)
    assert [s["text"] for s in exported["summaries"]] == [summary.text]
    assert await store.export(user_id=2, chat_id=2) | {"exported_at": None} == {
        "scope_id": 2,
        "exported_at": None,
        "messages": [],
        "facts": [],
        "media": [],
        "summaries": [],
    }
    # Forgetting the topic takes the summary (it names Japan) and its stretch's matches.
    preview = await store.preview_forget_topic(user_id=1, chat_id=1, topic="Japan", now=NOW)
    assert preview.summary_ids == (summary.id,)
    await store.forget_topic(user_id=1, chat_id=1, topic="Japan", now=NOW)
    assert (await store.export(user_id=1, chat_id=1))["summaries"] == []
    # Forgetting one message of a stretch forgets its summary too.
    again = await store.add_summary(
        user_id=1, chat_id=1, text="Anna's trip plan", message_ids=plan, now=NOW
    )
    assert again is not None
    await store.forget_items(user_id=1, chat_id=1, message_ids=[plan[2]])
    assert (await store.export(user_id=1, chat_id=1))["summaries"] == []
    # No summary of another scope's messages.
    assert (
        await store.add_summary(user_id=2, chat_id=2, text="x", message_ids=plan, now=NOW) is None
    )
