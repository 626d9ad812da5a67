"""People end to end: the real Application, the fake Bot API, the fake LLM, a fake clock.

The fake clock starts on Saturday 2026-11-28 12:00 UTC.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from bot.storage import to_db_time
from tests.fakes.harness import BotHarness
from tests.fakes.llm import LLMReply, ToolCallReply
from tests.fakes.telegram import FakeChat, FakeUser

ANNA = FakeUser(101, "Anna", "en")
LI = FakeUser(202, "李雷", "zh-hans")
BEN = FakeUser(303, "Ben", "en")
FAMILY = FakeChat(-100777, "supergroup", "Family")


# -- helpers -------------------------------------------------------------------------------


def _results(harness: BotHarness, chat_id: int) -> list[dict[str, Any]]:
    return [
        call.result
        for call in harness.api.calls_of("sendMessage")
        if call.params.get("chat_id") == chat_id and call.result
    ]


async def _say(
    harness: BotHarness, user: FakeUser, text: str, chat: FakeChat | None = None
) -> dict[str, Any]:
    """Send a command (or text); return the first message the bot sent back."""
    chat_id = (chat or FakeChat.private(user)).id
    before = len(_results(harness, chat_id))
    harness.api.push_text(user, text, chat=chat)
    await harness.api.wait_for(lambda: len(_results(harness, chat_id)) > before)
    await harness.settle()
    return _results(harness, chat_id)[before]


async def _chat(harness: BotHarness, user: FakeUser, text: str, count: int) -> list[dict]:
    """A free-chat message; return the ``count`` messages it brought (answer, notices)."""
    before = len(_results(harness, user.id))
    harness.api.push_text(user, text)
    await harness.api.wait_for(lambda: len(_results(harness, user.id)) >= before + count)
    await harness.settle()
    return _results(harness, user.id)[before:]


def _buttons(message: dict[str, Any]) -> list[tuple[str, str]]:
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])
    return [(button["text"], button["callback_data"]) for row in rows for button in row]


def _labels(message: dict[str, Any]) -> list[str]:
    return [label for label, _ in _buttons(message)]


def _data(message: dict[str, Any], label_start: str) -> str:
    return next(data for label, data in _buttons(message) if label.startswith(label_start))


async def _tap(harness: BotHarness, user: FakeUser, message: dict[str, Any], data: str) -> dict:
    """Tap a button; return the callback answer's parameters (the toast)."""
    before = len(harness.api.calls_of("answerCallbackQuery"))
    harness.api.push_callback(user, message, data)
    await harness.api.wait_for(lambda: len(harness.api.calls_of("answerCallbackQuery")) > before)
    await harness.settle()
    return harness.api.calls_of("answerCallbackQuery")[-1].params


def _edited(harness: BotHarness) -> str:
    return harness.api.calls_of("editMessageText")[-1].params["text"]


async def _people(harness: BotHarness, user_id: int) -> list[Any]:
    assert harness.services is not None
    return await harness.services.people.repo.for_user(user_id)


async def _card(harness: BotHarness, user_id: int, name: str) -> Any:
    assert harness.services is not None
    [person] = [p for p in await _people(harness, user_id) if p.name == name]
    return await harness.services.people.repo.card(person)


def _digests(harness: BotHarness, user: FakeUser) -> list[dict[str, Any]]:
    return [m for m in _results(harness, user.id) if m.get("text", "").startswith("☀️")]


# -- learning from the conversation --------------------------------------------------------


async def test_learning_a_person_from_chat_with_undo(harness: BotHarness) -> None:
    harness.llm.then(
        ToolCallReply(
            [("remember_person", {"name": "Anna", "relation": "sister", "date": "March 14"})]
        ),
        LLMReply("Lovely, I'll remember Anna's birthday."),
    )
    answer, notice = await _chat(harness, BEN, "My sister Anna's birthday is March 14", 2)
    assert answer["text"] == "Lovely, I'll remember Anna's birthday."
    assert notice["text"] == (
        "👤 New: <b>Anna</b> (sister) · 🎂 Birthday: 14 Mar — next on Sun 14 Mar 2027 (in 106 days)"
    )
    assert _labels(notice) == ["↩️ Undo"]
    tool_result = harness.llm.chat_requests[-1]["messages"][-1]["content"]
    assert tool_result.startswith("added Anna")
    [anna] = await _people(harness, BEN.id)
    assert (anna.name, anna.relation, anna.relation_key) == ("Anna", "sister", "sister")
    await _tap(harness, BEN, notice, _data(notice, "↩️"))
    assert _edited(harness) == "↩️ Undone."
    assert await _people(harness, BEN.id) == []
    assert harness.services is not None
    assert await harness.services.people.repo.dates_for_user(BEN.id) == []


async def test_chinese_lunar_birthday_from_chat_and_an_update(harness: BotHarness) -> None:
    harness.llm.then(
        ToolCallReply([("remember_person", {"name": "妈妈", "date": "农历八月十五"})]),
        LLMReply("记住啦！"),
    )
    _, notice = await _chat(harness, LI, "我妈妈农历八月十五生日", 2)
    assert notice["text"] == (
        "👤 已记下：<b>妈妈</b> · 🎂 生日：农历八月十五，下一次是2027年9月15日（周三），291天后"
    )
    assert _labels(notice) == ["↩️ 撤销"]
    # A note later on, under another word for the same person: no second person.
    harness.llm.then(
        ToolCallReply([("remember_person", {"name": "mom", "note": "喜欢兰花"})]),
        LLMReply("好的。"),
    )
    _, notice = await _chat(harness, LI, "对了，我妈喜欢兰花", 2)
    assert notice["text"] == "👤 已更新：<b>妈妈</b> · 📝 备注：喜欢兰花"
    [mom] = await _people(harness, LI.id)
    assert mom.relation_key == "mother"
    card = await _card(harness, LI.id, "妈妈")
    assert [note.text for note in card.notes] == ["喜欢兰花"]


