"""Dazi in group chats, Telegram-free: membership, one introduction, and private-memory sharing.

* **Membership.** When Dazi is added to a chat it becomes active and, the first time only, is
  due to introduce itself (remembered in ``group_introductions``, which a group's forget-all
  keeps: it says nothing about anyone); when removed (or blocked in private) the chat is
  marked inactive in ``chats.active`` and nothing is sent there any more:
  :class:`ActiveChatDelivery` guards the reminders' sends, and answers only ever follow a
  message Telegram delivered from the chat.
* **Sharing.** Nothing from a member's private chat with Dazi reaches a group, unless that member
  allowed it for that group (``/share on`` sent there). Even then only the member's own private
  memory is recalled, and only while answering that member. The choice is kept per member per
  group in ``group_shares`` (component ``"groups"``); this service is also a data owner (see
  :mod:`bot.account`) so the choice is exported, forgotten and moved with a supergroup.
  Any feature that puts private data into a group's prompt or answers (people, relationships)
  must ask :meth:`GroupService.shares` for the person asking, and use only that person's data.
"""

from __future__ import annotations

from typing import Any

from bot.chats import ChatKind
from bot.clock import Clock
from bot.outbound import Delivery, Outgoing, SendResult, SendStatus
from bot.storage import ChatRepository, Database, Migration, to_db_time

__all__ = ["GROUP_MIGRATIONS", "ActiveChatDelivery", "GroupService"]

GROUP_MIGRATIONS: list[Migration] = [
    Migration(
        1,
        """
        -- Members who allowed Dazi to use their private memory when answering them in a group.
        CREATE TABLE group_shares (
            chat_id INTEGER NOT NULL,               -- the group
            user_id INTEGER NOT NULL,               -- the member who allowed it
            created_at TEXT NOT NULL,
            PRIMARY KEY (chat_id, user_id)
        ) WITHOUT ROWID;
        CREATE INDEX group_shares_user ON group_shares (user_id);
        """,
    ),
    Migration(
        2,
        """
        -- Groups Dazi has introduced itself in: not personal data, so the marker outlives a
        -- group's /forget all (which deletes its chats row) and Dazi never introduces itself
        -- twice, even when re-added or promoted after the group was forgotten.
        CREATE TABLE group_introductions (
            chat_id INTEGER PRIMARY KEY,            -- the group
            introduced_at TEXT NOT NULL
        );
        INSERT OR IGNORE INTO group_introductions (chat_id, introduced_at)
            SELECT id, json_extract(settings, '$.introduced_at') FROM chats
            WHERE json_extract(settings, '$.introduced_at') IS NOT NULL;
        """,
    ),
]

_INTRODUCED = "introduced_at"


