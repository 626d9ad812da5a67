"""Shared pieces of the people unit tests: a database, a fake transport and LLM, a service."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.chats import ChatKind
from bot.outbound import Notice
from bot.people import Actor, PeopleService
from bot.people.runner import RunnerOptions
from bot.storage import Database, UserRepository
from tests.fakes import scripted_llm
from tests.fakes.clock import FakeClock
from tests.fakes.database import open_with_users
from tests.fakes.delivery import FakeDelivery

__all__ = [
    "ANNA",
    "GROUP",
    "LI",
    "START",
    "FakeDelivery",
    "ScriptedLLM",
    "World",
    "labels",
    "make_world",
]

#: Saturday 28 November 2026, 12:00 UTC.
START = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
ANNA = Actor(user_id=101, chat_id=101, first_name="Anna")
LI = Actor(user_id=202, chat_id=202, first_name="李雷")
GROUP = Actor(user_id=101, chat_id=-100500, first_name="Anna", kind=ChatKind.GROUP)


def labels(notice: Notice) -> list[str]:
    return [button.label for row in notice.buttons for button in row]


class ScriptedLLM(scripted_llm.ScriptedLLM):
    """The shared scripted model; the people tests call its script ``answers``."""

    @property
    def answers(self) -> list[scripted_llm.Reply]:
        return self.replies

    @answers.setter
    def answers(self, script: list[scripted_llm.Reply]) -> None:
        self.replies = script


@dataclass
class World:
    path: Path
    db: Database
    users: UserRepository
    clock: FakeClock
    service: PeopleService
    delivery: FakeDelivery
    llm: ScriptedLLM

    async def reopen(self) -> World:
        """A fresh process on the same database (after a crash or a restart)."""
        await self.close()
        return await make_world(self.path, clock=self.clock, delivery=self.delivery)

    async def close(self) -> None:
        await self.service.stop()
        await self.db.close()

    async def say(self, actor: Actor, command: str, text: str = "") -> Notice:
        return await self.service.command(actor, command, text)

    async def person(self, actor: Actor, name: str) -> Any:
        [found] = [p for p in await self.service.repo.for_user(actor.user_id) if p.name == name]
        return found


async def make_world(
    path: Path,
    *,
    clock: FakeClock | None = None,
    delivery: FakeDelivery | None = None,
    memory: Any = None,
    options: RunnerOptions | None = None,
) -> World:
    clock = clock or FakeClock(START)
    db, users = await open_with_users(path, clock.now(), ((ANNA, "en"), (LI, "zh")))
    llm = ScriptedLLM(default="Hello!")
    service = await PeopleService.open(
        db, users, clock, llm=llm, memory=memory, runner_options=options
    )
    delivery = delivery or FakeDelivery()
    await service.start(delivery, background=False)
    return World(path, db, users, clock, service, delivery, llm)