async def test_updating_a_note_from_chat_and_by_command(harness: BotHarness) -> None:
    await _say(harness, ANNA, "/birthday Tom 1990-05-02")
    harness.llm.then(
        ToolCallReply([("remember_person", {"name": "Tom", "note": "got a new job at Siemens"})]),
        LLMReply("Good for Tom!"),
    )
    _, notice = await _chat(harness, ANNA, "Tom just got a new job at Siemens", 2)
    assert notice["text"] == "👤 Updated: <b>Tom</b> · 📝 Note: got a new job at Siemens"
    reply = await _say(harness, ANNA, "/note Tom loves orchids")
    assert reply["text"] == "👤 Updated: <b>Tom</b>\n📝 Note: loves orchids"
    card = await _card(harness, ANNA.id, "Tom")
    assert [note.text for note in card.notes] == ["loves orchids", "got a new job at Siemens"]
    # Undo of the command takes back only that note.
    await _tap(harness, ANNA, reply, _data(reply, "↩️"))
    card = await _card(harness, ANNA.id, "Tom")
    assert [note.text for note in card.notes] == ["got a new job at Siemens"]
    assert len(card.dates) == 1


async def test_a_mentioned_contact_is_offered_not_logged(harness: BotHarness) -> None:
    await _say(harness, ANNA, "/keepintouch Tom every 2 weeks")
    harness.llm.then(
        ToolCallReply([("offer_log_contact", {"name": "Tom", "what": "had dinner"})]),
        LLMReply("Sounds nice!"),
    )
    _, offer = await _chat(harness, ANNA, "Had dinner with Tom tonight", 2)
    assert offer["text"] == "🤝 Shall I log that you had dinner with <b>Tom</b> (today)?"
    assert _labels(offer) == ["✅ Log it", "No thanks"]
    card = await _card(harness, ANNA.id, "Tom")
    assert card.interactions == []  # never silently
    await _tap(harness, ANNA, offer, _data(offer, "✅"))
    assert "🤝 Logged: had dinner (today)" in _edited(harness)
    card = await _card(harness, ANNA.id, "Tom")
    assert [(item.note, item.source) for item in card.interactions] == [("had dinner", "chat")]
    assert card.person.contact_due_at == harness.clock.now() + timedelta(days=14)


async def test_people_tools_refuse_in_groups(harness: BotHarness) -> None:
    harness.llm.then(
        ToolCallReply([("remember_person", {"name": "Anna", "note": "loves orchids"})]),
        LLMReply("OK"),
    )
    harness.api.push_text(ANNA, "@dazi_test_bot my sister Anna loves orchids", chat=FAMILY)
    await harness.api.wait_for_messages(1, FAMILY.id)
    await harness.settle()
    assert await _people(harness, ANNA.id) == []
    tool_result = harness.llm.chat_requests[-1]["messages"][-1]["content"]
    assert "private" in tool_result
    # The model was not even offered the people tools there; in private it is.
    assert not _offered(harness.llm.chat_requests[-1]) & PEOPLE_TOOLS
    harness.llm.then(LLMReply("Hi!"))
    await _chat(harness, ANNA, "hello", 1)
    assert _offered(harness.llm.chat_requests[-1]) >= PEOPLE_TOOLS


PEOPLE_TOOLS = {"remember_person", "offer_log_contact", "lookup_person"}


def _offered(request: dict[str, Any]) -> set[str]:
    return {tool["function"]["name"] for tool in request.get("tools") or []}


# -- commands ------------------------------------------------------------------------------


async def test_commands_card_and_list_in_english(harness: BotHarness) -> None:
    reply = await _say(harness, ANNA, "/birthday Tom 14 March")
    assert "🎂 Birthday: 14 Mar — next on Sun 14 Mar 2027 (in 106 days)" in reply["text"]
    await _say(harness, ANNA, "/note Tom loves orchids")
    reply = await _say(harness, ANNA, "/keepintouch Tom every 2 weeks")
    assert "📞 Stay in touch every 2 weeks — next nudge around Sat 12 Dec" in reply["text"]
    reply = await _say(harness, ANNA, "/met Tom coffee in the park")
    assert "🤝 Logged: coffee in the park (today)" in reply["text"]
    await _say(harness, ANNA, "/birthday Lucy 1 Dec")
    card = await _say(harness, ANNA, "/person Tom")
    assert card["text"] == (
        "👤 <b>Tom</b>\n"
        "🎂 Birthday: 14 Mar — next on Sun 14 Mar 2027 (in 106 days)\n"
        "📞 Stay in touch every 2 weeks · next nudge Sat 12 Dec\n"
        "🤝 Last contact: today\n"
        "📝 Notes:\n• loves orchids (28 Nov)\n"
        "🗒 Recent contacts:\n• 28 Nov: coffee in the park"
    )
    assert _labels(card) == ["✍️ Draft a message", "✅ Talked today", "✏️ Edit", "🗑 Delete"]
    listing = await _say(harness, ANNA, "/people")
    assert listing["text"].startswith(
        "👥 <b>Your people</b> (2)\n🎂 Next: <b>Lucy</b>, Tue 1 Dec (in 3 days)"
    )
    assert "• <b>Tom</b> · 🎂 14 Mar · 📞 every 2 weeks" in listing["text"]
    assert _labels(listing) == ["Lucy", "Tom"]
    await _tap(harness, ANNA, listing, _data(listing, "Tom"))
    assert _results(harness, ANNA.id)[-1]["text"].startswith("👤 <b>Tom</b>")


async def test_date_formats_and_usage_help(harness: BotHarness) -> None:
    for text, shown in [
        ("/birthday Anna 03-14", "14 Mar"),
        ("/birthday Bea 1990-03-14", "14 Mar 1990"),
        ("/birthday Cem 14 March", "14 Mar"),
        ("/birthday Dan 3月14日", "14 Mar"),  # a Chinese date alone does not switch
        ("/birthday Eva lunar 8/15", "lunar 8/15"),
    ]:
        reply = await _say(harness, ANNA, text)
        assert f": {shown}" in reply["text"] or f"：{shown}" in reply["text"], reply["text"]
    reply = await _say(harness, ANNA, "/birthday")
    assert "/birthday Anna 03-14" in reply["text"]
    reply = await _say(harness, ANNA, "/birthday Anna someday")
    assert "couldn't read a date" in reply["text"]
    reply = await _say(harness, LI, "/note")
    assert "要记下什么" in reply["text"]
    reply = await _say(harness, LI, "/keepintouch 妈妈 有空就联系")
    assert "没能从" in reply["text"] and "每两周" in reply["text"]
    reply = await _say(harness, ANNA, "/person Nobody")
    assert "I don't know anyone called Nobody yet" in reply["text"]


