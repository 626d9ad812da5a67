"""End to end: the real Application, a fake Bot API and a fake LLM server."""

from __future__ import annotations

import asyncio
import html
import re
from html.parser import HTMLParser

from bot.storage import MessageRepository
from tests.fakes.harness import TEST_API_KEY, TEST_TOKEN, BotHarness
from tests.fakes.llm import LLMError, LLMReply
from tests.fakes.telegram import Failure, FakeChat, FakeUser
from tests.telegram.memory_group_helpers import export_document

ANNA = FakeUser(101, "Anna", "en")
LI = FakeUser(202, "李雷", "zh-hans")


async def test_start_greets_in_english(harness: BotHarness) -> None:
    harness.api.push_text(ANNA, "/start")
    [greeting] = await harness.api.wait_for_messages(1, ANNA.id)
    assert "Anna" in greeting["text"] and "Dazi" in greeting["text"]
    assert "remind" in greeting["text"] and greeting["parse_mode"] == "HTML"


async def test_start_greets_in_chinese(harness: BotHarness) -> None:
    harness.api.push_text(LI, "/start")
    [greeting] = await harness.api.wait_for_messages(1, LI.id)
    assert "李雷" in greeting["text"] and "搭子" in greeting["text"] and "提醒" in greeting["text"]


async def test_command_menu_is_set_in_both_languages(harness: BotHarness) -> None:
    calls = harness.api.calls_of("setMyCommands")
    menus = {call.params.get("language_code"): call.params["commands"] for call in calls}
    assert set(menus) == {None, "zh"}
    assert {"command": "new", "description": "Start a fresh conversation"} in menus[None]
    assert any(command["description"] == "开始新的对话" for command in menus["zh"])


async def test_help_lists_commands(harness: BotHarness) -> None:
    harness.api.push_text(ANNA, "/help")
    [reply] = await harness.api.wait_for_messages(1, ANNA.id)
    assert "/new" in reply["text"] and "/start" in reply["text"]


async def test_round_trip_keeps_history(harness: BotHarness) -> None:
    harness.api.push_text(ANNA, "My cat is called Mochi")
    await harness.api.wait_for_messages(1, ANNA.id)
    harness.api.push_text(ANNA, "What is my cat called?")
    replies = await harness.api.wait_for_messages(2, ANNA.id)
    assert replies[1]["text"] == "You said: What is my cat called?"
    history = harness.llm.chat_requests[-1]["messages"]
    assert {"role": "user", "content": "My cat is called Mochi"} in history
    assert {"role": "assistant", "content": "You said: My cat is called Mochi"} in history
    assert history[-1] == {"role": "user", "content": "What is my cat called?"}


async def test_history_survives_a_restart(harness: BotHarness) -> None:
    harness.api.push_text(ANNA, "I am learning the cello")
    await harness.api.wait_for_messages(1, ANNA.id)
    await harness.restart()
    harness.api.push_text(ANNA, "What am I learning?")
    await harness.api.wait_for_messages(2, ANNA.id)
    history = harness.llm.chat_requests[-1]["messages"]
    assert {"role": "user", "content": "I am learning the cello"} in history
    assert {"role": "assistant", "content": "You said: I am learning the cello"} in history


async def test_every_message_is_stored_with_its_telegram_ids(harness: BotHarness) -> None:
    sent = harness.api.push_text(ANNA, "Hello there")
    await harness.api.wait_for_messages(1, ANNA.id)
    await harness.settle()
    reply_id = harness.api.calls_of("sendMessage")[0].result["message_id"]
    assert harness.services is not None
    rows = await harness.services.db.fetchall(
        "SELECT role, chat_id, user_id, text, tg_message_id, reply_to_tg_id"
        " FROM messages ORDER BY id"
    )
    assert [tuple(row) for row in rows] == [
        ("user", ANNA.id, ANNA.id, "Hello there", sent["message_id"], None),
        ("assistant", ANNA.id, None, "You said: Hello there", reply_id, sent["message_id"]),
    ]


