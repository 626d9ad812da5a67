"""Recall for prompts: token budget, exclusions, facts first, dated local rendering."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.llm.tokens import estimate_tokens
from bot.memory import NewMessage, Recall
from tests.fakes.database import open_memory

NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)


async def test_recall_fits_the_budget_and_skips_recent_turns(tmp_path: Path) -> None:
    store = await open_memory(tmp_path / "m.db")
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
    store = await open_memory(tmp_path / "m.db")
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


async def test_recall_finds_the_one_answer_in_a_large_history(tmp_path: Path) -> None:
    # How fast this is belongs to benchmarks/memory_scale.py, not to a test.
    store = await open_memory(tmp_path / "m.db")
    words = ["coffee", "hiking", "piano", "tennis", "garden", "travel", "sister", "office"]
    words += ["movie", "pizza", "咖啡", "爬山", "钢琴", "旅行"]
    needle = "my piano teacher wants us to travel to Vienna in May"
    ids = await store.add_messages(
        NewMessage(
            user_id=1,
            chat_id=1,
            role="user" if i % 2 else "assistant",
            # Every other message names one or two of the words, never piano and travel both.
            text=needle if i == 1000 else f"{words[i % 14]} and {words[(i * 7) % 14]} note {i}",
            at=NOW - timedelta(minutes=5000 - i),
        )
        for i in range(5000)
    )
    question = "what about piano and travel?"
    recall = await store.recall(user_id=1, chat_id=1, query=question, now=NOW, budget_tokens=800)
    assert ids[1000] in recall.message_ids
    [best, *_] = await store.search(user_id=1, query=question, now=NOW)
    assert best.message_id == ids[1000] and best.text == needle
    await store.close()
