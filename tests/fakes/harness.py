"""The whole bot, for end-to-end tests: real PTB Application + fake Bot API + fake LLM server."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.ext import Application

from bot.app import build_services, close_services
from bot.config import Settings, load_settings
from bot.people import DigestReport
from bot.reminders import RunReport
from bot.services import Services
from bot.telegram import announce_commands, build_application
from bot.telegram.delivery import TelegramDelivery
from bot.telegram.inbox import resume_inbox
from bot.telegram.ratelimit import ChatRateLimiter
from bot.telegram.updates import park_updates
from tests.fakes.clock import FakeClock
from tests.fakes.llm import FakeLLM
from tests.fakes.postgres import POSTGRES_URL, on_postgres, schema_for
from tests.fakes.telegram import FakeBotAPI
from tests.fakes.waiting import PATIENCE

__all__ = ["TEST_API_KEY", "TEST_TOKEN", "BotHarness"]

TEST_TOKEN = "123456789:TEST-token-abcdefghijklmnopqrstuvwxyz"
TEST_API_KEY = "sk-test-secret-key-0123456789"


@dataclass
class BotHarness:
    """Starts and stops the bot on one database; ``restart()`` keeps the database."""

    database: Path
    llm: FakeLLM
    clock: FakeClock = field(default_factory=FakeClock)
    api: FakeBotAPI = field(init=False)
    settings: Settings = field(init=False)
    services: Services | None = None
    app: Application | None = None
    slept: list[float] = field(default_factory=list)
    overrides: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.api = FakeBotAPI(clock=self.clock.now)

    async def start(self, **overrides: Any) -> BotHarness:
        self.overrides.update(overrides)
        defaults: dict[str, Any] = {
            "telegram_file_base_url": await self.api.start_file_server(),
            "telegram_bot_token": TEST_TOKEN,
            "openai_api_key": TEST_API_KEY,
            "openai_base_url": self.llm.base_url,
            "llm_model": "fake-model",
            "llm_max_retries": 2,
            "database_path": self.database,
            "rate_private_chat_per_second": 1000,
            "rate_group_per_minute": 100_000,
            "rate_overall_per_second": 1000,
        }
        if on_postgres():
            # The same bot on the real PostgreSQL server: a schema standing for the database
            # file, so that a restart finds the same data.
            defaults["database_url"] = f"{POSTGRES_URL}?search_path={schema_for(self.database)}"
        self.settings = load_settings(_env_file=None, **{**defaults, **self.overrides})
        self.services = await build_services(self.settings, clock=self.clock)
        limiter = ChatRateLimiter(
            overall_per_second=1000,
            private_per_second=1000,
            group_per_minute=100_000,
            sleep=self._fake_sleep,
        )
        self.app = build_application(
            self.settings, self.services, request=self.api, rate_limiter=limiter
        )
        await self.app.initialize()
        await announce_commands(self.app)
        await self.app.start()
        await resume_inbox(self.app, self.services.inbox)
        assert self.app.updater is not None
        await self.app.updater.start_polling(poll_interval=0, allowed_updates=Update.ALL_TYPES)
        # The scheduler recovers claims at start but sends only when a test runs it.
        await self.services.reminders.start(
            self.services.outbound(TelegramDelivery(self.app.bot)), background=False
        )
        await self.services.people.start(
            self.services.outbound(TelegramDelivery(self.app.bot)), background=False
        )
        # On PostgreSQL, fact learning is claimed from the database, as replicas do.
        self.services.conversation.start_learning()
        return self

    async def stop(self) -> None:
        if self.services is not None:
            await self.services.reminders.stop()
        if self.app is not None:
            assert self.app.updater is not None
            await self.app.updater.stop()
            await park_updates(self.app, self.settings.shutdown_grace_seconds)
            await self.app.stop()
            await self.app.shutdown()
            self.app = None
        if self.services is not None:
            await close_services(self.services)
            self.services = None
        await self.api.stop_file_server()

    async def restart(self) -> None:
        await self.stop()
        await self.start()

    async def run_scheduler(self) -> RunReport:
        """Send every reminder due at ``self.clock``'s time; return when all were handled."""
        assert self.services is not None
        return await self.services.reminders.scheduler.run_due()

    async def run_digests(self) -> DigestReport:
        """Send every people digest due at ``self.clock``'s time."""
        assert self.services is not None
        return await self.services.people.runner.run_due()

    async def settle(self, timeout: float = PATIENCE) -> None:
        """Wait until every pushed update was handled and background work has finished,
        learning from every message not yet learned from included."""
        assert self.app is not None and self.services is not None
        processor = self.app.update_processor
        async with asyncio.timeout(timeout):
            while (
                self.api.delivered_update_id < self.api.last_update_id
                or self.api.unconfirmed
                or not self.app.update_queue.empty()
                or processor.current_concurrent_updates
            ):
                await asyncio.sleep(0.005)
            await self.services.conversation.learn_pending()

    async def _fake_sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
