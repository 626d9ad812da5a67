"""The reminders tables, migrated as the component ``"reminders"``.

``reminders`` holds one row per reminder. Times are UTC text (see ``bot.storage.to_db_time``);
a recurring reminder also keeps its RFC 5545 rule and its DTSTART as *local wall time* in its
own ``timezone``, so "every day at 7:00" stays at 7:00 across daylight-saving changes.

``due_at`` is the occurrence the user is waiting for (what the lists show); ``fire_at`` is when
the scheduler acts next: the same moment, or later while a failed send waits for its retry.

Version 1 had ``reminder_drafts`` for what a button must remember (a pending next-step offer,
the candidate times of a question, the alternative reading of an ambiguous time); version 3
moves them into the drafts table every feature shares (``bot.storage.drafts``).

Version 2 adds ``floating``: a one-off whose wall time was read in the fallback zone because
the user had not set theirs yet ("tomorrow at 9" meant 9 where they live); when they set a
zone it is re-anchored to the same wall time there.
"""

from __future__ import annotations

from bot.outbound import Feature
from bot.storage import Migration, moved_drafts_sql

__all__ = ["REMINDER_MIGRATIONS"]

REMINDER_MIGRATIONS: list[Migration] = [
    Migration(
        1,
        """
        CREATE TABLE reminders (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            user_id INTEGER NOT NULL,               -- who set it (and may manage it)
            chat_id INTEGER NOT NULL,               -- where it is delivered
            thread_id INTEGER,                      -- forum topic, if any
            text TEXT NOT NULL,
            language TEXT NOT NULL DEFAULT 'en',
            timezone TEXT NOT NULL,                 -- IANA zone of dtstart and display
            rrule TEXT,                             -- RFC 5545 RRULE; NULL for a one-off
            dtstart TEXT,                           -- local wall time of the first occurrence
            due_at TEXT NOT NULL,                   -- UTC: the occurrence waited for
            fire_at TEXT NOT NULL,                  -- UTC: when the scheduler acts next
            status TEXT NOT NULL CHECK (status IN
                ('scheduled', 'claimed', 'delivered', 'done', 'paused', 'failed')),
            attempts INTEGER NOT NULL DEFAULT 0,    -- sends tried for the current occurrence
            claim_token TEXT,
            claimed_at TEXT,
            parent_id INTEGER REFERENCES reminders (id) ON DELETE CASCADE,
            origin TEXT NOT NULL DEFAULT 'command', -- command, chat, offer, snooze
            source_message_id INTEGER,              -- the message it was created from
            delivered_message_id INTEGER,
            delivered_at TEXT,
            last_error TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX reminders_fire ON reminders (status, fire_at);
        CREATE INDEX reminders_user ON reminders (user_id);
        CREATE INDEX reminders_chat ON reminders (chat_id, status);
        CREATE TABLE reminder_drafts (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            user_id INTEGER NOT NULL,
            chat_id INTEGER NOT NULL,
            kind TEXT NOT NULL,                     -- offer, choice, alternative
            payload TEXT NOT NULL,                  -- JSON
            created_at TEXT NOT NULL,
            expires_at TEXT NOT NULL
        );
        CREATE INDEX reminder_drafts_user ON reminder_drafts (user_id);
        CREATE INDEX reminder_drafts_chat ON reminder_drafts (chat_id);
        """,
    ),
    Migration(
        2,
        """
        ALTER TABLE reminders ADD COLUMN floating INTEGER NOT NULL DEFAULT 0;
        """,
    ),
    Migration(3, moved_drafts_sql(feature=Feature.REMINDERS.value, table="reminder_drafts")),
]
