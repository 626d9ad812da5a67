"""Shared fixtures: the fake LLM server and the whole bot on a temporary database."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

# As in production (bot.app.main): PTB durations as timedelta, no deprecation warnings.
os.environ.setdefault("PTB_TIMEDELTA", "1")

from tests.fakes.harness import BotHarness
from tests.fakes.llm import FakeLLM


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


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Drop the PostgreSQL schemas the run made."""
    import asyncio

    from tests.fakes.postgres import drop_schemas

    asyncio.run(drop_schemas())
