"""Shared fixtures: the fake LLM server, the whole bot on a temporary database, the storage
engines, and the account tests' world of every data owner."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.account import DataOwner
from bot.storage import CORE_MIGRATIONS, Database

# As in production (bot.app.main): PTB durations as timedelta, no deprecation warnings.
os.environ.setdefault("PTB_TIMEDELTA", "1")
# The pytest-xdist workers (started after this file is read) compile code without column
# positions, so a traceback formatted in a thread never calls ast.parse for its carets: on
# CPython 3.11 two threads converting ASTs at once can clobber the ast module's global
# recursion counter ("SystemError: AST constructor recursion depth mismatch"), which once
# crashed a worker while pytest parsed a test's source for its report.
os.environ.setdefault("PYTHONNODEBUGRANGES", "1")

from tests.fakes.account_world import AccountWorld, SwitchEmbedder, make_account_world
from tests.fakes.harness import BotHarness
from tests.fakes.llm import FakeLLM
from tests.fakes.postgres import fresh_schema, open_postgres

#: The session's pgvector server fixture (``pgvector_server``).
pytest_plugins = ["tests.fakes.pgvector_server"]


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


@pytest.fixture
def account_people() -> DataOwner | None:
    """The account world's people owner: None for the real service (a module may override
    this fixture with a stand-in)."""
    return None


@pytest.fixture
def account_embedder() -> SwitchEmbedder | None:
    """The account world's memory embedder: none (a module may override this fixture)."""
    return None


@pytest.fixture
async def account_world(
    tmp_path: Path, account_people: DataOwner | None, account_embedder: SwitchEmbedder | None
) -> AsyncIterator[AccountWorld]:
    """Every data owner on one fresh database (see tests/fakes/account_world.py)."""
    world = await make_account_world(
        tmp_path / "account.sqlite3", people=account_people, embedder=account_embedder
    )
    yield world
    await world.close()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Drop the PostgreSQL schemas the run made."""
    import asyncio

    from tests.fakes.postgres import drop_schemas

    asyncio.run(drop_schemas())
