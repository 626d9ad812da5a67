"""The account tests' world: every data owner on one database, registered under the names the
composition root (``bot.app``) gives them, so that export, forget and migration cross them all.

One way to build it (:func:`make_account_world`), used by the ``account_world`` fixture in
``tests/conftest.py``; a test may swap the people owner for a stand-in or give memory an
embedder.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bot.account import AccountService, DataOwner, MemoryData, ReminderData
from bot.conversation.documents import DocumentBacklog
from bot.groups import GroupService
from bot.media import MediaUsage
from bot.memory import MemoryStore
from bot.people import PeopleService
from bot.reminders import NewReminder, ReminderService
from bot.storage import CORE_MIGRATIONS, ChatRepository, Database, UserRepository
from tests.fakes.clock import FakeClock

__all__ = ["AccountWorld", "SwitchEmbedder", "make_account_world", "reminder_for_tomorrow"]


class SwitchEmbedder:
    """Bag-of-letters vectors; while ``down`` it fails, so items stay queued."""

    def __init__(self) -> None:
        self.down = False

    async def embed(self, texts: list[str], **_: Any) -> list[list[float]]:
        if self.down:
            raise ConnectionError("embedding server unreachable")
        vectors = []
        for text in texts:
            vector = [float(text.lower().count(letter)) + 0.1 for letter in "abcdefgh"]
            norm = sum(v * v for v in vector) ** 0.5
            vectors.append([v / norm for v in vector])
        return vectors


@dataclass
class AccountWorld:
    db: Database
    clock: FakeClock
    users: UserRepository
    chats: ChatRepository
    memory: MemoryStore
    reminders: ReminderService
    groups: GroupService
    #: The real people service, or the stand-in the test gave.
    people: Any
    account: AccountService
    embedder: SwitchEmbedder | None
    documents: DocumentBacklog

    async def close(self) -> None:
        await self.memory.close()
        await self.db.close()


async def make_account_world(
    path: Path, *, people: DataOwner | None = None, embedder: SwitchEmbedder | None = None
) -> AccountWorld:
    """A fresh SQLite database at ``path`` with every owner registered: memory (with
    ``embedder``, if any), reminders, groups, people (the real service unless ``people`` is
    given), media usage and the documents not yet wholly stored."""
    clock = FakeClock()
    db = await Database.open(path)
    await db.migrate("core", CORE_MIGRATIONS)
    users, chats = UserRepository(db), ChatRepository(db)
    memory = await MemoryStore.open(db, embedder=embedder)
    reminders = await ReminderService.open(db, users, clock)
    groups = await GroupService.open(db, chats, clock)
    owner = people or await PeopleService.open(db, users, clock, memory=memory)
    account = AccountService(users=users, chats=chats, clock=clock, db=db)
    account.register("memory", MemoryData(memory))
    account.register("reminders", ReminderData(reminders))
    account.register("groups", groups)
    account.register("people", owner)
    account.register("media", await MediaUsage.open(db))
    documents = await DocumentBacklog.open(db, memory, clock)
    account.register("pending_documents", documents)
    return AccountWorld(
        db, clock, users, chats, memory, reminders, groups, owner, account, embedder, documents
    )


def reminder_for_tomorrow(user_id: int, chat_id: int, text: str, now: datetime) -> NewReminder:
    """A one-off English reminder due a day after ``now``."""
    return NewReminder(
        user_id=user_id,
        chat_id=chat_id,
        text=text,
        language="en",
        timezone="UTC",
        due_at=now + timedelta(days=1),
    )