async def test_chinese_commands_and_leap_month(harness: BotHarness) -> None:
    reply = await _say(harness, LI, "/birthday 奶奶 农历闰四月初八")
    assert "生日：农历闰四月初八，下一次是2027年5月13日（周四）" in reply["text"]
    reply = await _say(harness, LI, "/keepintouch 奶奶 每月")
    assert "📞 保持联系：每月，下次提醒大约在12月28日（周一）" in reply["text"]
    reply = await _say(harness, LI, "/met 奶奶 昨天打了电话")
    assert "🤝 已记录：打了电话（昨天，11月27日周五）" in reply["text"]
    reply = await _say(harness, LI, "/people")
    assert "👥 <b>你在乎的人</b>（1）" in reply["text"]
    assert "<b>奶奶</b> · 🎂 农历闰四月初八 · 📞 每月" in reply["text"]


async def test_aliases_and_relations_find_the_same_person(harness: BotHarness) -> None:
    await _say(harness, LI, "/birthday 妈妈 农历八月十五")
    for text in ("/note mom loves tulips", "/note 我妈 喜欢郁金香", "/note my mother bakes"):
        reply = await _say(harness, LI, text)
        assert "<b>妈妈</b>" in reply["text"], reply["text"]
    assert len(await _people(harness, LI.id)) == 1
    # "Mom's name is Maria": the new name becomes an alias of the same person.
    harness.llm.then(
        ToolCallReply([("remember_person", {"name": "Maria", "relation": "mother"})]),
        LLMReply("好的"),
    )
    _, notice = await _chat(harness, LI, "我妈妈叫Maria", 2)
    assert "🏷 也叫：Maria" in notice["text"]
    card = await _say(harness, LI, "/person Maria")
    assert card["text"].startswith("👤 <b>妈妈</b>\n🏷 也叫：Maria")


async def test_same_name_is_told_apart_and_asked(harness: BotHarness) -> None:
    await _say(harness, ANNA, "/birthday Tom 03-14")
    await _say(harness, ANNA, "/note Tom works at Siemens")
    # The model learns about a colleague called Tom: not obviously the same Tom.
    harness.llm.then(
        ToolCallReply([("remember_person", {"name": "Tom", "relation": "colleague"})]),
        LLMReply("Got it."),
    )
    # The existing Tom has no relation: the colleague is taken to be him.
    _, notice = await _chat(harness, ANNA, "Tom is my colleague", 2)
    assert notice["text"].startswith("👤 Updated: <b>Tom</b> (colleague)")
    # A second Tom, the brother, is someone else: the user is asked.
    harness.llm.then(
        ToolCallReply([("remember_person", {"name": "Tom", "relation": "brother"})]),
        LLMReply("OK."),
    )
    _, question = await _chat(harness, ANNA, "My brother Tom visits next week", 2)
    assert question["text"] == "Is this someone I already know, or someone new?"
    assert _labels(question) == ["Tom (colleague)", "➕ Someone new: Tom", "✖️ Cancel"]
    await _tap(harness, ANNA, question, _data(question, "➕"))
    assert _edited(harness).startswith("👤 New: <b>Tom</b> (brother)")
    # Now "/note Tom ..." is ambiguous: asked, with the relations on the buttons.
    reply = await _say(harness, ANNA, "/note Tom likes chess")
    assert reply["text"] == "Is this someone I already know, or someone new?"
    await _tap(harness, ANNA, reply, _data(reply, "Tom (brother)"))
    brother = next(p for p in await _people(harness, ANNA.id) if p.relation == "brother")
    assert harness.services is not None
    card = await harness.services.people.repo.card(brother)
    assert [note.text for note in card.notes] == ["likes chess"]
    # A relation in the words picks the right Tom at once.
    reply = await _say(harness, ANNA, "/person Tom")
    assert reply["text"] == "I know more than one Tom. Who do you mean?"
    assert _labels(reply) == ["Tom (colleague)", "Tom (brother)", "✖️ Cancel"]
    # Someone else tapping the question cannot use it.
    toast = await _tap(harness, BEN, reply, _data(reply, "Tom (brother)"))
    assert toast["text"] == "Only the person who asked can use these buttons."


async def test_edit_by_writing_and_delete(harness: BotHarness) -> None:
    await _say(harness, ANNA, "/birthday Tom 03-14")
    await _say(harness, ANNA, "/note Tom loves orchids")
    card = await _say(harness, ANNA, "/person Tom")
    await _tap(harness, ANNA, card, _data(card, "✏️"))
    menu = _edited(harness)
    assert menu.startswith("✏️ Editing <b>Tom</b>.")
    reply = await _say(harness, ANNA, "relation brother\nalias Tommy")
    assert reply["text"] == (
        "👤 Updated: <b>Tom</b> (brother)\n🏷 Relation: brother\n🏷 Also called: Tommy"
    )
    reply = await _say(harness, ANNA, "/cancel")
    assert reply["text"] == "OK, done editing."
    # An ordinary message afterwards goes to the conversation again.
    harness.llm.then(LLMReply("Hi!"))
    [answer] = await _chat(harness, ANNA, "relation brother", 1)
    assert answer["text"] == "Hi!"
    card = await _say(harness, ANNA, "/person Tommy")
    await _tap(harness, ANNA, card, _data(card, "🗑"))
    assert _edited(harness).startswith("Delete <b>Tom</b> (brother) and everything")
    confirm = {**card, "text": _edited(harness)}
    await _tap(harness, ANNA, confirm, "ppl:delok:" + _data(card, "🗑").split(":")[2])
    assert _edited(harness) == "🗑 Deleted Tom."
    assert await _people(harness, ANNA.id) == []
    assert harness.services is not None
    rows = await harness.services.db.fetchall(
        "SELECT COUNT(*) AS n FROM person_notes UNION ALL SELECT COUNT(*) FROM person_dates"
    )
    assert [row[0] for row in rows] == [0, 0]


