"""Plain types the reminders service exchanges with the transport."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, time
from enum import Enum

from bot.outbound import Notice
from bot.reminders.repository import NewReminder
from bot.timeparse import ParsedWhen

__all__ = ["ActionReply", "Actor", "AdminCheck", "Plan", "ReminderSettings", "Right"]

#: Whether the actor administers the group they act in (the transport asks Telegram).
AdminCheck = Callable[[], Awaitable[bool]]


class Right(Enum):
    """Who may use a reminder's button. In a private chat only its owner ever may; in a group
    (the rule /help states): anyone in the group may mark it done or look at it, while
    snoozing, editing, pausing and deleting are for the person who set it or a group admin."""

    ANYONE_IN_CHAT = "anyone in the chat"
    OWNER_OR_ADMIN = "the owner or a group admin"


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts and where: the sender of a command, a message or a button tap."""

    user_id: int
    chat_id: int
    first_name: str = ""
    chat_type: str = "private"
    message_id: int | None = None
    thread_id: int | None = None
    #: The language of the actor's Telegram app ("en"/"zh"), for someone Dazi has not met yet.
    language: str | None = None
    #: Asks (lazily: only when a rule needs it) whether the actor administers this group.
    admin_check: AdminCheck | None = field(default=None, compare=False, repr=False)

    @property
    def is_group(self) -> bool:
        return self.chat_type in ("group", "supergroup") or self.chat_id < 0

    async def is_group_admin(self) -> bool:
        """Whether the actor administers the group they act in (False in a private chat)."""
        return self.is_group and self.admin_check is not None and await self.admin_check()


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
