"""Repositories for the core tables: users, chats and messages."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

from bot.chats import ChatKind
from bot.storage.database import Database, RecordCache, from_db_time, to_db_time

R = TypeVar("R")

__all__ = [
    "ChatRecord",
    "ChatRepository",
    "MessageRecord",
    "MessageRepository",
    "UserRecord",
    "UserRepository",
    "delete_ids",
    "memory_scope",
    "register_user_and_chat",
    "tg_message_ids",
]


async def delete_ids(db: Database, sql: str, params: Sequence[Any], ids: Iterable[int]) -> int:
    """Run ``sql`` (a DELETE whose WHERE ends the statement) limited to these ids, 500 at a time
    (SQLite's limit on parameters); return how many rows went."""
    wanted = sorted({int(item) for item in ids})
    count = 0
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        marks = ", ".join("?" for _ in chunk)
        count += await db.execute_rowcount(f"{sql} AND id IN ({marks})", (*params, *chunk))
    return count


def memory_scope(*, user_id: int, chat_id: int) -> int:
    """Whose memory a message belongs to: the group's for group chats, else the user's."""
    return chat_id if ChatKind.of_scope(user_id=user_id, chat_id=chat_id).is_group else user_id


@dataclass(slots=True)
class UserRecord:
    id: int
    first_name: str
    username: str | None
    language: str
    timezone: str | None
    settings: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class ChatRecord:
    id: int
    type: str
    title: str | None
    thread: int
    active: bool
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def kind(self) -> ChatKind:
        return ChatKind.stored(self.type)


@dataclass(slots=True)
class MessageRecord:
    id: int
    scope_id: int
    chat_id: int
    user_id: int | None
    role: str
    speaker: str | None
    text: str
    tg_message_id: int | None
    reply_to_tg_id: int | None
    thread: int
    at: datetime
    #: An answer sent as several Telegram messages: the ids of the parts after the first.
    tg_part_ids: tuple[int, ...] = ()


class UserRepository:
    """Users who talked to the bot, with their language, timezone and settings.

    Records are cached (shared by all repositories of the database) because every message reads
    them; all writes to ``users`` go through this class, which keeps the cache true. Treat the
    returned records as read-only.
    """

    def __init__(self, db: Database) -> None:
        self._db = db
        self._cache: RecordCache[UserRecord] = db.cache("users")

    @property
    def db(self) -> Database:
        """The database the users are in (their chats' too)."""
        return self._db

    async def upsert(
        self, *, user_id: int, first_name: str, username: str | None, language: str, now: datetime
    ) -> UserRecord:
        """Create the user or refresh their name; the stored language is kept once set."""
        change = self.change(
            user_id=user_id, first_name=first_name, username=username, language=language, now=now
        )
        if isinstance(change, UserRecord):
            return change
        return await _write_one(self._db, change)

    def change(
        self, *, user_id: int, first_name: str, username: str | None, language: str, now: datetime
    ) -> UserRecord | _Upsert[UserRecord]:
        """The cached record when it is already so, else the write that makes it so."""
        known = self._cache.get(user_id)
        if known is not None and (known.first_name, known.username) == (first_name, username):
            return known
        stamp = to_db_time(now)
        return _Upsert(
            self._cache,
            user_id,
            # Written and read back in one statement (RETURNING: SQLite and PostgreSQL).
            "INSERT INTO users (id, first_name, username, language, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?)"
            " ON CONFLICT(id) DO UPDATE SET first_name = excluded.first_name,"
            " username = excluded.username, updated_at = excluded.updated_at"
            " RETURNING id, first_name, username, language, timezone, settings",
            (user_id, first_name, username, language, stamp, stamp),
            _user_record,
        )

    async def get(self, user_id: int) -> UserRecord | None:
        known = self._cache.get(user_id)
        if known is not None:
            return known
        row = await self._db.fetchone("SELECT * FROM users WHERE id = ?", (user_id,))
        if row is None:
            return None
        user = _user_record(row)
        self._cache.put(user_id, user)
        return user

    async def set_timezone(self, user_id: int, timezone: str) -> None:
        await self._db.execute("UPDATE users SET timezone = ? WHERE id = ?", (timezone, user_id))
        self._cache.drop(user_id)

    async def update_settings(self, user_id: int, **changes: Any) -> dict[str, Any]:
        """Merge changes into the user's settings and return the result."""
        async with self._db.transaction() as conn:
            async with conn.execute("SELECT settings FROM users WHERE id = ?", (user_id,)) as cur:
                row = await cur.fetchone()
            settings = json.loads(row["settings"]) if row else {}
            settings.update(changes)
            await conn.execute(
                "UPDATE users SET settings = ? WHERE id = ?", (json.dumps(settings), user_id)
            )
        self._cache.drop(user_id)
        return settings

    async def delete(self, user_id: int) -> None:
        await self._db.execute("DELETE FROM users WHERE id = ?", (user_id,))
        self._cache.drop(user_id)


class ChatRepository:
    """Chats the bot is in, with the current conversation thread (cached like users)."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._cache: RecordCache[ChatRecord] = db.cache("chats")

    async def upsert(
        self, *, chat_id: int, chat_type: str, title: str | None, now: datetime
    ) -> ChatRecord:
        """Create the chat or refresh its type and title."""
        change = self.change(chat_id=chat_id, chat_type=chat_type, title=title, now=now)
        if isinstance(change, ChatRecord):
            return change
        return await _write_one(self._db, change)

    def change(
        self, *, chat_id: int, chat_type: str, title: str | None, now: datetime
    ) -> ChatRecord | _Upsert[ChatRecord]:
        """The cached record when it is already so, else the write that makes it so."""
        known = self._cache.get(chat_id)
        if known is not None and (known.type, known.title) == (chat_type, title):
            return known
        stamp = to_db_time(now)
        return _Upsert(
            self._cache,
            chat_id,
            # Written and read back in one statement (RETURNING: SQLite and PostgreSQL).
            "INSERT INTO chats (id, type, title, created_at, updated_at) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT(id) DO UPDATE SET type = excluded.type, title = excluded.title,"
            " updated_at = excluded.updated_at"
            " RETURNING id, type, title, thread, active, settings",
            (chat_id, chat_type, title, stamp, stamp),
            _chat_record,
        )

    async def get(self, chat_id: int) -> ChatRecord | None:
        known = self._cache.get(chat_id)
        if known is not None:
            return known
        row = await self._db.fetchone("SELECT * FROM chats WHERE id = ?", (chat_id,))
        if row is None:
            return None
        chat = _chat_record(row)
        self._cache.put(chat_id, chat)
        return chat

    async def start_new_thread(self, chat_id: int) -> int:
        """Begin a fresh conversation thread in the chat; return its number."""
        await self._db.execute("UPDATE chats SET thread = thread + 1 WHERE id = ?", (chat_id,))
        self._cache.drop(chat_id)
        row = await self._db.fetchone("SELECT thread FROM chats WHERE id = ?", (chat_id,))
        return row["thread"] if row else 1

    async def set_active(self, chat_id: int, active: bool) -> None:
        await self._db.execute(
            "UPDATE chats SET active = ? WHERE id = ?", (1 if active else 0, chat_id)
        )
        self._cache.drop(chat_id)

    async def update_settings(self, chat_id: int, **changes: Any) -> dict[str, Any]:
        async with self._db.transaction() as conn:
            async with conn.execute("SELECT settings FROM chats WHERE id = ?", (chat_id,)) as cur:
                row = await cur.fetchone()
            settings = json.loads(row["settings"]) if row else {}
            settings.update(changes)
            await conn.execute(
                "UPDATE chats SET settings = ? WHERE id = ?", (json.dumps(settings), chat_id)
            )
        self._cache.drop(chat_id)
        return settings

    async def delete(self, chat_id: int) -> None:
        await self._db.execute("DELETE FROM chats WHERE id = ?", (chat_id,))
        self._cache.drop(chat_id)

    async def migrate(self, old_chat_id: int, new_chat_id: int) -> bool:
        """Move a group's row to its supergroup id (Telegram's upgrade), keeping its thread and
        settings; merged into the new row when that already exists. False if nothing to move."""

        def move(connection: sqlite3.Connection) -> bool:
            old = connection.execute("SELECT * FROM chats WHERE id = ?", (old_chat_id,)).fetchone()
            if old is None:
                return False
            new = connection.execute("SELECT * FROM chats WHERE id = ?", (new_chat_id,)).fetchone()
            if new is None:
                connection.execute(
                    "UPDATE chats SET id = ?, type = 'supergroup', active = 1 WHERE id = ?",
                    (new_chat_id, old_chat_id),
                )
                return True
            settings = {**json.loads(old["settings"]), **json.loads(new["settings"])}
            connection.execute(
                "UPDATE chats SET thread = max(thread, ?), settings = ?, active = 1 WHERE id = ?",
                (old["thread"], json.dumps(settings), new_chat_id),
            )
            connection.execute("DELETE FROM chats WHERE id = ?", (old_chat_id,))
            return True

        moved = await self._db.run_write(move)
        self._cache.drop(old_chat_id)
        self._cache.drop(new_chat_id)
        return moved


@dataclass(frozen=True, slots=True)
class _Upsert(Generic[R]):
    """One cached row's write: the statement (RETURNING the row) and where its record goes."""

    cache: RecordCache[R]
    key: int
    sql: str
    params: tuple[Any, ...]
    record: Callable[[Any], R]