async def test_new_starts_a_fresh_thread_but_keeps_messages(harness: BotHarness) -> None:
    harness.api.push_text(ANNA, "Remember the blue door")
    await harness.api.wait_for_messages(1, ANNA.id)
    harness.api.push_text(ANNA, "/new")
    await harness.api.wait_for_messages(2, ANNA.id)
    harness.api.push_text(ANNA, "Fresh topic")
    await harness.api.wait_for_messages(3, ANNA.id)
    await harness.settle()
    recent = [m for m in harness.llm.chat_requests[-1]["messages"] if m["role"] != "system"]
    assert recent == [{"role": "user", "content": "Fresh topic"}]
    assert harness.services is not None
    count = await harness.services.db.fetchone("SELECT COUNT(*) AS n FROM messages")
    assert count["n"] == 4  # both exchanges, stored; /new itself is not a message


async def test_fast_answers_skip_typing_and_previews(harness: BotHarness) -> None:
    harness.api.push_text(ANNA, "Quick one")
    await harness.api.wait_for_messages(1, ANNA.id)
    await harness.settle()
    assert not harness.api.calls_of("sendMessageDraft")
    assert not harness.api.calls_of("sendChatAction")


async def test_answer_streams_through_drafts_then_a_real_message(harness: BotHarness) -> None:
    harness.llm.chunk_delay = 0.08  # slow enough to pass the 0.3 s grace before previews
    harness.llm.then(LLMReply("Here is a **bold** idea, with more words after it."))
    harness.api.push_text(ANNA, "Give me an idea")
    [final] = await harness.api.wait_for_messages(1, ANNA.id)
    drafts = harness.api.calls_of("sendMessageDraft")
    assert drafts and all(call.params["chat_id"] == ANNA.id for call in drafts)
    assert html.unescape(re.sub("<[^>]+>", "", drafts[0].params["text"])) in (
        "Here is a bold idea, with more words after it."
    )
    assert final["text"] == "Here is a <b>bold</b> idea, with more words after it."
    # The words came at once: the draft showed them, no "typing..." was needed.
    assert not harness.api.calls_of("sendChatAction")


async def test_long_markdown_answer_is_split_into_valid_html_parts(harness: BotHarness) -> None:
    await harness.stop()
    await harness.start(answer_max_messages=20)  # the split itself, not the cap (see below)
    paragraphs = [
        f"**Part {i}.** " + "Lorem ipsum dolor sit amet & <friends>. " * 12 for i in range(20)
    ]
    code = "```python\n" + "\n".join(f"print({i})  # line" for i in range(300)) + "\n```"
    harness.llm.then(LLMReply("\n\n".join([*paragraphs[:10], code, *paragraphs[10:]])))
    harness.api.push_text(ANNA, "Write a lot")
    await harness.api.wait_for(lambda: len(harness.api.sent_messages(ANNA.id)) >= 4)
    await harness.settle()  # every part sent
    parts = harness.api.texts(ANNA.id)
    assert len(parts) >= 4
    for part in parts:
        assert len(part) <= 4096
        assert _well_formed(part), part[:200]
    visible = html.unescape(re.sub("<[^>]+>", "", "".join(parts)))
    assert "Part 0." in visible and "Part 19." in visible and "print(299)" in visible
    assert "<friends>" in visible


async def test_a_split_answer_is_stored_with_the_ids_of_all_its_parts(
    harness: BotHarness,
) -> None:
    harness.llm.then(LLMReply("\n\n".join(f"Paragraph {i}. " + "word " * 300 for i in range(8))))
    harness.api.push_text(ANNA, "Tell me everything")
    await harness.api.wait_for(lambda: len(harness.api.sent_messages(ANNA.id)) >= 3)
    await harness.settle()
    sent_ids = [call.result["message_id"] for call in harness.api.calls_of("sendMessage")]
    assert len(sent_ids) >= 3
    assert harness.services is not None
    messages = MessageRepository(harness.services.db)
    for tg_id in sent_ids:
        stored = await messages.find_by_tg_id(chat_id=ANNA.id, tg_message_id=tg_id)
        assert stored is not None and stored.role == "assistant"
        assert [stored.tg_message_id, *stored.tg_part_ids] == sent_ids
    exported, _ = await export_document(harness, ANNA)
    [answer] = [m for m in exported["messages"] if m["role"] == "assistant"]
    assert answer["tg_message_ids"] == sent_ids and answer["text"].startswith("Paragraph 0.")


