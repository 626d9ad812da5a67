"""The real PostgreSQL server of this machine (127.0.0.1:5432, trust auth, database ``test``),
one fresh schema per test so that runs never collide; dropped afterwards."""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg

from bot.storage.postgres import PostgresDatabase

__all__ = [
    "POSTGRES_URL",
    "drop_schemas",
    "fresh_schema",
    "on_postgres",
    "open_postgres",
    "schema_for",
]

POSTGRES_URL = os.environ.get("DAZI_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")

#: Schemas this test run created, dropped when it ends.
_CREATED: set[str] = set()


def on_postgres() -> bool:
    """``DAZI_TEST_DATABASE=postgresql`` runs the storage and scheduler tests on PostgreSQL."""
    return os.environ.get("DAZI_TEST_DATABASE", "sqlite").lower() in ("postgresql", "postgres")


def schema_for(path: Path) -> str:
    """The schema standing for a test's database file: reopening the same path (a restart)
    finds the same data, and every test (its own tmp_path) has its own."""
    name = "dazi_test_" + hashlib.sha1(f"{os.getpid()}:{path}".encode()).hexdigest()[:16]
    _CREATED.add(name)
    return name


async def drop_schemas() -> None:
    """Drop every schema this run made."""
    if not _CREATED:
        return
    connection = await asyncpg.connect(POSTGRES_URL)
    try:
        for name in sorted(_CREATED):
            await connection.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
    finally:
        await connection.close()
    _CREATED.clear()


@asynccontextmanager
async def fresh_schema(url: str = POSTGRES_URL) -> AsyncIterator[str]:
    """A new, empty schema's name (on the server at ``url``: the machine's, or the pgvector
    test server); the schema and everything in it is dropped at the end."""
    name = f"dazi_test_{uuid.uuid4().hex[:12]}"
    try:
        yield name
    finally:
        connection = await asyncpg.connect(url)
        try:
            await connection.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
        finally:
            await connection.close()


async def open_postgres(schema: str, url: str = POSTGRES_URL) -> PostgresDatabase:
    """Another connection pool on ``schema``: each one stands for a replica."""
    return await PostgresDatabase.open(url, schema=schema, max_size=4)