async def _write_changes(db: Database, changes: Sequence[_Upsert[Any]]) -> list[Any]:
    """Run the writes in one transaction; return their records (cached once committed)."""
    for change in changes:
        change.cache.drop(change.key)

    def write(connection: sqlite3.Connection) -> list[Any]:
        return [connection.execute(change.sql, change.params).fetchall()[0] for change in changes]

    rows = await db.run_write(write)
    records = [change.record(row) for change, row in zip(changes, rows, strict=True)]
    for change, record in zip(changes, records, strict=True):
        change.cache.put(change.key, record)
    return records


async def _write_one(db: Database, change: _Upsert[R]) -> R:
    [record] = await _write_changes(db, [change])
    return record  # type: ignore[no-any-return]


async def register_user_and_chat(
    users: UserRepository,
    chats: ChatRepository,
    *,
    user_id: int,
    first_name: str,
    username: str | None,
    language: str,
    chat_id: int,
    chat_type: str,
    title: str | None,
    now: datetime,
) -> tuple[UserRecord, ChatRecord]:
    """:meth:`UserRepository.upsert` and :meth:`ChatRepository.upsert` in one write
    transaction, none when both records are cached as they are (a new user's first message
    costs one commit instead of two)."""
    user = users.change(
        user_id=user_id, first_name=first_name, username=username, language=language, now=now
    )
    chat = chats.change(chat_id=chat_id, chat_type=chat_type, title=title, now=now)
    if isinstance(user, UserRecord) and isinstance(chat, ChatRecord):
        return user, chat
    changes: list[_Upsert[Any]] = [c for c in (user, chat) if isinstance(c, _Upsert)]
    written = iter(await _write_changes(users.db, changes))
    return (
        user if isinstance(user, UserRecord) else next(written),
        chat if isinstance(chat, ChatRecord) else next(written),
    )


