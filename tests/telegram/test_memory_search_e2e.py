"""The model searches memory itself (search_memory) end to end, through the fake LLM's tool calls.

The fake model here behaves like a real one would with the tool: it reads each result before it
decides on the next call, and answers only from what the searches returned. So the tests check
what a user notices: the answer holds pieces that only a chain of searches could find.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from bot.memory.tools import MAX_SEARCHES_PER_TURN
from tests.fakes.harness import BotHarness
from tests.fakes.llm import LLMReply, Scripted, ToolCallReply
from tests.fakes.telegram import FakeChat, FakeUser
from tests.telegram.memory_group_helpers import say, services

ANNA = FakeUser(101, "Anna", "en")
LI = FakeUser(202, "李雷", "zh-hans")
BOB = FakeUser(303, "Bob", "en")
NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)  # a Wednesday


def _tool_results(body: dict[str, Any]) -> list[str]:
    return [str(m.get("content") or "") for m in body["messages"] if m["role"] == "tool"]


def _last_line_with(result: str, word: str) -> str:
    return next(line for line in reversed(result.splitlines()) if word in line)


async def _remember(harness: BotHarness, user: FakeUser, lines: list[tuple[str, str]]) -> None:
    """Messages the user wrote in the past: (ISO time, text)."""
    memory = services(harness).memory
    for at, text in lines:
        await memory.add_message(
            user_id=user.id,
            chat_id=user.id,
            role="user",
            text=text,
            at=datetime.fromisoformat(at).replace(tzinfo=UTC),
            speaker=user.first_name,
        )


async def test_two_searches_answer_from_pieces_in_different_months(harness: BotHarness) -> None:
    harness.clock.set(NOW)
    await _remember(
        harness,
        ANNA,
        [
            ("2026-01-20T18:00", "My sister Mia is on a trip to Paris this week"),
            ("2026-04-11T19:00", "Mia's wedding was beautiful, the whole family was there"),
            ("2026-05-02T09:00", "Work is busy, three deadlines this month"),
            ("2026-07-18T20:00", "Mia just sent photos from her trip to Kyoto, so jealous"),
        ],
    )

    def model(body: dict[str, Any]) -> Scripted:
        results = _tool_results(body)
        if not results:  # first: when was the wedding?
            return ToolCallReply([("search_memory", {"query": "sister Mia wedding"})])
        if len(results) == 1:  # then: her trips from that day on
            day = re.search(r"\[(\d{4}-\d{2}-\d{2}) \w+\][^\n]*wedding", results[0])
            assert day, results[0]
            arguments = {"query": "Mia trip", "start_date": day.group(1)}
            return ToolCallReply([("search_memory", arguments)])
        trip = _last_line_with(results[1], "trip")
        return LLMReply(f"After the wedding ({day_of(results[0], 'wedding')}): {trip}")

    harness.llm.responder = model
    reply = await say(harness, ANNA, "Where did my sister travel after her wedding?")
    assert "After the wedding (2026-04-11)" in reply["text"]
    assert "Kyoto" in reply["text"] and "2026-07-18" in reply["text"]
    second = _tool_results(harness.llm.chat_requests[-1])[1]
    assert "Kyoto" in second and "Paris" not in second  # January is before the wedding
    assert "2026-04-11 to" in second  # the range the model asked for is stated back


def day_of(result: str, word: str) -> str:
    line = _last_line_with(result, word)
    found = re.search(r"\d{4}-\d{2}-\d{2}", line)
    assert found, line
    return found.group()


async def test_two_searches_in_chinese(harness: BotHarness) -> None:
    harness.clock.set(NOW)
    await _remember(
        harness,
        LI,
        [
            ("2026-02-03T12:00", "我妹妹小美这周在成都旅游"),
            ("2026-05-16T12:00", "小美的婚礼办得很好，全家都去了"),
            ("2026-08-09T12:00", "小美去了云南旅游，发了好多照片"),
        ],
    )

    def model(body: dict[str, Any]) -> Scripted:
        results = _tool_results(body)
        if not results:
            return ToolCallReply([("search_memory", {"query": "小美 婚礼"})])
        if len(results) == 1:
            arguments = {"query": "小美 旅游", "start_date": day_of(results[0], "婚礼")}
            return ToolCallReply([("search_memory", arguments)])
        return LLMReply("婚礼之后：" + _last_line_with(results[1], "旅游"))

    harness.llm.responder = model
    reply = await say(harness, LI, "我妹妹结婚以后去哪儿旅游了？")
    assert reply["text"].startswith("婚礼之后：") and "云南" in reply["text"]
    assert "2026-08-09" in reply["text"]
    second = _tool_results(harness.llm.chat_requests[-1])[1]
    assert "成都" not in second


async def test_a_time_bounded_search_finds_last_weekend(harness: BotHarness) -> None:
    harness.clock.set(NOW)
    await _remember(
        harness,
        ANNA,
        [
            ("2026-11-21T15:00", "Saw a movie at the cinema with Tom"),
            ("2026-11-25T12:00", "Long day at the office"),  # a weekday
            ("2026-11-28T10:00", "Hiking at Mount Tam with Leo today!"),
            ("2026-11-29T17:00", "Baked a lemon cake for the neighbours"),
        ],
    )
    harness.llm.then(
        ToolCallReply([("search_memory", {"query": "what did I do", "when": "last weekend"})])
    )
    harness.llm.responder = lambda body: LLMReply(_tool_results(body)[-1])
    reply = await say(harness, ANNA, "What did I do last weekend?")
    assert "2026-11-28 to 2026-11-29" in reply["text"]
    assert "Mount Tam" in reply["text"] and "lemon cake" in reply["text"]
    assert "cinema" not in reply["text"] and "office" not in reply["text"]


async def test_a_time_bounded_search_in_chinese(harness: BotHarness) -> None:
    harness.clock.set(NOW)
    await _remember(
        harness,
        LI,
        [
            ("2026-10-10T12:00", "和老王吃了火锅"),
            ("2026-11-28T12:00", "周六和小张去爬山了"),
            ("2026-11-30T12:00", "周一开会开了一整天"),
        ],
    )
    harness.llm.then(ToolCallReply([("search_memory", {"query": "做了什么", "when": "上周末"})]))
    harness.llm.responder = lambda body: LLMReply(_tool_results(body)[-1])
    reply = await say(harness, LI, "上周末我做了什么？")
    assert "爬山" in reply["text"]
    assert "火锅" not in reply["text"] and "开会" not in reply["text"]


async def test_searches_are_bounded_per_answer(harness: BotHarness) -> None:
    harness.clock.set(NOW)
    await _remember(harness, ANNA, [("2026-06-01T12:00", "I adopted a cat named Miso")])
    search = ToolCallReply([("search_memory", {"query": "cat"})])
    # Different queries: a repeated identical call is answered from its first result instead.
    more = [("search_memory", {"query": f"my cat {n}"}) for n in range(MAX_SEARCHES_PER_TURN)]
    harness.llm.then(search, ToolCallReply(more))
    harness.llm.responder = lambda body: LLMReply("done")
    await say(harness, ANNA, "Tell me about my cat")
    results = _tool_results(harness.llm.chat_requests[-1])
    assert len(results) == MAX_SEARCHES_PER_TURN + 1
    assert all("Miso" in result for result in results[:MAX_SEARCHES_PER_TURN])
    assert "limit" in results[-1] and "Miso" not in results[-1]
    # A new answer has a fresh allowance.
    harness.llm.then(search)
    await say(harness, ANNA, "And its name again?")
    assert "Miso" in _tool_results(harness.llm.chat_requests[-1])[-1]


async def test_a_bad_time_gets_a_clear_error_for_the_model(harness: BotHarness) -> None:
    harness.clock.set(NOW)
    calls = [("search_memory", {"query": "trip", "when": "around the blue moon"})]
    harness.llm.then(ToolCallReply(calls))
    harness.llm.responder = lambda body: LLMReply(_tool_results(body)[-1])
    reply = await say(harness, ANNA, "when was my trip?")
    assert "could not read the time" in reply["text"] and "YYYY-MM-DD" in reply["text"]


async def test_search_in_a_group_reads_private_memory_only_of_who_shared(
    harness: BotHarness,
) -> None:
    harness.clock.set(NOW)
    await _remember(harness, ANNA, [("2026-06-01T12:00", "My secret diagnosis is migraine")])
    await _remember(harness, BOB, [("2026-06-02T12:00", "My diagnosis: a broken toe")])
    group = FakeChat(-100500, "supergroup", "Friends")
    harness.llm.responder = lambda body: LLMReply(json.dumps(_tool_results(body)))
    ask = ToolCallReply([("search_memory", {"query": "diagnosis"})])
    harness.llm.then(ask)
    reply = await say(harness, ANNA, "@dazi_test_bot what was my diagnosis?", chat=group)
    assert "nothing found" in reply["text"]
    assert "migraine" not in reply["text"] and "toe" not in reply["text"]
    assert "migraine" not in harness.llm.prompt_text()
    # Anna allows her private memory here: her searches see it, labelled; never Bob's.
    await say(harness, ANNA, "/share on", group)
    harness.llm.then(ask)
    reply = await say(harness, ANNA, "@dazi_test_bot what was my diagnosis?", chat=group)
    assert "migraine" in reply["text"] and "Anna's private memory" in reply["text"]
    assert "toe" not in reply["text"]
    harness.llm.then(ask)
    reply = await say(harness, BOB, "@dazi_test_bot what was my diagnosis?", chat=group)
    assert "migraine" not in reply["text"] and "toe" not in reply["text"]


def _save(operation: dict[str, Any]) -> ToolCallReply:
    """The fact learner's model answer: one save_facts call."""
    return ToolCallReply([("save_facts", {"operations": [operation]})])


