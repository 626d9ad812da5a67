"""Per-user daily budget of transcribed minutes and looked-at images (component ``"media"``).

A stranger must not spend the owner's speech and vision budget: each user has a daily cap
(settings; 0 = none), and people in ``ALLOWED_USER_IDS`` are not capped. The counters are data
about a user, so they are exported and forgotten like the rest (see :mod:`bot.account`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.chats import ChatKind
from bot.storage import Database, Migration

__all__ = ["MEDIA_MIGRATIONS", "MediaUsage", "Usage"]

MEDIA_MIGRATIONS: list[Migration] = [
    Migration(
        1,
        """
        -- What a user had transcribed and looked at, per UTC day, for the daily caps.
        CREATE TABLE media_usage (
            user_id INTEGER NOT NULL,
            day TEXT NOT NULL,                      -- YYYY-MM-DD (UTC)
            audio_seconds REAL NOT NULL DEFAULT 0,
            images INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (user_id, day)
        ) WITHOUT ROWID;
        """,
    ),
]


class Usage:
    """Today's counters of one user."""

    __slots__ = ("audio_seconds", "images")

    def __init__(self, audio_seconds: float = 0.0, images: int = 0) -> None:
        self.audio_seconds = audio_seconds
        self.images = images


class MediaUsage:
    """Reads and adds to the daily counters."""

    def __init__(self, db: Database) -> None:
        self._db = db

    @classmethod
    async def open(cls, db: Database) -> MediaUsage:
        await db.migrate("media", MEDIA_MIGRATIONS)
        return cls(db)

    async def today(self, user_id: int, now: datetime) -> Usage:
        row = await self._db.fetchone(
            "SELECT audio_seconds, images FROM media_usage WHERE user_id = ? AND day = ?",
            (user_id, _day(now)),
        )
        return Usage(float(row["audio_seconds"]), int(row["images"])) if row else Usage()

    async def add(
        self, user_id: int, now: datetime, *, audio_seconds: float = 0.0, images: int = 0
    ) -> None:
        await self._db.execute(
            "INSERT INTO media_usage (user_id, day, audio_seconds, images) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (user_id, day) DO UPDATE SET"
            " audio_seconds = media_usage.audio_seconds + excluded.audio_seconds,"
            " images = media_usage.images + excluded.images",
            (user_id, _day(now), audio_seconds, images),
        )

    # -- data owner ----------------------------------------------------------------------------

    async def export(self, *, user_id: int, chat_id: int) -> dict[str, Any]:
        if ChatKind.of_scope(user_id=user_id, chat_id=chat_id).is_group:
            return {}
        rows = await self._db.fetchall(
            "SELECT day, audio_seconds, images FROM media_usage WHERE user_id = ? ORDER BY day",
            (user_id,),
        )
        return {"media_usage": [dict(row) for row in rows]}

    async def forget_all(self, *, user_id: int, chat_id: int) -> int:
        if ChatKind.of_scope(user_id=user_id, chat_id=chat_id).is_group:
            return 0
        return await self._db.execute_rowcount(
            "DELETE FROM media_usage WHERE user_id = ?", (user_id,)
        )

    async def migrate_chat(self, old_chat_id: int, new_chat_id: int) -> int:
        return 0  # counted per user, not per chat


def _day(now: datetime) -> str:
    return now.strftime("%Y-%m-%d")
