"""Who may act on a reminder set in a group (the rule /help states): anyone in the group may
mark it done; snoozing, editing, pausing and deleting are for the person who set it or a group
admin. Everyone else is refused kindly, in their own language, and nothing changes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.reminders import Status
from bot.reminders.buttons import ReminderId, ReminderOnPage, Taps
from bot.telegram.callbacks import encode
from tests.fakes.harness import BotHarness
from tests.fakes.telegram import FakeChat, FakeUser

ANNA = FakeUser(101, "Anna", "en")  # sets the reminder
LI = FakeUser(202, "李雷", "zh-hans")  # a member writing Chinese
BEN = FakeUser(303, "Ben", "en")  # a member writing English
ADA = FakeUser(404, "Ada", "en")  # a group admin
FAMILY = FakeChat(-100777, "supergroup", "Family")


def _buttons(message: dict[str, Any]) -> list[tuple[str, str]]:
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])
    return [(b["text"], b["callback_data"]) for row in rows for b in row]


def _data(message: dict[str, Any], label_start: str) -> str:
    return next(data for label, data in _buttons(message) if label.startswith(label_start))


async def _due_reminder(harness: BotHarness) -> tuple[int, dict[str, Any]]:
    """Anna sets a group reminder and it fires; returns its id and the delivered message."""
    harness.api.admins.add(ADA.id)
    harness.api.push_text(ANNA, "/remind in 1 hour buy milk", chat=FAMILY)
    await harness.api.wait_for_messages(1, FAMILY.id)
    await harness.settle()
    harness.clock.advance(timedelta(hours=1))
    await harness.run_scheduler()
    due = harness.api.calls_of("sendMessage")[-1].result
    assert "buy milk" in due["text"]
    assert harness.services is not None
    [reminder] = await harness.services.reminders.repo.for_user(ANNA.id)
    return reminder.id, due


async def _tap(harness: BotHarness, user: FakeUser, message: dict[str, Any], data: str) -> dict:
    """Tap a button; return the answerCallbackQuery parameters (the toast or alert)."""
    before = len(harness.api.calls_of("answerCallbackQuery"))
    harness.api.push_callback(user, message, data)
    await harness.api.wait_for(lambda: len(harness.api.calls_of("answerCallbackQuery")) > before)
    await harness.settle()
    return harness.api.calls_of("answerCallbackQuery")[-1].params


async def _status(harness: BotHarness, reminder_id: int) -> tuple[Status, int]:
    """The reminder's status, and how many reminders Anna has (a snooze may add one)."""
    assert harness.services is not None
    reminder = await harness.services.reminders.repo.get(reminder_id)
    everything = await harness.services.reminders.repo.for_user(ANNA.id)
    return (reminder.status if reminder else Status.DONE), len(everything)


async def test_a_member_may_not_snooze_and_is_told_why_in_english(harness: BotHarness) -> None:
    reminder_id, due = await _due_reminder(harness)
    before = await _status(harness, reminder_id)
    edits = len(harness.api.calls_of("editMessageText"))
    answer = await _tap(harness, BEN, due, _snooze(due))
    assert answer["show_alert"] is True
    assert "only Anna (who set this reminder) or a group admin" in answer["text"]
    assert "Anyone can mark it ✅ Done" in answer["text"]
    assert await _status(harness, reminder_id) == before
    assert len(harness.api.calls_of("editMessageText")) == edits


async def test_a_member_is_refused_in_chinese(harness: BotHarness) -> None:
    reminder_id, due = await _due_reminder(harness)
    before = await _status(harness, reminder_id)
    answer = await _tap(harness, LI, due, _snooze(due))
    assert "只有设置这条提醒的 Anna 或群管理员" in answer["text"]
    assert await _status(harness, reminder_id) == before


async def test_the_person_who_set_it_may_snooze(harness: BotHarness) -> None:
    reminder_id, due = await _due_reminder(harness)
    answer = await _tap(harness, ANNA, due, _snooze(due))
    assert not answer.get("show_alert")
    assert await _snoozed(harness, reminder_id)


async def test_a_group_admin_may_snooze(harness: BotHarness) -> None:
    reminder_id, due = await _due_reminder(harness)
    answer = await _tap(harness, ADA, due, _snooze(due))
    assert not answer.get("show_alert")
    assert await _snoozed(harness, reminder_id)


async def test_anyone_in_the_group_may_mark_it_done(harness: BotHarness) -> None:
    reminder_id, due = await _due_reminder(harness)
    answer = await _tap(harness, LI, due, _data(due, "✅"))
    assert not answer.get("show_alert")
    assert (await _status(harness, reminder_id))[0] == Status.DONE


async def test_delete_and_edit_by_a_member_are_refused_by_owner_and_admin_allowed(
    harness: BotHarness,
) -> None:
    reminder_id, due = await _due_reminder(harness)
    delete = encode(Taps.DELETE.button("x", ReminderOnPage(reminder_id)).action)
    edit = encode(Taps.EDIT.button("x", ReminderId(reminder_id)).action)
    pause = encode(Taps.PAUSE.button("x", ReminderOnPage(reminder_id)).action)
    for action in (edit, pause, delete):
        answer = await _tap(harness, BEN, due, action)
        assert "or a group admin" in answer["text"] and answer["show_alert"] is True
    assert harness.services is not None
    assert await harness.services.reminders.repo.get(reminder_id) is not None
    # The admin may edit (asked for the new time) and delete.
    harness.api.push_callback(ADA, due, edit)
    await harness.api.wait_for(lambda: any("✏️" in t for t in harness.api.texts(FAMILY.id)))
    await _tap(harness, ADA, due, delete)
    assert await harness.services.reminders.repo.get(reminder_id) is None


async def test_another_groups_admin_may_not_act(harness: BotHarness) -> None:
    reminder_id, due = await _due_reminder(harness)
    elsewhere = {**due, "chat": {"id": -100999, "type": "supergroup", "title": "Other"}}
    answer = await _tap(
        harness, ADA, elsewhere, encode(Taps.DELETE.button("x", ReminderOnPage(reminder_id)).action)
    )
    assert answer["show_alert"] is True
    assert harness.services is not None
    assert await harness.services.reminders.repo.get(reminder_id) is not None


async def test_help_states_the_rule_in_both_languages(harness: BotHarness) -> None:
    harness.api.push_text(BEN, "/help")
    [english] = await harness.api.wait_for_messages(1, BEN.id)
    assert "anyone in the group can mark it ✅ Done" in english["text"]
    assert "only the person who set it or a group admin can snooze, edit" in english["text"]
    harness.api.push_text(LI, "/help")
    [chinese] = await harness.api.wait_for_messages(1, LI.id)
    assert "群里任何人都可以点 ✅ 完成" in chinese["text"]
    assert "只有设置提醒的人或群管理员可以推迟、修改、暂停或删除" in chinese["text"]


async def _snoozed(harness: BotHarness, reminder_id: int) -> bool:
    """Whether the reminder is due again later (a snooze moves it or adds a follow-up)."""
    assert harness.services is not None
    now = harness.clock.now()
    upcoming = [
        r
        for r in await harness.services.reminders.repo.for_user(ANNA.id)
        if r.status == Status.SCHEDULED and r.due_at > now
    ]
    return bool(upcoming)


def _snooze(message: dict[str, Any]) -> str:
    """The first snooze button of a delivered reminder."""
    return next(data for _, data in _buttons(message) if "snz" in data)
