"""The composition root: building the services leaves the process's settings alone."""

from __future__ import annotations

import gc
from pathlib import Path

from bot.app import build_services, close_services
from bot.config import load_settings

TOKEN = "123456789:AAabcdefghijklmnopqrstuvwxyz012345"


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