def _user_record(row: Any) -> UserRecord:
    return UserRecord(
        id=row["id"],
        first_name=row["first_name"],
        username=row["username"],
        language=row["language"],
        timezone=row["timezone"],
        settings=json.loads(row["settings"]),
    )


def _chat_record(row: Any) -> ChatRecord:
    return ChatRecord(
        id=row["id"],
        type=row["type"],
        title=row["title"],
        thread=row["thread"],
        active=bool(row["active"]),
        settings=json.loads(row["settings"]),
    )


class MessageRepository:
    """The raw log of every message; search indexes live in the memory package."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def recent(self, *, chat_id: int, thread: int, limit: int) -> list[MessageRecord]:
        """The last ``limit`` messages of a chat's thread, oldest first."""
        rows = await self._db.fetchall(
            "SELECT * FROM messages WHERE chat_id = ? AND thread = ? ORDER BY id DESC LIMIT ?",
            (chat_id, thread, limit),
        )
        return [_message(row) for row in reversed(rows)]

    async def ids_since(self, *, chat_id: int, first_id: int) -> list[int]:
        """Ids of a chat's conversation messages from ``first_id`` on, oldest first (thread 0
        holds a shared document's text, kept for search and recall, not a conversation turn)."""
        rows = await self._db.fetchall(
            "SELECT id FROM messages WHERE chat_id = ? AND id >= ? AND thread > 0 ORDER BY id",
            (chat_id, first_id),
        )
        return [row["id"] for row in rows]

    async def get(self, message_id: int) -> MessageRecord | None:
        row = await self._db.fetchone("SELECT * FROM messages WHERE id = ?", (message_id,))
        return _message(row) if row else None

    async def find_by_tg_id(self, *, chat_id: int, tg_message_id: int) -> MessageRecord | None:
        """The stored message that Telegram message is (or is a later part of)."""
        row = await self._db.fetchone(
            "SELECT * FROM messages WHERE chat_id = ? AND (tg_message_id = ? OR ("
            " tg_part_ids IS NOT NULL AND ? IN (SELECT value FROM json_each(tg_part_ids))))"
            " ORDER BY id DESC",
            (chat_id, tg_message_id, tg_message_id),
        )
        return _message(row) if row else None


def _message(row: Any) -> MessageRecord:
    return MessageRecord(
        id=row["id"],
        scope_id=row["scope_id"],
        chat_id=row["chat_id"],
        user_id=row["user_id"],
        role=row["role"],
        speaker=row["speaker"],
        text=row["text"],
        tg_message_id=row["tg_message_id"],
        reply_to_tg_id=row["reply_to_tg_id"],
        thread=row["thread"],
        at=from_db_time(row["at"]),
        tg_part_ids=tuple(tg_message_ids(None, row["tg_part_ids"])),
    )


def tg_message_ids(first: int | None, part_ids: str | None) -> list[int]:
    """Every Telegram id of a stored message: the first, then its later parts' (stored JSON)."""
    ids = [first] if first is not None else []
    if part_ids:
        ids.extend(int(part) for part in json.loads(part_ids))
    return ids
