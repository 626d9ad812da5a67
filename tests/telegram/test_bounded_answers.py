"""Bounded answers: max_tokens, an overall deadline, a hung model, a cap on messages."""

from __future__ import annotations

import asyncio

from tests.fakes.harness import BotHarness
from tests.fakes.llm import LLMReply
from tests.fakes.telegram import Failure, FakeUser

ANNA = FakeUser(101, "Anna", "en")
LI = FakeUser(202, "李雷", "zh-hans")


async def test_the_answer_budget_is_sent_as_max_tokens(harness: BotHarness) -> None:
    harness.api.push_text(ANNA, "Hello")
    await harness.api.wait_for_messages(1, ANNA.id)
    assert harness.llm.chat_requests[-1]["max_tokens"] == harness.settings.llm_answer_tokens


async def test_an_endless_answer_is_cut_at_the_deadline(harness: BotHarness) -> None:
    await harness.stop()
    await harness.start(llm_answer_seconds=0.6)
    harness.llm.endless = True
    harness.llm.chunk_delay = 0.01
    loop = asyncio.get_running_loop()
    started = loop.time()
    harness.api.push_text(ANNA, "Count forever")
    [answer] = await harness.api.wait_for_messages(1, ANNA.id, timeout=8)
    assert loop.time() - started < 6  # endless otherwise (2 s is typical on a loaded machine)
    assert answer["text"].startswith("and so on, ")
    assert "the answer was taking too long" in answer["text"]
    harness.llm.endless = False
    await harness.settle()
    # The cut answer is kept as it was sent, and the chat takes the next message at once.
    harness.api.push_text(ANNA, "Thanks")
    replies = await harness.api.wait_for_messages(2, ANNA.id)
    assert replies[1]["text"] == "You said: Thanks"


async def test_a_hung_model_is_reported_within_the_stall_time(harness: BotHarness) -> None:
    await harness.stop()
    await harness.start(llm_stall_seconds=0.3)
    held = harness.llm.hold_stream = asyncio.Event()
    loop = asyncio.get_running_loop()
    started = loop.time()
    harness.api.push_text(LI, "你好")
    [answer] = await harness.api.wait_for_messages(1, LI.id, timeout=8)
    assert loop.time() - started < 6  # the SDK alone would wait 60 s, three times
    assert "连不上语言模型" in answer["text"]
    harness.llm.hold_stream = None
    held.set()


async def test_an_answer_longer_than_the_cap_comes_as_a_file(harness: BotHarness) -> None:
    paragraph = "A long paragraph about everything under the sun, said once more. " * 20
    whole = "\n\n".join(f"{n}. {paragraph}" for n in range(60))  # ~80 KB: 20 messages
    harness.llm.chunk_size = 4000
    harness.llm.then(LLMReply(whole))
    harness.api.push_text(ANNA, "Tell me everything")
    await harness.api.wait_for(lambda: harness.api.calls_of("sendDocument"))
    await harness.settle()
    messages = harness.api.sent_messages(ANNA.id)
    assert len(messages) <= harness.settings.answer_max_messages
    assert "all of it is in the file below" in messages[-1]["text"]
    [document] = harness.api.calls_of("sendDocument")
    name, content = document.files["document"]
    assert name == "answer.md" and content.decode() == whole.strip()


async def test_a_passing_send_error_is_retried_and_the_answer_kept(harness: BotHarness) -> None:
    harness.api.fail("sendMessage", Failure("Internal Server Error", 500))
    harness.api.push_text(ANNA, "Are you there?")
    [answer] = await harness.api.wait_for_messages(1, ANNA.id)
    await harness.settle()
    assert answer["text"] == "You said: Are you there?"
    assert len(harness.api.calls_of("sendMessage")) == 2  # the failed try, then the answer
    assert await _history(harness) == ["Are you there?", "You said: Are you there?"]


async def test_a_502_after_telegram_delivered_never_adds_an_apology(harness: BotHarness) -> None:
    harness.api.fail("sendMessage", Failure("Bad Gateway", 502, delivered=True))
    harness.api.push_text(ANNA, "Hello")
    await harness.api.wait_for_messages(2, ANNA.id)
    await harness.settle()
    texts = harness.api.texts(ANNA.id)
    assert set(texts) == {"You said: Hello"}  # at worst a repeat, never "something went wrong"
    assert await _history(harness) == ["Hello", "You said: Hello"]


async def _history(harness: BotHarness) -> list[str]:
    assert harness.services is not None
    rows = await harness.services.db.fetchall(
        "SELECT text FROM messages WHERE chat_id = ? ORDER BY id", (ANNA.id,)
    )
    return [row["text"] for row in rows]
