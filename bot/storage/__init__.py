"""Storage: the SQLite database, the core schema and its repositories."""

from bot.storage.database import Database, Migration, from_db_time, to_db_time
from bot.storage.drafts import Draft, DraftRepository, moved_drafts_sql
from bot.storage.repositories import (
    ChatRecord,
    ChatRepository,
    MessageRecord,
    MessageRepository,
    UserRecord,
    UserRepository,
    delete_ids,
    memory_scope,
    register_user_and_chat,
    tg_message_ids,
)
from bot.storage.schema import CORE_MIGRATIONS

__all__ = [
    "CORE_MIGRATIONS",
    "ChatRecord",
    "ChatRepository",
    "Database",
    "Draft",
    "DraftRepository",
    "MessageRecord",
    "MessageRepository",
    "Migration",
    "UserRecord",
    "UserRepository",
    "delete_ids",
    "from_db_time",
    "memory_scope",
    "moved_drafts_sql",
    "register_user_and_chat",
    "tg_message_ids",
    "to_db_time",
]
