"""The storage tests' database: each test runs on SQLite and on the real PostgreSQL server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.storage import CORE_MIGRATIONS, Database
from tests.fakes.postgres import fresh_schema, open_postgres


@pytest.fixture(params=["sqlite", "postgresql"])
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    if request.param == "sqlite":
        database = await Database.open(tmp_path / "dazi.sqlite3")
        await database.migrate("core", CORE_MIGRATIONS)
        yield database
        await database.close()
        return
    async with fresh_schema() as schema:
        database = await open_postgres(schema)
        await database.migrate("core", CORE_MIGRATIONS)
        yield database
        await database.close()
