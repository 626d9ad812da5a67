"""The inbox: every update taken from Telegram, kept until it was handled.

An update is appended (as the JSON Telegram sent) before the offset that confirms it to Telegram
goes out, so a message Dazi took is never lost: a stop or a crash leaves it here, and the next
start handles it. A handler's update is *claimed* when its work starts and removed when it is
done; a row still claimed at start was cut off mid-way (its answer may be half sent), which the
transport tells the user about instead of doing the work twice.

The interface is small on purpose (append, claim, done, what is left): :class:`SQLiteInbox` and
:class:`PostgresInbox` (shared by replicas) implement :class:`Inbox` on the same table, made by
the same migrations; :func:`open_inbox` picks the one of the app's database.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any, Protocol, cast

from bot.storage.database import Database, Migration, to_db_time

if TYPE_CHECKING:
    from bot.storage.postgres import PostgresDatabase

__all__ = [
    "INBOX_MIGRATIONS",
    "Inbox",
    "InboxItem",
    "PostgresInbox",
    "SQLiteInbox",
    "chat_of",
    "open_inbox",
]

INBOX_MIGRATIONS: list[Migration] = [
    Migration(
        1,
        """
        -- Updates taken from Telegram and not yet handled (rows go once handled).
        CREATE TABLE inbox (
            update_id INTEGER PRIMARY KEY,          -- Telegram's update id
            chat_id INTEGER NOT NULL,               -- 0 for updates without a chat
            body TEXT NOT NULL,                     -- the update's JSON as Telegram sent it
            claimed INTEGER NOT NULL DEFAULT 0,     -- 1 once its handling started
            received_at TEXT NOT NULL               -- UTC
        );
        CREATE INDEX inbox_chat ON inbox (chat_id, update_id);
        """,
    )
]


@dataclass(frozen=True, slots=True)
class InboxItem:
    """One update waiting in the inbox."""

    update_id: int
    chat_id: int
    body: dict[str, Any]
    claimed: bool


class Inbox(Protocol):
    """Where updates wait until they were handled."""

    async def append(self, updates: Sequence[Mapping[str, Any]], now: datetime) -> None:
        """Keep these raw updates (already kept ones are left as they are)."""

    async def claim(self, update_id: int) -> None:
        """Handling of this update starts now."""

    async def claim_next(self, chat_id: int) -> InboxItem | None:
        """The chat's oldest unclaimed update, claimed; None when there is none."""

    async def done(self, update_id: int) -> None:
        """The update was handled: forget it."""

    async def unfinished(self) -> list[InboxItem]:
        """Every update still here, in the order Telegram sent them."""


