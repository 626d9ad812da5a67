"""Memory commands end to end: /remember, /memory, /forget, /search, /export, and recall."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from bot.reminders import NewReminder
from tests.fakes.harness import BotHarness
from tests.fakes.llm import ToolCallReply
from tests.fakes.telegram import FakeUser
from tests.fakes.waiting import until
from tests.telegram.memory_group_helpers import (
    buttons,
    data_of,
    export_document,
    results,
    say,
    services,
    tap,
)

ANNA = FakeUser(101, "Anna", "en")
BOB = FakeUser(303, "Bob", "en")
LI = FakeUser(202, "李雷", "zh-hans")


def _save_facts(*texts: str) -> ToolCallReply:
    """What the fact learner's model answers: one save_facts call adding these facts."""
    operations = [{"op": "add", "text": text, "source_messages": ["M1"]} for text in texts]
    return ToolCallReply([("save_facts", {"operations": operations})])


async def test_remember_then_memory_shows_it_and_delete_removes_it(harness: BotHarness) -> None:
    reply = await say(harness, ANNA, "/remember My sister Mia's birthday is on 3 May")
    assert "I'll remember" in reply["text"] and "Mia's birthday is on 3 May" in reply["text"]
    await say(harness, ANNA, "/remember I am allergic to peanuts")
    listing = await say(harness, ANNA, "/memory")
    assert "What I know about you (2)" in listing["text"]
    assert "1. I am allergic to peanuts" in listing["text"]
    assert "2. My sister Mia's birthday is on 3 May" in listing["text"]
    assert [label for label, _ in buttons(listing)] == ["🗑 1", "🗑 2"]
    edited = await tap(harness, ANNA, listing, data_of(listing, "🗑 1"))
    assert "peanuts" not in edited["text"] and "(1)" in edited["text"]
    facts, total = await services(harness).memory.list_facts(user_id=ANNA.id, chat_id=ANNA.id)
    assert total == 1 and facts[0].text == "My sister Mia's birthday is on 3 May"
    assert "peanuts" not in harness.llm.all_prompt_text()


async def test_remember_without_text_explains_and_chinese_works(harness: BotHarness) -> None:
    usage = await say(harness, ANNA, "/remember")
    assert "for example" in usage["text"] and "/remember" in usage["text"]
    reply = await say(harness, LI, "/remember 我妹妹的生日是5月3日")
    assert "好的，我记住了" in reply["text"] and "我妹妹的生日是5月3日" in reply["text"]
    listing = await say(harness, LI, "/memory")
    assert "我记得的关于你的事（1 条）" in listing["text"]
    assert "我妹妹的生日是5月3日" in listing["text"]
    question = await say(harness, LI, "/forget 全部")
    assert "这会删除我保存的关于你的一切" in question["text"] and "1 条记忆" in question["text"]
    cancelled = await tap(harness, LI, question, data_of(question, "✖️"))
    assert "什么都没有删除" in cancelled["text"]
    _, call = await export_document(harness, LI)
    assert "我保存的关于你的全部数据" in call.params["caption"]
    empty = await say(harness, BOB, "/memory")
    assert "don't know any facts about you yet" in empty["text"] and not buttons(empty)


async def test_memory_is_paged_and_buttons_belong_to_their_owner(harness: BotHarness) -> None:
    memory, now = services(harness).memory, harness.clock.now()
    for number in range(7):
        await memory.add_fact(user_id=ANNA.id, chat_id=ANNA.id, text=f"Fact {number}", now=now)
    first = await say(harness, ANNA, "/memory")
    assert "Page 1 of 2" in first["text"] and "1. Fact 6" in first["text"]
    assert "▶" in [label for label, _ in buttons(first)]
    before = len(harness.api.calls_of("editMessageText"))
    harness.api.push_callback(BOB, first, data_of(first, "▶"))
    await harness.settle()
    assert len(harness.api.calls_of("editMessageText")) == before  # Bob cannot page Anna's list
    refusal = harness.api.calls_of("answerCallbackQuery")[-1].params
    assert refusal["show_alert"] and "belong" in refusal["text"]
    second = await tap(harness, ANNA, first, data_of(first, "▶"))
    assert "Page 2 of 2" in second["text"] and "6. Fact 1" in second["text"]
    assert [label for label, _ in buttons(second)] == ["🗑 6", "🗑 7", "◀"]
    for _, data in buttons(first) + buttons(second):
        assert len(data.encode()) <= 64


