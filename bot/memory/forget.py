"""Forgetting, export and chat migration: whole-scope operations on memory.

Deleting a message removes it from the core table, the FTS index, the vector store and the
embedding queue in one transaction, with SQLite's ``secure_delete`` on so the freed pages are
zeroed; afterwards a bounded FTS merge folds the deletions into the index segments, so forgotten
words also leave the index pages soon. Forgetting a topic is two
steps, so the user can confirm: a preview of what matches, then deletion of exactly those ids.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import aiosqlite

from bot.clock import utcnow
from bot.memory.common import clean_ids, fetch_all, placeholders
from bot.memory.embeddings import VectorIndex
from bot.memory.facts import delete_facts, scoped_message_ids
from bot.memory.index import ScopeKeys, body_terms, decode_body, encode_body, encode_key
from bot.memory.ingest import MessageWriter
from bot.memory.search import Searcher, fact_from_row
from bot.memory.types import ForgetPreview
from bot.storage import Database, from_db_time

__all__ = ["Forgetter"]

_PREVIEW_SAMPLE = 5
_DELETE_CHUNK = 500


class Forgetter:
    """Deletes, exports and moves the memory of a scope."""

    def __init__(
        self,
        db: Database,
        keys: ScopeKeys,
        vectors: VectorIndex,
        searcher: Searcher,
        writer: MessageWriter,
    ) -> None:
        self._db = db
        self._keys = keys
        self._vectors = vectors
        self._searcher = searcher
        self._writer = writer

    @asynccontextmanager
    async def _erasing(self) -> AsyncIterator[aiosqlite.Connection]:
        """A write transaction that zeroes deleted content in the file, not just unlinks it."""
        previous = await self._db.fetchone("PRAGMA secure_delete")
        await self._db.execute("PRAGMA secure_delete = ON")
        try:
            async with self._db.transaction() as conn:
                yield conn
        finally:
            await self._db.execute(f"PRAGMA secure_delete = {int(previous[0]) if previous else 0}")

    async def forget_all(self, scope_id: int) -> int:
        """Erase every message and fact of the scope; return how many went."""
        async with self._erasing() as conn:
            messages = [
                row[0]
                for row in await fetch_all(
                    conn, "SELECT id FROM messages WHERE scope_id = ?", (scope_id,)
                )
            ]
            facts = [
                row[0]
                for row in await fetch_all(
                    conn, "SELECT id FROM memory_facts WHERE scope_id = ?", (scope_id,)
                )
            ]
            await self._delete_messages(conn, scope_id, messages)
            await delete_facts(conn, self._vectors, scope_id, facts)
            await conn.execute(
                "UPDATE memory_scopes SET docs = 0, terms = 0 WHERE scope_id = ?", (scope_id,)
            )
        await self._after_delete(scope_id)
        return len(messages) + len(facts)

    async def preview_topic(self, scope_id: int, topic: str, now: datetime) -> ForgetPreview:
        """What forgetting the topic would delete: matching messages and facts, and the facts
        drawn from those messages."""
        message_ids, fact_ids = await self._searcher.topic_matches(scope_id, topic, now)
        derived = await self._facts_citing(scope_id, message_ids)
        all_fact_ids = sorted(set(fact_ids) | set(derived))
        sample = await self._searcher.load(scope_id, message_ids[:_PREVIEW_SAMPLE])
        order = {message_id: rank for rank, message_id in enumerate(message_ids)}
        sample.sort(key=lambda candidate: order[candidate.id])
        facts = await self._searcher.facts_by_ids(scope_id, all_fact_ids)
        return ForgetPreview(
            topic=topic,
            message_ids=tuple(message_ids),
            fact_ids=tuple(all_fact_ids),
            sample_messages=tuple(candidate.hit() for candidate in sample),
            facts=tuple(sorted(facts, key=lambda fact: fact.id)),
        )

    async def forget_items(
        self, scope_id: int, message_ids: Sequence[int], fact_ids: Sequence[int]
    ) -> int:
        """Delete these messages and facts if they are in the scope; return how many went."""
        async with self._erasing() as conn:
            messages = await scoped_message_ids(conn, scope_id, message_ids)
            facts = await _scoped_fact_ids(conn, scope_id, fact_ids)
            await self._delete_messages(conn, scope_id, messages)
            await delete_facts(conn, self._vectors, scope_id, facts)
        await self._after_delete(scope_id)
        return len(messages) + len(facts)

    async def export(self, scope_id: int) -> dict[str, Any]:
        """Everything remembered in the scope, JSON-serialisable (ISO timestamps)."""
        messages = await self._db.fetchall(
            "SELECT id, chat_id, user_id, role, speaker, text, tg_message_id, reply_to_tg_id,"
            " thread, at FROM messages WHERE scope_id = ? ORDER BY id",
            (scope_id,),
        )
        facts = await self._db.fetchall(
            "SELECT * FROM memory_facts WHERE scope_id = ? ORDER BY id", (scope_id,)
        )
        return {
            "scope_id": scope_id,
            "exported_at": utcnow().isoformat(),
            "messages": [_exported_message(row) for row in messages],
            "facts": [fact_from_row(row).to_dict() for row in facts],
        }

    async def migrate_chat(self, old_chat_id: int, new_chat_id: int) -> int:
        """Move a group's memory to its new chat id; return how many messages moved."""
        if old_chat_id == new_chat_id:
            return 0
        if old_chat_id >= 0 or new_chat_id >= 0:
            raise ValueError("only group chats (negative ids) migrate")
        old_scope, new_scope = old_chat_id, new_chat_id  # a group chat is its own scope
        async with self._db.transaction() as conn:
            await self._move_index(conn, old_scope, new_scope)
            await conn.execute(
                "UPDATE memory_facts SET scope_id = ? WHERE scope_id = ?", (new_scope, old_scope)
            )
            await self._vectors.move_scope(conn, old_scope, new_scope)
            await conn.execute(
                "UPDATE messages SET scope_id = ? WHERE scope_id = ?", (new_scope, old_scope)
            )
            cursor = await conn.execute(
                "UPDATE messages SET chat_id = ? WHERE chat_id = ?", (new_chat_id, old_chat_id)
            )
            moved = cursor.rowcount
            await cursor.close()
        self._keys.invalidate(old_scope, new_scope)
        self._writer.forget_recent(old_scope, new_scope)
        return moved

    async def _move_index(self, conn: aiosqlite.Connection, old_scope: int, new_scope: int) -> None:
        """Hand the old scope's index to the new one: re-point its key, or re-key its rows."""
        rows = {
            row[0]: row
            for row in await fetch_all(
                conn,
                "SELECT scope_id, key, docs, terms FROM memory_scopes WHERE scope_id IN (?, ?)",
                (old_scope, new_scope),
            )
        }
        if old_scope not in rows:
            return
        if new_scope not in rows:
            await conn.execute(
                "UPDATE memory_scopes SET scope_id = ? WHERE scope_id = ?", (new_scope, old_scope)
            )
            return
        # Both scopes have rows (the supergroup spoke before the move): re-key the old rows.
        new_code = encode_key(rows[new_scope][1])
        for table, source in (("memory_fts", "messages"), ("memory_fact_fts", "memory_facts")):
            bodies = await fetch_all(
                conn,
                f"SELECT f.rowid, f.body FROM {table} AS f JOIN {source} AS s ON s.id = f.rowid"
                " WHERE s.scope_id = ?",
                (old_scope,),
            )
            await conn.executemany(
                f"DELETE FROM {table} WHERE rowid = ?", [(rowid,) for rowid, _ in bodies]
            )
            await conn.executemany(
                f"INSERT INTO {table} (rowid, body) VALUES (?, ?)",
                [(rowid, encode_body(new_code, *decode_body(body))) for rowid, body in bodies],
            )
        await conn.execute(
            "UPDATE memory_scopes SET docs = docs + ?, terms = terms + ? WHERE scope_id = ?",
            (rows[old_scope][2], rows[old_scope][3], new_scope),
        )
        await conn.execute("DELETE FROM memory_scopes WHERE scope_id = ?", (old_scope,))

    async def _delete_messages(
        self, conn: aiosqlite.Connection, scope_id: int, message_ids: Sequence[int]
    ) -> None:
        """Remove messages (known to be in the scope) from every table."""
        if not message_ids:
            return
        removed_words = 0
        for start in range(0, len(message_ids), _DELETE_CHUNK):
            chunk = message_ids[start : start + _DELETE_CHUNK]
            bodies = await fetch_all(
                conn,
                f"SELECT body FROM memory_fts WHERE rowid IN ({placeholders(len(chunk))})",
                chunk,
            )
            removed_words += sum(body_terms(row[0]) for row in bodies)
        rows = [(message_id,) for message_id in message_ids]
        await conn.executemany("DELETE FROM memory_fts WHERE rowid = ?", rows)
        await conn.executemany(
            "DELETE FROM memory_embed_queue WHERE kind = 'message' AND item_id = ?", rows
        )
        await self._vectors.delete(conn, "message", list(message_ids))
        await conn.executemany(
            "DELETE FROM messages WHERE id = ? AND scope_id = ?",
            [(message_id, scope_id) for message_id in message_ids],
        )
        await conn.execute(
            "UPDATE memory_scopes SET docs = max(docs - ?, 0), terms = max(terms - ?, 0)"
            " WHERE scope_id = ?",
            (len(message_ids), removed_words, scope_id),
        )

    async def _facts_citing(self, scope_id: int, message_ids: Sequence[int]) -> list[int]:
        """Facts drawn from any of these messages (they go with them)."""
        if not message_ids:
            return []
        wanted = set(message_ids)
        rows = await self._db.fetchall(
            "SELECT id, source_message_ids FROM memory_facts WHERE scope_id = ?", (scope_id,)
        )
        return [row[0] for row in rows if wanted.intersection(json.loads(row[1]))]

    async def _after_delete(self, scope_id: int) -> None:
        self._writer.forget_recent(scope_id)
        for table in ("memory_fts", "memory_fact_fts"):
            await self._db.execute(f"INSERT INTO {table} ({table}, rank) VALUES ('merge', 64)")


async def _scoped_fact_ids(
    conn: aiosqlite.Connection, scope_id: int, ids: Sequence[int]
) -> list[int]:
    wanted = clean_ids(ids)
    if not wanted:
        return []
    rows = await fetch_all(
        conn,
        f"SELECT id FROM memory_facts WHERE scope_id = ? AND id IN ({placeholders(len(wanted))})",
        (scope_id, *wanted),
    )
    return [row[0] for row in rows]


def _exported_message(row: Any) -> dict[str, Any]:
    return {
        "id": row["id"],
        "chat_id": row["chat_id"],
        "user_id": row["user_id"],
        "role": row["role"],
        "speaker": row["speaker"],
        "text": row["text"],
        "tg_message_id": row["tg_message_id"],
        "reply_to_tg_id": row["reply_to_tg_id"],
        "thread": row["thread"],
        "at": from_db_time(row["at"]).isoformat(),
    }