async def test_llm_failure_then_recovery(harness: BotHarness) -> None:
    harness.llm.then(LLMError(500), LLMError(503), LLMError(500))
    harness.api.push_text(ANNA, "Are you there? I adopted a parrot")
    [apology] = await harness.api.wait_for_messages(1, ANNA.id)
    assert "try again" in apology["text"] and "saved" in apology["text"]
    assert len(harness.llm.chat_requests) == 3  # the first try and two retries
    harness.api.push_text(ANNA, "Hello again")
    replies = await harness.api.wait_for_messages(2, ANNA.id)
    assert replies[1]["text"] == "You said: Hello again"
    assert {"role": "user", "content": "Are you there? I adopted a parrot"} in (
        harness.llm.chat_requests[-1]["messages"]
    )


async def test_llm_failure_is_explained_in_chinese(harness: BotHarness) -> None:
    harness.llm.then(LLMError(429), LLMError(429), LLMError(429))
    harness.api.push_text(LI, "你好，在吗？")
    [apology] = await harness.api.wait_for_messages(1, LI.id)
    assert "稍后" in apology["text"] or "过一会儿" in apology["text"]


async def test_telegram_429_is_honoured_and_the_reply_arrives(harness: BotHarness) -> None:
    harness.api.fail("sendMessage", Failure(retry_after=3))
    harness.api.push_text(ANNA, "Ping")
    [reply] = await harness.api.wait_for_messages(1, ANNA.id)
    assert reply["text"] == "You said: Ping"
    assert harness.slept == [3]
    assert len(harness.api.calls_of("sendMessage")) == 2  # refused once, then accepted


async def test_failing_auxiliary_calls_never_lose_the_reply(harness: BotHarness) -> None:
    broken = Failure("Bad Request: method is not available", 400)
    harness.api.fail("sendChatAction", broken, times=5)
    harness.api.fail("sendMessageDraft", broken, times=5)
    harness.llm.chunk_delay = 0.08
    harness.llm.then(LLMReply("A reply that still arrives in one piece, after all."))
    harness.api.push_text(ANNA, "Hi")
    await harness.api.wait_for(
        lambda: any(
            "in one piece" in call.params.get("text", "")
            and call.method in ("sendMessage", "editMessageText")
            for call in harness.api.calls
        )
    )
    await asyncio.sleep(0.05)
    shown = [
        c.params["text"]
        for c in harness.api.calls
        if c.method in ("sendMessage", "editMessageText")
    ]
    assert shown[-1] == "A reply that still arrives in one piece, after all."


async def test_html_refused_by_telegram_goes_out_as_plain_text(harness: BotHarness) -> None:
    harness.api.fail(
        "sendMessage",
        Failure("Bad Request: can't parse entities: unsupported start tag", 400),
    )
    harness.llm.then(LLMReply("Some **bold** words"))
    harness.api.push_text(ANNA, "Format please")
    [message] = await harness.api.wait_for_messages(1, ANNA.id)
    assert message["text"] == "Some bold words" and "parse_mode" not in message
    assert harness.api.calls_of("sendMessage")[0].params["parse_mode"] == "HTML"  # refused


async def test_setmycommands_failure_does_not_stop_the_bot(harness: BotHarness) -> None:
    await harness.stop()
    harness.api.fail("setMyCommands", Failure("Bad Request: nope"), times=2)
    await harness.start()
    harness.api.push_text(ANNA, "Still there?")
    [reply] = await harness.api.wait_for_messages(1, ANNA.id)
    assert reply["text"] == "You said: Still there?"