async def test_forget_topic_previews_then_removes_from_search(harness: BotHarness) -> None:
    await say(harness, ANNA, "I love playing the ukulele on weekends")
    await say(harness, ANNA, "/remember Anna plays the ukulele")
    harness.clock.advance(timedelta(hours=4))  # a new conversation: see the last test below
    await say(harness, ANNA, "My brother lives in Lyon")
    found = await say(harness, ANNA, "/search ukulele")
    assert "ukulele on weekends" in found["text"]
    preview = await say(harness, ANNA, "/forget ukulele")
    assert "2 message(s) and 1 fact(s)" in preview["text"]
    assert "Anna plays the ukulele" in preview["text"] and "ukulele on weekends" in preview["text"]
    assert [label for label, _ in buttons(preview)] == ["✅ Yes, delete", "✖️ Cancel"]
    done = await tap(harness, ANNA, preview, data_of(preview, "✅"))
    assert "I forgot 2 message(s) and 1 fact(s)" in done["text"]
    nothing = await say(harness, ANNA, "/search ukulele")
    assert "I found nothing about “ukulele”" in nothing["text"]
    memory = services(harness).memory
    assert not await memory.search(user_id=ANNA.id, query="ukulele weekends")
    assert (await memory.list_facts(user_id=ANNA.id, chat_id=ANNA.id))[1] == 0
    rows = await services(harness).db.fetchall("SELECT text FROM messages")
    assert not [row for row in rows if "ukulele on weekends" in row["text"]]
    assert "Lyon" in (await say(harness, ANNA, "/search Lyon"))["text"]


async def test_forget_can_be_cancelled_or_find_nothing(harness: BotHarness) -> None:
    await say(harness, ANNA, "I adopted a parrot called Kiwi")
    preview = await say(harness, ANNA, "/forget parrot")
    cancelled = await tap(harness, ANNA, preview, data_of(preview, "✖️"))
    assert "nothing was deleted" in cancelled["text"]
    assert "Kiwi" in (await say(harness, ANNA, "/search parrot"))["text"]
    nothing = await say(harness, ANNA, "/forget submarine")
    assert "found nothing about “submarine”" in nothing["text"] and not buttons(nothing)
    usage = await say(harness, ANNA, "/forget")
    assert "/forget all" in usage["text"]


async def test_forget_all_leaves_nothing(harness: BotHarness) -> None:
    await say(harness, ANNA, "/timezone Europe/Berlin")
    await say(harness, ANNA, "/remind tomorrow at 9am water the plants")
    await say(harness, ANNA, "My cat is called Mochi")
    await say(harness, ANNA, "/remember Anna has a cat named Mochi")
    await say(harness, BOB, "I have a dog called Rex")
    question = await say(harness, ANNA, "/forget all")
    assert "2 message(s), 1 fact(s), 1 reminder(s)" in question["text"]
    done = await tap(harness, ANNA, question, data_of(question, "🗑"))
    assert "forgotten everything" in done["text"]
    db = services(harness).db
    for sql in (
        "SELECT 1 FROM users WHERE id = ?",
        "SELECT 1 FROM chats WHERE id = ?",
        "SELECT 1 FROM messages WHERE scope_id = ? OR user_id = ?",
        "SELECT 1 FROM memory_facts WHERE scope_id = ?",
        "SELECT 1 FROM reminders WHERE user_id = ?",
        "SELECT 1 FROM memory_vectors WHERE scope_id = ?",
    ):
        params = (ANNA.id,) * sql.count("?")
        assert await db.fetchone(sql, params) is None, sql
    assert not await services(harness).memory.search(user_id=ANNA.id, query="Mochi cat")
    assert "Rex" in (await say(harness, BOB, "/search dog"))["text"]


