"""Facts: durable knowledge about a user or a group, with history and provenance.

A fact is never overwritten. Replacing it (the user moved, changed their mind) adds a new fact and
marks the old one ``superseded`` with a pointer to its replacement; a fact that simply stopped
being true is marked ``deleted``. Both stay listable as history. Only an explicit user deletion
(:meth:`FactBook.delete`) or forgetting erases text: from the table, the vectors and the pages of
the facts index (zeroed, see :func:`~bot.memory.index.scrub_index`). Every fact keeps the ids of
the messages it came from, checked to belong to the same scope.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import datetime

from bot.memory.common import clean_ids, column, erasing, placeholders
from bot.memory.embeddings import VectorIndex
from bot.memory.fences import hold_fence
from bot.memory.index import ScopeKeys, encode_body, scrub_index
from bot.memory.ingest import message_words
from bot.memory.search import FACT_TABLE, fact_from_row
from bot.memory.types import Fact
from bot.storage import Database, to_db_time

__all__ = ["FactBook", "SourcesForgotten", "delete_facts", "scoped_message_ids"]


class SourcesForgotten(Exception):
    """A fact was drawn from messages that are gone (forgotten meanwhile): it is not stored,
    or the forgotten words would come back as a fact."""


class FactBook:
    """Creates, lists, replaces and deletes the facts of a scope.

    Each operation is one database round trip: a synchronous function (the underscored methods
    and the module functions, which take a ``sqlite3.Connection``) run by :meth:`Database.run`
    or, for writes, :meth:`Database.run_write`.
    """

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
        fence: str | None = None,
    ) -> Fact:
        """``fence``: the learning pass's token (see bot.memory.fences); a forget since then
        raises SourcesForgotten and stores nothing."""

        def add(conn: sqlite3.Connection) -> Fact | None:
            _hold(conn, scope_id, fence)
            fact_id = self._insert(conn, scope_id, text, source_message_ids, now, subject, kind)
            return _get(conn, scope_id, fact_id)

        fact = await self._db.run_write(add)
        assert fact is not None
        return fact

    async def get(self, scope_id: int, fact_id: int) -> Fact | None:
        return await self._db.run(lambda conn: _get(conn, scope_id, fact_id))

    async def page(
        self, scope_id: int, *, offset: int, limit: int, include_superseded: bool
    ) -> tuple[list[Fact], int]:
        """A page of facts, newest first, and the total count."""
        status = "" if include_superseded else "AND status = 'active'"

        def page(conn: sqlite3.Connection) -> tuple[list[Fact], int]:
            total = conn.execute(
                f"SELECT count(*) FROM memory_facts WHERE scope_id = ? {status}", (scope_id,)
            ).fetchone()
            rows = conn.execute(
                f"SELECT * FROM memory_facts WHERE scope_id = ? {status}"
                " ORDER BY id DESC LIMIT ? OFFSET ?",
                (scope_id, max(limit, 0), max(offset, 0)),
            )
            return [fact_from_row(row) for row in rows], (total[0] if total else 0)

        return await self._db.run(page)

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
        fence: str | None = None,
    ) -> Fact | None:
        """Add a fact replacing the given active ones; None if none of them is active here."""

        def supersede(conn: sqlite3.Connection) -> Fact | None:
            _hold(conn, scope_id, fence)
            old = _active(conn, scope_id, fact_ids)
            if not old:
                return None
            new_id = self._insert(
                conn,
                scope_id,
                text,
                source_message_ids,
                now,
                subject if subject is not None else old[0].subject,
                kind or old[0].kind,
            )
            ended_at, ended_by = _ending(conn, scope_id, source_message_ids, now)
            conn.executemany(
                "UPDATE memory_facts SET status = 'superseded', superseded_by = ?, updated_at = ?,"
                " valid_until = ?, ended_by_message_id = ? WHERE id = ? AND scope_id = ?",
                [(new_id, to_db_time(now), ended_at, ended_by, fact.id, scope_id) for fact in old],
            )
            return _get(conn, scope_id, new_id)

        return await self._db.run_write(supersede)

    async def retract(
        self,
        scope_id: int,
        fact_id: int,
        now: datetime,
        source_message_ids: Sequence[int] = (),
        fence: str | None = None,
    ) -> bool:
        """Mark an active fact as no longer true, keeping it as history (with the time it
        ended and the message that said so, if given)."""

        def retract(conn: sqlite3.Connection) -> bool:
            _hold(conn, scope_id, fence)
            ended_at, ended_by = _ending(conn, scope_id, source_message_ids, now)
            return (
                conn.execute(
                    "UPDATE memory_facts SET status = 'deleted', updated_at = ?, valid_until = ?,"
                    " ended_by_message_id = ? WHERE id = ? AND scope_id = ? AND status = 'active'",
                    (to_db_time(now), ended_at, ended_by, fact_id, scope_id),
                ).rowcount
                > 0
            )

        return await self._db.run_write(retract)

    async def delete(self, scope_id: int, fact_id: int) -> bool:
        """Erase a fact and the older versions it replaced; False if it is not in the scope."""

        def delete(conn: sqlite3.Connection) -> bool:
            ids = column(
                conn,
                "WITH RECURSIVE lineage(id) AS ("
                " SELECT id FROM memory_facts WHERE id = ? AND scope_id = ?"
                " UNION SELECT f.id FROM memory_facts AS f"
                " JOIN lineage ON f.superseded_by = lineage.id WHERE f.scope_id = ?)"
                " SELECT id FROM lineage",
                (fact_id, scope_id, scope_id),
            )
            delete_facts(conn, self._vectors, scope_id, ids)
            return bool(ids)

        deleted = await self._db.run_write(erasing(delete))
        if deleted:
            await scrub_index(self._db, FACT_TABLE)
        return deleted

    def _insert(
        self,
        conn: sqlite3.Connection,
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
        sources = scoped_message_ids(conn, scope_id, source_message_ids)
        if source_message_ids and not sources:
            # Checked inside the writing transaction: a forget either ran before (the sources
            # are gone, nothing is stored) or runs after (and takes the fact with them).
            raise SourcesForgotten(f"the sources of the fact are gone from scope {scope_id}")
        cursor = conn.execute(
            "INSERT INTO memory_facts (scope_id, text, subject, kind, source_message_ids,"
            " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (scope_id, text, subject, kind or "fact", json.dumps(sources), stamp, stamp),
        )
        fact_id = cursor.lastrowid
        assert fact_id is not None
        code = self._keys.ensure(conn, [scope_id])[scope_id]
        conn.execute(
            "INSERT INTO memory_fact_fts (rowid, body) VALUES (?, ?)",
            (fact_id, encode_body(code, message_words(text, subject))),
        )
        if self._queue_embeddings:
            conn.execute(
                "INSERT OR IGNORE INTO memory_embed_queue (kind, item_id) VALUES ('fact', ?)",
                (fact_id,),
            )
        return fact_id


def _hold(conn: sqlite3.Connection, scope_id: int, fence: str | None) -> None:
    """A learned write (``fence`` given) stops when the scope was forgotten meanwhile."""
    if fence is not None and not hold_fence(conn, scope_id, fence):
        raise SourcesForgotten(f"scope {scope_id} was forgotten while its facts were learned")


def _ending(
    conn: sqlite3.Connection, scope_id: int, message_ids: Sequence[int], now: datetime
) -> tuple[str, int | None]:
    """When a fact stopped being true and the message that said so: the latest of the given
    messages of the scope, or ``now`` and nobody when none is given."""
    wanted = clean_ids(message_ids)
    if wanted:
        row = conn.execute(
            "SELECT id, at FROM messages WHERE scope_id = ?"
            f" AND id IN ({placeholders(len(wanted))}) ORDER BY at DESC, id DESC LIMIT 1",
            (scope_id, *wanted),
        ).fetchone()
        if row is not None:
            return str(row[1]), int(row[0])
    return to_db_time(now), None


def _get(conn: sqlite3.Connection, scope_id: int, fact_id: int) -> Fact | None:
    row = conn.execute(
        "SELECT * FROM memory_facts WHERE id = ? AND scope_id = ?", (fact_id, scope_id)
    ).fetchone()
    return fact_from_row(row) if row else None


def _active(conn: sqlite3.Connection, scope_id: int, fact_ids: Sequence[int]) -> list[Fact]:
    wanted = clean_ids(fact_ids)
    if not wanted:
        return []
    rows = conn.execute(
        "SELECT * FROM memory_facts WHERE scope_id = ? AND status = 'active'"
        f" AND id IN ({placeholders(len(wanted))}) ORDER BY id",
        (scope_id, *wanted),
    )
    return [fact_from_row(row) for row in rows]


def scoped_message_ids(conn: sqlite3.Connection, scope_id: int, ids: Sequence[int]) -> list[int]:
    """The given message ids that exist in the scope (nothing ever crosses scopes)."""
    wanted = clean_ids(ids)
    if not wanted:
        return []
    return column(
        conn,
        f"SELECT id FROM messages WHERE scope_id = ? AND id IN ({placeholders(len(wanted))})"
        " ORDER BY id",
        (scope_id, *wanted),
    )


def delete_facts(
    conn: sqlite3.Connection, vectors: VectorIndex, scope_id: int, fact_ids: Sequence[int]
) -> int:
    """Erase facts (already known to be in the scope) from the table, the index and vectors."""
    if not fact_ids:
        return 0
    rows = [(fact_id,) for fact_id in fact_ids]
    conn.executemany("DELETE FROM memory_fact_fts WHERE rowid = ?", rows)
    conn.executemany("DELETE FROM memory_embed_queue WHERE kind = 'fact' AND item_id = ?", rows)
    vectors.delete(conn, "fact", list(fact_ids))
    conn.executemany(
        "DELETE FROM memory_facts WHERE id = ? AND scope_id = ?",
        [(fact_id, scope_id) for fact_id in fact_ids],
    )
    return len(fact_ids)
