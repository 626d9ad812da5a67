"""Plain types the reminders service exchanges with the transport."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from enum import Enum

from bot.chats import Actor
from bot.reminders.repository import NewReminder
from bot.timeparse import ParsedWhen

__all__ = ["Actor", "Plan", "ReminderSettings", "Right"]


class Right(Enum):
    """Who may use a reminder's button. In a private chat only its owner ever may; in a group
    (the rule /help states): anyone in the group may mark it done or look at it, while
    snoozing, editing, pausing and deleting are for the person who set it or a group admin."""

    ANYONE_IN_CHAT = "anyone in the chat"
    OWNER_OR_ADMIN = "the owner or a group admin"


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
