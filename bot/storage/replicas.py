"""Which replica handles which chat: per-chat leases in PostgreSQL over the shared inbox.

Several replicas of Dazi behind a load balancer all append the updates Telegram posts them to
the one inbox (:class:`~bot.storage.inbox.PostgresInbox`). A chat's updates are then handled by
one replica at a time, strictly in ``update_id`` order: the replica holding the chat's row in
``chat_leases``. A lease is a row (chat, holder, expiry on the database's clock, so replicas'
clocks need not agree), taken with one ``INSERT ... ON CONFLICT DO UPDATE ... WHERE`` statement:
of several replicas asking at once exactly one gets it. The holder renews it with every update
it claims and, while an update runs long (a model answer), on a heartbeat.

A replica that dies leaves its leases to expire (:attr:`ChatLeases.lease`); the chat then goes
to whichever replica looks first, and the update the dead one was handling (still ``claimed``)
is reported as cut off, not done twice. A restarted replica with the same ``REPLICA_ID`` takes
its own leases back at once: it knows nobody else works on them. It never takes a live lease
of another replica.

PostgreSQL-only on purpose: one SQLite process has no one to share chats with, and its
per-chat order is kept in memory (:class:`~bot.telegram.updates.PerChatUpdateProcessor`).
"""

from __future__ import annotations

import json
from collections.abc import Collection
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from bot.storage.database import Migration
from bot.storage.inbox import InboxItem

if TYPE_CHECKING:  # asyncpg is an optional extra
    from bot.storage.postgres import PostgresDatabase

__all__ = ["LEASE_MIGRATIONS", "ChatLeases"]

LEASE_MIGRATIONS: list[Migration] = [
    Migration(
        1,
        """
        -- Which replica handles a chat's updates now (rows go when it lets go).
        CREATE TABLE chat_leases (
            chat_id INTEGER PRIMARY KEY,            -- as in inbox.chat_id (0: no chat)
            holder TEXT NOT NULL,                   -- the replica's id (REPLICA_ID)
            expires_at TIMESTAMPTZ NOT NULL         -- the database's clock
        );
        """,
    )
]


class ChatLeases:
    """Per-chat leases and the inbox claims made under them, for one replica (``holder``)."""

    def __init__(self, db: PostgresDatabase, *, holder: str, lease: timedelta) -> None:
        self._pool = db.pool
        self.holder = holder
        self.lease = lease
        self._seconds = lease.total_seconds()

    @classmethod
    async def open(
        cls, db: PostgresDatabase, *, holder: str, lease: timedelta = timedelta(seconds=30)
    ) -> ChatLeases:
        await db.migrate("chat_leases", LEASE_MIGRATIONS)
        return cls(db, holder=holder, lease=lease)

    async def acquire(self, chat_id: int) -> bool:
        """Take the chat if nobody holds it, its lease expired, or it is this replica's own
        (from before a restart); False while another live replica holds it."""
        row = await self._pool.fetchrow(
            "INSERT INTO chat_leases (chat_id, holder, expires_at)"
            " VALUES ($1, $2, clock_timestamp() + make_interval(secs => $3))"
            " ON CONFLICT (chat_id) DO UPDATE SET holder = excluded.holder,"
            " expires_at = excluded.expires_at"
            " WHERE chat_leases.expires_at <= clock_timestamp()"
            " OR chat_leases.holder = excluded.holder"
            " RETURNING chat_id",
            chat_id,
            self.holder,
            self._seconds,
        )
        return row is not None

    async def release(self, chat_id: int) -> None:
        """Let the chat go (other replicas may take it at once)."""
        await self._pool.execute(
            "DELETE FROM chat_leases WHERE chat_id = $1 AND holder = $2", chat_id, self.holder
        )

    async def renew(self, chat_ids: Collection[int]) -> set[int]:
        """Extend the leases still held among ``chat_ids``; returns those (a lease that
        expired and went to another replica is not taken back)."""
        if not chat_ids:
            return set()
        rows = await self._pool.fetch(
            "UPDATE chat_leases SET expires_at = clock_timestamp() + make_interval(secs => $3)"
            " WHERE holder = $1 AND chat_id = ANY($2::bigint[])"
            " AND expires_at > clock_timestamp() RETURNING chat_id",
            self.holder,
            list(chat_ids),
            self._seconds,
        )
        return {int(row["chat_id"]) for row in rows}

    async def cut_off(self, chat_id: int) -> list[InboxItem]:
        """The chat's updates whose handling started under an earlier holder (which died or
        was stopped mid-way), removed from the inbox: they are not done twice."""
        rows = await self._pool.fetch(
            "DELETE FROM inbox WHERE chat_id = $1 AND claimed = 1"
            " AND EXISTS (SELECT 1 FROM chat_leases WHERE chat_id = $1 AND holder = $2)"
            " RETURNING update_id, chat_id, body",
            chat_id,
            self.holder,
        )
        return sorted((_item(row) for row in rows), key=lambda item: item.update_id)

    async def claim_next(self, chat_id: int) -> InboxItem | None:
        """The chat's oldest waiting update, claimed and the lease renewed in one transaction;
        None when nothing waits or the lease is no longer this replica's."""
        async with self._pool.acquire() as conn, conn.transaction():
            held = await conn.fetchval(
                "UPDATE chat_leases SET expires_at = clock_timestamp()"
                " + make_interval(secs => $3) WHERE chat_id = $1 AND holder = $2"
                " AND expires_at > clock_timestamp() RETURNING chat_id",
                chat_id,
                self.holder,
                self._seconds,
            )
            if held is None:
                return None
            row = await conn.fetchrow(
                "UPDATE inbox SET claimed = 1 WHERE update_id = (SELECT update_id FROM inbox"
                " WHERE chat_id = $1 AND claimed = 0 ORDER BY update_id LIMIT 1)"
                " RETURNING update_id, chat_id, body",
                chat_id,
            )
        return _item(row) if row is not None else None

    async def done(self, update_id: int) -> None:
        """The update was handled: it leaves the inbox."""
        await self._pool.execute("DELETE FROM inbox WHERE update_id = $1", update_id)

    async def waiting(self, chat_id: int) -> bool:
        """Whether an update of the chat waits to be handled."""
        found = await self._pool.fetchval(
            "SELECT 1 FROM inbox WHERE chat_id = $1 AND claimed = 0 LIMIT 1", chat_id
        )
        return found is not None

    async def orphaned(self, *, limit: int = 500) -> list[int]:
        """Chats with updates in the inbox that no live replica holds (a holder died, let
        go while more arrived, or this replica held them before its restart)."""
        rows = await self._pool.fetch(
            "SELECT DISTINCT chat_id FROM inbox AS i WHERE NOT EXISTS ("
            " SELECT 1 FROM chat_leases AS l WHERE l.chat_id = i.chat_id"
            " AND l.expires_at > clock_timestamp() AND l.holder <> $1) LIMIT $2",
            self.holder,
            limit,
        )
        return [int(row["chat_id"]) for row in rows]


def _item(row: Any) -> InboxItem:
    return InboxItem(int(row["update_id"]), int(row["chat_id"]), json.loads(row["body"]), True)
