"""A forget stops fact learning under way in another process: two learners (a memory store and
a fact extractor each, standing for two replicas: on PostgreSQL two connection pools on one
schema; on SQLite two stores on one file) share one memory. While one learns from a chat, the
other forgets part of it; what the model then answers is not stored, though part of its sources
is still there. A pass that starts after the forget learns as usual."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from memory_fakes import ScriptedLLM, save_facts

from bot.llm.types import Completion
from bot.memory import FactExtractor, MemoryStore
from bot.storage import Database
from tests.fakes.postgres import fresh_schema, open_postgres
from tests.fakes.waiting import until

NOW = datetime(2026, 5, 1, 18, 0, tzinfo=UTC)
ANNA = 1


class ThinkingLLM(ScriptedLLM):
    """A scripted model that answers only once ``answer`` is set: "the model is thinking"."""

    def __init__(self, *replies: Completion) -> None:
        super().__init__(list(replies))
        self.answer = asyncio.Event()
        self.asked = asyncio.Event()

    async def complete(self, *args: Any, **kwargs: Any) -> Completion:
        self.asked.set()
        await self.answer.wait()
        return await super().complete(*args, **kwargs)


@dataclass
class Learners:
    learning: MemoryStore  # the replica learning from the chat
    forgetting: MemoryStore  # the replica the user tells to forget


@pytest.fixture(params=["postgresql", "sqlite"])
async def learners(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Learners]:
    if request.param == "sqlite":
        db = await Database.open(tmp_path / "dazi.sqlite3")
        try:
            yield Learners(await MemoryStore.open(db), await MemoryStore.open(db))
        finally:
            await db.close()
        return
    async with fresh_schema() as schema:
        dbs = [await open_postgres(schema) for _ in range(2)]
        try:
            yield Learners(await MemoryStore.open(dbs[0]), await MemoryStore.open(dbs[1]))
        finally:
            for db in dbs:
                await db.close()


async def _chat(store: MemoryStore, *texts: str) -> list[int]:
    return [
        await store.add_message(
            user_id=ANNA,
            chat_id=ANNA,
            role="user",
            text=text,
            at=NOW + timedelta(seconds=index),
            speaker="Anna",
        )
        for index, text in enumerate(texts)
    ]


async def test_a_forget_by_another_learner_stops_a_pass_under_way(learners: Learners) -> None:
    ids = await _chat(learners.learning, "I work at Acme", "my salary is 90k, keep it secret")
    model = ThinkingLLM(
        save_facts(
            {"op": "add", "text": "Anna works at Acme and earns 90k.", "source_messages": []},
            {"op": "add", "text": "Anna earns 90k.", "source_messages": ["M1", "M2"]},
        )
    )
    extractor = FactExtractor(model, learners.learning)
    learning = asyncio.create_task(
        extractor.process(user_id=ANNA, chat_id=ANNA, now=NOW, message_ids=ids)
    )
    await until(model.asked.is_set)  # the pass read the messages and asks the model
    # The user makes the other replica forget the salary (its own learner hears of it; this
    # one does not): the first message stays, so a fact citing it alone would pass.
    assert await learners.forgetting.forget_items(user_id=ANNA, chat_id=ANNA, message_ids=ids[1:])
    model.answer.set()
    result = await learning
    assert not result.added and result.summary is None
    facts, total = await learners.learning.list_facts(user_id=ANNA, chat_id=ANNA)
    assert (facts, total) == ([], 0)

    # A pass that starts after the forget learns as usual.
    later = await _chat(learners.learning, "I also play the cello")
    model = ThinkingLLM(save_facts({"op": "add", "text": "Anna plays the cello."}))
    model.answer.set()
    result = await FactExtractor(model, learners.learning).process(
        user_id=ANNA, chat_id=ANNA, now=NOW, message_ids=later
    )
    assert [fact.text for fact in result.added] == ["Anna plays the cello."]


async def test_a_forget_all_removes_the_fence_with_the_rest(learners: Learners) -> None:
    ids = await _chat(learners.learning, "I live in Lyon")
    model = ThinkingLLM(save_facts({"op": "add", "text": "Anna lives in Lyon."}))
    model.answer.set()
    await FactExtractor(model, learners.learning).process(
        user_id=ANNA, chat_id=ANNA, now=NOW, message_ids=ids
    )
    db = learners.learning.database
    assert await db.fetchall("SELECT scope_id FROM memory_learning_fences") != []
    await learners.forgetting.forget_all(user_id=ANNA, chat_id=ANNA)
    assert await db.fetchall("SELECT scope_id FROM memory_learning_fences") == []
