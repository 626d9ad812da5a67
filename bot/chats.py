"""Who acts and where, as every feature sees it: the chat kind and the actor.

A neutral module (it imports no feature). The transport decides a chat's kind from what it
knows about the chat (``bot.telegram.chats.chat_kind``) and hands it over with each actor and
message; the domain asks ``kind.is_group`` (defined here, once) and never looks at the sign of
an id (tests/test_chats.py keeps it so).

Data that belongs to someone (memory, reminders, exports, forgetting) is named by a *scope*:
``user_id`` and ``chat_id``, where a user's own scope is their private chat, whose id is the
user's (``chat_id == user_id``), and any other chat is a group's. :meth:`ChatKind.of_scope` is
the one place that reads a scope's kind from its keys.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum

__all__ = ["Actor", "AdminCheck", "ChatKind"]

#: Whether the actor administers the group they act in (the transport asks Telegram).
AdminCheck = Callable[[], Awaitable[bool]]


class ChatKind(StrEnum):
    """A one-to-one chat with a user, or a group chat with many."""

    PRIVATE = "private"
    GROUP = "group"

    @property
    def is_group(self) -> bool:
        return self is ChatKind.GROUP

    @classmethod
    def of_scope(cls, *, user_id: int, chat_id: int) -> ChatKind:
        """The kind of a data scope: the user's own private chat, or a group's."""
        return cls.PRIVATE if chat_id == user_id else cls.GROUP

    @classmethod
    def stored(cls, value: str) -> ChatKind:
        """The kind of a chat as stored (rows written before kinds were stored hold the
        transport's own name for a group, such as "supergroup")."""
        return cls.PRIVATE if value == cls.PRIVATE.value else cls.GROUP


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts and where: the sender of a command, a message or a button tap, in a chat of
    the given kind (set by the transport)."""

    user_id: int
    chat_id: int
    first_name: str = ""
    kind: ChatKind = ChatKind.PRIVATE
    message_id: int | None = None
    thread_id: int | None = None
    #: The language of the actor's Telegram app ("en"/"zh"), for someone Dazi has not met yet.
    language: str | None = None
    #: Asks (lazily: only when a rule needs it) whether the actor administers this group.
    admin_check: AdminCheck | None = field(default=None, compare=False, repr=False)

    async def is_group_admin(self) -> bool:
        """Whether the actor administers the group they act in (False in a private chat)."""
        return self.kind.is_group and self.admin_check is not None and await self.admin_check()