async def test_group_commands_answer_privately_only_unless_asked(harness: BotHarness) -> None:
    await _say(harness, ANNA, "/note Tom loves orchids")
    reply = await _say(harness, ANNA, "/people", chat=FAMILY)
    assert "keep them out of groups" in reply["text"]
    assert "Tom" not in reply["text"]
    toast = await _tap(harness, BEN, reply, _data(reply, "👁"))
    assert toast["text"] == "Only the person who asked can use these buttons."
    await _tap(harness, ANNA, reply, _data(reply, "👁"))
    assert "<b>Tom</b>" in _edited(harness)


# -- drafts --------------------------------------------------------------------------------


async def test_draft_uses_the_note_and_memories(harness: BotHarness) -> None:
    harness.llm.responder = lambda body: (
        LLMReply("Hi Tom! I saw orchids at the market and thought of you.")
        if "Write a message to Tom" in json.dumps(body, ensure_ascii=False)
        else None
    )
    harness.llm.then(LLMReply("Nice!"))
    await _chat(harness, ANNA, "Tom told me he started pottery classes", 1)
    await _say(harness, ANNA, "/note Tom loves orchids")
    reply = await _say(harness, ANNA, "/draft Tom")
    assert reply["text"] == "Hi Tom! I saw orchids at the market and thought of you."
    assert _labels(reply) == ["🔄 Another", "✅ I sent it"]
    request = next(body for body in reversed(harness.llm.requests) if not body.get("stream"))
    prompt = "\n".join(str(m["content"]) for m in request["messages"])
    assert "loves orchids" in prompt
    assert "pottery classes" in prompt
    assert "in English" in prompt
    await _tap(harness, ANNA, reply, _data(reply, "✅"))
    card = await _card(harness, ANNA.id, "Tom")
    assert [item.source for item in card.interactions] == ["draft"]


async def test_draft_in_chinese_and_when_the_model_is_down(harness: BotHarness) -> None:
    harness.llm.complete_script.append(LLMReply("妈妈，中秋快乐！想你了。"))
    await _say(harness, LI, "/birthday 妈妈 农历八月十五")
    reply = await _say(harness, LI, "/draft 妈妈")
    assert reply["text"] == "妈妈，中秋快乐！想你了。"
    request = next(body for body in reversed(harness.llm.requests) if not body.get("stream"))
    assert "Chinese" in request["messages"][0]["content"]
    from tests.fakes.llm import LLMError

    harness.llm.complete_script.extend([LLMError(500)] * 5)
    reply = await _say(harness, LI, "/draft 妈妈")
    assert "暂时连不上语言模型" in reply["text"]


# -- the daily digest ----------------------------------------------------------------------


async def test_digest_at_each_users_own_nine_oclock(harness: BotHarness) -> None:
    await _say(harness, ANNA, "/timezone Europe/Berlin")
    await _say(harness, LI, "/timezone Asia/Shanghai")
    await _say(harness, ANNA, "/birthday Tom 1986-12-02")
    await _say(harness, ANNA, "/note Tom loves orchids")
    await _say(harness, LI, "/birthday 妈妈 12月2日")
    harness.clock.set(datetime(2026, 11, 29, 0, 59, tzinfo=UTC))
    assert (await harness.run_digests()).sent == 0
    harness.clock.set(datetime(2026, 11, 29, 1, 0, tzinfo=UTC))  # 09:00 in Shanghai
    report = await harness.run_digests()
    assert report.sent == 1
    [digest] = _digests(harness, LI)
    assert digest["text"] == (
        "☀️ <b>今天值得想起的人</b>\n\n🗓 <b>即将到来</b>\n"
        "• <b>妈妈</b>：12月2日（周三）生日（3天后）\n还没有联系记录"
    )
    assert _labels(digest) == ["✍️ 妈妈", "✅ 联系过了"]
    assert _digests(harness, ANNA) == []
    harness.clock.set(datetime(2026, 11, 29, 7, 59, tzinfo=UTC))
    assert (await harness.run_digests()).sent == 0
    harness.clock.set(datetime(2026, 11, 29, 8, 0, tzinfo=UTC))  # 09:00 in Berlin
    assert (await harness.run_digests()).sent == 1
    [digest] = _digests(harness, ANNA)
    assert digest["text"] == (
        "☀️ <b>People to think of today</b>\n\n🗓 <b>Coming up</b>\n"
        "• <b>Tom</b>: Birthday on Wed 2 Dec (in 3 days), turns 40\n"
        "no contact logged yet\n🎁 Gift ideas from your notes: loves orchids"
    )
    assert (await harness.run_digests()).sent == 0  # exactly once
    # Nothing new on the next two days: no digest at all.
    for day in (30, 1):
        month = 11 if day == 30 else 12
        harness.clock.set(datetime(2026, month, day, 8, 0, tzinfo=UTC))
        await harness.run_digests()
    assert len(_digests(harness, ANNA)) == 1 and len(_digests(harness, LI)) == 1
    harness.clock.set(datetime(2026, 12, 2, 8, 0, tzinfo=UTC))
    await harness.run_digests()
    today = _digests(harness, ANNA)[-1]
    assert "🎂 <b>Today</b>\n• <b>Tom</b>: Birthday — turns 40 today!" in today["text"]
    assert "Gift ideas from your notes: loves orchids" in today["text"]
    assert "🎂 <b>今天</b>\n• <b>妈妈</b>：生日" in _digests(harness, LI)[-1]["text"]


