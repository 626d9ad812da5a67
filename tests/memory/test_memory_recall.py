"""Recall for prompts: token budget, exclusions, facts first, dated local rendering."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.llm.tokens import estimate_tokens
from bot.memory import MemoryStore, NewMessage, Recall

NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)


async def test_recall_fits_the_budget_and_skips_recent_turns(tmp_path: Path) -> None:
    store = await MemoryStore.open(tmp_path / "m.db")
    old = await store.add_messages(
        NewMessage(
            user_id=1,
            chat_id=1,
            role="user",
            text=f"guitar practice diary entry {i}: chords and scales " + "la " * 30,
            at=NOW - timedelta(days=30 - i),
            speaker="Anna",
        )
        for i in range(30)
    )
    recent = await store.add_message(
        user_id=1, chat_id=1, role="user", text="guitar again today", at=NOW, speaker="Anna"
    )
    await store.add_fact(user_id=1, chat_id=1, text="Anna plays the guitar", now=NOW)
    recall = await store.recall(
        user_id=1,
        chat_id=1,
        query="how is my guitar going?",
        now=NOW,
        budget_tokens=300,
        exclude_message_ids=[recent],
    )
    assert [fact.text for fact in recall.facts] == ["Anna plays the guitar"]
    assert recall.messages and recent not in recall.message_ids
    assert recall.message_ids <= set(old)
    prompt = recall.as_prompt(ZoneInfo("UTC"), "en")
    assert estimate_tokens(prompt) <= 300 and recall.tokens <= 300
    times = [hit.at for hit in recall.messages]
    assert times == sorted(times)  # a timeline, oldest first
    await store.close()


async def test_prompt_rendering_in_local_time_and_language(tmp_path: Path) -> None:
    store = await MemoryStore.open(tmp_path / "m.db")
    late = datetime(2026, 3, 13, 23, 30, tzinfo=UTC)  # already Saturday in Shanghai
    await store.add_message(
        user_id=1, chat_id=1, role="user", text="我想学吉他", at=late, speaker="Anna"
    )
    await store.add_message(
        user_id=1,
        chat_id=1,
        role="assistant",
        text="好主意！吉他很适合你",
        at=late + timedelta(minutes=1),
    )
    recall = await store.recall(user_id=1, chat_id=1, query="吉他", now=NOW, budget_tokens=200)
    zh = recall.as_prompt(ZoneInfo("Asia/Shanghai"), "zh")
    assert zh.splitlines() == [
        "相关的历史消息：",
        "[2026-03-14 周六] Anna: 我想学吉他",
        "[2026-03-14 周六] 你: 好主意！吉他很适合你",
    ]
    en = recall.as_prompt(ZoneInfo("America/New_York"), "en")
    assert en.splitlines()[1] == "[2026-03-13 Fri] Anna: 我想学吉他"
    assert en.splitlines()[2].startswith("[2026-03-13 Fri] You: ")
    assert Recall().as_prompt(ZoneInfo("UTC"), "en") == "" and Recall().is_empty
    tiny = await store.recall(user_id=1, chat_id=1, query="吉他", now=NOW, budget_tokens=5)
    assert tiny.is_empty
    await store.close()


async def test_recall_is_fast_on_a_large_history(tmp_path: Path) -> None:
    store = await MemoryStore.open(tmp_path / "m.db")
    words = ["coffee", "hiking", "piano", "tennis", "garden", "travel", "sister", "office"]
    words += ["movie", "pizza", "咖啡", "爬山", "钢琴", "旅行"]
    await store.add_messages(
        NewMessage(
            user_id=1,
            chat_id=1,
            role="user" if i % 2 else "assistant",
            text=f"{words[i % len(words)]} and {words[(i * 7) % len(words)]} note {i}",
            at=NOW - timedelta(minutes=5000 - i),
        )
        for i in range(5000)
    )
    started = time.perf_counter()
    for _ in range(20):
        await store.recall(
            user_id=1, chat_id=1, query="what about piano and travel?", now=NOW, budget_tokens=800
        )
    assert (time.perf_counter() - started) / 20 < 0.1  # a few ms in practice; generous for CI
    await store.close()
