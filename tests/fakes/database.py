"""A fresh database for the feature tests, with the core tables and a few users in it."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from bot.memory import MemoryStore
from bot.storage import CORE_MIGRATIONS, Database, UserRepository
from tests.fakes.postgres import on_postgres, open_postgres, schema_for

__all__ = ["open_database", "open_memory", "open_with_users"]


async def open_database(path: Path) -> Database:
    """The database at ``path``: SQLite, or with DAZI_TEST_DATABASE=postgresql a schema of the
    real PostgreSQL server standing for that path."""
    if on_postgres():
        return await open_postgres(schema_for(path))
    return await Database.open(path)


async def open_memory(path: Path, **options: Any) -> MemoryStore:
    """A memory store that owns its database at ``path`` (see :func:`open_database`): closing
    the store closes it."""
    return await MemoryStore.open(await open_database(path), close_database=True, **options)


class _Person(Protocol):
    @property
    def user_id(self) -> int: ...

    @property
    def first_name(self) -> str: ...


async def open_with_users(
    path: Path, now: datetime, users: Iterable[tuple[_Person, str]]
) -> tuple[Database, UserRepository]:
    """Open the database at ``path``, migrate the core tables and add the (person, language)
    ``users``."""
    db = await open_database(path)
    await db.migrate("core", CORE_MIGRATIONS)
    repository = UserRepository(db)
    for person, language in users:
        await repository.upsert(
            user_id=person.user_id,
            first_name=person.first_name,
            username=None,
            language=language,
            now=now,
        )
    return db, repository
