"""Plain types the reminders service exchanges with the transport."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time

from bot.conversation import Notice
from bot.reminders.repository import NewReminder
from bot.timeparse import ParsedWhen

__all__ = ["ActionReply", "Actor", "Plan", "ReminderSettings"]


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts and where: the sender of a command, a message or a button tap."""

    user_id: int
    chat_id: int
    first_name: str = ""
    chat_type: str = "private"
    message_id: int | None = None
    thread_id: int | None = None

    @property
    def is_group(self) -> bool:
        return self.chat_type in ("group", "supergroup") or self.chat_id < 0


@dataclass(frozen=True, slots=True)
class ActionReply:
    """The answer to a button: edit the message that carried it, send another, or a toast."""

    edit: Notice | None = None
    send: Notice | None = None
    toast: str | None = None
    alert: bool = False
    force_reply: bool = False


@dataclass(frozen=True, slots=True)
class ReminderSettings:
    """A user's reminder settings, with the defaults filled in."""

    timezone: str
    timezone_set: bool
    default_time: time
    offers: bool


@dataclass(frozen=True, slots=True)
class Plan:
    """What the words meant: a reminder ready to store, or why not."""

    kind: str  # "ready", "past", "ask" (a question before anything is set), "unparsed"
    spec: NewReminder | None = None
    parsed: ParsedWhen | None = None
    alternative: datetime | None = None
    choices: tuple[NewReminder, ...] = ()  # for "ask": the readings the user may pick
