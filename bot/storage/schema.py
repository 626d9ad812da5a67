"""The core tables: users, chats and every message exchanged."""

from __future__ import annotations

from bot.storage.database import Migration

__all__ = ["CORE_MIGRATIONS"]

CORE_MIGRATIONS: list[Migration] = [
    Migration(
        1,
        """
        CREATE TABLE users (
            id INTEGER PRIMARY KEY,                 -- Telegram user id
            first_name TEXT NOT NULL DEFAULT '',
            username TEXT,
            language TEXT NOT NULL DEFAULT 'en',    -- 'en' or 'zh'
            timezone TEXT,                          -- IANA name; NULL = the default
            settings TEXT NOT NULL DEFAULT '{}',    -- JSON object of per-user settings
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE TABLE chats (
            id INTEGER PRIMARY KEY,                 -- Telegram chat id (negative for groups)
            type TEXT NOT NULL,                     -- private, group, supergroup, channel
            title TEXT,
            thread INTEGER NOT NULL DEFAULT 1,      -- current conversation thread (/new)
            active INTEGER NOT NULL DEFAULT 1,      -- 0 once the bot was removed or blocked
            settings TEXT NOT NULL DEFAULT '{}',
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        -- Every message, the users' and the bot's. scope_id says whose memory it is part of:
        -- the user's for a private chat, the group's (its chat id) for a group.
        CREATE TABLE messages (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            scope_id INTEGER NOT NULL,
            chat_id INTEGER NOT NULL,
            user_id INTEGER,                        -- the sender; NULL for the bot
            role TEXT NOT NULL CHECK (role IN ('user', 'assistant', 'system')),
            speaker TEXT,                           -- display name of the sender
            text TEXT NOT NULL,
            tg_message_id INTEGER,
            reply_to_tg_id INTEGER,
            thread INTEGER NOT NULL DEFAULT 1,
            at TEXT NOT NULL                        -- UTC
        );
        CREATE INDEX messages_scope ON messages (scope_id, id);
        CREATE INDEX messages_chat_thread ON messages (chat_id, thread, id);
        CREATE INDEX messages_user ON messages (user_id);
        """,
    ),
    Migration(
        2,
        """
        -- A long answer goes out as several Telegram messages: the ids after the first (JSON).
        ALTER TABLE messages ADD COLUMN tg_part_ids TEXT;
        """,
    ),
]
