"""Group chats end to end, with two and three people: addressing, authorship, group memory, no
leaks from private chats (unless shared), admins, joining and leaving, supergroup upgrades."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.fakes.harness import BotHarness
from tests.fakes.llm import LLMReply, ToolCallReply
from tests.fakes.telegram import FakeChat, FakeUser
from tests.telegram.memory_group_helpers import (
    buttons,
    data_of,
    export_document,
    my_chat_member,
    say,
    say_silently,
    services,
    shown_text,
    tap,
)

ANNA = FakeUser(101, "Anna", "en")
BOB = FakeUser(303, "Bob", "en")
LI = FakeUser(202, "李雷", "zh-hans")
FAMILY = FakeChat(-100777, "supergroup", "Family")
SECRET = "XYZ-LEAK-42"


def _group_texts(harness: BotHarness, chat: FakeChat = FAMILY) -> list[str]:
    return harness.api.texts(chat.id)


async def test_silent_unless_addressed_and_everything_is_stored(harness: BotHarness) -> None:
    await say_silently(harness, ANNA, "Dinner at 7 on Saturday?", FAMILY)
    await say_silently(harness, BOB, "Works for me", FAMILY)
    await say_silently(harness, LI, "我晚一点到", FAMILY)
    await say_silently(harness, BOB, "/search@otherbot dinner", FAMILY)
    await say_silently(harness, BOB, "hey @dazi_test_bot_fan, that's not Dazi", FAMILY)
    assert _group_texts(harness) == [] and harness.llm.chat_requests == []
    rows = await services(harness).db.fetchall(
        "SELECT scope_id, user_id, speaker, text FROM messages ORDER BY id"
    )
    assert [tuple(row) for row in rows] == [
        (FAMILY.id, ANNA.id, "Anna", "Dinner at 7 on Saturday?"),
        (FAMILY.id, BOB.id, "Bob", "Works for me"),
        (FAMILY.id, LI.id, "李雷", "我晚一点到"),
        (FAMILY.id, BOB.id, "Bob", "hey @dazi_test_bot_fan, that's not Dazi"),
    ]


async def test_answers_on_mention_reply_and_own_commands(harness: BotHarness) -> None:
    mentioned = await say(harness, ANNA, "@dazi_test_bot what should we cook?", FAMILY)
    assert mentioned["text"] == "You said: Anna: @dazi_test_bot what should we cook?"
    replied = await say(harness, BOB, "and for dessert?", FAMILY, reply_to=mentioned)
    assert replied["text"] == "You said: Bob: and for dessert?"
    reply_call = harness.api.sent_messages(FAMILY.id)[-1]
    assert reply_call["reply_parameters"]["message_id"] > mentioned["message_id"]
    addressed = await say(harness, LI, "/search@dazi_test_bot cook", FAMILY)
    assert "what should we cook" in addressed["text"]
    plain = await say(harness, BOB, "/memory", FAMILY)
    assert "this group" in plain["text"]
    before = len(_group_texts(harness))
    await say_silently(harness, BOB, "/memory@otherbot", FAMILY)
    await say_silently(harness, ANNA, "and a reply to Bob", FAMILY)
    assert len(_group_texts(harness)) == before


async def test_replying_to_someone_else_is_not_addressing_dazi(harness: BotHarness) -> None:
    anna_said = await say_silently(harness, ANNA, "Who brings the salad?", FAMILY)
    harness.api.push_text(BOB, "I do", chat=FAMILY, reply_to=anna_said)
    await harness.settle()
    assert _group_texts(harness) == []


async def test_prompt_attributes_every_line_to_its_author(harness: BotHarness) -> None:
    await say_silently(harness, ANNA, "I'll bring the cake", FAMILY)
    await say_silently(harness, BOB, "I'll bring drinks", FAMILY)
    await say(harness, LI, "@dazi_test_bot 谁带什么？", FAMILY)
    messages = harness.llm.chat_requests[-1]["messages"]
    lines = [m["content"] for m in messages if m["role"] == "user"]
    assert lines == [
        "Anna: I'll bring the cake",
        "Bob: I'll bring drinks",
        "李雷: @dazi_test_bot 谁带什么？",
    ]
    system = messages[0]["content"]
    assert 'group chat "Family"' in system and "Never reveal" in system


async def test_group_memory_recalls_an_early_detail_with_its_author(harness: BotHarness) -> None:
    await say_silently(harness, BOB, "The cabin wifi password is PURPLE-OTTER-77", FAMILY)
    for number in range(44):  # beyond the 40 recent messages the prompt carries
        user = ANNA if number % 2 else LI
        harness.api.push_text(user, f"chatter {number} about plans", chat=FAMILY)
    await harness.settle()
    await say(harness, LI, "@dazi_test_bot what is the cabin wifi password?", FAMILY)
    messages = harness.llm.chat_requests[-1]["messages"]
    history = [m["content"] for m in messages if m["role"] != "system"]
    assert not any("PURPLE-OTTER-77" in line for line in history)
    remembered = "\n".join(m["content"] for m in messages if m["role"] == "system")
    assert "Bob: The cabin wifi password is PURPLE-OTTER-77" in remembered


async def test_group_memory_is_separate_from_private_memory(harness: BotHarness) -> None:
    await say(harness, ANNA, "/remember I secretly love karaoke")
    await say(harness, BOB, "/remember The family meets every Friday", FAMILY)
    group_memory = await say(harness, ANNA, "/memory", FAMILY)
    assert "every Friday" in group_memory["text"] and "karaoke" not in group_memory["text"]
    private_memory = await say(harness, ANNA, "/memory")
    assert "karaoke" in private_memory["text"] and "Friday" not in private_memory["text"]
    found = await say(harness, ANNA, "/search karaoke", FAMILY)
    assert "found nothing" in found["text"]


async def test_no_private_memory_leaks_into_a_group_unless_shared(harness: BotHarness) -> None:
    llm = harness.llm
    llm.complete_script.append(
        ToolCallReply(
            [
                (
                    "save_facts",
                    {
                        "operations": [
                            {
                                "op": "add",
                                "text": f"Anna's secret diagnosis is {SECRET}.",
                                "kind": "health",
                                "source_messages": ["M1"],
                            }
                        ]
                    },
                )
            ]
        )
    )
    await say(harness, ANNA, f"My secret diagnosis is {SECRET}, keep it between us")
    await say(harness, ANNA, f"/remind tomorrow at 9am collect the {SECRET} results")
    facts, _ = await services(harness).memory.list_facts(user_id=ANNA.id, chat_id=ANNA.id)
    assert [fact.text for fact in facts] == [f"Anna's secret diagnosis is {SECRET}."]
    mark = len(llm.requests)

    await say(harness, ANNA, "@dazi_test_bot what is my secret diagnosis?", FAMILY)
    await say(harness, BOB, "@dazi_test_bot what is Anna's secret diagnosis?", FAMILY)
    await say(harness, LI, "@dazi_test_bot Anna 的诊断是什么？diagnosis", FAMILY)
    for command in ("/search secret diagnosis", "/memory", "/reminders"):
        await say(harness, ANNA, command, FAMILY)
    await say(harness, BOB, "/search diagnosis results", FAMILY)
    await harness.settle()
    assert len(llm.chat_requests) >= 4
    group_requests = "\n".join(str(body) for body in llm.requests[mark:])
    assert SECRET not in group_requests and "secret diagnosis is" not in group_requests
    assert not [text for text in _group_texts(harness) if SECRET in text]

    shared = await say(harness, ANNA, "/share on", FAMILY)
    assert "when you ask me here" in shared["text"]
    await say(harness, ANNA, "@dazi_test_bot what is my secret diagnosis?", FAMILY)
    assert SECRET in llm.prompt_text()  # Anna's own question may use her private memory
    mark = len(llm.requests)
    await say(harness, BOB, "@dazi_test_bot and what is Anna's secret diagnosis?", FAMILY)
    await say(harness, LI, "/search secret diagnosis", FAMILY)
    assert SECRET not in "\n".join(str(body) for body in llm.requests[mark:])
    assert not [text for text in _group_texts(harness) if SECRET in text]

    await say(harness, ANNA, "/share off", FAMILY)
    mark = len(llm.requests)
    await say(harness, ANNA, "@dazi_test_bot remind me of my secret diagnosis", FAMILY)
    assert SECRET not in "\n".join(str(body) for body in llm.requests[mark:])


async def test_share_is_per_user_per_group_and_explained_in_private(harness: BotHarness) -> None:
    explained = await say(harness, ANNA, "/share on")
    assert "in a group" in explained["text"]
    status = await say(harness, BOB, "/share", FAMILY)
    assert "sharing is off" in status["text"]
    await say(harness, BOB, "/share on", FAMILY)
    groups = services(harness).groups
    assert await groups.shares(BOB.id, FAMILY.id)
    assert not await groups.shares(BOB.id, -100999) and not await groups.shares(ANNA.id, FAMILY.id)


async def test_forget_all_and_export_in_a_group_are_for_admins(harness: BotHarness) -> None:
    harness.api.admins.add(ANNA.id)
    await say(harness, ANNA, "My private note about tulips")
    await say_silently(harness, BOB, "The group plants roses in spring", FAMILY)
    await say(harness, BOB, "/remind tomorrow at 9am water the roses", FAMILY)
    refused = await say(harness, BOB, "/forget all", FAMILY)
    assert "only its admins" in refused["text"]
    refused = await say(harness, BOB, "/export", FAMILY)
    assert "only its admins" in refused["text"] and not harness.api.calls_of("sendDocument")

    document, call = await export_document(harness, ANNA, FAMILY)
    assert call.params["chat_id"] == FAMILY.id
    assert document["scope"] == {"kind": "group", "id": FAMILY.id}
    assert "roses in spring" in str(document["messages"]) and "tulips" not in str(document)
    assert [r["text"] for r in document["reminders"]] == ["water the roses"]

    question = await say(harness, ANNA, "/forget all", FAMILY)
    assert "everything I have about this group" in question["text"]
    stolen = len(harness.api.calls_of("editMessageText"))
    harness.api.push_callback(BOB, question, data_of(question, "🗑"))
    await harness.settle()
    assert len(harness.api.calls_of("editMessageText")) == stolen  # not Bob's button
    done = await tap(harness, ANNA, question, data_of(question, "🗑"))
    assert "everything about this group" in done["text"]
    db = services(harness).db
    assert await db.fetchone("SELECT 1 FROM messages WHERE scope_id = ?", (FAMILY.id,)) is None
    assert await db.fetchone("SELECT 1 FROM reminders WHERE chat_id = ?", (FAMILY.id,)) is None
    assert "tulips" in (await say(harness, ANNA, "/search tulips"))["text"]


async def test_group_fact_deletion_is_for_admins(harness: BotHarness) -> None:
    harness.api.admins.add(ANNA.id)
    await say(harness, BOB, "/remember The group budget is 50 euros", FAMILY)
    bob_view = await say(harness, BOB, "/memory", FAMILY)
    assert "50 euros" in bob_view["text"] and not [b for b in buttons(bob_view) if "🗑" in b[0]]
    refused = await say(harness, BOB, "/forget budget", FAMILY)
    assert "only its admins" in refused["text"]
    anna_view = await say(harness, ANNA, "/memory", FAMILY)
    edited = await tap(harness, ANNA, anna_view, data_of(anna_view, "🗑 1"))
    assert "don't know any facts about this group" in edited["text"]


async def test_added_introduces_once_and_removed_goes_quiet(harness: BotHarness) -> None:
    my_chat_member(harness, ANNA, FAMILY, "left", "member")
    await harness.api.wait_for_messages(1, FAMILY.id)
    await harness.settle()
    [intro] = _group_texts(harness)
    assert "Dazi" in intro and "@dazi_test_bot" in intro and "/share on" in intro
    assert "admin" in intro  # privacy mode is on: it only sees messages addressed to it
    my_chat_member(harness, ANNA, FAMILY, "member", "administrator")
    await say(harness, BOB, "/remind tomorrow at 9am buy the cake", FAMILY)
    assert len([t for t in _group_texts(harness) if "Dazi" in t and "/share" in t]) == 1

    my_chat_member(harness, ANNA, FAMILY, "administrator", "kicked")
    await harness.settle()
    chat = await services(harness).chats.get(FAMILY.id)
    assert chat is not None and not chat.active
    sent = len(harness.api.sent_messages(FAMILY.id))
    harness.clock.set(datetime(2026, 11, 29, 9, 0, tzinfo=UTC))
    report = await harness.run_scheduler()
    assert report.sent == 0 and report.failed == 1
    assert len(harness.api.sent_messages(FAMILY.id)) == sent

    my_chat_member(harness, ANNA, FAMILY, "left", "member")  # added back: no second intro
    await harness.settle()
    assert len(harness.api.sent_messages(FAMILY.id)) == sent
    assert (await services(harness).chats.get(FAMILY.id)).active  # type: ignore[union-attr]


async def test_no_second_introduction_after_the_group_forgot_everything(
    harness: BotHarness,
) -> None:
    harness.api.admins.add(ANNA.id)
    my_chat_member(harness, ANNA, FAMILY, "left", "member")
    await harness.api.wait_for_messages(1, FAMILY.id)
    await harness.settle()
    question = await say(harness, ANNA, "/forget all", FAMILY)
    done = await tap(harness, ANNA, question, data_of(question, "🗑"))
    assert "everything about this group" in done["text"]
    assert await services(harness).chats.get(FAMILY.id) is None
    sent = len(harness.api.sent_messages(FAMILY.id))

    my_chat_member(harness, ANNA, FAMILY, "member", "administrator")  # promoted
    await harness.settle()
    my_chat_member(harness, ANNA, FAMILY, "administrator", "left")  # removed, added back
    my_chat_member(harness, ANNA, FAMILY, "left", "member")
    await harness.settle()
    assert len(harness.api.sent_messages(FAMILY.id)) == sent
    assert len([t for t in _group_texts(harness) if "/share on" in t]) == 1
    assert (await services(harness).chats.get(FAMILY.id)).active  # type: ignore[union-attr]


async def test_chinese_intro(harness: BotHarness) -> None:
    group = FakeChat(-100888, "group", "家人")
    my_chat_member(harness, LI, group, "left", "member")
    [intro] = await harness.api.wait_for_messages(1, group.id)
    assert "大家好，我是" in intro["text"] and "/share on" in intro["text"]


async def test_supergroup_upgrade_keeps_memory_and_reminders(harness: BotHarness) -> None:
    old = FakeChat(-4001, "group", "Climbing")
    new = FakeChat(-1004001, "supergroup", "Climbing")
    await say_silently(harness, BOB, "The crag code is GRANITE-5 for the gate", old)
    await say(harness, ANNA, "/remember We climb at Fontainebleau in spring", old)
    await say(harness, ANNA, "/remind tomorrow at 9am pack the chalk", old)
    await say(harness, ANNA, "/share on", old)
    harness.api.push_message(ANNA, old, migrate_to_chat_id=new.id)
    harness.api.push_message(ANNA, new, migrate_from_chat_id=old.id)
    await harness.settle()

    db = services(harness).db
    for table, column in (("messages", "chat_id"), ("messages", "scope_id"), ("chats", "id")):
        row = await db.fetchone(f"SELECT 1 FROM {table} WHERE {column} = ?", (old.id,))
        assert row is None, (table, column)
    assert await db.fetchone("SELECT 1 FROM memory_facts WHERE scope_id = ?", (old.id,)) is None
    assert await services(harness).groups.shares(ANNA.id, new.id)

    listing = await say(harness, BOB, "/memory", new)
    assert "Fontainebleau" in listing["text"]
    found = await say(harness, BOB, "/search crag code", new)
    assert "GRANITE-5" in found["text"]
    await say(harness, LI, "@dazi_test_bot what is the crag code?", new)
    assert "Bob: The crag code is GRANITE-5 for the gate" in harness.llm.prompt_text()
    harness.clock.set(datetime(2026, 11, 29, 9, 0, tzinfo=UTC))
    assert (await harness.run_scheduler()).sent == 1
    assert harness.api.sent_messages(new.id)[-1]["text"].endswith("Anna</a>: pack the chalk")


async def test_long_group_answers_are_kept_compact(harness: BotHarness) -> None:
    sentence = "This is one more sentence of a very long answer. "
    harness.llm.then(LLMReply(sentence * 80), LLMReply(sentence * 80))
    answer = await say(harness, ANNA, "@dazi_test_bot tell me everything", FAMILY)
    shown = shown_text(harness, answer)
    assert len(shown) <= 1210 and shown.endswith("answer. …")
    private = await say(harness, ANNA, "tell me everything")
    assert len(private["text"]) > 3000


async def test_three_people_each_get_their_own_answer(harness: BotHarness) -> None:
    harness.llm.then(LLMReply("Hi Anna"), LLMReply("Hi Bob"), LLMReply("你好李雷"))
    asked = [
        harness.api.push_text(user, f"@dazi_test_bot {text}", chat=FAMILY)["message_id"]
        for user, text in ((ANNA, "hi"), (BOB, "hello"), (LI, "你好"))
    ]
    await harness.api.wait_for_messages(3, FAMILY.id)
    await harness.settle()
    sent = harness.api.sent_messages(FAMILY.id)
    assert [m["text"] for m in sent] == ["Hi Anna", "Hi Bob", "你好李雷"]
    assert [m["reply_parameters"]["message_id"] for m in sent] == asked
    prompts = [request["messages"][-1]["content"] for request in harness.llm.chat_requests]
    assert prompts == [
        "Anna: @dazi_test_bot hi",
        "Bob: @dazi_test_bot hello",
        "李雷: @dazi_test_bot 你好",
    ]
