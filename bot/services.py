"""The domain services the transport talks to, gathered in one place by the composition root."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bot.account import AccountService
from bot.clock import Clock
from bot.config import Settings
from bot.conversation import ConversationService
from bot.groups import GroupService
from bot.media import MediaService
from bot.memory import MemoryStore
from bot.outbound import Delivery
from bot.people import PeopleService
from bot.reminders import ReminderService
from bot.storage import ChatRepository, Database, UserRepository
from bot.storage.inbox import Inbox

__all__ = ["Services"]


@dataclass(slots=True)
class Services:
    """Everything a handler may call. Built by :func:`bot.app.build_services`."""

    settings: Settings
    clock: Clock
    db: Database
    users: UserRepository
    chats: ChatRepository
    memory: MemoryStore
    conversation: ConversationService
    reminders: ReminderService
    groups: GroupService
    account: AccountService
    people: PeopleService
    media: MediaService
    #: Updates taken from Telegram until they were handled.
    inbox: Inbox
    #: How messages Dazi starts (reminders, digests) reach a chat: wraps the transport's own
    #: delivery with what the domain adds (see :func:`bot.app.outbound_delivery`).
    outbound: Callable[[Delivery], Delivery]
    #: Network clients the composition root opened, closed last at shutdown.
    closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
