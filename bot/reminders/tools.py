"""Tools the model calls in free chat: set a reminder, offer one, list them.

The model only fills structured fields (the task, and the user's own words for the time);
:func:`bot.timeparse.parse_when` resolves the date in the user's zone, never the model.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field

from bot.conversation import ToolContext, ToolOutcome
from bot.conversation.tools import NoArguments, Tool, ToolArguments, shown_to_user
from bot.reminders.model import Reminder
from bot.reminders.service import Actor, Plan, ReminderService, ReminderSettings
from bot.reminders.texts import format_moment
from bot.timeparse import describe_rule

__all__ = ["ListRemindersTool", "OfferReminderTool", "SetReminderTool", "reminder_tools"]

Task = Annotated[
    str,
    Field(
        max_length=500,
        description="What to remind about, short, in the user's language and words, "
        "without the time (e.g. 'call mom', '给妈妈打电话').",
    ),
]
When = Annotated[
    str,
    Field(
        max_length=200,
        description="The time exactly as the user said it, copied from their message "
        "(e.g. 'tomorrow at 3pm', 'in 20 minutes', '明天下午三点', 'on Friday'). Never "
        "compute or convert dates yourself.",
    ),
]
Recurrence = Annotated[
    str,
    Field(
        max_length=200,
        description="Only for repeating reminders: the user's words for the repetition "
        "(e.g. 'every other Monday', 'every weekday', '每天'). Omit for one-off reminders.",
    ),
]


class ReminderWords(ToolArguments):
    """The user's words for a reminder: what, when and (maybe) how often."""

    task: Task
    when: When
    recurrence: Recurrence = ""


def actor_of(context: ToolContext) -> Actor:
    """The person and chat a tool call acts for."""
    return Actor(
        user_id=context.user.id,
        chat_id=context.chat.id,
        first_name=context.user.first_name,
        kind=context.chat.kind,
        message_id=context.incoming.tg_message_id,
    )


async def _plan(
    service: ReminderService, context: ToolContext, words: ReminderWords, origin: str
) -> tuple[Plan, ReminderSettings, datetime]:
    """Resolve the tool's words (or, failing that, the user's whole message)."""
    return await service.plan_from_words(
        actor_of(context),
        task=words.task,
        when=words.when,
        recurrence=words.recurrence or None,
        fallback_text=context.incoming.text,
        language=context.language,
        origin=origin,
    )


class SetReminderTool(Tool[ReminderWords]):
    """``set_reminder``: the user asked to be reminded."""

    name = "set_reminder"
    description = (
        "Set a reminder when the user explicitly asks to be reminded ('remind me to...', "
        "'提醒我...'). Pass the user's own time words; the app resolves the date in the "
        "user's time zone and shows a confirmation with an Undo button."
    )
    arguments = ReminderWords

    def __init__(self, service: ReminderService) -> None:
        self._service = service

    async def run(self, context: ToolContext, arguments: ReminderWords) -> ToolOutcome:
        actor = actor_of(context)
        plan, settings, now = await _plan(self._service, context, arguments, "chat")
        if plan.kind == "unparsed":
            return ToolOutcome(
                result="not set: no date or time could be read from 'when'. Ask the user when "
                "exactly (for example 'tomorrow at 3pm' or 'in 2 hours'). No reminder exists."
            )
        notice, reminder = await self._service.carry_out(
            plan, actor=actor, settings=settings, now=now
        )
        shown = shown_to_user(notice)
        pick = "pick one of the buttons or " if notice.buttons else ""
        if reminder is None and plan.kind == "ask":
            return ToolOutcome(
                result=f"not set yet: the time was not clear. {shown}. Say briefly that they "
                f"should {pick}say the time again; do not claim a reminder was set.",
                notice=notice,
            )
        if reminder is None:
            return ToolOutcome(
                result=f"not set: that time is in the past. {shown}. Say briefly that they should "
                f"{pick}give a time that is still ahead; do not claim a reminder was set.",
                notice=notice,
            )
        return ToolOutcome(
            result=f"set: {reminder_line(reminder, now)}. {shown}. Acknowledge briefly in "
            "their language.",
            notice=notice,
        )


class OfferReminderTool(Tool[ReminderWords]):
    """``offer_reminder``: the user mentioned a commitment; offer, never create."""

    name = "offer_reminder"
    description = (
        "Offer a reminder when the user mentions a concrete commitment or plan with a "
        "time, without asking for a reminder ('I'll send Bob the report on Friday', "
        "'周五要把报告发给老王'). Nothing is created: the user sees the offer with "
        "'Remind me' / 'No thanks' buttons. Do not use it when the user asked for a "
        "reminder (use set_reminder), and offer at most once per commitment."
    )
    arguments = ReminderWords

    def __init__(self, service: ReminderService) -> None:
        self._service = service

    async def run(self, context: ToolContext, arguments: ReminderWords) -> ToolOutcome:
        actor = actor_of(context)
        settings = await self._service.settings_of(actor.user_id)
        if not settings.offers:
            return ToolOutcome(
                result="not offered: the user turned reminder offers off. Do not offer again."
            )
        plan, _, now = await _plan(self._service, context, arguments, "offer")
        if plan.kind != "ready" or plan.spec is None:
            return ToolOutcome(result="not offered: no future time could be read. Carry on.")
        notice = await self._service.offer(plan, actor=actor, now=now)
        return ToolOutcome(
            result=f"offered: nothing is set unless the user accepts. {shown_to_user(notice)}. "
            "Do not say a reminder was set.",
            notice=notice,
        )


class ListRemindersTool(Tool[NoArguments]):
    """``list_reminders``: what is coming up, so the model can answer questions about it."""

    name = "list_reminders"
    description = (
        "List the user's upcoming reminders (in this chat) with their local times. Changes "
        "are made by the user with /reminders."
    )
    arguments = NoArguments

    def __init__(self, service: ReminderService) -> None:
        self._service = service

    async def run(self, context: ToolContext, arguments: NoArguments) -> ToolOutcome:
        items = await self._service.upcoming(actor_of(context))
        if not items:
            return ToolOutcome(result="no upcoming reminders")
        lines = [reminder_line(item, context.now) for item in items[:50]]
        return ToolOutcome(result="\n".join(lines) + "\n(the user manages them with /reminders)")


def reminder_line(reminder: Reminder, now: datetime) -> str:
    """A reminder for the model: id, text, exact local time and zone, rule, state."""
    when = format_moment(reminder.local_due(), now, "en")
    line = f"#{reminder.id} '{reminder.text}' at {when} ({reminder.timezone})"
    if reminder.rrule:
        line += f", repeating {describe_rule(reminder.rrule, 'en')}"
    if reminder.status == "paused":
        line += ", paused"
    return line


def reminder_tools(service: ReminderService) -> list[Tool[ReminderWords] | Tool[NoArguments]]:
    """Every reminders tool, for ``ToolRegistry.register``."""
    return [SetReminderTool(service), OfferReminderTool(service), ListRemindersTool(service)]
