"""Shared pieces of the people unit tests: a database, a fake transport and LLM, a service."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.conversation import Notice
from bot.llm.client import LLMUnavailable
from bot.llm.types import ChatMessage, Completion, StreamEvent, ToolSpec
from bot.people import Actor, PeopleService
from bot.people.runner import RunnerOptions
from bot.reminders.delivery import Outgoing, SendResult, SendStatus
from bot.storage import CORE_MIGRATIONS, Database, UserRepository
from tests.fakes.clock import FakeClock

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
GROUP = Actor(user_id=101, chat_id=-100500, first_name="Anna", chat_type="supergroup")


def labels(notice: Notice) -> list[str]:
    return [button.label for row in notice.buttons for button in row]


@dataclass
class FakeDelivery:
    """Records messages; ``plan`` scripts the next results."""

    sent: list[Outgoing] = field(default_factory=list)
    plan: list[SendResult] = field(default_factory=list)

    async def send(self, message: Outgoing) -> SendResult:
        if self.plan:
            result = self.plan.pop(0)
            if not result.sent:
                return result
        self.sent.append(message)
        return SendResult(SendStatus.SENT, message_id=7000 + len(self.sent))


@dataclass
class ScriptedLLM:
    """Answers plain requests from ``answers`` (an exception is raised), keeps the requests."""

    answers: list[str | Exception] = field(default_factory=list)
    requests: list[list[ChatMessage]] = field(default_factory=list)

    async def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        tools: Sequence[ToolSpec] | None = None,
        temperature: float | None = None,
        max_tokens: int | None = None,
    ) -> Completion:
        self.requests.append(list(messages))
        answer = self.answers.pop(0) if self.answers else "Hello!"
        if isinstance(answer, Exception):
            raise answer
        return Completion(text=answer)

    async def stream(
        self, messages: Sequence[ChatMessage], *, tools: Sequence[ToolSpec] | None = None
    ) -> AsyncIterator[StreamEvent]:  # pragma: no cover - not used by people
        raise LLMUnavailable("no streaming here")
        yield StreamEvent()


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
    llm = ScriptedLLM()
    service = await PeopleService.open(
        db, users, clock, llm=llm, memory=memory, runner_options=options
    )
    delivery = delivery or FakeDelivery()
    await service.start(delivery, background=False)
    return World(path, db, users, clock, service, delivery, llm)
