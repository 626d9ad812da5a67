"""Shared fixtures: the fake LLM server and the whole bot on a temporary database."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.storage import CORE_MIGRATIONS, Database

# As in production (bot.app.main): PTB durations as timedelta, no deprecation warnings.
os.environ.setdefault("PTB_TIMEDELTA", "1")

from tests.fakes.harness import BotHarness
from tests.fakes.llm import FakeLLM
from tests.fakes.postgres import fresh_schema, open_postgres


@pytest.fixture
async def llm() -> AsyncIterator[FakeLLM]:
    server = FakeLLM()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def harness(tmp_path: Path, llm: FakeLLM) -> AsyncIterator[BotHarness]:
    bot = BotHarness(database=tmp_path / "dazi.sqlite3", llm=llm)
    await bot.start()
    yield bot
    await bot.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
async def each_engine(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """A database with the core tables, once on SQLite and once on the real PostgreSQL server
    (a fresh schema, dropped after)."""
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


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Drop the PostgreSQL schemas the run made."""
    import asyncio

    from tests.fakes.postgres import drop_schemas

    asyncio.run(drop_schemas())
