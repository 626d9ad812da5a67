"""The composition root: building the services leaves the process's settings alone."""

from __future__ import annotations

import asyncio
import gc
from pathlib import Path

import pytest
from pydantic import SecretStr

from bot.app import build_services, build_transport, close_services, open_database, run_loop
from bot.config import ConfigError, Settings, load_settings
from bot.services import Services
from bot.storage.inbox import PostgresInbox
from bot.storage.postgres import PostgresDatabase
from tests.fakes.postgres import POSTGRES_URL, fresh_schema

TOKEN = "123456789:AAabcdefghijklmnopqrstuvwxyz012345"


def _on_postgres(tmp_path: Path, schema: str) -> Settings:
    """Settings with DATABASE_URL naming ``schema`` of the real server (and a SQLite path that
    must stay unused)."""
    return load_settings(
        _env_file=None,
        telegram_bot_token=TOKEN,
        openai_api_key="sk-test",
        database_path=tmp_path / "unused.sqlite3",
        database_url=f"{POSTGRES_URL}?search_path={schema}",
    )


async def test_build_services_does_not_tune_the_garbage_collector(tmp_path: Path) -> None:
    settings = load_settings(
        _env_file=None,
        telegram_bot_token=TOKEN,
        openai_api_key="sk-test",
        database_path=tmp_path / "dazi.sqlite3",
    )
    thresholds, frozen = gc.get_threshold(), gc.get_freeze_count()
    services = await build_services(settings)
    try:
        assert gc.get_threshold() == thresholds
        assert gc.get_freeze_count() == frozen
    finally:
        await close_services(services)


async def test_database_url_opens_postgresql_in_the_schema_it_names(tmp_path: Path) -> None:
    async with fresh_schema() as schema:
        settings = _on_postgres(tmp_path, schema)
        db = await open_database(settings)
        try:
            assert isinstance(db, PostgresDatabase) and db.schema == schema
            assert await db.fetchone("SELECT current_schema() AS s") == (schema,)
        finally:
            await db.close()
    assert not (tmp_path / "unused.sqlite3").exists()
    with pytest.raises(ConfigError, match="search_path"):
        await open_database(
            settings.model_copy(
                update={"database_url": SecretStr(f"{POSTGRES_URL}?search_path=a;DROP")}
            )
        )


async def test_every_service_runs_on_postgresql_with_database_url(tmp_path: Path) -> None:
    async with fresh_schema() as schema:
        settings = _on_postgres(tmp_path, schema)
        services = await build_services(settings)
        try:
            assert services.db.dialect == "postgresql"
            assert isinstance(services.inbox, PostgresInbox)
            versions = await services.db.fetchall(
                "SELECT component FROM schema_versions ORDER BY component"
            )
            components = {row[0] for row in versions}
            assert {"core", "memory", "groups", "media", "inbox", "reminders", "people"} <= (
                components
            )
        finally:
            await close_services(services)
    assert not (tmp_path / "unused.sqlite3").exists()


async def test_the_overall_rate_is_shared_through_postgresql_only_there(tmp_path: Path) -> None:
    async def sent() -> bool:
        return True

    async def send(services: Services) -> None:
        transport = await build_transport(services.settings, services)
        limiter = transport.app.bot.rate_limiter
        assert limiter is not None
        await limiter.process_request(sent, (), {}, "sendMessage", {"chat_id": 5}, None)

    async with fresh_schema() as schema:
        services = await build_services(_on_postgres(tmp_path, schema))
        try:
            await send(services)
            # The send took the slot shared with other replicas: the next is later than now.
            row = await services.db.fetchone(
                "SELECT next_at > clock_timestamp() - interval '1 minute' FROM send_budget"
            )
            assert row == (True,)
        finally:
            await close_services(services)
    on_sqlite = load_settings(
        _env_file=None,
        telegram_bot_token=TOKEN,
        openai_api_key="sk-test",
        database_path=tmp_path / "dazi.sqlite3",
    )
    services = await build_services(on_sqlite)
    try:
        await send(services)  # paced in memory: no table for it
        assert (
            await services.db.fetchone("SELECT name FROM sqlite_master WHERE name = 'send_budget'")
            is None
        )
    finally:
        await close_services(services)


def test_run_loop_serves_on_uvloop_and_returns_the_result() -> None:
    uvloop = pytest.importorskip("uvloop")

    async def loop_type() -> type[asyncio.AbstractEventLoop]:
        await asyncio.sleep(0)
        return type(asyncio.get_running_loop())

    assert run_loop(loop_type()) is uvloop.Loop