async def test_overdue_cadence_after_a_logged_contact(harness: BotHarness) -> None:
    await _say(harness, ANNA, "/keepintouch Tom every week")
    await _say(harness, ANNA, "/met Tom yesterday lunch")  # Fri 27 Nov
    harness.clock.set(datetime(2026, 12, 3, 9, 0, tzinfo=UTC))
    assert (await harness.run_digests()).sent == 0
    harness.clock.set(datetime(2026, 12, 4, 9, 0, tzinfo=UTC))
    assert (await harness.run_digests()).sent == 1
    [digest] = _digests(harness, ANNA)
    assert digest["text"] == (
        "☀️ <b>People to think of today</b>\n\n📞 <b>Time to reach out</b>\n"
        "• <b>Tom</b> — last talked 7 days ago (every week)"
    )
    assert _labels(digest) == ["✍️ Tom", "✅ Done", "💤 1 week"]
    toast = await _tap(harness, ANNA, digest, _data(digest, "✅"))
    assert toast["text"] == "Logged: you were in touch with Tom today."
    markup = harness.api.calls_of("editMessageReplyMarkup")[-1].params
    assert "reply_markup" not in markup or not markup["reply_markup"].get("inline_keyboard")
    harness.clock.set(datetime(2026, 12, 5, 9, 0, tzinfo=UTC))
    assert (await harness.run_digests()).sent == 0
    harness.clock.set(datetime(2026, 12, 11, 9, 0, tzinfo=UTC))
    assert (await harness.run_digests()).sent == 1


async def test_snooze_and_weekly_reminder_of_an_overdue_person(harness: BotHarness) -> None:
    await _say(harness, ANNA, "/keepintouch Tom every 2 weeks")
    await _say(harness, ANNA, "/keepintouch Lucy monthly")
    harness.clock.set(datetime(2026, 12, 12, 9, 0, tzinfo=UTC))
    await harness.run_digests()
    [digest] = _digests(harness, ANNA)
    assert "• <b>Tom</b> — no contact logged yet (every 2 weeks)" in digest["text"]
    toast = await _tap(harness, ANNA, digest, _data(digest, "💤"))
    assert toast["text"] == "OK, I won't nudge you about Tom until Sat 19 Dec."
    # Still overdue but already nudged: quiet for a week, and snoozed until the 19th.
    for day in range(13, 19):
        harness.clock.set(datetime(2026, 12, day, 9, 0, tzinfo=UTC))
        assert (await harness.run_digests()).sent == 0
    harness.clock.set(datetime(2026, 12, 19, 9, 0, tzinfo=UTC))
    assert (await harness.run_digests()).sent == 1
    assert "Tom" in _digests(harness, ANNA)[-1]["text"]
    harness.clock.set(datetime(2026, 12, 28, 9, 0, tzinfo=UTC))
    await harness.run_digests()
    assert "Lucy" in _digests(harness, ANNA)[-1]["text"]


async def test_missed_digests_after_downtime_come_once(harness: BotHarness) -> None:
    await _say(harness, ANNA, "/birthday Tom 12-02")
    await _say(harness, ANNA, "/keepintouch Lucy every week")
    await harness.stop()
    harness.clock.set(datetime(2026, 12, 6, 15, 0, tzinfo=UTC))  # down for a week
    await harness.start()
    assert (await harness.run_digests()).sent == 1
    assert (await harness.run_digests()).sent == 0
    [digest] = _digests(harness, ANNA)
    assert "⏮ <b>Just missed</b>\n• <b>Tom</b>: Birthday was on Wed 2 Dec" in digest["text"]
    assert "Lucy" in digest["text"]
    assert harness.services is not None
    next_at = await harness.services.people.runner.next_at(ANNA.id)
    assert next_at == datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


async def test_a_claim_left_by_a_crash_is_sent_once_after_restart(harness: BotHarness) -> None:
    await _say(harness, ANNA, "/birthday Tom 12-01")
    harness.clock.set(datetime(2026, 11, 28, 9, 0, tzinfo=UTC) + timedelta(days=1))
    assert harness.services is not None
    # What a crash between claiming and sending leaves: the row claimed, by a process now gone.
    await harness.services.db.execute(
        "UPDATE people_digests SET status = 'claimed', claim_token = 'dead', claimed_at = ?"
        " WHERE user_id = ?",
        (to_db_time(harness.clock.now()), ANNA.id),
    )
    assert (await harness.run_digests()).sent == 0  # held by the dead claim
    await harness.restart()
    runner = harness.services.people.runner
    if runner.shared:
        # Replicas (PostgreSQL): the claim may be another live replica's, so even a restart
        # leaves it alone until its lease is over.
        assert (await harness.run_digests()).sent == 0
        harness.clock.advance(runner.options.claim_lease)
    assert (await harness.run_digests()).sent == 1
    assert (await harness.run_digests()).sent == 0
    assert len(_digests(harness, ANNA)) == 1


async def test_digest_settings_and_preview(harness: BotHarness) -> None:
    await _say(harness, ANNA, "/birthday Tom 12-04")
    reply = await _say(harness, ANNA, "/digest 7:30")
    assert "⏰ At 07:30 (UTC) · 🎂 dates 3 days ahead" in reply["text"]
    reply = await _say(harness, ANNA, "/digest 7 days")
    assert "dates 7 days ahead" in reply["text"]
    preview = await _say(harness, ANNA, "/digest now")
    assert "Tom</b>: Birthday on Fri 4 Dec (in 6 days)" in preview["text"]
    assert harness.services is not None
    assert await harness.services.people.runner.next_at(ANNA.id) == datetime(
        2026, 11, 29, 7, 30, tzinfo=UTC
    )
    reply = await _say(harness, ANNA, "/digest off")
    harness.clock.set(datetime(2026, 11, 29, 7, 30, tzinfo=UTC))
    assert (await harness.run_digests()).sent == 0
    await _tap(harness, ANNA, reply, _data(reply, "🔔"))
    assert "Daily people digest</b>: on" in _edited(harness)
    # The same switch as the release before typed payloads wrote it (an unused target 0).
    await _tap(harness, ANNA, reply, "ppl:dgo:0:off")
    assert "Daily people digest</b>: off" in _edited(harness)


async def test_a_button_this_version_cannot_read_no_longer_works(harness: BotHarness) -> None:
    reply = await _say(harness, ANNA, "/people")
    for data in ("ppl:no-such-tap:1", "ppl:card:abc", "ppl:card"):
        toast = await _tap(harness, ANNA, reply, data)
        assert toast["text"] == "This is no longer available."


# -- export and forget ---------------------------------------------------------------------