async def test_allowlist_refuses_politely_and_stores_nothing(harness: BotHarness) -> None:
    await harness.stop()
    await harness.start(allowed_user_ids=frozenset({ANNA.id}))
    harness.api.push_text(LI, "你好")
    [refusal] = await harness.api.wait_for_messages(1, LI.id)
    assert "抱歉" in refusal["text"]
    harness.api.push_text(ANNA, "Hi, it's me")
    await harness.api.wait_for_messages(1, ANNA.id)
    assert harness.services is not None
    db = harness.services.db
    assert await db.fetchone("SELECT 1 FROM users WHERE id = ?", (LI.id,)) is None
    assert await db.fetchone("SELECT 1 FROM messages WHERE user_id = ?", (LI.id,)) is None
    assert all("你好" not in str(body) for body in harness.llm.requests)


async def test_non_text_messages_get_a_friendly_explanation(harness: BotHarness) -> None:
    harness.api.push_message(
        ANNA,
        sticker={
            "file_id": "s",
            "file_unique_id": "s",
            "type": "regular",
            "width": 1,
            "height": 1,
            "is_animated": False,
            "is_video": False,
        },
    )
    [reply] = await harness.api.wait_for_messages(1, ANNA.id)
    assert "text" in reply["text"]
    harness.api.push_message(LI, voice={"file_id": "v", "file_unique_id": "v", "duration": 2})
    [reply_zh] = await harness.api.wait_for_messages(1, LI.id)
    assert "文字" in reply_zh["text"]


async def test_messages_in_one_chat_are_answered_in_order(harness: BotHarness) -> None:
    harness.llm.chunk_delay = 0.02
    harness.llm.then(LLMReply("first answer, slowly written out"), LLMReply("second answer"))
    harness.api.push_text(ANNA, "one")
    harness.api.push_text(ANNA, "two")
    replies = await harness.api.wait_for_messages(2, ANNA.id)
    assert [r["text"] for r in replies] == ["first answer, slowly written out", "second answer"]
    second_prompt = harness.llm.chat_requests[1]["messages"]
    assert {"role": "assistant", "content": "first answer, slowly written out"} in second_prompt


async def test_different_chats_are_answered_concurrently(harness: BotHarness) -> None:
    harness.llm.chunk_delay = 0.05
    users = [FakeUser(500 + i, f"User{i}") for i in range(4)]
    for user in users:
        harness.api.push_text(user, "a question that takes a while to answer")
    for user in users:
        await harness.api.wait_for_messages(1, user.id)
    assert harness.llm.max_in_flight >= 2


async def test_group_messages_not_addressed_are_stored_silently(harness: BotHarness) -> None:
    group = FakeChat(-100123, "supergroup", "Family")
    harness.api.push_text(ANNA, "dinner at 7?", chat=group)
    harness.api.push_text(LI, "@dazi_test_bot what should we cook?", chat=group)
    [reply] = await harness.api.wait_for_messages(1, group.id)
    assert reply["text"].startswith("You said:")
    assert "Anna: dinner at 7?" in harness.llm.prompt_text()


async def test_secrets_never_reach_logs_or_replies(harness: BotHarness, caplog) -> None:
    caplog.set_level("DEBUG")
    harness.llm.then(LLMError(500), LLMError(500), LLMError(500))
    harness.api.push_text(ANNA, "hi")
    await harness.api.wait_for_messages(1, ANNA.id)
    harness.api.push_text(ANNA, "hi again")
    await harness.api.wait_for_messages(2, ANNA.id)
    everything = caplog.text + "".join(str(call.params) for call in harness.api.calls)
    assert TEST_TOKEN not in everything and TEST_TOKEN.split(":")[1] not in everything
    assert TEST_API_KEY not in everything


_ALLOWED = {
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "a",
    "code",
    "pre",
    "blockquote",
    "span",
    "tg-spoiler",
    "tg-emoji",
}


class _Checker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.stack: list[str] = []
        self.ok = True

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.ok &= tag in _ALLOWED
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        self.ok &= bool(self.stack) and self.stack.pop() == tag


def _well_formed(text: str) -> bool:
    checker = _Checker()
    checker.feed(text)
    checker.close()
    return checker.ok and not checker.stack


