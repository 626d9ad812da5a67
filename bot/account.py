"""One person's (or one group's) data across every feature: export it, forget it, move it.

Each feature that stores data about people is a *data owner*: it implements :class:`DataOwner`
and is registered once in the composition root (:func:`bot.app.build_services`)::

    account.register("memory", MemoryData(memory))
    account.register("reminders", ReminderData(reminders))
    account.register("people", people)          # the people service, once it exists

The scope is always given as ``user_id`` and ``chat_id``, exactly like the memory store:

* a **private account**: ``chat_id == user_id`` (positive). The owner covers everything it keeps
  about that user.
* a **group**: ``chat_id`` is the group's (negative) id and ``user_id`` the member acting (an
  admin). The owner covers what it keeps for the group, never any member's private data.

An owner's :meth:`DataOwner.export` returns a dict (its keys go to the top level of the export
document, so name them plainly: ``"people"``, ``"relationships"``) or a list (stored under the
name it was registered with). Two owners may not use the same key. :meth:`DataOwner.forget_all`
deletes everything of the scope from every table and index the owner has and returns how many
records went; :meth:`DataOwner.migrate_chat` moves a group's data to its new supergroup id and
must be idempotent (Telegram announces an upgrade twice, once in each chat).

The core rows are handled here: the ``users`` row (language, time zone, settings) and the private
``chats`` row for a private forget-all, the group's ``chats`` row for a group.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from bot.clock import Clock
from bot.memory import MemoryStore
from bot.reminders import ReminderService
from bot.storage import ChatRecord, ChatRepository, UserRecord, UserRepository

__all__ = [
    "EXPORT_FORMAT",
    "AccountService",
    "DataOwner",
    "ForgetReport",
    "MemoryData",
    "ReminderData",
]

logger = logging.getLogger(__name__)

EXPORT_FORMAT = "dazi-export"
EXPORT_VERSION = 1
#: Keys of the export document that no owner may use.
_RESERVED = frozenset({"format", "version", "exported_at", "scope", "user", "chat", "settings"})


class DataOwner(Protocol):
    """A feature that keeps data about users or groups (see the module docstring)."""

    async def export(self, *, user_id: int, chat_id: int) -> dict[str, Any] | list[Any]: ...

    async def forget_all(self, *, user_id: int, chat_id: int) -> int: ...

    async def migrate_chat(self, old_chat_id: int, new_chat_id: int) -> int: ...


@dataclass(frozen=True, slots=True)
class ForgetReport:
    """How many records each owner deleted (``core`` counts the users/chats rows)."""

    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


class MemoryData:
    """The memory store as a data owner: messages and facts of the scope."""

    def __init__(self, memory: MemoryStore) -> None:
        self._memory = memory

    async def export(self, *, user_id: int, chat_id: int) -> dict[str, Any]:
        data = await self._memory.export(user_id=user_id, chat_id=chat_id)
        return {"messages": data["messages"], "facts": data["facts"]}

    async def forget_all(self, *, user_id: int, chat_id: int) -> int:
        return await self._memory.forget_all(user_id=user_id, chat_id=chat_id)

    async def migrate_chat(self, old_chat_id: int, new_chat_id: int) -> int:
        return await self._memory.migrate_chat(old_chat_id, new_chat_id)


class ReminderData:
    """The reminders as a data owner: a user's reminders (also those they set in groups), or a
    group's reminders, with pending offers."""

    def __init__(self, reminders: ReminderService) -> None:
        self._reminders = reminders

    async def export(self, *, user_id: int, chat_id: int) -> dict[str, Any]:
        data = await self._reminders.export(chat_id if chat_id < 0 else user_id)
        return {"reminders": data["reminders"], "pending_reminders": data["pending"]}

    async def forget_all(self, *, user_id: int, chat_id: int) -> int:
        return await self._reminders.forget_all(chat_id if chat_id < 0 else user_id)

    async def migrate_chat(self, old_chat_id: int, new_chat_id: int) -> int:
        return await self._reminders.migrate_chat(old_chat_id, new_chat_id)


