"""Shared pieces of the reminders unit tests: a database, a fake transport, a service."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bot.chats import ChatKind
from bot.reminders import Actor, ReminderService
from bot.reminders.scheduler import SchedulerOptions
from bot.storage import Database, UserRepository
from tests.fakes.clock import FakeClock
from tests.fakes.database import open_with_users
from tests.fakes.delivery import FakeDelivery

__all__ = ["ANNA", "GROUP", "LI", "FakeDelivery", "World", "make_world"]

#: Saturday 28 November 2026, 12:00 UTC = 13:00 in Berlin.
START = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
ANNA = Actor(user_id=101, chat_id=101, first_name="Anna", message_id=11)
LI = Actor(user_id=202, chat_id=202, first_name="李雷", message_id=22)
GROUP = Actor(user_id=101, chat_id=-100500, first_name="Anna", kind=ChatKind.GROUP, message_id=33)


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
    db, users = await open_with_users(path, clock.now(), ((ANNA, "en"), (LI, "zh")))
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