def _known_facts(body: dict[str, Any]) -> list[str]:
    """The "Known facts" lines of the recalled memory in a conversation request."""
    text = "\n".join(str(m.get("content") or "") for m in body["messages"] if m["role"] == "system")
    lines: list[str] = []
    inside = False
    for line in text.splitlines():
        if line in ("Known facts:", "已知信息："):
            inside = True
        elif inside and line.startswith("- "):
            lines.append(line[2:])
        else:
            inside = False
    return lines


def _answer_from_facts(body: dict[str, Any]) -> Scripted:
    """A model that answers with the facts it was given, history marked as such."""
    return LLMReply(" | ".join(_known_facts(body)) or "I don't know")


async def _move(
    harness: BotHarness, user: FakeUser, first: tuple[str, str], then: tuple[str, str]
) -> None:
    """The user says where they live, later that they moved; the learner records both."""
    harness.clock.set(datetime(2026, 3, 1, 12, 0, tzinfo=UTC))
    harness.llm.complete_script.append(
        _save({"op": "add", "text": first[1], "kind": "biography", "source_messages": ["M1"]})
    )
    await say(harness, user, first[0])
    harness.clock.set(datetime(2026, 5, 2, 12, 0, tzinfo=UTC))
    harness.llm.complete_script.append(
        _save({"op": "update", "text": then[1], "replaces": ["F1"], "source_messages": ["M1"]})
    )
    await say(harness, user, then[0])
    harness.clock.set(NOW)


