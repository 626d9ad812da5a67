"""Reminders end to end: the real Application, the fake Bot API, the fake LLM, a fake clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from bot.reminders import Status
from tests.fakes.harness import BotHarness
from tests.fakes.llm import LLMReply, ToolCallReply
from tests.fakes.telegram import Failure, FakeChat, FakeUser

ANNA = FakeUser(101, "Anna", "en")
LI = FakeUser(202, "李雷", "zh-hans")
FAMILY = FakeChat(-100777, "supergroup", "Family")


async def _say(harness: BotHarness, user: FakeUser, text: str, chat: FakeChat | None = None):
    """Send a message and return (the user's message, the bot's answer as Telegram shows it)."""
    chat_id = (chat or FakeChat.private(user)).id
    before = len(harness.api.sent_messages(chat_id))
    sent = harness.api.push_text(user, text, chat=chat)
    await harness.api.wait_for_messages(before + 1, chat_id)
    await harness.settle()
    return sent, _results(harness, chat_id)[before]


def _results(harness: BotHarness, chat_id: int) -> list[dict[str, Any]]:
    return [
        call.result
        for call in harness.api.calls_of("sendMessage")
        if call.params.get("chat_id") == chat_id and call.result
    ]


def _buttons(message: dict[str, Any]) -> list[tuple[str, str]]:
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])
    return [(button["text"], button["callback_data"]) for row in rows for button in row]


def _data(message: dict[str, Any], label_start: str) -> str:
    return next(data for label, data in _buttons(message) if label.startswith(label_start))


async def _tap(harness: BotHarness, user: FakeUser, message: dict[str, Any], data: str) -> str:
    """Tap a button; return the text the message was edited to."""
    before = len(harness.api.calls_of("editMessageText"))
    harness.api.push_callback(user, message, data)
    await harness.api.wait_for(lambda: len(harness.api.calls_of("editMessageText")) > before)
    await harness.settle()
    return harness.api.calls_of("editMessageText")[-1].params["text"]


async def _reminders(harness: BotHarness, user_id: int) -> list[Any]:
    assert harness.services is not None
    return await harness.services.reminders.repo.for_user(user_id)


async def test_remind_fire_snooze_fire_again(harness: BotHarness) -> None:
    request, confirmation = await _say(harness, ANNA, "/remind tomorrow at 3pm call mom")
    assert "I'll remind you: <b>call mom</b>" in confirmation["text"]
    assert "tomorrow, Sun 29 Nov at 15:00 (UTC)" in confirmation["text"]
    assert [label for label, _ in _buttons(confirmation)] == ["↩️ Undo"]
    assert await harness.run_scheduler()
    harness.clock.set(datetime(2026, 11, 29, 15, 0, tzinfo=UTC))
    report = await harness.run_scheduler()
    assert report.sent == 1
    due_call = harness.api.calls_of("sendMessage")[-1]
    assert due_call.params["text"] == "⏰ call mom"
    assert due_call.params["reply_parameters"] == {
        "message_id": request["message_id"],
        "allow_sending_without_reply": True,
    }
    due = due_call.result
    assert [label for label, _ in _buttons(due)] == [
        "✅ Done",
        "💤 10 min",
        "💤 1 hour",
        "💤 Tomorrow",
    ]
    edited = await _tap(harness, ANNA, due, _data(due, "💤 10"))
    assert "Snoozed until today, Sun 29 Nov at 15:10" in edited
    assert harness.api.calls_of("answerCallbackQuery")
    harness.clock.advance(timedelta(minutes=10))
    assert (await harness.run_scheduler()).sent == 1
    again = harness.api.calls_of("sendMessage")[-1].result
    assert again["text"] == "⏰ call mom"
    edited = await _tap(harness, ANNA, again, _data(again, "✅"))
    assert edited.endswith("✅ Done")
    [reminder] = await _reminders(harness, ANNA.id)
    assert reminder.status == Status.DONE


async def test_chinese_reminder(harness: BotHarness) -> None:
    _, reply = await _say(harness, LI, "/remind 明天下午三点给妈妈打电话")
    assert "好的，我会提醒你：<b>给妈妈打电话</b>" in reply["text"]
    assert "明天 11月29日（周日）15:00" in reply["text"]
    assert [label for label, _ in _buttons(reply)] == ["↩️ 撤销"]
    harness.clock.set(datetime(2026, 11, 29, 15, 0, tzinfo=UTC))
    await harness.run_scheduler()
    due = harness.api.calls_of("sendMessage")[-1].result
    assert due["text"] == "⏰ 给妈妈打电话"
    assert _buttons(due)[0][0] == "✅ 完成"


async def test_undo(harness: BotHarness) -> None:
    _, reply = await _say(harness, ANNA, "/remind in 2 hours stretch")
    edited = await _tap(harness, ANNA, reply, _data(reply, "↩️"))
    assert "Undone" in edited and not await _reminders(harness, ANNA.id)


async def test_recurring_across_dst_in_berlin(harness: BotHarness) -> None:
    harness.clock.set(datetime(2026, 3, 26, 12, 0, tzinfo=UTC))
    await _say(harness, ANNA, "/timezone Europe/Berlin")
    _, reply = await _say(harness, ANNA, "/remind every day at 7:00 take vitamins")
    assert "🔁 every day at 07:00" in reply["text"]
    fired = []
    for _ in range(4):
        [reminder] = await _reminders(harness, ANNA.id)
        harness.clock.set(reminder.due_at)
        assert (await harness.run_scheduler()).sent == 1
        fired.append(reminder.due_at)
    assert [moment.hour for moment in fired] == [6, 6, 5, 5]  # UTC: 07:00 CET, then CEST
    assert all(moment.astimezone(reminder.zone).hour == 7 for moment in fired)


async def test_every_other_monday_and_chinese_workdays(harness: BotHarness) -> None:
    _, reply = await _say(harness, ANNA, "/remind every other Monday at 9am water the plants")
    assert "Mon 30 Nov at 09:00" in reply["text"] and "every other Monday at 09:00" in reply["text"]
    _, reply = await _say(harness, LI, "/remind 每个工作日8点半查邮件")
    assert "🔁 每个工作日 08:30" in reply["text"]
    assert [label for label, _ in _buttons(reply)] == ["是指 20:30？", "↩️ 撤销"]


async def test_past_time_asks_with_buttons(harness: BotHarness) -> None:
    _, reply = await _say(harness, ANNA, "/remind today at 8am gym")
    assert "has already passed. Did you mean tomorrow, Sun 29 Nov at 08:00?" in reply["text"]
    assert not await _reminders(harness, ANNA.id)
    edited = await _tap(harness, ANNA, reply, _data(reply, "✅"))
    assert "I'll remind you: <b>gym</b>" in edited
    assert len(await _reminders(harness, ANNA.id)) == 1


async def test_unparseable_gets_examples(harness: BotHarness) -> None:
    _, reply = await _say(harness, ANNA, "/remind call mom some day")
    assert "couldn't find a time" in reply["text"] and "/remind tomorrow at 3pm" in reply["text"]
    _, reply = await _say(harness, LI, "/remind")
    assert "告诉我要提醒什么" in reply["text"]


async def test_restart_between_creation_and_due_time(harness: BotHarness) -> None:
    await _say(harness, ANNA, "/remind in 3 hours water the tomatoes")
    await harness.restart()
    harness.clock.advance(timedelta(hours=3))
    await harness.run_scheduler()
    await harness.run_scheduler()
    assert harness.api.texts(ANNA.id)[-1] == "⏰ water the tomatoes"
    assert harness.api.texts(ANNA.id).count("⏰ water the tomatoes") == 1


async def test_crash_after_claim_before_send(harness: BotHarness) -> None:
    await _say(harness, ANNA, "/remind in 1 hour take the cake out")
    harness.clock.advance(timedelta(hours=1))
    [reminder] = await _reminders(harness, ANNA.id)
    assert harness.services is not None
    assert await harness.services.reminders.repo.claim(reminder.id, harness.clock.now())
    await harness.restart()  # the claimer died before sending
    harness.clock.advance(timedelta(minutes=3))
    await harness.run_scheduler()
    await harness.run_scheduler()
    assert [t for t in harness.api.texts(ANNA.id) if t.startswith("⏰")] == [
        "⏰ take the cake out\n<i>(late: due 13:00)</i>"
    ]
    assert (await _reminders(harness, ANNA.id))[0].status == Status.DELIVERED


async def test_telegram_refusing_the_send_is_retried_with_backoff(harness: BotHarness) -> None:
    await _say(harness, ANNA, "/remind in 1 hour check the oven")
    harness.api.fail("sendMessage", Failure("Internal Server Error", 500), times=2)
    harness.clock.advance(timedelta(hours=1))
    assert (await harness.run_scheduler()).retried == 1
    harness.clock.advance(timedelta(seconds=15))
    assert (await harness.run_scheduler()).retried == 1
    harness.clock.advance(timedelta(seconds=29))
    assert (await harness.run_scheduler()).sent == 0  # backoff doubled to 30 s
    harness.clock.advance(timedelta(seconds=1))
    assert (await harness.run_scheduler()).sent == 1
    assert harness.api.texts(ANNA.id)[-1] == "⏰ check the oven"


async def test_formatting_refused_goes_out_as_plain_text(harness: BotHarness) -> None:
    await _say(harness, ANNA, "/remind in 1 hour read *the* book")
    harness.api.fail("sendMessage", Failure("Bad Request: can't parse entities", 400))
    harness.clock.advance(timedelta(hours=1))
    assert (await harness.run_scheduler()).sent == 1
    last = harness.api.sent_messages(ANNA.id)[-1]
    assert last["text"] == "⏰ read *the* book" and "parse_mode" not in last


async def test_blocked_bot_is_marked_failed_and_not_retried(harness: BotHarness) -> None:
    await _say(harness, ANNA, "/remind in 1 hour feed the cat")
    harness.api.blocked_chats.add(ANNA.id)
    harness.clock.advance(timedelta(hours=1))
    assert (await harness.run_scheduler()).failed == 1
    attempts = len(harness.api.calls_of("sendMessage"))
    harness.clock.advance(timedelta(days=2))
    await harness.run_scheduler()
    assert len(harness.api.calls_of("sendMessage")) == attempts
    [reminder] = await _reminders(harness, ANNA.id)
    assert reminder.status == Status.FAILED


async def test_group_reminder_is_delivered_in_the_group_with_a_mention(
    harness: BotHarness,
) -> None:
    request, reply = await _say(harness, ANNA, "/remind in 1 hour buy milk", chat=FAMILY)
    assert 'Group reminder from <a href="tg://user?id=101">Anna</a>' in reply["text"]
    harness.clock.advance(timedelta(hours=1))
    await harness.run_scheduler()
    due = harness.api.sent_messages(FAMILY.id)[-1]
    assert due["text"] == '⏰ <a href="tg://user?id=101">Anna</a>: buy milk'
    assert due["reply_parameters"]["message_id"] == request["message_id"]
    # Anyone in the group may mark it done; only Anna may delete it.
    message = harness.api.calls_of("sendMessage")[-1].result
    edited = await _tap(harness, LI, message, _data(message, "✅"))
    assert "✅" in edited


async def test_next_step_offer_from_the_conversation(harness: BotHarness) -> None:
    harness.llm.then(
        ToolCallReply([("offer_reminder", {"task": "send Bob the report", "when": "on Friday"})]),
        LLMReply("Good luck with the report!"),
    )
    harness.api.push_text(ANNA, "I'll send Bob the report on Friday")
    messages = await harness.api.wait_for_messages(2, ANNA.id)
    await harness.settle()
    assert messages[0]["text"] == "Good luck with the report!"
    assert "Want a reminder? <b>send Bob the report</b>" in messages[1]["text"]
    assert not await _reminders(harness, ANNA.id)  # nothing before the tap
    tools = [tool["function"]["name"] for tool in harness.llm.chat_requests[0]["tools"]]
    assert {"set_reminder", "offer_reminder"} <= set(tools)
    offer = _results(harness, ANNA.id)[1]
    assert [label for label, _ in _buttons(offer)] == [
        "⏰ Remind me",
        "No thanks",
        "Don't offer again",
    ]
    edited = await _tap(harness, ANNA, offer, _data(offer, "⏰"))
    assert "I'll remind you: <b>send Bob the report</b>" in edited
    assert "Fri 4 Dec at 09:00" in edited
    [reminder] = await _reminders(harness, ANNA.id)
    assert reminder.origin == "offer"


async def test_offers_can_be_turned_off(harness: BotHarness) -> None:
    _, view = await _say(harness, ANNA, "/settings")
    assert "Offering reminders from our chats: on" in view["text"]
    edited = await _tap(harness, ANNA, view, _data(view, "💡"))
    assert "Offering reminders from our chats: off" in edited
    harness.llm.then(
        ToolCallReply([("offer_reminder", {"task": "pay rent", "when": "on Monday"})]),
        LLMReply("Noted."),
    )
    harness.api.push_text(ANNA, "I'll pay the rent on Monday")
    await harness.api.wait_for(lambda: "Noted." in harness.api.texts(ANNA.id))
    await harness.settle()
    assert not any("Want a reminder" in text for text in harness.api.texts(ANNA.id))
    tool_result = harness.llm.chat_requests[-1]["messages"][-1]
    assert tool_result["role"] == "tool" and "turned reminder offers off" in tool_result["content"]


async def test_remind_me_in_free_chat_uses_the_tool(harness: BotHarness) -> None:
    harness.llm.then(
        ToolCallReply(
            [("set_reminder", {"task": "给妈妈打电话", "when": "明天下午三点"})],
        ),
        LLMReply("好的！"),
    )
    harness.api.push_text(LI, "提醒我明天下午三点给妈妈打电话")
    messages = await harness.api.wait_for_messages(2, LI.id)
    await harness.settle()
    assert messages[0]["text"] == "好的！"
    assert "明天 11月29日（周日）15:00" in messages[1]["text"]
    [reminder] = await _reminders(harness, LI.id)
    assert reminder.due_at == datetime(2026, 11, 29, 15, 0, tzinfo=UTC)
    tool_result = harness.llm.chat_requests[-1]["messages"][-1]
    assert tool_result["content"].startswith("set: #")


async def test_timezone_variants(harness: BotHarness) -> None:
    _, reply = await _say(harness, ANNA, "/timezone")
    assert "<b>UTC</b>" in reply["text"] and "the default" in reply["text"]
    _, reply = await _say(harness, ANNA, "/timezone Europe/Berlin")
    assert "Time zone set to <b>Europe/Berlin</b>. Your local time: 13:00." in reply["text"]
    _, reply = await _say(harness, LI, "/timezone 上海")
    assert "<b>Asia/Shanghai</b>" in reply["text"]
    harness.clock.set(datetime(2026, 11, 28, 12, 40, tzinfo=UTC))
    _, reply = await _say(harness, ANNA, "/timezone 15:40")
    assert "<b>Etc/GMT-3</b>" in reply["text"]
    _, reply = await _say(harness, ANNA, "/timezone CST")
    choices = [label for label, _ in _buttons(reply)]
    assert any(label.startswith("America/Chicago") for label in choices)
    edited = await _tap(harness, ANNA, reply, _data(reply, "America/Chicago"))
    assert "<b>America/Chicago</b>" in edited
    assert harness.services is not None
    user = await harness.services.users.get(ANNA.id)
    assert user is not None and user.timezone == "America/Chicago"
    _, reply = await _say(harness, ANNA, "/remind tomorrow at 9am walk the dog")
    assert "(America/Chicago)" in reply["text"]


async def test_settings_buttons_sent_before_typed_payloads_still_work(
    harness: BotHarness,
) -> None:
    # As the release before typed payloads wrote them: an unused target 0, then the argument.
    _, view = await _say(harness, ANNA, "/settings")
    edited = await _tap(harness, ANNA, view, "rem:offers:0:off")
    assert "Offering reminders from our chats: off" in edited
    edited = await _tap(harness, ANNA, view, "rem:dt:0:0800")
    assert "✓ 08:00" in str(harness.api.calls_of("editMessageText")[-1].params["reply_markup"])
    edited = await _tap(harness, ANNA, view, "rem:tz:0:Asia/Tokyo")
    assert "<b>Asia/Tokyo</b>" in edited
    assert harness.services is not None
    user = await harness.services.users.get(ANNA.id)
    assert user is not None and user.timezone == "Asia/Tokyo"
    # Today's buttons for the same: no unused target.
    assert _data(view, "💡") == "rem:offers:off" and _data(view, "08:00") == "rem:dt:800"


async def test_reminders_list_view_pause_delete(harness: BotHarness) -> None:
    await _say(harness, ANNA, "/remind tomorrow at 3pm call mom")
    await _say(harness, ANNA, "/remind every other Monday at 9am water the plants")
    _, listing = await _say(harness, ANNA, "/reminders")
    assert "Your reminders</b> (2)" in listing["text"]
    assert "tomorrow, Sun 29 Nov at 15:00" in listing["text"]
    detail = await _tap(harness, ANNA, listing, _data(listing, "2."))
    assert "Next: Mon 30 Nov at 09:00" in detail
    detail_message = {**listing, "text": detail}
    buttons = harness.api.calls_of("editMessageText")[-1].params["reply_markup"]
    labels = [b["text"] for row in buttons["inline_keyboard"] for b in row]
    assert labels == ["✏️ Edit", "⏸ Pause", "🗑 Delete", "« Back"]
    pause = buttons["inline_keyboard"][0][1]["callback_data"]
    paused = await _tap(harness, ANNA, detail_message, pause)
    assert "⏸ Paused" in paused
    plants = (await _reminders(harness, ANNA.id))[1]
    assert plants.status == Status.PAUSED
    delete = buttons["inline_keyboard"][0][2]["callback_data"]
    deleted = await _tap(harness, ANNA, detail_message, delete)
    assert "Deleted: <b>water the plants</b>" in deleted and "call mom" in deleted
    assert len(await _reminders(harness, ANNA.id)) == 1


async def test_edit_a_reminder_by_replying(harness: BotHarness) -> None:
    await _say(harness, ANNA, "/remind tomorrow at 3pm call mom")
    [reminder] = await _reminders(harness, ANNA.id)
    _, listing = await _say(harness, ANNA, "/reminders")
    before = len(harness.api.sent_messages(ANNA.id))
    harness.api.push_callback(ANNA, listing, f"rem:edit:{reminder.id}")
    [*_, prompt] = await harness.api.wait_for_messages(before + 1, ANNA.id)
    assert "When should I remind you of <b>call mom</b>?" in prompt["text"]
    _, reply = await _say(harness, ANNA, "Monday at 5pm call dad")
    assert "Updated: <b>call dad</b>" in reply["text"] and "Mon 30 Nov at 17:00" in reply["text"]
    _, answer = await _say(harness, ANNA, "thanks!")
    assert answer["text"] == "You said: thanks!"  # back to normal conversation


async def test_long_overdue_reminders_are_summed_up_once(harness: BotHarness) -> None:
    await _say(harness, ANNA, "/remind today at 15:00 call Bob")
    await _say(harness, ANNA, "/remind today at 16:00 buy flowers")
    await harness.stop()
    harness.clock.advance(timedelta(days=2))
    await harness.start()
    before = len(harness.api.sent_messages(ANNA.id))
    report = await harness.run_scheduler()
    assert (report.summaries, report.summarized) == (1, 2)
    [summary] = harness.api.sent_messages(ANNA.id)[before:]
    assert summary["text"].startswith("⏰ While I was away, 2 reminders fell due:")
    assert "call Bob" in summary["text"] and "buy flowers" in summary["text"]
    await harness.run_scheduler()
    assert len(harness.api.sent_messages(ANNA.id)) == before + 1


async def test_group_upgrade_to_supergroup_keeps_its_reminders(harness: BotHarness) -> None:
    old_group = FakeChat(-555, "group", "Flat")
    await _say(harness, ANNA, "/remind in 1 hour take out the bins", chat=old_group)
    harness.api.push_message(ANNA, old_group, migrate_to_chat_id=-100555)
    await harness.settle()
    harness.clock.advance(timedelta(hours=1))
    assert (await harness.run_scheduler()).sent == 1
    due = harness.api.sent_messages(-100555)[-1]
    assert due["text"].endswith("take out the bins")


def test_telegram_errors_map_to_what_the_scheduler_decides() -> None:
    from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter

    from bot.reminders import SendStatus
    from bot.telegram.delivery import _failure

    assert _failure(Forbidden("bot was blocked by the user")).status == SendStatus.BLOCKED
    assert _failure(BadRequest("Chat not found")).status == SendStatus.BLOCKED
    migrated = _failure(ChatMigrated(-100123))
    assert (migrated.status, migrated.new_chat_id) == (SendStatus.MIGRATED, -100123)
    flood = _failure(RetryAfter(timedelta(seconds=7)))
    assert (flood.status, flood.retry_after) == (SendStatus.RETRY, 7.0)
    assert _failure(NetworkError("Bad Gateway")).status == SendStatus.RETRY
    assert _failure(BadRequest("Something odd")).status == SendStatus.RETRY


async def test_an_unclear_time_is_asked_about_with_buttons(harness: BotHarness) -> None:
    _, reply = await _say(harness, ANNA, "/remind tomorrow after work buy milk")
    assert "What time do you mean for <b>buy milk</b>?" in reply["text"]
    assert [label for label, _ in _buttons(reply)] == [
        "✅ tomorrow, Sun 29 Nov at 17:00",
        "✅ tomorrow, Sun 29 Nov at 18:00",
        "✅ tomorrow, Sun 29 Nov at 19:00",
        "✖️ Cancel",
    ]
    assert not await _reminders(harness, ANNA.id)
    edited = await _tap(harness, ANNA, reply, _data(reply, "✅ tomorrow, Sun 29 Nov at 18:00"))
    assert "I'll remind you: <b>buy milk</b>" in edited and "at 18:00" in edited
    [reminder] = await _reminders(harness, ANNA.id)
    assert reminder.due_at == datetime(2026, 11, 29, 18, 0, tzinfo=UTC)


async def test_leftover_words_and_date_order_are_asked(harness: BotHarness) -> None:
    _, reply = await _say(harness, ANNA, "/remind every day except on holidays at 8 run")
    assert "For <b>run</b> I understood tomorrow, Sun 29 Nov at 08:00" in reply["text"]
    assert "but not “except on holidays”" in reply["text"]
    assert [label for label, _ in _buttons(reply)] == ["✅ every day at 08:00", "✖️ Cancel"]
    _, reply = await _say(harness, ANNA, "/remind 3/12 dentist")
    labels = [label for label, _ in _buttons(reply)]
    assert labels == ["✅ Thu 3 Dec at 09:00", "✅ Fri 12 Mar 2027 at 09:00", "✖️ Cancel"]
    edited = await _tap(harness, ANNA, reply, _data(reply, "✖️"))
    assert edited == "OK, no reminder."
    _, reply = await _say(harness, ANNA, "/remind tomorrow at 25:00 call")
    assert "couldn't find a time" in reply["text"]
    assert not await _reminders(harness, ANNA.id)


async def test_timezone_abbreviations_countries_and_reanchoring(harness: BotHarness) -> None:
    _, reply = await _say(harness, ANNA, "/remind tomorrow at 9am call the bank")
    assert "tomorrow, Sun 29 Nov at 09:00 (UTC)" in reply["text"]
    _, reply = await _say(harness, ANNA, "/timezone India")
    assert "<b>Asia/Kolkata</b>" in reply["text"]
    assert (
        "1 reminder(s) you set before choosing a time zone keep their clock time" in reply["text"]
    )
    [reminder] = await _reminders(harness, ANNA.id)
    assert reminder.local_due().hour == 9 and reminder.timezone == "Asia/Kolkata"
    _, reply = await _say(harness, ANNA, "/timezone EST")
    assert (
        "<b>America/New_York</b>" in reply["text"] and "keep their clock time" not in reply["text"]
    )
    _, reply = await _say(harness, ANNA, "/timezone MST")
    assert "<b>America/Denver</b>" in reply["text"] and "America/Phoenix" in reply["text"]
    edited = await _tap(harness, ANNA, reply, _data(reply, "America/Phoenix"))
    assert "<b>America/Phoenix</b>" in edited
    assert harness.services is not None
    user = await harness.services.users.get(ANNA.id)
    assert user is not None and user.timezone == "America/Phoenix"


async def test_a_blocked_chat_gets_its_daily_reminder_back_after_writing_again(
    harness: BotHarness,
) -> None:
    await _say(harness, ANNA, "/remind every day at 15:00 stretch")
    await _say(harness, ANNA, "/remind in 3 hours feed the cat")
    harness.api.blocked_chats.add(ANNA.id)
    harness.clock.advance(timedelta(hours=3))
    report = await harness.run_scheduler()
    assert report.failed == 2
    assert {r.status for r in await _reminders(harness, ANNA.id)} == {Status.FAILED}
    harness.api.blocked_chats.discard(ANNA.id)
    _, answer = await _say(harness, ANNA, "hello again")
    assert answer["text"] == "You said: hello again"
    by_text = {r.text: r for r in await _reminders(harness, ANNA.id)}
    assert by_text["stretch"].status == Status.SCHEDULED
    assert by_text["feed the cat"].status == Status.FAILED
    harness.clock.set(by_text["stretch"].due_at)
    assert (await harness.run_scheduler()).sent == 1
    assert harness.api.texts(ANNA.id)[-1] == "⏰ stretch"


async def test_a_delivered_reminder_is_part_of_the_conversation(harness: BotHarness) -> None:
    """Answering a reminder in words works: the model sees the reminder in the history."""
    await _say(harness, ANNA, "/remind tomorrow at 3pm call mom")
    harness.clock.set(datetime(2026, 11, 29, 15, 0, tzinfo=UTC))
    assert (await harness.run_scheduler()).sent == 1
    due = harness.api.calls_of("sendMessage")[-1].result
    await _say(harness, ANNA, "done, she says hi")
    history = harness.llm.chat_requests[-1]["messages"]
    turns = [(m["role"], m["content"]) for m in history if m["role"] != "system"]
    assert turns[-2:] == [("assistant", "⏰ call mom"), ("user", "done, she says hi")]
    assert harness.services is not None
    stored = await harness.services.db.fetchone(
        "SELECT role, tg_message_id FROM messages WHERE text = '⏰ call mom'"
    )
    assert stored is not None and tuple(stored) == ("assistant", due["message_id"])