async def test_export_holds_every_kind_of_record(harness: BotHarness) -> None:
    harness.llm.complete_script.append(_save_facts("Anna is learning the cello."))
    await say(harness, ANNA, "I started cello lessons today")
    await say(harness, ANNA, "/timezone Asia/Shanghai")
    await say(harness, ANNA, "/remind tomorrow at 9am practise scales")
    await say(harness, ANNA, "/remember Anna's teacher is called Clara")
    document, call = await export_document(harness, ANNA)
    assert call.params["chat_id"] == ANNA.id and "Everything I store" in call.params["caption"]
    assert document["format"] == "dazi-export" and document["scope"] == {"kind": "user", "id": 101}
    assert document["user"]["timezone"] == "Asia/Shanghai"
    assert document["settings"]["timezone"] == "Asia/Shanghai"
    assert {m["text"] for m in document["messages"]} >= {"I started cello lessons today"}
    assert {f["text"] for f in document["facts"]} == {
        "Anna is learning the cello.",
        "Anna's teacher is called Clara",
    }
    [reminder] = document["reminders"]
    assert reminder["text"] == "practise scales" and reminder["timezone"] == "Asia/Shanghai"
    assert "pending_reminders" in document and "shared_with_groups" in document
    bob_document, _ = await export_document(harness, BOB)
    assert "cello" not in str(bob_document) and bob_document["messages"] == []


async def test_search_is_dated_in_local_time_best_first(harness: BotHarness) -> None:
    await say(harness, LI, "/timezone Asia/Shanghai")
    await say(harness, LI, "我想学吉他，下个月开始上吉他课")
    await say(harness, LI, "今天天气很好")
    found = await say(harness, LI, "/search 吉他")
    lines = found["text"].splitlines()
    assert lines[0].startswith("🔎 “吉他”")
    assert "2026年11月28日 20:00" in found["text"]  # 12:00 UTC is 20:00 in Shanghai
    ranked = lines[2:]
    assert "我想学吉他" in ranked[0] and "我想学吉他" in ranked[1]
    assert all("天气" not in line for line in ranked[:2])  # best first
    usage = await say(harness, LI, "/search")
    assert "要找什么" in usage["text"]


async def test_one_users_memory_never_reaches_another(harness: BotHarness) -> None:
    harness.llm.complete_script.append(_save_facts("Anna's bank PIN hint is BLUE-HERON-9."))
    await say(harness, ANNA, "My bank PIN hint is BLUE-HERON-9")
    await say(harness, BOB, "What is my bank PIN hint?")
    assert "BLUE-HERON-9" not in harness.llm.prompt_text()
    found = await say(harness, BOB, "/search bank PIN hint")
    assert "BLUE-HERON-9" not in found["text"]
    listing = await say(harness, BOB, "/memory")
    assert "BLUE-HERON-9" not in listing["text"]
    document, _ = await export_document(harness, BOB)
    assert "BLUE-HERON-9" not in str(document)


async def test_early_detail_beyond_the_recent_window_is_recalled(harness: BotHarness) -> None:
    await say(harness, ANNA, "My locker code at the gym is 4817-ZEBRA")
    for number in range(22):  # 44 more stored messages: the recent window holds 40
        await say(harness, ANNA, f"Small talk number {number} about the weather")
    await say(harness, ANNA, "What is my locker code at the gym?")
    request = harness.llm.chat_requests[-1]["messages"]
    history = [m["content"] for m in request if m["role"] != "system"]
    assert not any("4817-ZEBRA" in content for content in history)
    remembered = "\n".join(m["content"] for m in request if m["role"] == "system")
    assert "Anna: My locker code at the gym is 4817-ZEBRA" in remembered


async def test_forget_topic_also_scrubs_the_words_lent_to_later_messages(
    harness: BotHarness,
) -> None:
    await say(harness, ANNA, "I love playing the ukulele on weekends")
    await say(harness, ANNA, "My brother lives in Lyon")
    preview = await say(harness, ANNA, "/forget ukulele")
    await tap(harness, ANNA, preview, data_of(preview, "✅"))
    nothing = await say(harness, ANNA, "/search ukulele")
    assert "I found nothing" in nothing["text"]


