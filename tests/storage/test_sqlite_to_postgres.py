"""Copying a SQLite database into the real PostgreSQL server: every row of every table arrives
with its values, counts match, a re-run adds only what is missing, new ids continue after the
copied ones, foreign keys never break on row order, search indexes are left to be rebuilt, and a
copy that cannot be complete changes nothing."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.groups import GROUP_MIGRATIONS
from bot.media.usage import MEDIA_MIGRATIONS
from bot.people import PEOPLE_MIGRATIONS
from bot.reminders import REMINDER_MIGRATIONS
from bot.storage import CORE_MIGRATIONS, Database, Migration
from bot.storage.drafts import DRAFT_MIGRATIONS
from bot.storage.inbox import INBOX_MIGRATIONS
from bot.storage.postgres import PostgresDatabase
from bot.storage.sqlite_to_postgres import CopyError, copy_sqlite_to_postgres, count_rows
from tests.fakes.postgres import fresh_schema, open_postgres

SUPERGROUP = -1001234567890
T = "2026-12-02T10:00:00.000+00:00"

#: A component of the test's own: a table whose foreign key points at a table that sorts after
#: it, so copying in name order would break the key.
ORDER_MIGRATIONS = [
    Migration(
        1,
        """
        CREATE TABLE z_parent (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL);
        CREATE TABLE a_child (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            parent INTEGER NOT NULL REFERENCES z_parent (id) ON DELETE CASCADE
        );
        -- No key at all (as memory_media): rows are told apart by their values.
        CREATE TABLE y_tags (parent INTEGER NOT NULL REFERENCES z_parent (id), tag TEXT);
        """,
    )
]

COMPONENTS = {
    "core": CORE_MIGRATIONS,
    "groups": GROUP_MIGRATIONS,
    "media": MEDIA_MIGRATIONS,
    "inbox": INBOX_MIGRATIONS,
    "drafts": DRAFT_MIGRATIONS,  # before the features whose old draft tables it replaced
    "reminders": REMINDER_MIGRATIONS,
    "people": PEOPLE_MIGRATIONS,
    "order": ORDER_MIGRATIONS,
}


@dataclass
class Pair:
    sqlite: Database
    postgres: PostgresDatabase


@pytest.fixture
async def pair(tmp_path: Path) -> AsyncIterator[Pair]:
    sqlite = await Database.open(tmp_path / "old.sqlite3")
    async with fresh_schema() as schema:
        postgres = await open_postgres(schema)
        for component, migrations in COMPONENTS.items():
            await sqlite.migrate(component, migrations)
            await postgres.migrate(component, migrations)
        yield Pair(sqlite, postgres)
        await postgres.close()
    await sqlite.close()


async def fill(db: Database) -> None:
    """A little of everything, in the shapes that differ between the engines."""
    rows: list[tuple[str, tuple[Any, ...]]] = [
        (
            "INSERT INTO users (id, first_name, language, settings, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (101, "李雷", "zh", json.dumps({"voice": True}), T, T),
        ),
        (
            "INSERT INTO chats (id, type, title, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
            (SUPERGROUP, "supergroup", "Climbers 🧗", T, T),
        ),
        (
            "INSERT INTO messages (id, scope_id, chat_id, user_id, role, text, at, tg_part_ids)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (41, 101, 101, 101, "user", "明天下午三点提醒我 it's O'Brien's", T, None),
        ),
        (
            "INSERT INTO messages (id, scope_id, chat_id, user_id, role, text, at, tg_part_ids)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (42, SUPERGROUP, SUPERGROUP, None, "assistant", "ok", T, "[7, 8]"),
        ),
        (
            "INSERT INTO group_shares (chat_id, user_id, created_at) VALUES (?, ?, ?)",
            (SUPERGROUP, 101, T),
        ),
        (
            "INSERT INTO media_usage (user_id, day, audio_seconds, images) VALUES (?, ?, ?, ?)",
            (101, "2026-12-02", 61.5, 3),
        ),
        (
            "INSERT INTO media_usage (user_id, day, audio_seconds, images) VALUES (?, ?, ?, ?)",
            (101, "2026-12-03", 60, 0),  # a whole number in a REAL column
        ),
        (
            "INSERT INTO inbox (update_id, chat_id, body, received_at) VALUES (?, ?, ?, ?)",
            (9, 101, json.dumps({"update_id": 9}), T),
        ),
        # A reminder whose parent has a higher id: row order alone would break its key.
        (
            "INSERT INTO reminders (id, user_id, chat_id, text, timezone, due_at, fire_at, status,"
            " parent_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (5, 101, 101, "snoozed", "Asia/Shanghai", T, T, "scheduled", None, T, T),
        ),
        (
            "INSERT INTO reminders (id, user_id, chat_id, text, timezone, due_at, fire_at, status,"
            " parent_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (9, 101, 101, "喝水", "Asia/Shanghai", T, T, "scheduled", None, T, T),
        ),
        ("UPDATE reminders SET parent_id = ? WHERE id = ?", (9, 5)),
        (
            "INSERT INTO people (id, user_id, name, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
            (3, 101, "妈妈", T, T),
        ),
        (
            "INSERT INTO person_notes (person_id, user_id, text, at) VALUES (?, ?, ?, ?)",
            (3, 101, "likes 茉莉花茶", T),
        ),
        ("INSERT INTO z_parent (id, name) VALUES (?, ?)", (1, "parent")),
        ("INSERT INTO a_child (id, parent) VALUES (?, ?)", (1, 1)),
        ("INSERT INTO y_tags (parent, tag) VALUES (?, ?)", (1, "twice")),
        ("INSERT INTO y_tags (parent, tag) VALUES (?, ?)", (1, "twice")),
        ("INSERT INTO y_tags (parent, tag) VALUES (?, ?)", (1, None)),
    ]
    for sql, params in rows:
        await db.execute(sql, params)


async def contents(db: Database, table: str) -> list[tuple[Any, ...]]:
    rows = await db.fetchall(f"SELECT * FROM {table}")
    return sorted((tuple(row) for row in rows), key=repr)


async def test_every_row_arrives_and_a_rerun_adds_only_what_is_missing(pair: Pair) -> None:
    await fill(pair.sqlite)
    # Word lists of a search index, as memory keeps them: FTS5 on SQLite, a table with a
    # tsvector PostgreSQL derives from the words on PostgreSQL.
    await pair.sqlite.execute("CREATE VIRTUAL TABLE notes_fts USING fts5(body)")
    await pair.sqlite.execute("INSERT INTO notes_fts (rowid, body) VALUES (41, 'bx茉莉花 bxtea')")
    await pair.postgres.execute(
        "CREATE TABLE notes_fts (rowid BIGINT PRIMARY KEY, body TEXT NOT NULL,"
        " tsv tsvector GENERATED ALWAYS AS (to_tsvector('simple', body)) STORED)"
    )
    # An index only SQLite has (sqlite-vec's, say) stays behind.
    await pair.sqlite.execute("CREATE VIRTUAL TABLE vec_only_here USING fts5(body)")
    await pair.sqlite.execute("INSERT INTO vec_only_here (body) VALUES ('x')")

    tables = await copy_sqlite_to_postgres(pair.sqlite, pair.postgres)
    assert tables.index("z_parent") < tables.index("a_child")
    assert not any(table.startswith(("notes_fts_", "vec_only")) for table in tables)
    found = await pair.postgres.fetchall(
        "SELECT rowid FROM notes_fts WHERE tsv @@ to_tsquery('simple', 'bxtea')"
    )
    assert [row[0] for row in found] == [41]
    assert "schema_versions" not in tables
    counts = await count_rows(pair.sqlite, pair.postgres, tables)
    assert all(count.matches for count in counts), counts
    by_table = {count.table: count.sqlite for count in counts}
    assert by_table["messages"] == 2 and by_table["reminders"] == 2 and by_table["inbox"] == 1
    assert by_table["y_tags"] == 3
    for table in tables:
        if table != "notes_fts":  # a column more there: its tsvector
            assert await contents(pair.postgres, table) == await contents(pair.sqlite, table)

    # Again, after the old bot wrote one more message: only that one is added.
    await pair.sqlite.execute(
        "INSERT INTO messages (scope_id, chat_id, user_id, role, text, at)"
        " VALUES (101, 101, 101, 'user', 'one more', ?)",
        (T,),
    )
    await pair.sqlite.execute("INSERT INTO y_tags (parent, tag) VALUES (1, 'twice')")
    await copy_sqlite_to_postgres(pair.sqlite, pair.postgres)
    assert all(count.matches for count in await count_rows(pair.sqlite, pair.postgres, tables))
    assert await contents(pair.postgres, "y_tags") == await contents(pair.sqlite, "y_tags")
    assert await contents(pair.postgres, "messages") == await contents(pair.sqlite, "messages")

    # New rows on PostgreSQL get ids after the copied ones.
    new_id = await pair.postgres.execute(
        "INSERT INTO messages (scope_id, chat_id, role, text, at) VALUES (?, ?, ?, ?, ?)",
        (101, 101, "assistant", "hello from PostgreSQL", T),
    )
    assert new_id == 44
    counts = await count_rows(pair.sqlite, pair.postgres, ["messages"])
    assert [(c.sqlite, c.postgres, c.matches) for c in counts] == [(3, 4, False)]


async def test_a_value_postgresql_cannot_hold_stops_the_copy_before_any_write(pair: Pair) -> None:
    await fill(pair.sqlite)
    # SQLite keeps text in an INTEGER column; PostgreSQL's BIGINT cannot.
    await pair.sqlite.execute("UPDATE reminders SET attempts = 'many' WHERE id = 9")
    with pytest.raises(CopyError, match=r"reminders\.attempts holds 'many'"):
        await copy_sqlite_to_postgres(pair.sqlite, pair.postgres)
    for table in ("users", "messages", "people", "inbox"):
        assert await pair.postgres.fetchall(f"SELECT * FROM {table}") == []


async def test_a_table_postgresql_lacks_is_named_not_dropped(pair: Pair) -> None:
    await pair.sqlite.execute("CREATE TABLE plugin_notes (id INTEGER PRIMARY KEY, text TEXT)")
    await pair.sqlite.execute("INSERT INTO plugin_notes (text) VALUES ('keep me')")
    with pytest.raises(CopyError, match="no table for plugin_notes"):
        await copy_sqlite_to_postgres(pair.sqlite, pair.postgres)
