"""Per-chat turns: a chat's backlog costs the other chats nothing; shutdown is bounded."""

from __future__ import annotations

import asyncio

from tests.fakes.harness import BotHarness
from tests.fakes.telegram import FakeUser
from tests.fakes.waiting import PATIENCE

ANNA = FakeUser(101, "Anna", "en")
BORIS = FakeUser(202, "Boris", "en")


async def test_a_thousand_queued_in_one_chat_do_not_delay_another(harness: BotHarness) -> None:
    await harness.stop()
    await harness.start(shutdown_grace_seconds=0.2)
    harness.llm.response_delay = 0.05  # Anna's backlog alone takes 50 s to answer
    for number in range(1000):
        harness.api.push_text(ANNA, f"forwarded message {number}")
    await harness.api.wait_for_messages(1, ANNA.id)
    harness.api.push_text(BORIS, "Are you there?")
    # Boris is answered while Anna's backlog is still being worked through: not after it.
    # (Counted in Anna's answers, not in seconds, which a loaded machine stretches.)
    [answer] = await harness.api.wait_for_messages(1, BORIS.id, timeout=30.0)
    assert answer["text"] == "You said: Are you there?"
    texts = harness.api.texts(ANNA.id)
    assert len(texts) < 100
    # Anna's answers keep their order, one at a time.
    assert texts == [f"You said: forwarded message {n}" for n in range(len(texts))]


async def test_shutdown_with_a_backlog_is_bounded(harness: BotHarness) -> None:
    await harness.stop()
    await harness.start(shutdown_grace_seconds=0.5)
    harness.llm.response_delay = 0.05  # the backlog alone takes 50 s to answer
    for number in range(1000):
        harness.api.push_text(ANNA, f"forwarded message {number}")
    await harness.api.wait_for_messages(1, ANNA.id)
    answered = len(harness.api.texts(ANNA.id))
    # The stop gives the answers in progress their grace period (0.5 s: about ten answers on a
    # quiet machine, fewer on a loaded one), then leaves the rest: it does not work through
    # the backlog, which would take 50 s and more. Counted in answers, not in seconds, which a
    # loaded machine stretches; the time bound only stops a stop that drains.
    async with asyncio.timeout(PATIENCE):
        await harness.stop()
    assert len(harness.api.texts(ANNA.id)) - answered < 100