async def test_forget_topic_reaches_reminders_and_people_notes(harness: BotHarness) -> None:
    await say(harness, ANNA, "I want to learn the guitar")
    await say(harness, ANNA, "/remind tomorrow at 9am guitar lesson")
    await say(harness, ANNA, "/remind tomorrow at 10am dentist")
    await say(harness, ANNA, "/note Tom plays the guitar in a band")
    await say(harness, ANNA, "/note Tom loves orchids")
    await say(harness, BOB, "/remind tomorrow at 9am guitar lesson")
    preview = await say(harness, ANNA, "/forget guitar")
    text = preview["text"]
    assert "I would delete 2 message(s), 1 reminder(s) and 1 note(s) about people" in text
    assert "• ⏰ 29 Nov 2026, 09:00 · guitar lesson" in text
    assert "• 📝 28 Nov 2026, 12:00 · Tom: plays the guitar in a band" in text
    assert [label for label, _ in buttons(preview)] == ["✅ Yes, delete", "✖️ Cancel"]
    harness.api.push_callback(BOB, preview, data_of(preview, "✅"))
    await harness.settle()
    assert "belong" in harness.api.calls_of("answerCallbackQuery")[-1].params["text"]
    done = await tap(harness, ANNA, preview, data_of(preview, "✅"))
    assert done["text"] == (
        "Done: I forgot 2 message(s), 1 reminder(s) and 1 note(s) about people about “guitar”."
    )
    svc = services(harness)
    assert [r.text for r in await svc.reminders.repo.for_user(ANNA.id)] == ["dentist"]
    assert [r.text for r in await svc.reminders.repo.for_user(BOB.id)] == ["guitar lesson"]
    [tom] = await svc.people.repo.for_user(ANNA.id)
    assert [note.text for note in (await svc.people.repo.card(tom)).notes] == ["loves orchids"]
    again = await say(harness, ANNA, "/forget guitar")
    assert "found nothing about “guitar”" in again["text"]


async def test_forget_a_persons_name_offers_the_person_as_a_separate_choice(
    harness: BotHarness,
) -> None:
    await say(harness, ANNA, "/birthday Tom 1990-03-14")
    await say(harness, ANNA, "/note Tom loves orchids")
    await say(harness, ANNA, "/note Mia plays chess")
    await say(harness, ANNA, "Tom invited me to his concert")
    preview = await say(harness, ANNA, "/forget Tom")
    assert "“Tom” is also someone you told me about: Tom." in preview["text"]
    labels = [label for label, _ in buttons(preview)]
    assert labels == ["✅ Yes, delete", "👤 Also delete Tom", "✖️ Cancel"]
    for _, data in buttons(preview):
        assert len(data.encode()) <= 64
    svc = services(harness)
    done = await tap(harness, ANNA, preview, data_of(preview, "✅"))  # the words only
    assert "person" not in done["text"]
    assert {p.name for p in await svc.people.repo.for_user(ANNA.id)} == {"Tom", "Mia"}

    preview = await say(harness, ANNA, "/forget Tom")
    assert [label for label, _ in buttons(preview)] == ["👤 Delete Tom", "✖️ Cancel"]
    assert "nothing else about “Tom”" in preview["text"] and "• 👤 Tom" in preview["text"]
    harness.api.push_callback(BOB, preview, data_of(preview, "👤"))
    await harness.settle()
    assert {p.name for p in await svc.people.repo.for_user(ANNA.id)} == {"Tom", "Mia"}
    done = await tap(harness, ANNA, preview, data_of(preview, "👤"))
    assert "1 person(s)" in done["text"]
    assert [p.name for p in await svc.people.repo.for_user(ANNA.id)] == ["Mia"]
    row = await svc.db.fetchone("SELECT COUNT(*) AS n FROM person_dates WHERE user_id = ?", (101,))
    assert row["n"] == 0
    expired = await tap(harness, ANNA, preview, data_of(preview, "👤"))  # no second time
    assert "expired" in expired["text"]


