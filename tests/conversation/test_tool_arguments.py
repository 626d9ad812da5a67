"""Every tool's arguments are checked against its schema before the tool runs."""

from __future__ import annotations

from typing import Any

import pytest

from bot.chats import ChatKind
from bot.conversation import Incoming, ToolContext, ToolOutcome, ToolRegistry
from bot.conversation.tools import Tool, ToolArguments
from bot.llm.types import ToolCall
from tests.fakes.harness import BotHarness
from tests.fakes.llm import LLMReply, ToolCallReply
from tests.fakes.telegram import FakeUser

ANNA = FakeUser(101, "Anna", "en")
LI = FakeUser(202, "李雷", "zh-hans")

#: What small models send where a string belongs.
MALFORMED: list[Any] = [["feed the cat"], {"text": "feed the cat"}, 3, 2.5, True]


async def _context(harness: BotHarness, user: FakeUser = ANNA) -> ToolContext:
    assert harness.services is not None
    incoming = Incoming(
        user.id, ChatKind.PRIVATE, user.id, user.first_name, "hi", harness.clock.now()
    )
    record, chat = await harness.services.conversation.register(incoming)
    return ToolContext(record, chat, incoming, harness.clock.now(), "en", "UTC")


def _registry(harness: BotHarness) -> ToolRegistry:
    assert harness.services is not None
    return harness.services.conversation.tools


def _valid_arguments(tool: Tool[Any]) -> dict[str, Any]:
    schema = tool.spec["function"]["parameters"]
    return {name: "Anna" for name in schema.get("required", [])}


async def test_every_tool_declares_an_object_schema_from_its_arguments_model(
    harness: BotHarness,
) -> None:
    names = set()
    for tool in _registry(harness):
        names.add(tool.name)
        assert issubclass(tool.arguments, ToolArguments)
        parameters = tool.spec["function"]["parameters"]
        assert parameters["type"] == "object"
        assert parameters.get("additionalProperties") is False
        assert "title" not in parameters
        for field in parameters["properties"].values():
            assert "description" in field and "title" not in field
    assert {"set_reminder", "offer_reminder", "remember_person", "lookup_person"} <= names


async def test_no_tool_runs_with_a_malformed_string_field(
    harness: BotHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    context = await _context(harness)
    ran: list[str] = []
    registry = _registry(harness)
    for tool in registry:

        async def spy(context: ToolContext, arguments: Any, name: str = tool.name) -> ToolOutcome:
            ran.append(name)
            return ToolOutcome(result="ran")

        monkeypatch.setattr(tool, "run", spy)
    checked = 0
    for tool in registry:
        properties = tool.spec["function"]["parameters"]["properties"]
        strings = [name for name, field in properties.items() if field.get("type") == "string"]
        for field in strings:
            for bad in MALFORMED:
                arguments = {**_valid_arguments(tool), field: bad}
                outcome = await registry.run(context, ToolCall("1", tool.name, arguments))
                assert outcome.result.startswith("error: the arguments do not match")
                assert field in outcome.result and outcome.notice is None
                checked += 1
        # Unknown fields and missing required ones are refused too.
        outcome = await registry.run(context, ToolCall("1", tool.name, {"bogus": "x"}))
        assert outcome.result.startswith("error: the arguments do not match")
        # And the well-formed call does run.
        outcome = await registry.run(context, ToolCall("1", tool.name, _valid_arguments(tool)))
        assert outcome.result == "ran"
    assert checked >= 5 * 10
    assert len(ran) == len(list(registry))


async def test_null_means_not_given_for_an_optional_field(harness: BotHarness) -> None:
    context = await _context(harness)
    call = ToolCall(
        "1", "set_reminder", {"task": "feed the cat", "when": "in 3 hours", "recurrence": None}
    )
    outcome = await _registry(harness).run(context, call)
    assert outcome.result.startswith("set: #1 'feed the cat'")


async def test_the_error_is_short_and_does_not_echo_the_values(harness: BotHarness) -> None:
    context = await _context(harness)
    huge = ["x" * 5000]
    outcome = await _registry(harness).run(
        context, ToolCall("1", "set_reminder", {"task": huge, "when": huge})
    )
    assert len(outcome.result) < 400 and "xxxx" not in outcome.result
    assert "task" in outcome.result and "when" in outcome.result


async def test_list_arguments_never_reach_the_user_or_storage(harness: BotHarness) -> None:
    """The reported case: the model wraps the words in lists, then corrects itself."""
    harness.llm.then(
        ToolCallReply([("set_reminder", {"task": ["feed the cat"], "when": ["in 3 hours"]})]),
        ToolCallReply([("set_reminder", {"task": "feed the cat", "when": "in 3 hours"})]),
        LLMReply("Done, I'll remind you."),
    )
    harness.api.push_text(ANNA, "remind me to feed the cat in 3 hours")
    await harness.api.wait_for(lambda: "Done, I'll remind you." in harness.api.texts(ANNA.id))
    await harness.settle()
    texts = harness.api.texts(ANNA.id)
    assert not any("[" in text or "'feed" in text for text in texts)
    assert any("feed the cat" in text for text in texts)
    assert harness.services is not None
    [reminder] = await harness.services.reminders.repo.for_user(ANNA.id)
    assert reminder.text == "feed the cat"
    first_result = harness.llm.chat_requests[1]["messages"][-1]
    assert first_result["role"] == "tool"
    assert first_result["content"].startswith("error: the arguments do not match")


async def test_a_person_named_by_a_list_is_not_stored(harness: BotHarness) -> None:
    harness.llm.then(
        ToolCallReply([("remember_person", {"name": ["妈妈"], "note": ["喜欢兰花"]})]),
        LLMReply("好的。"),
    )
    harness.api.push_text(LI, "我妈妈喜欢兰花")
    await harness.api.wait_for(lambda: "好的。" in harness.api.texts(LI.id))
    await harness.settle()
    assert harness.services is not None
    assert not await harness.services.people.repo.for_user(LI.id)
    assert harness.api.texts(LI.id) == ["好的。"]