class AccountService:
    """Gathers, erases and moves the data of one user or one group across every owner."""

    def __init__(self, *, users: UserRepository, chats: ChatRepository, clock: Clock) -> None:
        self._users = users
        self._chats = chats
        self._clock = clock
        self._owners: dict[str, DataOwner] = {}
        self._migrations = asyncio.Lock()

    def register(self, name: str, owner: DataOwner) -> None:
        """Add a data owner; ``name`` labels its counts and a list-valued export."""
        if name in self._owners or name in _RESERVED or name == "core":
            raise ValueError(f"data owner {name!r} is already registered or reserved")
        self._owners[name] = owner

    @property
    def owners(self) -> Sequence[str]:
        return tuple(self._owners)

    async def export(self, *, user_id: int, chat_id: int) -> dict[str, Any]:
        """Everything stored about the user (private) or the group, as one JSON-ready dict."""
        now = self._clock.now()
        group = chat_id < 0
        document: dict[str, Any] = {
            "format": EXPORT_FORMAT,
            "version": EXPORT_VERSION,
            "exported_at": now.isoformat(),
            "scope": {"kind": "group" if group else "user", "id": chat_id if group else user_id},
        }
        if group:
            chat = await self._chats.get(chat_id)
            document["chat"] = _chat_row(chat) if chat else None
            document["settings"] = dict(chat.settings) if chat else {}
        else:
            user = await self._users.get(user_id)
            document["user"] = _user_row(user) if user else None
            document["settings"] = _user_settings(user)
        for name, owner in self._owners.items():
            part = await owner.export(user_id=user_id, chat_id=chat_id)
            _merge(document, name, part)
        return document

    async def counts(self, *, user_id: int, chat_id: int) -> dict[str, int]:
        """How many records of each kind are stored (the lists of the export), for a preview."""
        document = await self.export(user_id=user_id, chat_id=chat_id)
        return {
            key: len(value)
            for key, value in document.items()
            if isinstance(value, list) and key not in _RESERVED
        }

    async def forget_all(self, *, user_id: int, chat_id: int) -> ForgetReport:
        """Delete everything of the scope from every owner, then the core rows."""
        counts: dict[str, int] = {}
        for name, owner in self._owners.items():
            counts[name] = await owner.forget_all(user_id=user_id, chat_id=chat_id)
        core = 0
        if chat_id < 0:
            if await self._chats.get(chat_id) is not None:
                await self._chats.delete(chat_id)
                core += 1
        else:
            for exists, delete in (
                (await self._users.get(user_id), self._users.delete),
                (await self._chats.get(user_id), self._chats.delete),
            ):
                if exists is not None:
                    await delete(user_id)
                    core += 1
        counts["core"] = core
        logger.info("forgot everything of scope %s: %s", chat_id if chat_id < 0 else "user", counts)
        return ForgetReport(counts)

    async def migrate_chat(self, old_chat_id: int, new_chat_id: int) -> dict[str, int]:
        """A group became a supergroup: move its chat row and every owner's data. Idempotent."""
        if old_chat_id == new_chat_id:
            return {}
        async with self._migrations:
            moved = {"core": await self._move_chat_row(old_chat_id, new_chat_id)}
            for name, owner in self._owners.items():
                moved[name] = await owner.migrate_chat(old_chat_id, new_chat_id)
        if any(moved.values()):
            logger.info("chat %s became %s: moved %s", old_chat_id, new_chat_id, moved)
        return moved

    async def _move_chat_row(self, old_chat_id: int, new_chat_id: int) -> int:
        """Carry the old chat's settings and thread to the new id; drop the old row."""
        return int(await self._chats.migrate(old_chat_id, new_chat_id))


def _merge(document: dict[str, Any], name: str, part: dict[str, Any] | list[Any]) -> None:
    if isinstance(part, list):
        part = {name: part}
    for key, value in part.items():
        if key in document:
            raise ValueError(f"export key {key!r} of {name!r} is already used")
        document[key] = value


def _user_row(user: UserRecord) -> dict[str, Any]:
    return {
        "id": user.id,
        "first_name": user.first_name,
        "username": user.username,
        "language": user.language,
        "timezone": user.timezone,
        "settings": dict(user.settings),
    }


def _user_settings(user: UserRecord | None) -> dict[str, Any]:
    if user is None:
        return {}
    return {"language": user.language, "timezone": user.timezone, **user.settings}


def _chat_row(chat: ChatRecord) -> dict[str, Any]:
    return {
        "id": chat.id,
        "type": chat.type,
        "title": chat.title,
        "active": chat.active,
        "settings": dict(chat.settings),
    }
