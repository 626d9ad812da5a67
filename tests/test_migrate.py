"""`python -m bot migrate --from-sqlite PATH` end to end: a bot's SQLite database (memory, facts,
reminders) goes into the real PostgreSQL server, counts verified, re-run safely; the bot then
runs on PostgreSQL with everything there and searchable, and the password never shows."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bot.memory.embeddings import VEC0_TABLES
from tests.fakes.harness import TEST_API_KEY, TEST_TOKEN, BotHarness
from tests.fakes.llm import FakeLLM
from tests.fakes.pgvector_server import PgvectorServer
from tests.fakes.postgres import fresh_schema, open_postgres
from tests.fakes.telegram import FakeUser
from tests.telegram.memory_group_helpers import say

ROOT = Path(__file__).resolve().parents[1]
ANNA = FakeUser(101, "Anna", "en")
LI = FakeUser(202, "李雷", "zh-hans")
PASSWORD = "pw-secret-4711"  # the test server trusts anyone: any password is accepted


def migrate(path: Path, url: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.isupper()}
    env.update(
        PATH=os.environ["PATH"],
        PYTHONPATH=str(ROOT),
        TELEGRAM_BOT_TOKEN=TEST_TOKEN,
        OPENAI_API_KEY=TEST_API_KEY,
        DATABASE_URL=url,
    )
    return subprocess.run(
        [sys.executable, "-m", "bot", "migrate", "--from-sqlite", str(path)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


async def _vectors_serve_without_embedding_again(server: BotHarness, llm: FakeLLM) -> None:
    """The moved vectors answer a search: nothing is queued for embedding again, and the
    search embeds only its own query."""
    assert server.services is not None
    embedded = len(llm.embedding_requests)
    assert await server.services.memory.flush_embeddings() == 0  # none queued again
    hits = await server.services.memory.search(user_id=ANNA.id, query="Yosemite trip")
    assert any("Yosemite" in hit.text for hit in hits)
    assert len(llm.embedding_requests) == embedded + 1  # the query's own vector only


async def test_a_laptop_database_moves_to_postgresql_and_the_bot_carries_on(
    tmp_path: Path, llm: FakeLLM
) -> None:
    laptop = BotHarness(database=tmp_path / "dazi.sqlite3", llm=llm)
    await laptop.start(database_url=None)
    try:
        await say(laptop, LI, "/remember 我下个月开始上吉他课")
        await say(laptop, ANNA, "I finally booked the climbing trip to Yosemite")
        await say(laptop, ANNA, "/remind in 2 hours call mom")
    finally:
        await laptop.stop()

    async with fresh_schema() as schema:
        url = f"postgresql://postgres:{PASSWORD}@127.0.0.1:5432/test?search_path={schema}"
        for _ in range(2):  # the second run finds everything there and changes nothing
            result = await asyncio.to_thread(migrate, laptop.database, url, tmp_path)
            output = result.stdout + result.stderr
            assert result.returncode == 0, output
            assert "every count matches" in result.stdout and "MISMATCH" not in output
            assert PASSWORD not in output and "Traceback" not in output
        lines = {line.split()[0]: line.split()[1:] for line in result.stdout.splitlines()[1:-1]}
        assert lines["messages"][0] == lines["messages"][3] != "0"
        assert lines["memory_fts"][0] == lines["messages"][0]  # the search words came along
        assert lines["reminders"][0] == "1"

        server = BotHarness(database=tmp_path / "unused.sqlite3", llm=llm, clock=laptop.clock)
        await server.start(database_url=url)
        try:
            assert server.services is not None and server.services.db.dialect == "postgresql"
            memory = server.services.memory
            hits = await memory.search(user_id=ANNA.id, query="Yosemite climbing")
            assert any("Yosemite" in hit.text for hit in hits)
            listing = await say(server, LI, "/memory")
            assert "我下个月开始上吉他课" in listing["text"]
            reminders = await say(server, ANNA, "/reminders")
            assert "call mom" in reminders["text"]
            # New messages on PostgreSQL take ids after the copied ones.
            answer = await say(server, ANNA, "Thanks! Anything else on my list?")
            assert answer["text"]
            assert any(
                "Thanks!" in hit.text for hit in await memory.search(user_id=ANNA.id, query="list")
            )
        finally:
            await server.stop()
    assert not (tmp_path / "unused.sqlite3").exists()


@pytest.mark.skipif(
    not hasattr(sqlite3.Connection, "enable_load_extension"),
    reason="sqlite-vec's vec0 tables need a Python whose sqlite3 can load extensions (this one"
    " cannot: its vectors are in memory_vectors, copied as any other table)",
)
async def test_vectors_kept_by_sqlite_vec_arrive_in_postgresqls_vector_table(
    tmp_path: Path, llm: FakeLLM
) -> None:
    """With embeddings on, the laptop's vectors live in sqlite-vec's vec0 tables; PostgreSQL
    keeps them in memory_vectors: they are copied there, counted, and not embedded again."""
    laptop = BotHarness(database=tmp_path / "dazi.sqlite3", llm=llm)
    await laptop.start(database_url=None, embedding_model="fake-embed")
    try:
        await say(laptop, ANNA, "I finally booked the climbing trip to Yosemite")
        await say(laptop, LI, "/remember 我下个月开始上吉他课")
        assert laptop.services is not None
        await laptop.services.memory.flush_embeddings()
        db = laptop.services.db
        backend = await db.fetchone("SELECT value FROM memory_meta WHERE name = 'vector_backend'")
        assert backend is not None and backend[0] == "vec0"  # sqlite-vec is installed here
        laptop_vectors = {
            (kind, row[0], row[1], bytes(row[2]))
            for kind, table in VEC0_TABLES.items()
            for row in await db.fetchall(f"SELECT rowid, scope_id, embedding FROM {table}")
        }
        assert {kind for kind, *_ in laptop_vectors} == {"message", "fact"}
    finally:
        await laptop.stop()

    async with fresh_schema() as schema:
        url = f"postgresql://postgres@127.0.0.1:5432/test?search_path={schema}"
        for _ in range(2):  # a re-run adds nothing
            result = await asyncio.to_thread(migrate, laptop.database, url, tmp_path)
            assert result.returncode == 0, result.stdout + result.stderr
            assert "every count matches" in result.stdout
        [line] = [line for line in result.stdout.splitlines() if "memory_vectors" in line]
        assert line.split()[1] == line.split()[4] == str(len(laptop_vectors))

        server = BotHarness(database=tmp_path / "unused.sqlite3", llm=llm, clock=laptop.clock)
        await server.start(database_url=url, embedding_model="fake-embed")
        try:
            assert server.services is not None
            db = server.services.db
            rows = await db.fetchall("SELECT kind, item_id, scope_id, vector FROM memory_vectors")
            assert {(r[0], r[1], r[2], bytes(r[3])) for r in rows} == laptop_vectors
            backend = await db.fetchone(
                "SELECT value FROM memory_meta WHERE name = 'vector_backend'"
            )
            assert backend is not None and backend[0] == "blob"
            await _vectors_serve_without_embedding_again(server, llm)
        finally:
            await server.stop()


async def test_vectors_land_in_pgvectors_column_where_the_server_has_it(
    tmp_path: Path, llm: FakeLLM, pgvector_server: PgvectorServer
) -> None:
    """Into a PostgreSQL with pgvector, the laptop's vectors end in its vector column when the
    command is done (counted as ever, none embedded again), and search uses them."""
    laptop = BotHarness(database=tmp_path / "dazi.sqlite3", llm=llm)
    await laptop.start(database_url=None, embedding_model="fake-embed")
    try:
        await say(laptop, ANNA, "I finally booked the climbing trip to Yosemite")
        await say(laptop, LI, "/remember 我下个月开始上吉他课")
        assert laptop.services is not None
        memory = laptop.services.memory
        await memory.flush_embeddings()
        laptop_vectors = await memory.vectors.count("message") + await memory.vectors.count("fact")
        assert laptop_vectors > 2
    finally:
        await laptop.stop()

    async with fresh_schema(pgvector_server.url) as schema:
        url = f"{pgvector_server.url}?search_path={schema}"
        for _ in range(2):  # a re-run adds nothing
            result = await asyncio.to_thread(migrate, laptop.database, url, tmp_path)
            assert result.returncode == 0, result.stdout + result.stderr
            assert "every count matches" in result.stdout
        [line] = [line for line in result.stdout.splitlines() if "memory_vectors" in line]
        assert line.split()[1] == line.split()[4] == str(laptop_vectors)
        target = await open_postgres(schema, pgvector_server.url)
        try:  # moved by the command itself, before any bot start
            stored = await target.fetchone(
                "SELECT count(*), count(embedding), count(vector) FROM memory_vectors"
            )
            assert tuple(stored) == (laptop_vectors, laptop_vectors, 0)
            meta = await target.fetchone(
                "SELECT value FROM memory_meta WHERE name = 'vector_backend'"
            )
            assert meta is not None and meta[0] == "pgvector"
        finally:
            await target.close()

        server = BotHarness(database=tmp_path / "unused.sqlite3", llm=llm, clock=laptop.clock)
        await server.start(database_url=url, embedding_model="fake-embed")
        try:
            assert server.services is not None
            assert server.services.memory.vectors.backend == "pgvector"
            await _vectors_serve_without_embedding_again(server, llm)
        finally:
            await server.stop()
