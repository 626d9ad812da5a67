"""Facts: durable knowledge about a user or a group, with history and provenance.

A fact is never overwritten. Replacing it (the user moved, changed their mind) adds a new fact and
marks the old one ``superseded`` with a pointer to its replacement; a fact that simply stopped
being true is marked ``deleted``. Both stay listable as history. Only an explicit user deletion
(:meth:`FactBook.delete`) or forgetting erases text. Every fact keeps the ids of the messages it
came from, checked to belong to the same scope.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

import aiosqlite

from bot.memory.common import clean_ids, fetch_all, placeholders
from bot.memory.embeddings import VectorIndex
from bot.memory.index import ScopeKeys, encode_body
from bot.memory.ingest import message_words
from bot.memory.search import fact_from_row
from bot.memory.types import Fact
from bot.storage import Database, to_db_time

__all__ = ["FactBook", "delete_facts", "scoped_message_ids"]


class FactBook:
    """Creates, lists, replaces and deletes the facts of a scope."""

    def __init__(
        self, db: Database, keys: ScopeKeys, vectors: VectorIndex, *, queue_embeddings: bool
    ) -> None:
        self._db = db
        self._keys = keys
        self._vectors = vectors
        self._queue_embeddings = queue_embeddings

    async def add(
        self,
        scope_id: int,
        text: str,
        *,
        source_message_ids: Sequence[int],
        now: datetime,
        subject: str | None,
        kind: str,
    ) -> Fact:
        async with self._db.transaction() as conn:
            fact_id = await self._insert(
                conn, scope_id, text, source_message_ids, now, subject, kind
            )
        fact = await self.get(scope_id, fact_id)
        assert fact is not None
        return fact

    async def get(self, scope_id: int, fact_id: int) -> Fact | None:
        row = await self._db.fetchone(
            "SELECT * FROM memory_facts WHERE id = ? AND scope_id = ?", (fact_id, scope_id)
        )
        return fact_from_row(row) if row else None

    async def page(
        self, scope_id: int, *, offset: int, limit: int, include_superseded: bool
    ) -> tuple[list[Fact], int]:
        """A page of facts, newest first, and the total count."""
        status = "" if include_superseded else "AND status = 'active'"
        total = await self._db.fetchone(
            f"SELECT count(*) FROM memory_facts WHERE scope_id = ? {status}", (scope_id,)
        )
        rows = await self._db.fetchall(
            f"SELECT * FROM memory_facts WHERE scope_id = ? {status}"
            " ORDER BY id DESC LIMIT ? OFFSET ?",
            (scope_id, max(limit, 0), max(offset, 0)),
        )
        return [fact_from_row(row) for row in rows], (total[0] if total else 0)

    async def supersede(
        self,
        scope_id: int,
        fact_ids: Sequence[int],
        text: str,
        *,
        source_message_ids: Sequence[int],
        now: datetime,
        subject: str | None,
        kind: str | None,
    ) -> Fact | None:
        """Add a fact replacing the given active ones; None if none of them is active here."""
        async with self._db.transaction() as conn:
            old = await self._active(conn, scope_id, fact_ids)
            if not old:
                return None
            new_id = await self._insert(
                conn,
                scope_id,
                text,
                source_message_ids,
                now,
                subject if subject is not None else old[0].subject,
                kind or old[0].kind,
            )
            await conn.executemany(
                "UPDATE memory_facts SET status = 'superseded', superseded_by = ?, updated_at = ?"
                " WHERE id = ? AND scope_id = ?",
                [(new_id, to_db_time(now), fact.id, scope_id) for fact in old],
            )
        return await self.get(scope_id, new_id)

    async def retract(self, scope_id: int, fact_id: int, now: datetime) -> bool:
        """Mark an active fact as no longer true, keeping it as history."""
        changed = await self._db.execute_rowcount(
            "UPDATE memory_facts SET status = 'deleted', updated_at = ?"
            " WHERE id = ? AND scope_id = ? AND status = 'active'",
            (to_db_time(now), fact_id, scope_id),
        )
        return changed > 0

    async def delete(self, scope_id: int, fact_id: int) -> bool:
        """Erase a fact and the older versions it replaced; False if it is not in the scope."""
        async with self._db.transaction() as conn:
            rows = await fetch_all(
                conn,
                "WITH RECURSIVE lineage(id) AS ("
                " SELECT id FROM memory_facts WHERE id = ? AND scope_id = ?"
                " UNION SELECT f.id FROM memory_facts AS f"
                " JOIN lineage ON f.superseded_by = lineage.id WHERE f.scope_id = ?)"
                " SELECT id FROM lineage",
                (fact_id, scope_id, scope_id),
            )
            ids = [row[0] for row in rows]
            await delete_facts(conn, self._vectors, scope_id, ids)
        return bool(ids)

    async def _insert(
        self,
        conn: aiosqlite.Connection,
        scope_id: int,
        text: str,
        source_message_ids: Sequence[int],
        now: datetime,
        subject: str | None,
        kind: str,
    ) -> int:
        text = " ".join(text.split())
        if not text:
            raise ValueError("a fact needs some text")
        stamp = to_db_time(now)
        sources = await scoped_message_ids(conn, scope_id, source_message_ids)
        cursor = await conn.execute(
            "INSERT INTO memory_facts (scope_id, text, subject, kind, source_message_ids,"
            " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (scope_id, text, subject, kind or "fact", json.dumps(sources), stamp, stamp),
        )
        fact_id = cursor.lastrowid
        await cursor.close()
        assert fact_id is not None
        code = (await self._keys.ensure(conn, [scope_id]))[scope_id]
        await conn.execute(
            "INSERT INTO memory_fact_fts (rowid, body) VALUES (?, ?)",
            (fact_id, encode_body(code, message_words(text, subject))),
        )
        if self._queue_embeddings:
            await conn.execute(
                "INSERT OR IGNORE INTO memory_embed_queue (kind, item_id) VALUES ('fact', ?)",
                (fact_id,),
            )
        return fact_id

    @staticmethod
    async def _active(
        conn: aiosqlite.Connection, scope_id: int, fact_ids: Sequence[int]
    ) -> list[Fact]:
        wanted = clean_ids(fact_ids)
        if not wanted:
            return []
        rows = await fetch_all(
            conn,
            "SELECT * FROM memory_facts WHERE scope_id = ? AND status = 'active'"
            f" AND id IN ({placeholders(len(wanted))}) ORDER BY id",
            (scope_id, *wanted),
        )
        return [fact_from_row(row) for row in rows]


async def scoped_message_ids(
    conn: aiosqlite.Connection, scope_id: int, ids: Sequence[int]
) -> list[int]:
    """The given message ids that exist in the scope (nothing ever crosses scopes)."""
    wanted = clean_ids(ids)
    if not wanted:
        return []
    rows = await fetch_all(
        conn,
        f"SELECT id FROM messages WHERE scope_id = ? AND id IN ({placeholders(len(wanted))})"
        " ORDER BY id",
        (scope_id, *wanted),
    )
    return [row[0] for row in rows]


async def delete_facts(
    conn: aiosqlite.Connection, vectors: VectorIndex, scope_id: int, fact_ids: Sequence[int]
) -> int:
    """Erase facts (already known to be in the scope) from the table, the index and vectors."""
    if not fact_ids:
        return 0
    rows = [(fact_id,) for fact_id in fact_ids]
    await conn.executemany("DELETE FROM memory_fact_fts WHERE rowid = ?", rows)
    await conn.executemany(
        "DELETE FROM memory_embed_queue WHERE kind = 'fact' AND item_id = ?", rows
    )
    await vectors.delete(conn, "fact", list(fact_ids))
    await conn.executemany(
        "DELETE FROM memory_facts WHERE id = ? AND scope_id = ?",
        [(fact_id, scope_id) for fact_id in fact_ids],
    )
    return len(fact_ids)
