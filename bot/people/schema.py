"""The people tables, migrated as the component ``"people"``.

Every row carries the ``user_id`` it belongs to; nothing here is shared with a group. Times are
UTC text (``bot.storage.to_db_time``); calendar days (``next_on``, ``notified_*``) are ISO dates
in the user's local calendar.

* ``people``: one row per person, with denormalised ``last_contact_at`` (the latest
  interaction) and ``contact_due_at`` (when the stay-in-touch cadence comes round again), so the
  daily digest finds who is overdue with one indexed range read.
* ``person_dates``: birthdays, anniversaries and other dates, Gregorian or Chinese lunar, with
  ``next_on`` (the next Gregorian occurrence, refreshed once it has passed) and which occurrence
  was already announced ahead (``notified_ahead``) and on the day (``notified_day``).
* ``person_notes`` and ``person_interactions``: dated notes and contacts.
* ``people_pending`` (version 1): what a button must remember (an undo, a question, an offer
  to log); version 2 moves it into the drafts table every feature shares (``bot.storage.drafts``).
* ``people_digests``: one row per user: when the next daily digest is due, and the claim that
  makes its delivery exactly-once (see :mod:`bot.people.digest`).
"""

from __future__ import annotations

from bot.outbound import Feature
from bot.storage import Migration, moved_drafts_sql

__all__ = ["PEOPLE_MIGRATIONS"]

PEOPLE_MIGRATIONS: list[Migration] = [
    Migration(
        1,
        """
        CREATE TABLE people (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            user_id INTEGER NOT NULL,
            name TEXT NOT NULL,
            relation TEXT,                          -- as said: "sister", "妈妈"
            relation_key TEXT,                      -- canonical: "sister", "mother"
            aliases TEXT NOT NULL DEFAULT '[]',     -- JSON list of other names
            cadence_days INTEGER,                   -- stay in touch every N days; NULL = no
            cadence_since TEXT,                     -- UTC: when the cadence was set
            last_contact_at TEXT,                   -- UTC: the latest interaction
            contact_due_at TEXT,                    -- UTC: (last contact | since) + cadence
            snoozed_until TEXT,                     -- UTC: no stay-in-touch nudge before
            nudged_at TEXT,                         -- UTC: last digest nudge to reach out
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX people_user ON people (user_id);
        CREATE INDEX people_due ON people (user_id, contact_due_at)
            WHERE contact_due_at IS NOT NULL;
        CREATE TABLE person_dates (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            person_id INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
            user_id INTEGER NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('birthday', 'anniversary', 'other')),
            label TEXT,                             -- "wedding", "name day"...
            month INTEGER NOT NULL,
            day INTEGER NOT NULL,
            year INTEGER,                           -- NULL when unknown
            calendar TEXT NOT NULL DEFAULT 'gregorian'
                CHECK (calendar IN ('gregorian', 'chinese-lunar')),
            is_leap_month INTEGER NOT NULL DEFAULT 0,
            next_on TEXT NOT NULL,                  -- ISO date of the next occurrence
            notified_ahead TEXT,                    -- occurrence announced days before
            notified_day TEXT,                      -- occurrence announced on the day
            created_at TEXT NOT NULL
        );
        CREATE INDEX person_dates_next ON person_dates (user_id, next_on);
        CREATE INDEX person_dates_person ON person_dates (person_id);
        CREATE TABLE person_notes (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            person_id INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
            user_id INTEGER NOT NULL,
            text TEXT NOT NULL,
            at TEXT NOT NULL                        -- UTC
        );
        CREATE INDEX person_notes_person ON person_notes (person_id, at);
        CREATE TABLE person_interactions (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            person_id INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
            user_id INTEGER NOT NULL,
            at TEXT NOT NULL,                       -- UTC
            note TEXT,
            source TEXT NOT NULL DEFAULT 'command'  -- command, digest, chat, card, draft
        );
        CREATE INDEX person_interactions_person ON person_interactions (person_id, at);
        CREATE TABLE people_pending (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            user_id INTEGER NOT NULL,
            chat_id INTEGER NOT NULL,
            kind TEXT NOT NULL,                     -- undo, choose, offer, here
            payload TEXT NOT NULL,                  -- JSON
            created_at TEXT NOT NULL,
            expires_at TEXT NOT NULL
        );
        CREATE INDEX people_pending_user ON people_pending (user_id);
        CREATE TABLE people_digests (
            user_id INTEGER PRIMARY KEY,
            next_at TEXT NOT NULL,                  -- UTC: when the next digest is due
            timezone TEXT NOT NULL,                 -- the zone next_at was computed in
            status TEXT NOT NULL CHECK (status IN ('scheduled', 'claimed')),
            claim_token TEXT,
            claimed_at TEXT,
            attempts INTEGER NOT NULL DEFAULT 0,
            last_local_date TEXT,                   -- local day of the last digest handled
            last_sent_at TEXT,
            last_message_id INTEGER,
            last_error TEXT,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX people_digests_due ON people_digests (status, next_at);
        """,
    ),
    Migration(2, moved_drafts_sql(feature=Feature.PEOPLE.value, table="people_pending")),
]
