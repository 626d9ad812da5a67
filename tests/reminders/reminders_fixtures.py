"""Shared pieces of the reminders unit tests: a database, a fake transport, a service."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from bot.reminders import Actor, Outgoing, ReminderService, SendResult, SendStatus
from bot.reminders.scheduler import SchedulerOptions
from bot.storage import CORE_MIGRATIONS, Database, UserRepository
from tests.fakes.clock import FakeClock

__all__ = ["ANNA", "GROUP", "LI", "FakeDelivery", "World", "make_world"]

#: Saturday 28 November 2026, 12:00 UTC = 13:00 in Berlin.
START = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
ANNA = Actor(user_id=101, chat_id=101, first_name="Anna", message_id=11)
LI = Actor(user_id=202, chat_id=202, first_name="李雷", message_id=22)
GROUP = Actor(
    user_id=101, chat_id=-100500, first_name="Anna", chat_type="supergroup", message_id=33
)


@dataclass
class FakeDelivery:
    """Records messages; ``plan`` scripts the next results; ``blocked`` chats answer 403."""

    sent: list[Outgoing] = field(default_factory=list)
    refused: list[Outgoing] = field(default_factory=list)
    plan: list[SendResult] = field(default_factory=list)
    blocked: set[int] = field(default_factory=set)
    delay: float = 0.0
    in_flight: int = 0
    max_in_flight: int = 0

    async def send(self, message: Outgoing) -> SendResult:
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.delay:
                await asyncio.sleep(self.delay)
            if self.plan:
                result = self.plan.pop(0)
                if not result.sent:
                    self.refused.append(message)
                    return result
            if message.chat_id in self.blocked:
                self.refused.append(message)
                return SendResult(SendStatus.BLOCKED, error="Forbidden: bot was blocked")
            self.sent.append(message)
            return SendResult(SendStatus.SENT, message_id=5000 + len(self.sent))
        finally:
            self.in_flight -= 1

    def texts(self) -> list[str]:
        return [message.text for message in self.sent]


@dataclass
class World:
    db: Database
    users: UserRepository
    clock: FakeClock
    service: ReminderService
    delivery: FakeDelivery

    async def reopen(self, path: Path) -> World:
        """A fresh process on the same database (after a crash or a restart)."""
        return await make_world(path, clock=self.clock, delivery=self.delivery)

    async def close(self) -> None:
        await self.service.stop()
        await self.db.close()


async def make_world(
    path: Path,
    *,
    clock: FakeClock | None = None,
    delivery: FakeDelivery | None = None,
    options: SchedulerOptions | None = None,
    default_timezone: str = "Europe/Berlin",
) -> World:
    clock = clock or FakeClock(START)
    db = await Database.open(path)
    await db.migrate("core", CORE_MIGRATIONS)
    users = UserRepository(db)
    for actor, language in ((ANNA, "en"), (LI, "zh")):
        await users.upsert(
            user_id=actor.user_id,
            first_name=actor.first_name,
            username=None,
            language=language,
            now=clock.now(),
        )
    service = await ReminderService.open(
        db,
        users,
        clock,
        default_timezone=default_timezone,
        scheduler_options=options or SchedulerOptions(max_per_second=None),
    )
    delivery = delivery or FakeDelivery()
    await service.start(delivery, background=False)
    return World(db, users, clock, service, delivery)