class GroupService:
    """Membership of chats and per-member sharing choices."""

    def __init__(self, db: Database, chats: ChatRepository, clock: Clock) -> None:
        self._db = db
        self._chats = chats
        self._clock = clock

    @classmethod
    async def open(cls, db: Database, chats: ChatRepository, clock: Clock) -> GroupService:
        """Migrate the component's table and return the service."""
        await db.migrate("groups", GROUP_MIGRATIONS)
        return cls(db, chats, clock)

    # -- membership ----------------------------------------------------------------------------

    async def joined(self, *, chat_id: int, chat_type: str, title: str | None) -> bool:
        """Dazi was added to (or unblocked in) a chat; True when it should introduce itself,
        which it does once per group, ever."""
        now = self._clock.now()
        chat = await self._chats.upsert(chat_id=chat_id, chat_type=chat_type, title=title, now=now)
        if not chat.active:
            await self._chats.set_active(chat_id, True)
        if not chat.kind.is_group:
            return False
        # Chats introduced before the table existed keep the mark in their settings.
        introduced_at = chat.settings.get(_INTRODUCED) or to_db_time(now)
        added = await self._db.execute_rowcount(
            "INSERT OR IGNORE INTO group_introductions (chat_id, introduced_at) VALUES (?, ?)",
            (chat_id, str(introduced_at)),
        )
        return bool(added) and not chat.settings.get(_INTRODUCED)

    async def introduced(self, chat_id: int) -> bool:
        """Whether Dazi already introduced itself in the group."""
        row = await self._db.fetchone(
            "SELECT 1 FROM group_introductions WHERE chat_id = ?", (chat_id,)
        )
        return row is not None

    async def left(self, *, chat_id: int, chat_type: str, title: str | None) -> None:
        """Dazi was removed from a group, or blocked in private: stop sending there."""
        await self._chats.upsert(
            chat_id=chat_id, chat_type=chat_type, title=title, now=self._clock.now()
        )
        await self._chats.set_active(chat_id, False)

    async def is_active(self, chat_id: int) -> bool:
        """Whether Dazi may send to the chat (unknown chats count as active)."""
        chat = await self._chats.get(chat_id)
        return chat is None or chat.active

    # -- sharing -------------------------------------------------------------------------------

    async def shares(self, user_id: int, chat_id: int) -> bool:
        """Whether the user allowed their private memory when Dazi answers them in this group."""
        if not ChatKind.of_scope(user_id=user_id, chat_id=chat_id).is_group:
            return False
        row = await self._db.fetchone(
            "SELECT 1 FROM group_shares WHERE chat_id = ? AND user_id = ?", (chat_id, user_id)
        )
        return row is not None

    async def set_share(self, user_id: int, chat_id: int, allowed: bool) -> None:
        """Allow or withdraw the use of the user's private memory in the group."""
        if not ChatKind.of_scope(user_id=user_id, chat_id=chat_id).is_group:
            raise ValueError("sharing is chosen per group")
        if allowed:
            await self._db.execute(
                "INSERT OR IGNORE INTO group_shares (chat_id, user_id, created_at)"
                " VALUES (?, ?, ?)",
                (chat_id, user_id, to_db_time(self._clock.now())),
            )
        else:
            await self._db.execute(
                "DELETE FROM group_shares WHERE chat_id = ? AND user_id = ?", (chat_id, user_id)
            )

    # -- data owner ----------------------------------------------------------------------------

    async def export(self, *, user_id: int, chat_id: int) -> dict[str, Any]:
        """The groups a user shares with; or the members sharing in a group, and when Dazi
        introduced itself there."""
        if ChatKind.of_scope(user_id=user_id, chat_id=chat_id).is_group:
            rows = await self._db.fetchall(
                "SELECT user_id, created_at FROM group_shares WHERE chat_id = ? ORDER BY user_id",
                (chat_id,),
            )
            intro = await self._db.fetchone(
                "SELECT introduced_at FROM group_introductions WHERE chat_id = ?", (chat_id,)
            )
            return {
                "sharing_members": [dict(row) for row in rows],
                "introduced_at": intro["introduced_at"] if intro else None,
            }
        rows = await self._db.fetchall(
            "SELECT chat_id, created_at FROM group_shares WHERE user_id = ? ORDER BY chat_id",
            (user_id,),
        )
        return {"shared_with_groups": [dict(row) for row in rows]}

    async def forget_all(self, *, user_id: int, chat_id: int) -> int:
        """Drop the sharing choices of the user, or of the group. The group's introduction
        mark stays (see ``group_introductions``)."""
        group = ChatKind.of_scope(user_id=user_id, chat_id=chat_id).is_group
        column, value = ("chat_id", chat_id) if group else ("user_id", user_id)
        return await self._db.execute_rowcount(
            f"DELETE FROM group_shares WHERE {column} = ?", (value,)
        )

    async def migrate_chat(self, old_chat_id: int, new_chat_id: int) -> int:
        """Move the sharing choices (and the introduction mark) to the supergroup."""
        # Copy, then drop: a member who already chose in the new chat keeps that choice (and
        # the statements are the same on SQLite and PostgreSQL, unlike UPDATE OR IGNORE).
        moved = await self._db.execute_rowcount(
            "INSERT OR IGNORE INTO group_shares (chat_id, user_id, created_at)"
            " SELECT CAST(? AS BIGINT), user_id, created_at FROM group_shares WHERE chat_id = ?",
            (new_chat_id, old_chat_id),
        )
        await self._db.execute("DELETE FROM group_shares WHERE chat_id = ?", (old_chat_id,))
        await self._db.execute(
            "INSERT OR IGNORE INTO group_introductions (chat_id, introduced_at)"
            " SELECT CAST(? AS BIGINT), introduced_at FROM group_introductions WHERE chat_id = ?",
            (new_chat_id, old_chat_id),
        )
        await self._db.execute("DELETE FROM group_introductions WHERE chat_id = ?", (old_chat_id,))
        return moved


class ActiveChatDelivery:
    """Wraps a reminders :class:`~bot.reminders.Delivery`: nothing goes to an inactive chat.

    Such a send is reported as ``blocked`` (what Telegram itself answers for a chat that removed
    the bot), so the reminder is marked failed instead of being retried.
    """

    def __init__(self, inner: Delivery, groups: GroupService) -> None:
        self._inner = inner
        self._groups = groups

    async def send(self, message: Outgoing) -> SendResult:
        if not await self._groups.is_active(message.chat_id):
            return SendResult(SendStatus.BLOCKED, error="Dazi was removed from this chat")
        return await self._inner.send(message)
