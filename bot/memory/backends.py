"""What the memory store does differently on each database engine, behind one small interface.

Everything else of the memory component (tokenising, index bodies, ranking, facts, forgetting,
export) is shared: it runs the same synchronous functions over a connection (``sqlite3`` in
SQLite's database thread; :class:`bot.storage.postgres.SyncConnection` on PostgreSQL) with the
same portable SQL. A backend supplies only what cannot be written once:

* the schema (FTS5 tables on SQLite; ``tsvector`` columns with GIN indexes on PostgreSQL);
* the posting lists of stored index words (which rows hold each word, newest first), and a
  word's true document frequency when its list was capped;
* new message ids for a batch (SQLite's AUTOINCREMENT sequence; PostgreSQL's identity sequence);
* the vector extension ready for use: ``sqlite-vec`` loaded into SQLite's connection, or
  PostgreSQL's ``vector`` (pgvector) created if the server has it; else the plain vector table.

:func:`memory_backend` picks the backend for a database.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np

from bot.memory.embeddings import NativeVectors, load_sqlite_vec
from bot.memory.index import fts_query
from bot.memory.ranking import IdArray, id_array
from bot.memory.schema import MEMORY_MIGRATIONS, MEMORY_POSTGRES_MIGRATIONS
from bot.storage import Database, Migration

__all__ = ["MemoryBackend", "PostgresMemory", "SqliteMemory", "memory_backend"]

logger = logging.getLogger(__name__)


class MemoryBackend(Protocol):
    """The engine-specific part of the memory store (see the module docstring)."""

    @property
    def migrations(self) -> Sequence[Migration]: ...

    async def native_vectors(self, db: Database) -> NativeVectors | None:
        """The engine's vector extension, made ready for use (loaded or created), or None
        where there is none: vectors then go to the plain table."""
        ...

    def postings(
        self,
        conn: sqlite3.Connection,
        table: str,
        terms: Sequence[str],
        before_id: int | None,
        cap: int,
    ) -> list[IdArray]:
        """For each stored word, the ids of the table's rows holding it (below ``before_id``),
        newest first, at most ``cap``: one statement for them all."""
        ...

    def count(self, conn: sqlite3.Connection, table: str, term: str) -> int:
        """How many rows of the table hold the stored word."""
        ...

    def next_message_ids(self, conn: sqlite3.Connection, count: int) -> list[int]:
        """Ids for ``count`` new messages, ascending (inside the writing transaction)."""
        ...


class SqliteMemory:
    """FTS5 tables (Porter stemming at index and query time) and AUTOINCREMENT ids."""

    migrations: Sequence[Migration] = MEMORY_MIGRATIONS

    async def native_vectors(self, db: Database) -> NativeVectors | None:
        return "vec0" if await load_sqlite_vec(db.connection) else None

    def postings(
        self,
        conn: sqlite3.Connection,
        table: str,
        terms: Sequence[str],
        before_id: int | None,
        cap: int,
    ) -> list[IdArray]:
        if not terms:
            return []
        bound = "AND rowid < ?" if before_id is not None else ""
        limits = [before_id, cap] if before_id is not None else [cap]
        selects: list[str] = []
        params: list[Any] = []
        for position, term in enumerate(terms):
            selects.append(
                f"SELECT {position}, (SELECT group_concat(rowid) FROM"
                f" (SELECT rowid FROM {table} WHERE {table} MATCH ? {bound}"
                " ORDER BY rowid DESC LIMIT ?))"
            )
            params.append(fts_query(term))
            params.extend(limits)
        found = [id_array([]) for _ in terms]
        for position, joined in conn.execute(" UNION ALL ".join(selects), params):
            if joined:  # parsed in C: a few times faster than json.loads, and already an array
                found[position] = np.fromstring(joined, dtype=np.int64, sep=",")
        return found

    def count(self, conn: sqlite3.Connection, table: str, term: str) -> int:
        row = conn.execute(
            f"SELECT count(*) FROM {table} WHERE {table} MATCH ?", (fts_query(term),)
        ).fetchone()
        return int(row[0]) if row else 0

    def next_message_ids(self, conn: sqlite3.Connection, count: int) -> list[int]:
        # The next id AUTOINCREMENT would hand out (the caller holds the write lock).
        row = conn.execute(
            "SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'messages'), 0),"
            " coalesce((SELECT max(id) FROM messages), 0))"
        ).fetchone()
        first = (row[0] if row else 0) + 1
        return list(range(first, first + count))


class PostgresMemory:
    """``tsvector`` columns over the same words (GIN-indexed) and the identity sequence."""

    migrations: Sequence[Migration] = MEMORY_POSTGRES_MIGRATIONS

    async def native_vectors(self, db: Database) -> NativeVectors | None:
        """pgvector where the server has it: the extension is used if it is there already
        (created by an administrator, in any schema), else created (in ``public``, which
        outlives any schema of Dazi's own) where the server offers it and the role may."""
        if await _has_pgvector(db):
            return "pgvector"
        offered = await db.fetchone("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'")
        if offered is None:
            logger.info("the PostgreSQL server has no pgvector: vectors are scored in Python")
            return None
        try:
            await db.execute("CREATE EXTENSION IF NOT EXISTS vector SCHEMA public")
        except Exception as error:  # asyncpg's: no privilege, no public schema, a race
            if await _has_pgvector(db):  # another replica created it meanwhile
                return "pgvector"
            logger.warning(
                "pgvector is installed on the server but CREATE EXTENSION vector failed (%s):"
                " vectors are scored in Python; a superuser can run it once to change that",
                error,
            )
            return None
        return "pgvector"

    def postings(
        self,
        conn: sqlite3.Connection,
        table: str,
        terms: Sequence[str],
        before_id: int | None,
        cap: int,
    ) -> list[IdArray]:
        if not terms:
            return []
        # One statement text whatever the number of words (an array parameter): prepared and
        # planned once, where a UNION of one subquery per word cost more to plan than to run
        # (about 115 ms against 31 ms per search on LoCoMo, load average 12). Each word's query
        # is made once (materialised), not once per row tested, and reaches the GIN index.
        bound = "AND rowid < ?" if before_id is not None else ""
        params: list[Any] = [before_id, cap] if before_id is not None else [cap]
        rows = conn.execute(
            "WITH word AS MATERIALIZED (SELECT position, memory_query(term) AS query"
            " FROM unnest(?::text[]) WITH ORDINALITY AS probe(term, position))"
            f" SELECT word.position, ARRAY(SELECT rowid FROM {table}"
            f" WHERE tsv @@ word.query {bound} ORDER BY rowid DESC LIMIT ?) FROM word",
            [list(terms), *params],
        )
        found = [id_array([]) for _ in terms]
        for position, ids in rows:
            found[int(position) - 1] = id_array(ids)
        return found

    def count(self, conn: sqlite3.Connection, table: str, term: str) -> int:
        row = conn.execute(
            f"SELECT count(*) FROM {table} WHERE tsv @@ memory_query(?)", (term,)
        ).fetchone()
        return int(row[0]) if row else 0

    def next_message_ids(self, conn: sqlite3.Connection, count: int) -> list[int]:
        rows = conn.execute(
            "SELECT nextval(pg_get_serial_sequence('messages', 'id')) FROM generate_series(1, ?)",
            (count,),
        ).fetchall()
        return sorted(int(row[0]) for row in rows)


async def _has_pgvector(db: Database) -> bool:
    return await db.fetchone("SELECT 1 FROM pg_extension WHERE extname = 'vector'") is not None


def memory_backend(db: Database) -> MemoryBackend:
    """The backend for the kind of database this is."""
    return PostgresMemory() if db.dialect == "postgresql" else SqliteMemory()