async def test_a_superseded_fact_answers_new_value_and_old_on_request(
    harness: BotHarness,
) -> None:
    await _move(
        harness,
        ANNA,
        ("I live in Paris", "Anna lives in Paris."),
        ("I moved to Berlin last week!", "Anna lives in Berlin."),
    )
    facts, _ = await services(harness).memory.list_facts(
        user_id=ANNA.id, chat_id=ANNA.id, include_superseded=True
    )
    new, old = facts
    assert (new.text, new.status) == ("Anna lives in Berlin.", "active")
    assert (old.status, old.superseded_by) == ("superseded", new.id)
    assert old.valid_until == datetime(2026, 5, 2, 12, 0, tzinfo=UTC)
    assert old.ended_by_message_id == new.source_message_ids[0]
    listing = await say(harness, ANNA, "/memory")
    assert "Berlin" in listing["text"] and "Paris" not in listing["text"]

    harness.llm.responder = _answer_from_facts
    now = await say(harness, ANNA, "Where do I live?")
    assert now["text"] == "Anna lives in Berlin."

    before = await say(harness, ANNA, "Where did I live before?")
    assert "Anna lives in Paris. (no longer true since 2026-05-02)" in before["text"]
    assert "Anna lives in Berlin." in before["text"]

    harness.llm.then(ToolCallReply([("search_memory", {"query": "live"})]))
    harness.llm.responder = lambda body: LLMReply(_tool_results(body)[-1])
    history = await say(harness, ANNA, "Which cities have I lived in?")
    assert "Anna lives in Berlin. (true now" in history["text"]
    assert (
        "Anna lives in Paris. (no longer true since 2026-05-02 Sat; "
        "replaced by: Anna lives in Berlin.)" in history["text"]
    )


async def test_a_superseded_fact_in_chinese(harness: BotHarness) -> None:
    await _move(
        harness,
        LI,
        ("我住在上海", "李雷住在上海。"),
        ("我上周搬到深圳了", "李雷住在深圳。"),
    )
    listing = await say(harness, LI, "/memory")
    assert "深圳" in listing["text"] and "上海" not in listing["text"]
    harness.llm.responder = _answer_from_facts
    now = await say(harness, LI, "我现在住在哪里？")
    assert now["text"] == "李雷住在深圳。"
    before = await say(harness, LI, "我以前住在哪里？")
    assert "李雷住在上海。（2026-05-02 起已不再成立）" in before["text"]