async def test_export_and_forget_all_include_people(harness: BotHarness) -> None:
    await _say(harness, ANNA, "/birthday Tom 1990-03-14")
    await _say(harness, ANNA, "/note Tom loves orchids")
    await _say(harness, ANNA, "/met Tom coffee")
    await _say(harness, BEN, "/note Lucy likes jazz")
    assert harness.services is not None
    account = harness.services.account
    document = await account.export(user_id=ANNA.id, chat_id=ANNA.id)
    [tom] = document["people"]
    assert tom["name"] == "Tom"
    assert tom["dates"][0] | {"label": None} == {
        "kind": "birthday",
        "label": None,
        "month": 3,
        "day": 14,
        "year": 1990,
        "calendar": "gregorian",
        "is_leap_month": False,
    }
    assert [note["text"] for note in tom["notes"]] == ["loves orchids"]
    assert [item["note"] for item in tom["interactions"]] == ["coffee"]
    assert document["people_digest"]["time"] == "09:00"
    group = await account.export(user_id=ANNA.id, chat_id=FAMILY.id)
    assert group["people"] == []
    report = await account.forget_all(user_id=ANNA.id, chat_id=ANNA.id)
    assert report.counts["people"] == 1
    assert await _people(harness, ANNA.id) == []
    for table in ("person_dates", "person_notes", "person_interactions", "people_digests"):
        row = await harness.services.db.fetchone(
            f"SELECT COUNT(*) AS n FROM {table} WHERE user_id = ?", (ANNA.id,)
        )
        assert row["n"] == 0, table
    assert len(await _people(harness, BEN.id)) == 1


# -- contacts in the past, whose note, leap months ------------------------------------------


async def test_past_contacts_are_logged_on_their_own_day(harness: BotHarness) -> None:
    await _say(harness, ANNA, "/keepintouch Tom every 2 weeks")
    for text, shown in [
        ("/met Tom 2 weeks ago dinner", "🤝 Logged: dinner (2 weeks ago, Sat 14 Nov)"),
        ("/met Tom last Tuesday", "🤝 Logged a contact (4 days ago, Tue 24 Nov)"),
        ("/met Tom on Monday coffee", "🤝 Logged: coffee (5 days ago, Mon 23 Nov)"),
        ("/met Tom last weekend, hiking", "🤝 Logged: hiking (7 days ago, Sat 21 Nov)"),
        ("/met Tom 3 days ago", "🤝 Logged a contact (3 days ago, Wed 25 Nov)"),
        ("/met Tom 11/20 concert", "🤝 Logged: concert (8 days ago, Fri 20 Nov)"),
    ]:
        reply = await _say(harness, ANNA, text)
        assert shown in reply["text"], (text, reply["text"])
    card = await _say(harness, ANNA, "/person Tom")
    assert "🤝 Last contact: 3 days ago" in card["text"]
    assert "📞 Stay in touch every 2 weeks · next nudge Wed 9 Dec" in card["text"]
    assert (
        "🗒 Recent contacts:\n• 23 Nov: coffee\n• 21 Nov: hiking\n• 20 Nov: concert"
        in (card["text"])
    )
    # Undo takes back only that contact; the last contact goes back with it.
    reply = await _say(harness, ANNA, "/met Tom yesterday evening")
    assert "🤝 Logged a contact (yesterday, Fri 27 Nov)" in reply["text"]
    await _tap(harness, ANNA, reply, _data(reply, "↩️"))
    tom = (await _card(harness, ANNA.id, "Tom")).person
    assert tom.last_contact_at == datetime(2026, 11, 25, 12, tzinfo=UTC)
    # Nothing is ever logged in the future.
    reply = await _say(harness, ANNA, "/met Tom tomorrow")
    assert "🤝 Logged: tomorrow (today)" in reply["text"]
    card = await _card(harness, ANNA.id, "Tom")
    assert max(item.at for item in card.interactions) == harness.clock.now()
    # In Chinese too.
    for text, shown in [
        ("/met 奶奶 三天前一起吃饭", "🤝 已记录：一起吃饭（3天前，11月25日周三）"),
        ("/met 奶奶 两周前", "🤝 已记录联系（2周前，11月14日周六）"),
        ("/met 奶奶 上周二打了电话", "🤝 已记录：打了电话（11天前，11月17日周二）"),
        ("/met 奶奶 前天视频", "🤝 已记录：视频（2天前，11月26日周四）"),
        ("/met 奶奶 11月20日喝茶", "🤝 已记录：喝茶（8天前，11月20日周五）"),
    ]:
        reply = await _say(harness, LI, text)
        assert shown in reply["text"], (text, reply["text"])


async def test_possessives_and_a_surname_that_does_not_match(harness: BotHarness) -> None:
    await _say(harness, ANNA, "/note Anna loves tea")
    reply = await _say(harness, ANNA, "/note Anna's husband likes golf")
    assert reply["text"] == "👤 Updated: <b>Anna</b>\n📝 Note: husband likes golf"
    question = await _say(harness, ANNA, "/note Anna Smith likes jazz")
    assert question["text"] == "Is this someone I already know, or someone new?"
    assert _labels(question) == [
        "Anna (husband likes golf)",
        "➕ Someone new: Anna Smith",
        "✖️ Cancel",
    ]
    await _tap(harness, ANNA, question, _data(question, "➕"))
    assert _edited(harness) == "👤 New: <b>Anna Smith</b>\n📝 Note: likes jazz"
    anna = await _card(harness, ANNA.id, "Anna")
    assert [note.text for note in anna.notes] == ["husband likes golf", "loves tea"]
    # Both known now: the full name goes straight to her, the first name to Anna.
    reply = await _say(harness, ANNA, "/note Anna Smith plays the cello")
    assert reply["text"] == "👤 Updated: <b>Anna Smith</b>\n📝 Note: plays the cello"
    reply = await _say(harness, ANNA, "/note Anna bakes bread")
    assert reply["text"] == "👤 Updated: <b>Anna</b>\n📝 Note: bakes bread"
    # Someone unknown with a possessive, and a surname: no stray "'s" or surname in notes.
    reply = await _say(harness, ANNA, "/note Bob's wife likes tea")
    assert reply["text"] == "👤 New: <b>Bob</b>\n📝 Note: wife likes tea"
    reply = await _say(harness, ANNA, "/note Carl Jensen likes chess")
    assert reply["text"] == "👤 New: <b>Carl Jensen</b>\n📝 Note: likes chess"
    # Picking the known person keeps the fuller name as another name for them.
    question = await _say(harness, ANNA, "/met Carl Berg yesterday lunch")
    assert _labels(question)[:2] == ["Carl Jensen (likes chess)", "➕ Someone new: Carl Berg"]
    await _tap(harness, ANNA, question, _data(question, "Carl Jensen"))
    assert _edited(harness) == (
        "👤 Updated: <b>Carl Jensen</b>\n🏷 Also called: Carl Berg\n"
        "🤝 Logged: lunch (yesterday, Fri 27 Nov)"
    )
    # Chinese: "安娜的" is Anna's.
    reply = await _say(harness, LI, "/note 安娜的丈夫喜欢高尔夫")
    assert reply["text"] == "👤 已记下：<b>安娜</b>\n📝 备注：丈夫喜欢高尔夫"
    reply = await _say(harness, LI, "/note 安娜的女儿上小学了")
    assert reply["text"] == "👤 已更新：<b>安娜</b>\n📝 备注：女儿上小学了"