class SQLiteInbox:
    """The inbox in the bot's SQLite database.

    Claims and dones are group-committed: every claim and done asked for while a write is on
    its way shares the next transaction, so a burst of updates costs a few commits instead of
    two per update (each commit costs ~0.1 ms of the database thread). Each call still returns
    only once its own change is committed, so an update is claimed before its work starts and
    gone only after it ends, as before.
    """

    def __init__(self, db: Database) -> None:
        self._db = db
        # (update_id, claim: True / done: False, the caller waiting for the commit)
        self._waiting: list[tuple[int, bool, asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None

    @classmethod
    async def open(cls, db: Database) -> SQLiteInbox:
        await db.migrate("inbox", INBOX_MIGRATIONS)
        return cls(db)

    async def append(self, updates: Sequence[Mapping[str, Any]], now: datetime) -> None:
        stamp = to_db_time(now)
        rows = [
            (update["update_id"], chat_of(update), json.dumps(update, ensure_ascii=False), stamp)
            for update in updates
            if isinstance(update.get("update_id"), int)
        ]
        if not rows:
            return

        def append(conn: sqlite3.Connection) -> None:
            conn.executemany(
                "INSERT OR IGNORE INTO inbox (update_id, chat_id, body, received_at)"
                " VALUES (?, ?, ?, ?)",
                rows,
            )

        await self._db.run_write(append)

    async def claim(self, update_id: int) -> None:
        await self._committed(update_id, claim=True)

    async def _committed(self, update_id: int, *, claim: bool) -> None:
        """Queue a claim or a done for the next group commit; return once it is committed."""
        done = asyncio.get_running_loop().create_future()
        self._waiting.append((update_id, claim, done))
        if self._writer is None:
            self._writer = asyncio.create_task(self._write_waiting())
        # Shielded: a caller that gives up does not take the others' commit down with it.
        await asyncio.shield(done)

    async def _write_waiting(self) -> None:
        group: list[tuple[int, bool, asyncio.Future[None]]] = []
        try:
            while self._waiting:
                group, self._waiting = self._waiting, []
                claims = [update_id for update_id, claim, _ in group if claim]
                dones = [update_id for update_id, claim, _ in group if not claim]
                try:
                    await self._db.run_write(partial(_claim_and_clear, claims=claims, dones=dones))
                except Exception as error:
                    for _, _, waiter in group:
                        if not waiter.done():
                            waiter.set_exception(error)
                    continue
                for _, _, waiter in group:
                    if not waiter.done():
                        waiter.set_result(None)
        except BaseException:  # cancelled (shutdown): nobody may wait forever
            for _, _, waiter in [*group, *self._waiting]:
                waiter.cancel()
            raise
        finally:
            self._writer = None

    async def claim_next(self, chat_id: int) -> InboxItem | None:
        def claim_next(conn: sqlite3.Connection) -> InboxItem | None:
            row = conn.execute(
                "SELECT update_id, chat_id, body FROM inbox WHERE chat_id = ? AND claimed = 0"
                " ORDER BY update_id LIMIT 1",
                (chat_id,),
            ).fetchone()
            if row is None:
                return None
            conn.execute("UPDATE inbox SET claimed = 1 WHERE update_id = ?", (row[0],))
            return InboxItem(row[0], row[1], json.loads(row[2]), claimed=True)

        return await self._db.run_write(claim_next)

    async def done(self, update_id: int) -> None:
        await self._committed(update_id, claim=False)

    async def unfinished(self) -> list[InboxItem]:
        rows = await self._db.fetchall(
            "SELECT update_id, chat_id, body, claimed FROM inbox ORDER BY update_id"
        )
        return [InboxItem(row[0], row[1], json.loads(row[2]), claimed=bool(row[3])) for row in rows]


class PostgresInbox:
    """The inbox in PostgreSQL, one table for every replica.

    :meth:`claim_next` takes the chat's oldest unclaimed row ``FOR UPDATE SKIP LOCKED``, so two
    replicas asking at once never get the same update. With several replicas (webhook mode),
    which replica handles a chat's rows, in order, is decided by per-chat leases
    (:class:`bot.storage.replicas.ChatLeases`), which also report a dead replica's claimed row.
    """

    def __init__(self, db: PostgresDatabase) -> None:
        self._db = db

    @property
    def db(self) -> PostgresDatabase:
        """The database the inbox is in (the replicas' chat leases live beside it)."""
        return self._db

    @classmethod
    async def open(cls, db: PostgresDatabase) -> PostgresInbox:
        await db.migrate("inbox", INBOX_MIGRATIONS)
        return cls(db)

    async def append(self, updates: Sequence[Mapping[str, Any]], now: datetime) -> None:
        stamp = to_db_time(now)
        rows = [
            (update["update_id"], chat_of(update), json.dumps(update, ensure_ascii=False), stamp)
            for update in updates
            if isinstance(update.get("update_id"), int)
        ]
        if rows:
            await self._db.pool.executemany(
                "INSERT INTO inbox (update_id, chat_id, body, received_at)"
                " VALUES ($1, $2, $3, $4) ON CONFLICT (update_id) DO NOTHING",
                rows,
            )

    async def claim(self, update_id: int) -> None:
        await self._db.pool.execute("UPDATE inbox SET claimed = 1 WHERE update_id = $1", update_id)

    async def claim_next(self, chat_id: int) -> InboxItem | None:
        row = await self._db.pool.fetchrow(
            "UPDATE inbox SET claimed = 1 WHERE update_id = ("
            " SELECT update_id FROM inbox WHERE chat_id = $1 AND claimed = 0"
            " ORDER BY update_id LIMIT 1 FOR UPDATE SKIP LOCKED)"
            " RETURNING update_id, chat_id, body",
            chat_id,
        )
        if row is None:
            return None
        return InboxItem(row[0], row[1], json.loads(row[2]), claimed=True)

    async def done(self, update_id: int) -> None:
        await self._db.pool.execute("DELETE FROM inbox WHERE update_id = $1", update_id)

    async def unfinished(self) -> list[InboxItem]:
        rows = await self._db.pool.fetch(
            "SELECT update_id, chat_id, body, claimed FROM inbox ORDER BY update_id"
        )
        return [InboxItem(row[0], row[1], json.loads(row[2]), claimed=bool(row[3])) for row in rows]


def _claim_and_clear(
    conn: sqlite3.Connection, *, claims: Sequence[int], dones: Sequence[int]
) -> None:
    """One group commit's changes (in the database thread, inside its transaction)."""
    conn.executemany("UPDATE inbox SET claimed = 1 WHERE update_id = ?", [(u,) for u in claims])
    conn.executemany("DELETE FROM inbox WHERE update_id = ?", [(u,) for u in dones])


async def open_inbox(db: Database) -> Inbox:
    """The inbox on the app's database, SQLite or PostgreSQL."""
    if db.dialect == "postgresql":
        return await PostgresInbox.open(cast("PostgresDatabase", db))
    return await SQLiteInbox.open(db)


def chat_of(update: Mapping[str, Any]) -> int:
    """The id of the chat a raw update belongs to (0 when it has none)."""
    for key, value in update.items():
        if key == "update_id" or not isinstance(value, Mapping):
            continue
        chat = value.get("chat")
        if not isinstance(chat, Mapping):
            message = value.get("message")
            chat = message.get("chat") if isinstance(message, Mapping) else None
        if isinstance(chat, Mapping) and isinstance(chat.get("id"), int):
            return int(chat["id"])
    return 0
