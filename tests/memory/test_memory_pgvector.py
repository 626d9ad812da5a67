"""Memory's vectors on PostgreSQL with pgvector (a real server with the extension, see
tests/fakes/pgvector_server.py): the ``vector(N)`` column, the same results as the plain
table and as SQLite, plain vectors moved in, deletion, and the fallback where the extension
cannot be created."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest
from memory_fakes import HashingEmbedder

from bot.memory import MemoryStore, NewMessage
from bot.memory.backends import memory_backend
from bot.memory.embeddings import NativeVectors, VectorIndex
from bot.storage import Database
from bot.storage.postgres import PostgresDatabase
from tests.fakes.pgvector_server import PgvectorServer
from tests.fakes.postgres import fresh_schema, open_postgres

NOW = datetime(2026, 2, 1, 12, 0, tzinfo=UTC)
CONCEPTS = {"automobile": "car", "vehicle": "car", "sedan": "car"}
TEXTS = [
    "I finally bought a sedan last weekend",
    "the garden needs watering",
    "my sister visits in spring",
    "we watched a documentary about whales",
]


@pytest.fixture
async def pgvector_db(pgvector_server: PgvectorServer) -> AsyncIterator[PostgresDatabase]:
    """A fresh schema on the pgvector server."""
    async with fresh_schema(pgvector_server.url) as schema:
        db = await open_postgres(schema, pgvector_server.url)
        yield db
        await db.close()


async def fill(store: MemoryStore, user: int = 1) -> dict[str, int]:
    ids = await store.add_messages(
        NewMessage(user_id=user, chat_id=user, role="user", text=t, at=NOW - timedelta(days=9 - i))
        for i, t in enumerate(TEXTS)
    )
    return dict(zip(TEXTS, ids, strict=True))


async def vector_columns(db: Database) -> dict[str, str]:
    rows = await db.fetchall(
        "SELECT column_name, udt_name FROM information_schema.columns"
        " WHERE table_schema = current_schema() AND table_name = 'memory_vectors'"
    )
    return {row[0]: row[1] for row in rows}


async def test_vectors_go_to_pgvectors_column_and_search_finds_them(
    pgvector_db: PostgresDatabase,
) -> None:
    store = await MemoryStore.open(pgvector_db, embedder=HashingEmbedder(synonyms=CONCEPTS))
    ids = await fill(store)
    await fill(store, user=2)
    await store.flush_embeddings()
    assert store.vectors.backend == "pgvector"
    assert (await vector_columns(pgvector_db))["embedding"] == "vector"
    stored = await pgvector_db.fetchone(
        "SELECT count(*), count(embedding), count(vector), max(public.vector_dims(embedding))"
        " FROM memory_vectors"
    )
    assert tuple(stored) == (8, 8, 0, 64)  # in the column only, not in the bytes as well
    # No shared word: only the vectors know a sedan is an automobile; never another scope's.
    hits = await store.search(user_id=1, query="automobile", now=NOW, k=2)
    assert hits[0].message_id == ids["I finally bought a sedan last weekend"]
    assert {hit.message_id for hit in hits} <= set(ids.values())
    fact = await store.add_fact(user_id=1, chat_id=1, text="Anna drives a sedan", now=NOW)
    await store.flush_embeddings()
    assert (await store.search_facts(user_id=1, chat_id=1, query="vehicle"))[0].id == fact.id
    # Forgetting a topic, a fact, a whole memory takes their vectors along; a group's new
    # chat id takes its vectors with it.
    assert await store.forget_topic(user_id=1, chat_id=1, topic="garden", now=NOW) == 1
    assert await store.vectors.count("message", [ids[TEXTS[1]]]) == 0
    assert await store.vectors.count("message") == 7
    assert await store.delete_fact(user_id=1, chat_id=1, fact_id=fact.id)
    assert await store.vectors.count("fact") == 0
    await store.forget_all(user_id=1, chat_id=1)
    await store.migrate_chat(2, -1002)
    left = await pgvector_db.fetchall("SELECT scope_id, count(*) FROM memory_vectors GROUP BY 1")
    assert [tuple(row) for row in left] == [(-1002, 4)]
    await store.close()


async def _index(db: Database, native: NativeVectors | None) -> VectorIndex:
    await MemoryStore.open(db)  # the schemas
    index = VectorIndex(db, native=native)
    await index.load()
    return index


async def test_same_results_as_the_plain_table_and_sqlite(
    pgvector_db: PostgresDatabase, pgvector_server: PgvectorServer, tmp_path: Path
) -> None:
    """pgvector ranks exactly as the Python scan over bytes does (on PostgreSQL and on SQLite):
    the same items in the same order, the same similarities to float32 precision."""
    rng = random.Random(16)
    dimension = 48
    items = [
        (item_id, 7 if item_id % 3 else 8, [rng.gauss(0, 1) for _ in range(dimension)])
        for item_id in range(1, 301)
    ]
    queries = [[rng.gauss(0, 1) for _ in range(dimension)] for _ in range(12)]
    sqlite = await Database.open(tmp_path / "plain.sqlite3")
    async with fresh_schema(pgvector_server.url) as schema:
        plain_pg = await open_postgres(schema, pgvector_server.url)
        indexes = {
            "pgvector": (pgvector_db, await _index(pgvector_db, "pgvector")),
            "plain PostgreSQL": (plain_pg, await _index(plain_pg, None)),
            "SQLite": (sqlite, await _index(sqlite, None)),
        }
        answers = {}
        for name, (db, index) in indexes.items():
            await db.run_write(lambda conn, index=index: index.write(conn, "message", items))
            nearest = [
                await db.run(lambda conn, q=q, i=index: i.nearest(conn, "message", 7, q, 10))
                for q in queries
            ]
            chosen = await db.run(
                lambda conn, i=index: i.similarities(conn, "message", 7, queries[0], range(1, 40))
            )
            answers[name] = (nearest, chosen)
        await plain_pg.close()
    await sqlite.close()
    assert indexes["pgvector"][1].backend == "pgvector"
    assert indexes["plain PostgreSQL"][1].backend == indexes["SQLite"][1].backend == "blob"
    expected_nearest, expected_chosen = answers["SQLite"]
    for name, (nearest, chosen) in answers.items():
        for got, expected in zip(nearest, expected_nearest, strict=True):
            assert [item for item, _ in got] == [item for item, _ in expected], name
            assert [s for _, s in got] == pytest.approx([s for _, s in expected], abs=1e-5)
            assert all(item % 3 for item, _ in got)  # scope 7's only
        assert chosen == pytest.approx(expected_chosen, abs=1e-5), name
        assert set(chosen) == {item for item in range(1, 40) if item % 3}


async def test_plain_vectors_move_into_pgvector_when_the_store_opens(
    pgvector_db: PostgresDatabase,
) -> None:
    """A store whose vectors were stored plain (the extension came later, or the database was
    copied from SQLite) has them moved into the column, and finds the same."""
    embedder = HashingEmbedder(synonyms=CONCEPTS)
    store = await MemoryStore.open(pgvector_db)  # no embedder: nothing embedded meanwhile
    plain = VectorIndex(pgvector_db, native=None)  # as a Dazi without pgvector wrote them
    await plain.load()
    ids = await fill(store)
    vectors = await embedder.embed(TEXTS)
    items = [(ids[text], 1, vector) for text, vector in zip(TEXTS, vectors, strict=True)]
    await pgvector_db.run_write(lambda conn: plain.write(conn, "message", items))
    assert plain.backend == "blob" and "embedding" not in await vector_columns(pgvector_db)

    reopened = await MemoryStore.open(pgvector_db, embedder=embedder)
    assert reopened.vectors.backend == "pgvector"
    stored = await pgvector_db.fetchone(
        "SELECT count(*), count(embedding), count(vector) FROM memory_vectors"
    )
    assert tuple(stored) == (4, 4, 0)
    meta = await pgvector_db.fetchone("SELECT value FROM memory_meta WHERE name = 'vector_backend'")
    assert meta[0] == "pgvector"
    hits = await reopened.search(user_id=1, query="automobile", now=NOW, k=1)
    assert hits[0].message_id == ids["I finally bought a sedan last weekend"]
    await MemoryStore.open(pgvector_db)  # opening again moves nothing and breaks nothing
    await store.close()
    await reopened.close()


async def test_without_the_right_to_create_the_extension_vectors_stay_plain(
    pgvector_server: PgvectorServer,
) -> None:
    """pgvector is installed on the server but the role may not create it (not a superuser):
    the store says so and keeps its vectors plain, searchable as before."""
    admin = await asyncpg.connect(pgvector_server.url)
    try:
        await admin.execute("DROP DATABASE IF EXISTS plain_role")
        await admin.execute("DROP ROLE IF EXISTS plain_role")
        await admin.execute("CREATE ROLE plain_role LOGIN")
        await admin.execute("CREATE DATABASE plain_role OWNER plain_role")
        url = pgvector_server.url.replace("postgres@", "plain_role@").replace(
            "/postgres", "/plain_role"
        )
        db = await PostgresDatabase.open(url, max_size=2)
        try:
            assert await memory_backend(db).native_vectors(db) is None
            store = await MemoryStore.open(db, embedder=HashingEmbedder(synonyms=CONCEPTS))
            ids = await fill(store)
            await store.flush_embeddings()
            assert store.vectors.backend == "blob"
            assert "embedding" not in await vector_columns(db)
            hits = await store.search(user_id=1, query="automobile", now=NOW, k=1)
            assert hits[0].message_id == ids["I finally bought a sedan last weekend"]
            await store.close()
        finally:
            await db.close()
    finally:
        await admin.execute("DROP DATABASE IF EXISTS plain_role")
        await admin.execute("DROP ROLE IF EXISTS plain_role")
        await admin.close()