async def test_leap_month_birthdays_from_an_english_user(harness: BotHarness) -> None:
    for text in ("/birthday Eve lunar 闰4/8", "/birthday Fay lunar 4/8 leap",
                 "/birthday Gus lunar leap 4/8"):  # fmt: skip
        reply = await _say(harness, ANNA, text)
        assert (
            "🎂 Birthday: lunar leap 4/8 — next on Thu 13 May 2027 (in 166 days)" in (reply["text"])
        ), reply["text"]
        assert "🌙 Lunar date: I work out the Gregorian day every year." in reply["text"]
    reply = await _say(harness, ANNA, "/birthday Eve lunar 闰13/8")
    assert reply["text"].startswith("I couldn't read a date in “Eve lunar 闰13/8”.")
    assert "/birthday Grandma lunar leap 4/8" in reply["text"]
    listing = await _say(harness, ANNA, "/people")
    assert "• <b>Eve</b> · 🎂 lunar leap 4/8" in listing["text"]


# -- drafts from buttons ---------------------------------------------------------------------


def _draft_responder(name: str, text: str) -> Any:
    return lambda body: (
        LLMReply(text)
        if f"Write a message to {name}" in json.dumps(body, ensure_ascii=False)
        else None
    )


async def test_draft_buttons_on_a_digest_and_on_a_card(harness: BotHarness) -> None:
    harness.llm.responder = _draft_responder("Tom", "Happy birthday, Tom! Orchids are on me.")
    await _say(harness, ANNA, "/birthday Tom 1986-12-01")
    await _say(harness, ANNA, "/note Tom loves orchids")
    harness.clock.set(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
    assert (await harness.run_digests()).sent == 1
    [digest] = _digests(harness, ANNA)
    assert "• <b>Tom</b>: Birthday — turns 40 today!" in digest["text"]
    await _tap(harness, ANNA, digest, _data(digest, "✍️ Tom"))
    draft = _results(harness, ANNA.id)[-1]
    assert draft["text"] == "Happy birthday, Tom! Orchids are on me."
    assert _labels(draft) == ["🔄 Another", "✅ I sent it"]
    request = next(body for body in reversed(harness.llm.requests) if not body.get("stream"))
    prompt = "\n".join(str(m["content"]) for m in request["messages"])
    assert "it is their birthday (turns 40) today" in prompt and "loves orchids" in prompt
    toast = await _tap(harness, ANNA, draft, _data(draft, "✅"))
    assert toast["text"] == "Logged: you were in touch with Tom today."
    markup = harness.api.calls_of("editMessageReplyMarkup")[-1].params
    assert not (markup.get("reply_markup") or {}).get("inline_keyboard")
    card = await _card(harness, ANNA.id, "Tom")
    assert [item.source for item in card.interactions] == ["draft"]
    # From the person's card: a draft, then another one.
    harness.llm.responder = _draft_responder("Tom", "Hi Tom, how was the birthday?")
    card_message = await _say(harness, ANNA, "/person Tom")
    before = len(_results(harness, ANNA.id))
    await _tap(harness, ANNA, card_message, _data(card_message, "✍️ Draft"))
    draft = _results(harness, ANNA.id)[-1]
    assert len(_results(harness, ANNA.id)) == before + 1
    assert draft["text"] == "Hi Tom, how was the birthday?"
    await _tap(harness, ANNA, draft, _data(draft, "🔄"))
    again = _results(harness, ANNA.id)[-1]
    assert again["text"] == "Hi Tom, how was the birthday?" and again is not draft
    assert _labels(again) == ["🔄 Another", "✅ I sent it"]


# -- lunar dates through the digests -------------------------------------------------------


async def _digests_on(harness: BotHarness, day: date) -> tuple[str | None, str | None]:
    """Run the digests at 09:00 UTC on ``day``; Anna's and Li's new digests, if any came."""
    before = len(_digests(harness, ANNA)), len(_digests(harness, LI))
    harness.clock.set(datetime.combine(day, time(9), tzinfo=UTC))
    await harness.run_digests()
    found: list[str | None] = []
    for user, count in zip((ANNA, LI), before, strict=True):
        digests = _digests(harness, user)
        found.append(digests[-1]["text"] if len(digests) > count else None)
    return found[0], found[1]


async def test_lunar_and_leap_month_birthdays_in_digests_over_two_years(
    harness: BotHarness,
) -> None:
    # Mid-Autumn: Wed 15 Sep 2027, Tue 3 Oct 2028. Leap 5th month, 8th day: 2027 has no leap
    # 5th month (the regular one: Sat 12 Jun); 2028 has one (Fri 30 Jun, not Wed 31 May).
    await _say(harness, ANNA, "/birthday Mom lunar 8/15 1960")
    await _say(harness, ANNA, "/birthday Grandma lunar leap 5/8")
    await _say(harness, LI, "/birthday 奶奶 农历闰五月初八")
    expected = [
        (date(2027, 6, 9), "• <b>Grandma</b>: Birthday 🌙 on Sat 12 Jun (in 3 days)",
         "• <b>奶奶</b>：6月12日（周六）生日（农历）（3天后）"),
        (date(2027, 6, 12), "🎂 <b>Today</b>\n• <b>Grandma</b>: Birthday 🌙\n",
         "🎂 <b>今天</b>\n• <b>奶奶</b>：生日（农历）\n"),
        (date(2027, 9, 12), "• <b>Mom</b>: Birthday 🌙 on Wed 15 Sep (in 3 days), turns 67",
         None),
        (date(2027, 9, 15), "• <b>Mom</b>: Birthday 🌙 — turns 67 today!", None),
        (date(2028, 5, 28), None, None),  # the regular 5th month passes quietly
        (date(2028, 5, 31), None, None),
        (date(2028, 6, 27), "• <b>Grandma</b>: Birthday 🌙 on Fri 30 Jun (in 3 days)",
         "• <b>奶奶</b>：6月30日（周五）生日（农历）（3天后）"),
        (date(2028, 6, 30), "• <b>Grandma</b>: Birthday 🌙\n", "• <b>奶奶</b>：生日（农历）\n"),
        (date(2028, 9, 30), "• <b>Mom</b>: Birthday 🌙 on Tue 3 Oct (in 3 days), turns 68",
         None),
        (date(2028, 10, 3), "• <b>Mom</b>: Birthday 🌙 — turns 68 today!", None),
        (date(2028, 10, 4), None, None),
    ]  # fmt: skip
    for day, english, chinese in expected:
        anna, li = await _digests_on(harness, day)
        if english is None:
            assert anna is None, (day, anna)
        else:
            assert anna is not None and english in anna, (day, anna)
        if chinese is None:
            assert li is None, (day, li)
        else:
            assert li is not None and chinese in li, (day, li)
    # Every date moved on to its next occurrence.
    assert harness.services is not None
    dates = await harness.services.people.repo.dates_for_user(ANNA.id)
    assert sorted(str(item.next_on) for item in dates) == ["2029-06-19", "2029-09-22"]


# -- a Chinese user, end to end ------------------------------------------------------------


async def test_a_chinese_user_from_commands_to_digest_and_draft(harness: BotHarness) -> None:
    reply = await _say(harness, LI, "/birthday 奶奶 农历闰五月初八")
    assert reply["text"] == (
        "👤 已记下：<b>奶奶</b>\n🎂 生日：农历闰五月初八，下一次是2027年6月12日（周六），196天后\n"
        "🌙 农历日期：我每年会自动换算成公历。"
    )
    reply = await _say(harness, LI, "/keepintouch 奶奶 每两周")
    assert "📞 保持联系：每2周" in reply["text"]
    reply = await _say(harness, LI, "/met 奶奶 上周二打了电话")
    assert "🤝 已记录：打了电话（11天前，11月17日周二）" in reply["text"]
    reply = await _say(harness, LI, "/met 奶奶 三天前一起吃饭")
    assert "🤝 已记录：一起吃饭（3天前，11月25日周三）" in reply["text"]
    reply = await _say(harness, LI, "/note 奶奶的猫叫咪咪")
    assert reply["text"] == "👤 已更新：<b>奶奶</b>\n📝 备注：猫叫咪咪"
    reply = await _say(harness, LI, "/note 奶奶 喜欢听京剧")
    card = await _say(harness, LI, "/person 奶奶")
    assert card["text"] == (
        "👤 <b>奶奶</b>\n"
        "🎂 生日：农历闰五月初八，下一次是2027年6月12日（周六），196天后\n"
        "📞 保持联系：每2周 · 下次提醒12月9日（周三）\n"
        "🤝 上次联系：3天前\n"
        "📝 备注：\n• 喜欢听京剧（11月28日）\n• 猫叫咪咪（11月28日）\n"
        "🗒 最近联系：\n• 11月25日：一起吃饭\n• 11月17日：打了电话"
    )
    assert _labels(card) == ["✍️ 帮我写条消息", "✅ 今天联系过", "✏️ 编辑", "🗑 删除"]
    # Two weeks after the last contact: the digest, in Chinese, with a draft button.
    harness.clock.set(datetime(2026, 12, 8, 9, 0, tzinfo=UTC))
    assert (await harness.run_digests()).sent == 0
    harness.clock.set(datetime(2026, 12, 9, 9, 0, tzinfo=UTC))
    assert (await harness.run_digests()).sent == 1
    [digest] = _digests(harness, LI)
    assert digest["text"] == (
        "☀️ <b>今天值得想起的人</b>\n\n📞 <b>该联系了</b>\n• <b>奶奶</b>：上次联系2周前（每2周）"
    )
    assert _labels(digest) == ["✍️ 奶奶", "✅ 联系过了", "💤 推迟一周"]
    harness.llm.responder = _draft_responder("奶奶", "奶奶，最近好吗？咪咪还乖吗？改天陪您听京剧。")
    await _tap(harness, LI, digest, _data(digest, "✍️"))
    draft = _results(harness, LI.id)[-1]
    assert draft["text"] == "奶奶，最近好吗？咪咪还乖吗？改天陪您听京剧。"
    assert _labels(draft) == ["🔄 换一条", "✅ 已发送"]
    request = next(body for body in reversed(harness.llm.requests) if not body.get("stream"))
    assert "Chinese" in request["messages"][0]["content"]
    assert "喜欢听京剧" in request["messages"][1]["content"]
    toast = await _tap(harness, LI, draft, _data(draft, "✅"))
    assert toast["text"] == "已记录：今天和奶奶联系过。"
    grandma = await _card(harness, LI.id, "奶奶")
    assert grandma.person.last_contact_at == harness.clock.now()
    assert grandma.person.contact_due_at == harness.clock.now() + timedelta(days=14)
    # Done for now: no digest the next day.
    harness.clock.set(datetime(2026, 12, 10, 9, 0, tzinfo=UTC))
    assert (await harness.run_digests()).sent == 0