async def test_a_handler_error_is_apologised_for_and_polling_goes_on(
    harness: BotHarness, caplog
) -> None:
    assert harness.services is not None
    conversation = harness.services.conversation
    original = conversation.reply

    async def broken_reply(*args, **kwargs):
        raise RuntimeError("database on fire")
        yield  # pragma: no cover - makes this an async generator

    conversation.reply = broken_reply  # type: ignore[method-assign]
    harness.api.push_text(ANNA, "This one breaks")
    [apology] = await harness.api.wait_for_messages(1, ANNA.id)
    assert "something went wrong" in apology["text"]
    assert "handler failed on update" in caplog.text and f"user {ANNA.id}" in caplog.text
    assert "This one breaks" not in caplog.text  # message texts stay out of the logs

    conversation.reply = original  # type: ignore[method-assign]
    harness.api.push_text(ANNA, "And this one works")
    replies = await harness.api.wait_for_messages(2, ANNA.id)
    assert replies[1]["text"] == "You said: And this one works"


async def test_reasoning_of_thinking_models_is_never_shown_or_stored(harness: BotHarness) -> None:
    harness.llm.chunk_delay = 0.08  # slow enough for live previews
    harness.llm.then(LLMReply("<think>The user greets me; be warm.</think>\nHello Anna!"))
    harness.api.push_text(ANNA, "Hi!")
    [reply] = await harness.api.wait_for_messages(1, ANNA.id)
    await harness.settle()
    assert reply["text"] == "Hello Anna!"
    shown = [c.params.get("text", "") for c in harness.api.calls]
    assert not any("think" in text or "warm" in text for text in shown)
    assert harness.services is not None
    stored = await harness.services.db.fetchall(
        "SELECT text FROM messages WHERE role = 'assistant'"
    )
    assert [row["text"] for row in stored] == ["Hello Anna!"]


async def test_editing_a_message_neither_answers_nor_stores_it_again(harness: BotHarness) -> None:
    original = harness.api.push_text(ANNA, "I like tea")
    await harness.api.wait_for_messages(1, ANNA.id)
    harness.api.push_update(
        {"edited_message": {**original, "text": "I like coffee", "edit_date": 1}}
    )
    harness.api.push_text(ANNA, "And you?")
    replies = await harness.api.wait_for_messages(2, ANNA.id)
    await harness.settle()
    assert [reply["text"] for reply in replies] == ["You said: I like tea", "You said: And you?"]
    assert harness.services is not None
    rows = await harness.services.db.fetchall("SELECT text FROM messages WHERE role = 'user'")
    assert [row["text"] for row in rows] == ["I like tea", "And you?"]


async def test_llm_timeout_gets_an_apology_and_the_next_message_works(
    harness: BotHarness,
) -> None:
    await harness.stop()
    await harness.start(llm_timeout_seconds=0.2, llm_max_retries=0)
    harness.llm.response_delay = 0.5
    harness.api.push_text(ANNA, "Are you slow today?")
    [apology] = await harness.api.wait_for_messages(1, ANNA.id)
    assert "try again" in apology["text"]
    harness.llm.response_delay = 0
    harness.api.push_text(ANNA, "Better now?")
    replies = await harness.api.wait_for_messages(2, ANNA.id)
    assert replies[1]["text"] == "You said: Better now?"


async def test_a_members_private_timezone_stays_out_of_the_group_prompt(
    harness: BotHarness,
) -> None:
    assert harness.services is not None
    harness.api.push_text(ANNA, "/start")
    await harness.api.wait_for_messages(1, ANNA.id)
    await harness.services.users.set_timezone(ANNA.id, "Asia/Tokyo")
    group = FakeChat(-100777, "supergroup", "Friends")
    harness.api.push_text(ANNA, "@dazi_test_bot what time is it?", chat=group)
    await harness.api.wait_for_messages(1, group.id)
    assert "Asia/Tokyo" not in harness.llm.prompt_text()
    harness.api.push_text(ANNA, "What time is it?")
    await harness.api.wait_for_messages(2, ANNA.id)
    assert "Asia/Tokyo" in harness.llm.prompt_text()  # in private, her own zone
