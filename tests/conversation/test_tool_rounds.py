"""Within one answer: a repeated call is not run twice, and the model always gets to answer."""

from __future__ import annotations

from bot.conversation.service import _MAX_TOOL_ROUNDS
from tests.fakes.harness import BotHarness
from tests.fakes.llm import LLMReply, ToolCallReply
from tests.fakes.telegram import FakeUser

ANNA = FakeUser(101, "Anna", "en")
LI = FakeUser(202, "李雷", "zh-hans")
FEED = ("set_reminder", {"task": "feed the cat", "when": "in 3 hours"})


def _tool_results(request: dict) -> list[str]:
    return [message["content"] for message in request["messages"] if message["role"] == "tool"]


async def test_a_model_repeating_its_call_sets_one_reminder_and_answers(
    harness: BotHarness,
) -> None:
    """The reported case: a small model re-sends set_reminder after each result."""
    harness.llm.then(
        ToolCallReply([FEED]),
        ToolCallReply([FEED]),
        ToolCallReply([FEED]),
        LLMReply("Sure, I'll remind you to feed the cat."),
    )
    harness.api.push_text(ANNA, "remind me to feed the cat in 3 hours")
    await harness.api.wait_for(
        lambda: "Sure, I'll remind you to feed the cat." in harness.api.texts(ANNA.id)
    )
    await harness.settle()
    assert harness.services is not None
    [reminder] = await harness.services.reminders.repo.for_user(ANNA.id)
    assert reminder.text == "feed the cat"
    texts = harness.api.texts(ANNA.id)
    assert len(texts) == 2  # the answer and one confirmation
    results = _tool_results(harness.llm.chat_requests[-1])
    assert results[0].startswith("set: #1")
    assert all(result.startswith("already done in this answer") for result in results[1:])
    assert all("set: #1" in result for result in results[1:])


async def test_identical_calls_in_one_round_run_once(harness: BotHarness) -> None:
    harness.llm.then(ToolCallReply([FEED, FEED]), LLMReply("Done."))
    harness.api.push_text(ANNA, "remind me to feed the cat in 3 hours")
    await harness.api.wait_for(lambda: "Done." in harness.api.texts(ANNA.id))
    await harness.settle()
    assert harness.services is not None
    assert len(await harness.services.reminders.repo.for_user(ANNA.id)) == 1


async def test_different_arguments_are_different_calls(harness: BotHarness) -> None:
    harness.llm.then(
        ToolCallReply([FEED, ("set_reminder", {"task": "feed the dog", "when": "in 3 hours"})]),
        LLMReply("Both set."),
    )
    harness.api.push_text(ANNA, "remind me to feed the cat and the dog in 3 hours")
    await harness.api.wait_for(lambda: "Both set." in harness.api.texts(ANNA.id))
    await harness.settle()
    assert harness.services is not None
    reminders = await harness.services.reminders.repo.for_user(ANNA.id)
    assert sorted(reminder.text for reminder in reminders) == ["feed the cat", "feed the dog"]


async def test_after_the_last_round_the_model_reads_the_results_and_answers(
    harness: BotHarness,
) -> None:
    """A model that never stops calling tools: every round's calls run (each one new), the
    last round's results still go back to it, and its final text reaches the user."""
    rounds = [
        ToolCallReply([("set_reminder", {"task": f"task {n}", "when": "in 3 hours"})])
        for n in range(1, _MAX_TOOL_ROUNDS + 1)
    ]
    final = ToolCallReply(
        [("set_reminder", {"task": "one too many", "when": "in 3 hours"})],
        text="I set five reminders for you.",
    )
    harness.llm.then(*rounds, final)
    harness.api.push_text(ANNA, "remind me of five things in 3 hours")
    await harness.api.wait_for(
        lambda: any("I set five reminders" in text for text in harness.api.texts(ANNA.id))
    )
    await harness.settle()
    assert len(harness.llm.chat_requests) == _MAX_TOOL_ROUNDS + 1
    last_request = harness.llm.chat_requests[-1]
    results = _tool_results(last_request)
    assert len(results) == _MAX_TOOL_ROUNDS
    assert f"'task {_MAX_TOOL_ROUNDS}'" in results[-1]
    assert "No more tool calls can run" in results[-1]
    assert harness.services is not None
    reminders = await harness.services.reminders.repo.for_user(ANNA.id)
    assert len(reminders) == _MAX_TOOL_ROUNDS  # the call made after the last round did not run
    assert "one too many" not in {reminder.text for reminder in reminders}


async def test_a_chinese_turn_ends_with_the_models_answer_too(harness: BotHarness) -> None:
    call = ("set_reminder", {"task": "给妈妈打电话", "when": "明天下午三点"})
    harness.llm.then(*[ToolCallReply([call]) for _ in range(_MAX_TOOL_ROUNDS)], LLMReply("好的！"))
    harness.api.push_text(LI, "提醒我明天下午三点给妈妈打电话")
    await harness.api.wait_for(lambda: "好的！" in harness.api.texts(LI.id))
    await harness.settle()
    assert harness.services is not None
    assert len(await harness.services.reminders.repo.for_user(LI.id)) == 1
    assert len(harness.api.texts(LI.id)) == 2
