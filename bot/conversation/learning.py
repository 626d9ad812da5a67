"""Fact learning shared by replicas: which chat's new messages are due for learning, claimed
once across every replica on one PostgreSQL.

One process (SQLite) keeps this in memory (:class:`~bot.conversation.service.ConversationService`
counts a chat's exchanges and learns after a few, or after a pause). With several replicas a
chat's messages are answered by whichever replica holds the chat at the time, so the count and
the first unlearned message live in a row per chat (``fact_learning``) instead:

- a stored user message notes the chat (the first unlearned message id stays the oldest);
- an answered exchange counts, and makes the row due now (enough exchanges) or after a pause;
- every replica's loop claims due rows ``FOR UPDATE SKIP LOCKED`` under a token and a lease, so
  each batch is learned by exactly one replica; a replica that dies mid-way leaves its claim
  to come back after the lease;
- the holder of the token finishes: the row moves past the messages learned (what arrived
  meanwhile waits for the next batch), and goes once nothing is left to learn.

Times are the database's clock, so replicas' clocks need not agree. Memory's own tables are
untouched: this only decides *when* and *by whom* :class:`~bot.memory.FactExtractor` runs.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from bot.storage.database import Migration

if TYPE_CHECKING:  # asyncpg is an optional extra
    from bot.storage.postgres import PostgresDatabase

__all__ = ["LEARNING_MIGRATIONS", "LearningBatch", "SharedLearning"]

LEARNING_MIGRATIONS: list[Migration] = [
    Migration(
        1,
        """
        -- Chats with messages not yet seen by the fact learner (one row per chat).
        CREATE TABLE fact_learning (
            chat_id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL,               -- whose memory (a group's: any member)
            first_message_id INTEGER NOT NULL,      -- the oldest message not yet learned from
            exchanges INTEGER NOT NULL DEFAULT 0,   -- answered exchanges since
            due_at TIMESTAMPTZ,                     -- NULL: not due (no exchange yet)
            claim_token TEXT,                       -- the replica learning it now
            claimed_at TIMESTAMPTZ
        );
        CREATE INDEX fact_learning_due ON fact_learning (due_at);
        """,
    )
]


@dataclass(frozen=True, slots=True)
class LearningBatch:
    """A chat's messages to learn from, claimed by this replica under ``token``."""

    chat_id: int
    user_id: int
    first_message_id: int
    exchanges: int
    token: str


class SharedLearning:
    """The ``fact_learning`` rows of one PostgreSQL database."""

    def __init__(
        self,
        db: PostgresDatabase,
        *,
        every: int = 3,
        idle: timedelta = timedelta(minutes=2),
        lease: timedelta = timedelta(minutes=5),
    ) -> None:
        self._pool = db.pool
        self._every = every
        self._idle = idle.total_seconds()
        self._lease = lease.total_seconds()

    @classmethod
    async def open(
        cls,
        db: PostgresDatabase,
        *,
        every: int = 3,
        idle: timedelta = timedelta(minutes=2),
        lease: timedelta = timedelta(minutes=5),
    ) -> SharedLearning:
        await db.migrate("fact_learning", LEARNING_MIGRATIONS)
        return cls(db, every=every, idle=idle, lease=lease)

    async def note(self, *, chat_id: int, user_id: int, message_id: int) -> None:
        """A message of the chat was stored: it is learned from with the chat's next batch."""
        await self._pool.execute(
            "INSERT INTO fact_learning (chat_id, user_id, first_message_id) VALUES ($1, $2, $3)"
            " ON CONFLICT (chat_id) DO NOTHING",
            chat_id,
            user_id,
            message_id,
        )

    async def exchange(self, chat_id: int) -> bool:
        """An exchange was answered: learn now after enough of them, else after a pause.
        True when the chat is due now."""
        due_now: bool | None = await self._pool.fetchval(
            "UPDATE fact_learning SET exchanges = exchanges + 1, due_at = clock_timestamp()"
            " + CASE WHEN exchanges + 1 >= $2 THEN interval '0 seconds'"
            " ELSE make_interval(secs => $3) END WHERE chat_id = $1"
            " RETURNING exchanges >= $2",
            chat_id,
            self._every,
            self._idle,
        )
        return bool(due_now)

    async def claim(self, *, limit: int = 16, due_only: bool = True) -> list[LearningBatch]:
        """Due chats nobody learns from now (or whose learner's lease expired), claimed; with
        ``due_only=False`` every chat with messages not yet learned from, due or not."""
        token = uuid.uuid4().hex
        rows = await self._pool.fetch(
            "UPDATE fact_learning SET claim_token = $1, claimed_at = clock_timestamp()"
            " WHERE chat_id IN (SELECT chat_id FROM fact_learning"
            " WHERE (due_at <= clock_timestamp() OR NOT $4) AND (claim_token IS NULL"
            " OR claimed_at <= clock_timestamp() - make_interval(secs => $2))"
            " ORDER BY due_at NULLS LAST, chat_id LIMIT $3 FOR UPDATE SKIP LOCKED)"
            " RETURNING chat_id, user_id, first_message_id, exchanges",
            token,
            self._lease,
            limit,
            due_only,
        )
        return [
            LearningBatch(
                int(row["chat_id"]),
                int(row["user_id"]),
                int(row["first_message_id"]),
                int(row["exchanges"]),
                token,
            )
            for row in rows
        ]

    async def finish(self, batch: LearningBatch, *, through_message_id: int | None) -> bool:
        """The batch was learned up to ``through_message_id`` (None: there was nothing): move
        the chat past it; what came meanwhile stays due. False if the claim was lost (its
        lease expired and another replica took it)."""
        through = through_message_id if through_message_id is not None else 0
        async with self._pool.acquire() as conn, conn.transaction():
            status = await conn.execute(
                "UPDATE fact_learning SET first_message_id = GREATEST(first_message_id, $3 + 1),"
                " exchanges = GREATEST(exchanges - $4, 0), claim_token = NULL, claimed_at = NULL,"
                " due_at = CASE WHEN exchanges - $4 <= 0 THEN NULL"
                " WHEN exchanges - $4 >= $5 THEN clock_timestamp()"
                " ELSE clock_timestamp() + make_interval(secs => $6) END"
                " WHERE chat_id = $1 AND claim_token = $2",
                batch.chat_id,
                batch.token,
                through,
                batch.exchanges,
                self._every,
                self._idle,
            )
            if status.endswith(" 0"):
                return False
            # Nothing left to learn: the row goes (a later message notes the chat again).
            await conn.execute(
                "DELETE FROM fact_learning WHERE chat_id = $1 AND claim_token IS NULL"
                " AND exchanges = 0 AND NOT EXISTS (SELECT 1 FROM messages"
                " WHERE chat_id = $1 AND id >= fact_learning.first_message_id AND thread > 0)",
                batch.chat_id,
            )
        return True

    # A data owner (bot.account): the rows hold ids only, no words, but go with the chat.

    async def export(self, *, user_id: int, chat_id: int) -> list[Any]:
        """Nothing to show: bookkeeping of which message ids wait for learning."""
        return []

    async def forget_all(self, *, user_id: int, chat_id: int) -> int:
        """The chat's data is erased: nothing of it is left to learn."""
        status = await self._pool.execute(
            "DELETE FROM fact_learning WHERE chat_id = $1 OR (chat_id = $2 AND user_id = $2)",
            chat_id,
            user_id,
        )
        return int(status.rsplit(" ", 1)[-1])

    async def migrate_chat(self, old_chat_id: int, new_chat_id: int) -> int:
        """A group became a supergroup: its pending learning follows it."""
        status = await self._pool.execute(
            "UPDATE fact_learning SET chat_id = $2 WHERE chat_id = $1"
            " AND NOT EXISTS (SELECT 1 FROM fact_learning WHERE chat_id = $2)",
            old_chat_id,
            new_chat_id,
        )
        return int(status.rsplit(" ", 1)[-1])
