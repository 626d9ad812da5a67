"""The messages a due reminder turns into: the reminder itself, or one summary per chat."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.outbound import Button, Outgoing
from bot.reminders.buttons import ReminderId, Snooze, SnoozeSpan, Taps
from bot.reminders.model import Reminder
from bot.reminders.texts import TEXTS, format_moment, format_short, md, mention

__all__ = ["LATE_AFTER", "due_buttons", "due_message", "due_text", "summary_message"]

#: A reminder sent more than this after its time says so.
LATE_AFTER = timedelta(minutes=1)
_SUMMARY_ITEMS = 30


def due_buttons(reminder_id: int, lang: str) -> tuple[tuple[Button, ...], ...]:
    """Done / Snooze 10 min / 1 hour / Tomorrow."""
    return (
        (Taps.DONE.button(TEXTS("button_done", lang), ReminderId(reminder_id)),),
        tuple(
            Taps.SNOOZE.button(TEXTS(key, lang), Snooze(reminder_id, span))
            for key, span in (
                ("button_10m", SnoozeSpan.TEN_MINUTES),
                ("button_1h", SnoozeSpan.HOUR),
                ("button_tomorrow", SnoozeSpan.TOMORROW),
            )
        ),
    )


def due_text(reminder: Reminder, now: datetime) -> str:
    """The reminder's words, with who set it (in a group) and a "late" mark when it is."""
    lang = reminder.language
    task = md(reminder.text)
    if reminder.kind.is_group:
        who = mention(reminder.user_id, reminder.creator_name or "")
        text = TEXTS("due_group", lang, who=who, task=task)
    else:
        text = TEXTS("due", lang, task=task)
    if now - reminder.due_at > LATE_AFTER:
        text += TEXTS("late", lang, time=format_short(reminder.local_due(), now, lang))
    return text


def due_message(reminder: Reminder, now: datetime) -> Outgoing:
    return Outgoing(
        chat_id=reminder.chat_id,
        text=due_text(reminder, now),
        buttons=due_buttons(reminder.id, reminder.language),
        reply_to=reminder.source_message_id,
        thread_id=reminder.thread_id,
    )


def summary_message(
    chat_id: int,
    reminders: Sequence[Reminder],
    next_due: dict[int, datetime | None],
    now: datetime,
) -> Outgoing:
    """One message for reminders that are more than a day late, oldest first."""
    lang = reminders[0].language
    head = (
        TEXTS("summary_head_one", lang)
        if len(reminders) == 1
        else TEXTS("summary_head", lang, count=len(reminders))
    )
    lines = [head]
    for reminder in reminders[:_SUMMARY_ITEMS]:
        task = md(reminder.text)
        if reminder.kind.is_group:
            task = f"{mention(reminder.user_id, reminder.creator_name or '')}: {task}"
        line = TEXTS(
            "summary_item", lang, when=format_short(reminder.local_due(), now, lang), task=task
        )
        upcoming = next_due.get(reminder.id)
        if upcoming is not None:
            when = format_moment(upcoming.astimezone(reminder.zone), now, lang)
            line += TEXTS("summary_next", lang, when=when)
        lines.append(line)
    if len(reminders) > _SUMMARY_ITEMS:
        lines.append(TEXTS("summary_more", lang, count=len(reminders) - _SUMMARY_ITEMS))
    return Outgoing(chat_id=chat_id, text="\n".join(lines), thread_id=reminders[0].thread_id)
