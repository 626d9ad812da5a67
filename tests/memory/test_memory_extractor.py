"""FactExtractor with a scripted model: adds, consolidation, and robustness to garbage."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from memory_fakes import ScriptedLLM, save_facts

from bot.llm.types import Completion, ToolCall
from bot.memory import FactExtractor, MemoryStore
from tests.fakes.database import open_memory

NOW = datetime(2026, 5, 1, 18, 0, tzinfo=UTC)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[MemoryStore]:
    memory = await open_memory(tmp_path / "memory.db")
    yield memory
    await memory.close()


async def exchange(store: MemoryStore, *texts: str, user: int = 1) -> list[int]:
    ids = []
    for i, text in enumerate(texts):
        role = "user" if i % 2 == 0 else "assistant"
        ids.append(
            await store.add_message(
                user_id=user,
                chat_id=user,
                role=role,
                text=text,
                at=NOW + timedelta(seconds=i),
                speaker="Anna" if role == "user" else None,
            )
        )
    return ids


async def test_adds_facts_with_provenance(store: MemoryStore) -> None:
    ids = await exchange(store, "I'm allergic to peanuts, by the way", "Noted, no peanuts!")
    llm = ScriptedLLM(
        [
            save_facts(
                {
                    "op": "add",
                    "text": "Anna is allergic to peanuts.",
                    "kind": "health",
                    "source_messages": ["M1"],
                }
            )
        ]
    )
    result = await FactExtractor(llm, store).process(user_id=1, chat_id=1, now=NOW, message_ids=ids)
    [fact] = result.added
    assert (fact.text, fact.kind, fact.source_message_ids) == (
        "Anna is allergic to peanuts.",
        "health",
        (ids[0],),
    )
    prompt = llm.last_prompt
    assert "[M1]" in prompt and "[M2]" in prompt and "peanuts" in prompt and "(none)" in prompt


async def test_update_supersedes_the_old_fact(store: MemoryStore) -> None:
    old_source = await exchange(store, "I live in Paris")
    old = await store.add_fact(
        user_id=1, chat_id=1, text="Anna lives in Paris.", source_message_ids=old_source, now=NOW
    )
    await store.add_fact(user_id=1, chat_id=1, text="Anna has a cat.", now=NOW)
    ids = await exchange(store, "Big news: I moved to Berlin last week!", "Congrats on Berlin!")
    llm = ScriptedLLM(
        [
            save_facts(
                {
                    "op": "update",
                    "text": "Anna lives in Berlin (since April 2026).",
                    "replaces": ["F1"],
                    "source_messages": ["M1"],
                }
            )
        ]
    )
    result = await FactExtractor(llm, store).process(user_id=1, chat_id=1, now=NOW, message_ids=ids)
    [(replaced, new)] = result.updated
    assert replaced == (old.id,)
    assert (
        "[F1] Anna lives in Paris." in llm.last_prompt and "[F2] Anna has a cat." in llm.last_prompt
    )
    previous = await store.get_fact(user_id=1, chat_id=1, fact_id=old.id)
    assert (previous.status, previous.superseded_by) == ("superseded", new.id)
    assert previous.source_message_ids == tuple(old_source)  # provenance of the old version kept
    assert (new.status, new.source_message_ids) == ("active", (ids[0],))
    active, _ = await store.list_facts(user_id=1, chat_id=1)
    assert sorted(fact.text for fact in active) == [
        "Anna has a cat.",
        "Anna lives in Berlin (since April 2026).",
    ]


async def test_delete_retracts_and_none_does_nothing(store: MemoryStore) -> None:
    fact = await store.add_fact(user_id=1, chat_id=1, text="Anna smokes.", now=NOW)
    ids = await exchange(store, "I quit smoking for good")
    llm = ScriptedLLM([save_facts({"op": "delete", "replaces": ["F1"]}, {"op": "none"})])
    result = await FactExtractor(llm, store).process(user_id=1, chat_id=1, now=NOW, message_ids=ids)
    assert result.retracted == [fact.id] and not result.added
    assert (await store.get_fact(user_id=1, chat_id=1, fact_id=fact.id)).status == "deleted"


async def test_known_facts_are_not_duplicated_and_invented_ids_do_not_supersede(
    store: MemoryStore,
) -> None:
    known = await store.add_fact(user_id=1, chat_id=1, text="Anna has a cat.", now=NOW)
    ids = await exchange(store, "My cat is sleeping; also I started pottery")
    llm = ScriptedLLM(
        [
            save_facts(
                {"op": "add", "text": "anna has a cat"},
                {"op": "update", "text": "Anna does pottery.", "replaces": ["F7", "x"]},
            )
        ]
    )
    result = await FactExtractor(llm, store).process(user_id=1, chat_id=1, now=NOW, message_ids=ids)
    assert [fact.text for fact in result.added] == ["Anna does pottery."]
    assert result.added[0].source_message_ids == tuple(ids)  # uncited: the whole exchange
    assert (await store.get_fact(user_id=1, chat_id=1, fact_id=known.id)).status == "active"


async def test_only_the_users_own_facts_and_messages_are_used(store: MemoryStore) -> None:
    foreign = await store.add_fact(user_id=2, chat_id=2, text="Ben lives in Rome.", now=NOW)
    foreign_message = (await exchange(store, "I live in Rome", user=2))[0]
    ids = await exchange(store, "I live in Lisbon")
    llm = ScriptedLLM(
        [
            save_facts(
                {"op": "add", "text": "Anna lives in Lisbon.", "source_messages": ["M1", "M2"]}
            )
        ]
    )
    await FactExtractor(llm, store).process(
        user_id=1, chat_id=1, now=NOW, message_ids=[*ids, foreign_message]
    )
    assert "Rome" not in llm.last_prompt
    assert (await store.get_fact(user_id=2, chat_id=2, fact_id=foreign.id)).status == "active"
    facts, _ = await store.list_facts(user_id=1, chat_id=1)
    assert facts[0].source_message_ids == (ids[0],)


GARBAGE: list[Any] = [
    Completion(text="I think Anna likes tea"),  # no tool call
    Completion(text="", tool_calls=[ToolCall("1", "other_tool", {"operations": []})]),
    Completion(text="", tool_calls=[ToolCall("1", "save_facts", {"ops": "add everything"})]),
    Completion(text="", tool_calls=[ToolCall("1", "save_facts", {"operations": "add: tea"})]),
    Completion(text="", tool_calls=[ToolCall("1", "save_facts", "{not json")]),  # type: ignore[arg-type]
    Completion(text="", tool_calls=[ToolCall("1", "save_facts", None)]),  # type: ignore[arg-type]
    save_facts(
        "add", 42, None, ["op", "add"], {"op": "explode"}, {"op": "add"}, {"op": "add", "text": 5}
    ),
    save_facts(
        {"op": "update", "text": None, "replaces": "F1"},
        {"op": "delete", "replaces": [True, -1, "F99"]},
    ),
    save_facts(
        {"op": "add", "text": "   "},
        {"op": "add", "text": "x" * 5000, "source_messages": "M1", "kind": 3},
    ),
    RuntimeError("model server down"),
]


@pytest.mark.parametrize("reply", GARBAGE)
async def test_garbage_never_raises(store: MemoryStore, reply: Any) -> None:
    await store.add_fact(user_id=1, chat_id=1, text="Anna likes tea.", now=NOW)
    ids = await exchange(store, "tea time")
    result = await FactExtractor(ScriptedLLM([reply]), store).process(
        user_id=1, chat_id=1, now=NOW, message_ids=ids
    )
    facts, total = await store.list_facts(user_id=1, chat_id=1, include_superseded=True)
    assert total == len(result.added) + 1
    assert all(len(fact.text) <= 300 for fact in facts)
    assert (await store.list_facts(user_id=1, chat_id=1))[0][-1].status == "active"


async def test_nothing_to_do_without_messages_and_schedule_runs_in_background(
    store: MemoryStore,
) -> None:
    llm = ScriptedLLM([save_facts({"op": "add", "text": "Anna runs."})])
    extractor = FactExtractor(llm, store)
    assert not (await extractor.process(user_id=1, chat_id=1, now=NOW, message_ids=[])).changed
    assert llm.requests == []
    ids = await exchange(store, "I run every morning")
    task = extractor.schedule(user_id=1, chat_id=1, now=NOW, message_ids=ids)
    await extractor.drain()
    assert task.done() and task.result().added[0].text == "Anna runs."


async def test_the_learner_writes_a_summary_of_the_stretch(tmp_path: Path) -> None:
    store = await open_memory(tmp_path / "summary.db")
    try:
        now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
        ids = [
            await store.add_message(user_id=1, chat_id=1, role="user", text=text, at=now)
            for text in ("我们四月去日本", "先去京都，再去大阪")
        ]
        completion = save_facts({"op": "add", "text": "用户四月去日本旅行。"})
        completion.tool_calls[0].arguments["summary"] = "  计划四月的日本之行：京都，然后大阪。 "
        llm = ScriptedLLM([completion])
        result = await FactExtractor(llm, store).process(
            user_id=1, chat_id=1, now=now, message_ids=ids
        )
        assert result.summary is not None
        assert result.summary.text == "计划四月的日本之行：京都，然后大阪。"
        assert (result.summary.first_message_id, result.summary.last_message_id) == (ids[0], ids[1])
        assert "summary" in llm.last_prompt
        # No summary for small talk: nothing stored.
        llm.replies.append(save_facts({"op": "none"}))
        again = await FactExtractor(llm, store).process(
            user_id=1, chat_id=1, now=now, message_ids=ids
        )
        assert again.summary is None
    finally:
        await store.close()
