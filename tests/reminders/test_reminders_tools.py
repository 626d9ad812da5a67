"""The LLM tools: set_reminder resolves the user's words; offer_reminder only offers."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.chats import ChatKind
from bot.conversation import Incoming, Notice, ToolContext
from bot.reminders.tools import ListRemindersTool, OfferReminderTool, SetReminderTool
from bot.storage import ChatRecord
from bot.telegram.callbacks import encode
from tests.reminders.reminders_fixtures import ANNA, World


async def _context(world: World, text: str, language: str = "en") -> ToolContext:
    user = await world.users.get(ANNA.user_id)
    assert user is not None
    incoming = Incoming(
        chat_id=ANNA.chat_id,
        kind=ChatKind.PRIVATE,
        user_id=ANNA.user_id,
        first_name="Anna",
        text=text,
        at=world.clock.now(),
        tg_message_id=77,
    )
    chat = ChatRecord(id=ANNA.chat_id, type="private", title=None, thread=1, active=True)
    return ToolContext(
        user=user,
        chat=chat,
        incoming=incoming,
        now=world.clock.now(),
        language=language,
        timezone="Europe/Berlin",
    )


async def test_specs_ask_for_the_users_own_words(world: World) -> None:
    spec = SetReminderTool(world.service).spec["function"]
    assert spec["name"] == "set_reminder"
    assert set(spec["parameters"]["properties"]) == {"task", "when", "recurrence"}
    assert "Never compute" in spec["parameters"]["properties"]["when"]["description"]
    assert OfferReminderTool(world.service).spec["function"]["name"] == "offer_reminder"


async def test_set_reminder_resolves_the_time_itself(world: World) -> None:
    context = await _context(world, "remind me to call mom tomorrow at 3pm")
    outcome = await SetReminderTool(world.service).call(
        context, {"task": "call mom", "when": "tomorrow at 3pm"}
    )
    assert outcome.result.startswith("set: #1 'call mom' at tomorrow, Sun 29 Nov at 15:00")
    assert outcome.notice is not None and "↩️ Undo" in outcome.notice.buttons[0][0].label
    [reminder] = await world.service.repo.for_user(ANNA.user_id)
    assert (reminder.origin, reminder.source_message_id) == ("chat", 77)


async def test_set_reminder_with_recurrence_words(world: World) -> None:
    context = await _context(world, "remind me every other Monday at 9 to water the plants")
    outcome = await SetReminderTool(world.service).call(
        context,
        {"task": "water the plants", "when": "at 9am", "recurrence": "every other Monday"},
    )
    assert "repeating every other Monday at 09:00" in outcome.result


async def test_set_reminder_falls_back_to_the_users_message(world: World) -> None:
    context = await _context(world, "提醒我明天下午三点给妈妈打电话", "zh")
    outcome = await SetReminderTool(world.service).call(
        context, {"task": "给妈妈打电话", "when": "2026-11-29T15:00 (computed)"}
    )
    assert outcome.notice is not None and "明天 11月29日（周日）15:00" in outcome.notice.text


async def test_set_reminder_without_a_time_creates_nothing(world: World) -> None:
    context = await _context(world, "remind me to call mom")
    outcome = await SetReminderTool(world.service).call(context, {"task": "call mom", "when": ""})
    assert outcome.result.startswith("not set") and outcome.notice is None
    assert not await world.service.repo.for_user(ANNA.user_id)


async def test_set_reminder_in_the_past_asks(world: World) -> None:
    context = await _context(world, "remind me today at 8am to stretch")
    outcome = await SetReminderTool(world.service).call(
        context, {"task": "stretch", "when": "today at 8am"}
    )
    assert "in the past" in outcome.result and outcome.notice is not None
    assert "has already passed" in outcome.notice.text
    assert not await world.service.repo.for_user(ANNA.user_id)


async def test_offer_creates_nothing_until_confirmed(world: World) -> None:
    context = await _context(world, "I'll send Bob the report on Friday")
    outcome = await OfferReminderTool(world.service).call(
        context, {"task": "send Bob the report", "when": "on Friday"}
    )
    assert outcome.result.startswith("offered") and outcome.notice is not None
    assert outcome.notice.text.startswith("💡 Want a reminder? **send Bob the report**")
    assert not await world.service.repo.for_user(ANNA.user_id)
    yes, no = (button.action for button in outcome.notice.buttons[0])
    assert all(len(encode(action).encode()) <= 64 for action in (yes, no))  # fits Telegram
    reply = await world.service.act(ANNA, yes)
    assert reply.edit is not None and "Fri 4 Dec at 09:00" in reply.edit.text
    [reminder] = await world.service.repo.for_user(ANNA.user_id)
    assert (reminder.text, reminder.origin) == ("send Bob the report", "offer")


async def test_offers_can_be_declined_or_switched_off(world: World) -> None:
    context = await _context(world, "I'll call the bank on Monday")
    tool = OfferReminderTool(world.service)
    outcome = await tool.call(context, {"task": "call the bank", "when": "on Monday"})
    assert outcome.notice is not None
    no = outcome.notice.buttons[0][1].action
    reply = await world.service.act(ANNA, no)
    assert reply.edit is not None and reply.edit.text == "OK, no reminder."
    outcome = await tool.call(context, {"task": "call the bank", "when": "on Monday"})
    assert outcome.notice is not None
    never = outcome.notice.buttons[1][0].action
    reply = await world.service.act(ANNA, never)
    assert reply.edit is not None and "won't offer" in reply.edit.text
    context = await _context(world, "I'll pay rent on the 1st")
    outcome = await tool.call(context, {"task": "pay rent", "when": "on the 1st"})
    assert outcome.notice is None and "turned reminder offers off" in outcome.result
    assert not await world.service.repo.for_user(ANNA.user_id)


async def test_list_tool(world: World) -> None:
    context = await _context(world, "what reminders do I have?")
    tool = ListRemindersTool(world.service)
    assert (await tool.call(context, {})).result == "no upcoming reminders"
    await world.service.remind(ANNA, "tomorrow at 3pm call mom")
    result = (await tool.call(context, {})).result
    assert "#1 'call mom' at tomorrow, Sun 29 Nov at 15:00 (Europe/Berlin)" in result


async def test_an_expired_offer_creates_nothing(world: World) -> None:
    context = await _context(world, "I'll renew my passport next month")
    outcome = await OfferReminderTool(world.service).call(
        context, {"task": "renew the passport", "when": "in 20 days"}
    )
    assert outcome.notice is not None
    world.clock.advance(timedelta(days=15))
    reply = await world.service.act(ANNA, outcome.notice.buttons[0][0].action)
    assert reply.toast == "This has expired." and reply.edit is None
    assert not await world.service.repo.for_user(ANNA.user_id)


@pytest.mark.parametrize(
    ("message", "when", "local"),
    [
        ("call the bank at 5pm EST", "5pm EST", "23:00"),  # issue 12: zones
        ("remind me in three quarters of an hour", "in three quarters of an hour", "13:45"),
        ("聽日下晝三點開會", "聽日下晝三點", "15:00"),  # Cantonese, traditional
        ("water the plants two Tuesdays from now", "two Tuesdays from now", "Tue 8 Dec"),
    ],
)
async def test_the_tool_path_understands_what_the_command_does(
    world: World, message: str, when: str, local: str
) -> None:
    context = await _context(world, message)
    outcome = await SetReminderTool(world.service).call(context, {"task": "x", "when": when})
    assert outcome.result.startswith("set: #1 'x' at "), outcome.result
    assert local in outcome.result, outcome.result


def _told_exactly_what_was_shown(result: str, notice: Notice | None) -> None:
    """The result names every button the user saw, and claims none they did not see."""
    assert notice is not None
    labels = [button.label for row in notice.buttons for button in row]
    for label in labels:
        assert f"[{label}]" in result
    if not labels:
        assert "without any buttons" in result
        assert "button" not in result.replace("without any buttons", "")
    first_line = notice.text.split("\n")[0].strip()
    assert first_line[:40] in result


async def test_a_past_time_with_no_later_alternative_is_reported_without_buttons(
    world: World,
) -> None:
    context = await _context(world, "remind me yesterday at 8am to stretch")
    outcome = await SetReminderTool(world.service).call(
        context, {"task": "stretch", "when": "yesterday at 8am"}
    )
    assert outcome.notice is not None and outcome.notice.buttons == ()
    assert outcome.result.startswith("not set: that time is in the past")
    _told_exactly_what_was_shown(outcome.result, outcome.notice)
    assert not await world.service.repo.for_user(ANNA.user_id)


@pytest.mark.parametrize(
    ("text", "arguments"),
    [
        ("remind me today at 8am to stretch", {"task": "stretch", "when": "today at 8am"}),
        ("remind me yesterday at 8am", {"task": "stretch", "when": "yesterday at 8am"}),
        ("remind me at 5 to call", {"task": "call", "when": "at 5"}),
        ("remind me tomorrow at 3pm", {"task": "call mom", "when": "tomorrow at 3pm"}),
        ("提醒我明天下午三点打电话", {"task": "打电话", "when": "明天下午三点"}),
        ("提醒我昨天早上八点", {"task": "拉伸", "when": "昨天早上八点"}),
    ],
)
async def test_set_reminder_results_say_exactly_what_the_user_saw(
    world: World, text: str, arguments: dict[str, str]
) -> None:
    context = await _context(world, text)
    outcome = await SetReminderTool(world.service).call(context, arguments)
    _told_exactly_what_was_shown(outcome.result, outcome.notice)


async def test_an_offer_result_names_the_offered_buttons(world: World) -> None:
    context = await _context(world, "I'll send Bob the report on Friday")
    outcome = await OfferReminderTool(world.service).call(
        context, {"task": "send Bob the report", "when": "on Friday"}
    )
    _told_exactly_what_was_shown(outcome.result, outcome.notice)
