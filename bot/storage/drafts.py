"""Drafts: what a button must remember until it is tapped, for every feature, in one table.

A button carries little (a feature, an action and an id); what it acts on waits here: a
reminder's next-step offer or the candidate times of a question, a person's undo record or an
offer to log a contact. Each feature reads and writes only its own rows through a
:class:`DraftRepository` bound to its name. A draft is *taken* (deleted) by the first tap, so
a double tap acts once; expired drafts are purged.

The table replaces the features' own (``reminder_drafts``, ``people_pending``): each feature's
migration moves its rows here (see :func:`moved_drafts_sql`). The drafts component is migrated
by :meth:`DraftRepository.migrate`, before any feature's migration that moves rows.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.storage.database import Database, Migration, from_db_time, to_db_time
from bot.storage.repositories import delete_ids

__all__ = ["DRAFT_MIGRATIONS", "Draft", "DraftRepository", "moved_drafts_sql"]

DRAFT_MIGRATIONS: list[Migration] = [
    Migration(
        1,
        """
        CREATE TABLE drafts (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            feature TEXT NOT NULL,                  -- whose button: rem (reminders), ppl (people)
            user_id INTEGER NOT NULL,               -- who the button is for
            chat_id INTEGER NOT NULL,               -- where it was shown
            kind TEXT NOT NULL,                     -- the feature's own: offer, choice, undo...
            payload TEXT NOT NULL,                  -- JSON
            created_at TEXT NOT NULL,
            expires_at TEXT NOT NULL
        );
        CREATE INDEX drafts_user ON drafts (user_id);
        CREATE INDEX drafts_chat ON drafts (chat_id);
        CREATE INDEX drafts_expiry ON drafts (expires_at);
        """,
    ),
]


def moved_drafts_sql(*, feature: str, table: str) -> str:
    """A feature's migration step that moves its old draft table's rows into ``drafts``.

    The first feature to move keeps its ids, so the buttons already shown keep working. A
    feature that moves after another gets ids above every id in ``drafts`` and above its own
    old ones: its buttons shown before the move then find nothing (they answer "expired")
    instead of acting on another draft.
    """
    shift = (
        "CASE WHEN (SELECT COUNT(*) FROM drafts) = 0 THEN 0"
        f" ELSE (SELECT MAX(id) FROM drafts) + (SELECT MAX(id) FROM {table}) END"
    )
    return f"""
        INSERT INTO drafts (id, feature, user_id, chat_id, kind, payload, created_at, expires_at)
        SELECT id + {shift}, '{feature}', user_id, chat_id, kind, payload, created_at,
            expires_at
        FROM {table};
        DROP TABLE {table};
        """


@dataclass(frozen=True, slots=True)
class Draft:
    """Something a button will act on later (a feature's own ``kind`` and ``payload``)."""

    id: int
    user_id: int
    chat_id: int
    kind: str
    payload: dict[str, Any]
    expires_at: datetime

    @classmethod
    def from_row(cls, row: Any) -> Draft:
        return cls(
            id=row["id"],
            user_id=row["user_id"],
            chat_id=row["chat_id"],
            kind=row["kind"],
            payload=json.loads(row["payload"]),
            expires_at=from_db_time(row["expires_at"]),
        )


class DraftRepository:
    """One feature's drafts (it never sees another feature's), in SQLite or PostgreSQL."""

    def __init__(self, db: Database, *, feature: str) -> None:
        self._db = db
        self.feature = feature

    @staticmethod
    async def migrate(db: Database) -> None:
        """Create (or bring up to date) the drafts table: before a feature's own migrations,
        which may move their old drafts into it."""
        await db.migrate("drafts", DRAFT_MIGRATIONS)

    async def add(
        self,
        *,
        user_id: int,
        chat_id: int,
        kind: str,
        payload: dict[str, Any],
        now: datetime,
        lifetime: timedelta,
    ) -> Draft:
        """Keep a draft until ``now + lifetime``; its id goes into the button."""
        expires_at = now + lifetime
        draft_id = await self._db.execute(
            "INSERT INTO drafts (feature, user_id, chat_id, kind, payload, created_at,"
            " expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                self.feature,
                user_id,
                chat_id,
                kind,
                json.dumps(payload, ensure_ascii=False),
                to_db_time(now),
                to_db_time(expires_at),
            ),
        )
        return Draft(draft_id, user_id, chat_id, kind, payload, expires_at)

    async def get(self, draft_id: int) -> Draft | None:
        row = await self._db.fetchone(
            "SELECT * FROM drafts WHERE id = ? AND feature = ?", (draft_id, self.feature)
        )
        return Draft.from_row(row) if row else None

    async def take(self, draft_id: int) -> bool:
        """Consume a draft; only the first of two quick taps gets True."""
        return bool(
            await self._db.execute_rowcount(
                "DELETE FROM drafts WHERE id = ? AND feature = ?", (draft_id, self.feature)
            )
        )

    async def for_user(self, user_id: int) -> list[Draft]:
        return await self._where("user_id", user_id)

    async def for_chat(self, chat_id: int) -> list[Draft]:
        return await self._where("chat_id", chat_id)

    async def purge(self, now: datetime) -> int:
        """Drop the feature's expired drafts."""
        return await self._db.execute_rowcount(
            "DELETE FROM drafts WHERE feature = ? AND expires_at < ?",
            (self.feature, to_db_time(now)),
        )

    async def delete_for_user(self, user_id: int) -> int:
        return await self._delete("user_id", user_id)

    async def delete_in_chat(self, chat_id: int) -> int:
        return await self._delete("chat_id", chat_id)

    async def delete_owned(self, *, column: str, owner_id: int, ids: Sequence[int]) -> int:
        """Delete these drafts if they belong to the owner (the ``user_id`` or ``chat_id``
        column); ids of anyone else's are ignored. Returns how many went."""
        if column not in ("user_id", "chat_id"):
            raise ValueError(column)
        return await delete_ids(
            self._db,
            f"DELETE FROM drafts WHERE feature = ? AND {column} = ?",
            (self.feature, owner_id),
            ids,
        )

    async def migrate_chat(self, old_chat_id: int, new_chat_id: int) -> int:
        """Move the drafts shown in a group to its new supergroup id."""
        return await self._db.execute_rowcount(
            "UPDATE drafts SET chat_id = ? WHERE feature = ? AND chat_id = ?",
            (new_chat_id, self.feature, old_chat_id),
        )

    async def _where(self, column: str, value: int) -> list[Draft]:
        rows = await self._db.fetchall(
            f"SELECT * FROM drafts WHERE feature = ? AND {column} = ? ORDER BY id",
            (self.feature, value),
        )
        return [Draft.from_row(row) for row in rows]

    async def _delete(self, column: str, value: int) -> int:
        return await self._db.execute_rowcount(
            f"DELETE FROM drafts WHERE feature = ? AND {column} = ?", (self.feature, value)
        )