async def test_forget_a_chinese_topic_everywhere(harness: BotHarness) -> None:
    svc = services(harness)
    await say(harness, LI, "我想学吉他，下个月开始上吉他课")
    await say(harness, LI, "/note 小王 喜欢弹吉他")
    await say(harness, LI, "今天天气很好")
    now = harness.clock.now()
    for text in ("下午去上吉他课", "明天去看牙医"):
        await svc.reminders.repo.add(
            NewReminder(
                user_id=LI.id,
                chat_id=LI.id,
                text=text,
                language="zh",
                timezone="Asia/Shanghai",
                due_at=now + timedelta(days=1),
            ),
            now=now,
        )
    preview = await say(harness, LI, "/forget 吉他")
    assert "关于“吉他”，我会删除 " in preview["text"]
    assert "1 个提醒和 1 条人物备注" in preview["text"]
    done = await tap(harness, LI, preview, data_of(preview, "✅"))
    assert done["text"].startswith("好了：关于“吉他”的 ")
    assert [r.text for r in await svc.reminders.repo.for_user(LI.id)] == ["明天去看牙医"]
    assert "天气" in (await say(harness, LI, "/search 天气"))["text"]
    assert "没有找到" in (await say(harness, LI, "/search 吉他"))["text"]


async def say_unsettled(harness: BotHarness, user: FakeUser, text: str) -> dict[str, Any]:
    """Like ``say``, without waiting for background work (learning is held on purpose)."""
    before = len(results(harness, user.id))
    harness.api.push_text(user, text)
    await harness.api.wait_for(lambda: len(results(harness, user.id)) > before)
    return results(harness, user.id)[before]


async def learning_asked(harness: BotHarness) -> None:
    """Wait until the fact learner's request reached the model."""
    await until(lambda: any(not body.get("stream") for body in harness.llm.requests))


async def tap_unsettled(
    harness: BotHarness, user: FakeUser, message: dict[str, Any], data: str
) -> dict[str, Any]:
    before = len(harness.api.calls_of("editMessageText"))
    harness.api.push_callback(user, message, data)
    await harness.api.wait_for(lambda: len(harness.api.calls_of("editMessageText")) > before)
    return dict(harness.api.calls_of("editMessageText")[before].params)


async def test_forget_all_during_learning_stays_forgotten(harness: BotHarness) -> None:
    """Fact learning already waiting on the model when the user confirms /forget all stores
    nothing afterwards."""
    harness.llm.hold_complete = asyncio.Event()
    harness.llm.complete_script.append(_save_facts("Anna has a cat named Mochi."))
    await say_unsettled(harness, ANNA, "My cat is called Mochi")
    await say_unsettled(harness, ANNA, "She is three years old")
    await say_unsettled(harness, ANNA, "And she loves tuna")  # the third exchange: learning
    await learning_asked(harness)
    question = await say_unsettled(harness, ANNA, "/forget all")
    done = await tap_unsettled(harness, ANNA, question, data_of(question, "🗑"))
    assert "forgotten everything" in done["text"]
    harness.llm.hold_complete.set()  # the model answers, too late
    await harness.settle()
    db = services(harness).db
    assert await db.fetchone("SELECT 1 FROM memory_facts WHERE scope_id = ?", (ANNA.id,)) is None
    assert await db.fetchone("SELECT 1 FROM messages WHERE scope_id = ?", (ANNA.id,)) is None
    listing = await say(harness, ANNA, "/memory")
    assert "Mochi" not in listing["text"]


async def test_forget_topic_during_learning_stays_forgotten(harness: BotHarness) -> None:
    harness.llm.hold_complete = asyncio.Event()
    harness.llm.complete_script.append(_save_facts("Anna's parrot is called Kiwi."))
    await say_unsettled(harness, ANNA, "My parrot is called Kiwi")
    await say_unsettled(harness, ANNA, "He whistles all day")
    await say_unsettled(harness, ANNA, "I got him last spring")
    await learning_asked(harness)
    preview = await say_unsettled(harness, ANNA, "/forget parrot")
    await tap_unsettled(harness, ANNA, preview, data_of(preview, "✅"))
    harness.llm.hold_complete.set()
    await harness.settle()
    facts, total = await services(harness).memory.list_facts(user_id=ANNA.id, chat_id=ANNA.id)
    assert total == 0, [fact.text for fact in facts]
