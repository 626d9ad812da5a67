"""AccountService: one export, one forget-all and one migration across every data owner."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.account import AccountService, MemoryData, ReminderData
from bot.groups import ActiveChatDelivery, GroupService
from bot.memory import MemoryStore
from bot.reminders import NewReminder, Outgoing, ReminderService, SendResult, SendStatus
from bot.storage import CORE_MIGRATIONS, ChatRepository, Database, UserRepository
from tests.fakes.clock import FakeClock

ANNA, BOB, GROUP, SUPERGROUP = 101, 303, -4001, -1004001


@dataclass
class PeopleOwner:
    """A stand-in for the people service, registered the way it will register itself."""

    people: dict[int, list[str]] = field(default_factory=dict)

    async def export(self, *, user_id: int, chat_id: int) -> list[Any]:
        # A scope's key: a group's id, or the user's own chat (whose id is the user's).
        return list(self.people.get(chat_id, []))

    async def forget_all(self, *, user_id: int, chat_id: int) -> int:
        return len(self.people.pop(chat_id, []))

    async def migrate_chat(self, old_chat_id: int, new_chat_id: int) -> int:
        moved = self.people.pop(old_chat_id, [])
        self.people.setdefault(new_chat_id, []).extend(moved)
        return len(moved)


@dataclass
class World:
    db: Database
    clock: FakeClock
    users: UserRepository
    chats: ChatRepository
    memory: MemoryStore
    reminders: ReminderService
    groups: GroupService
    people: PeopleOwner
    account: AccountService


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    clock = FakeClock()
    db = await Database.open(tmp_path / "account.sqlite3")
    await db.migrate("core", CORE_MIGRATIONS)
    users, chats = UserRepository(db), ChatRepository(db)
    memory = await MemoryStore.open(db)
    reminders = await ReminderService.open(db, users, clock)
    groups = await GroupService.open(db, chats, clock)
    account = AccountService(users=users, chats=chats, clock=clock)
    people = PeopleOwner()
    account.register("memory", MemoryData(memory))
    account.register("reminders", ReminderData(reminders))
    account.register("groups", groups)
    account.register("people", people)
    yield World(db, clock, users, chats, memory, reminders, groups, people, account)
    await db.close()


async def _fill(world: World) -> None:
    """Anna and Bob in private and in a group: messages, facts, reminders, people, settings."""
    now = world.clock.now()
    for user, name in ((ANNA, "Anna"), (BOB, "Bob")):
        await world.users.upsert(
            user_id=user, first_name=name, username=None, language="en", now=now
        )
        await world.chats.upsert(chat_id=user, chat_type="private", title=None, now=now)
        await world.memory.add_message(
            user_id=user, chat_id=user, role="user", text=f"{name}'s private words", at=now
        )
        await world.memory.add_fact(user_id=user, chat_id=user, text=f"{name} likes tea", now=now)
        await world.reminders.repo.add(_reminder(user, user, f"{name}'s errand", now), now=now)
        world.people.people[user] = [f"{name}'s mother"]
    await world.users.set_timezone(ANNA, "Europe/Berlin")
    await world.users.update_settings(ANNA, reminder_offers=False)
    await world.chats.upsert(chat_id=GROUP, chat_type="group", title="Climbing", now=now)
    await world.chats.start_new_thread(GROUP)
    await world.memory.add_message(
        user_id=BOB, chat_id=GROUP, role="user", text="Group plans", at=now, speaker="Bob"
    )
    await world.memory.add_fact(user_id=BOB, chat_id=GROUP, text="The group climbs", now=now)
    await world.reminders.repo.add(_reminder(ANNA, GROUP, "pack the chalk", now), now=now)
    await world.groups.set_share(ANNA, GROUP, True)
    world.people.people[GROUP] = ["the instructor"]


def _reminder(user_id: int, chat_id: int, text: str, now: Any) -> NewReminder:
    return NewReminder(
        user_id=user_id,
        chat_id=chat_id,
        text=text,
        language="en",
        timezone="UTC",
        due_at=now + timedelta(days=1),
    )


async def test_private_export_is_one_json_document_of_every_kind(world: World) -> None:
    await _fill(world)
    document = await world.account.export(user_id=ANNA, chat_id=ANNA)
    json.dumps(document)  # serialisable as it is
    assert document["format"] == "dazi-export" and document["scope"] == {"kind": "user", "id": ANNA}
    assert document["user"]["timezone"] == "Europe/Berlin"
    assert document["settings"] == {
        "language": "en",
        "timezone": "Europe/Berlin",
        "reminder_offers": False,
    }
    assert [m["text"] for m in document["messages"]] == ["Anna's private words"]
    assert [f["text"] for f in document["facts"]] == ["Anna likes tea"]
    assert {r["text"] for r in document["reminders"]} == {"Anna's errand", "pack the chalk"}
    assert document["people"] == ["Anna's mother"]
    assert [row["chat_id"] for row in document["shared_with_groups"]] == [GROUP]
    assert "Bob" not in json.dumps(document) and "Group plans" not in json.dumps(document)
    counts = await world.account.counts(user_id=ANNA, chat_id=ANNA)
    assert counts["messages"] == 1 and counts["facts"] == 1 and counts["people"] == 1


async def test_group_export_holds_the_group_only(world: World) -> None:
    await _fill(world)
    document = await world.account.export(user_id=BOB, chat_id=GROUP)
    assert document["scope"] == {"kind": "group", "id": GROUP}
    assert document["chat"]["title"] == "Climbing" and "user" not in document
    assert [m["text"] for m in document["messages"]] == ["Group plans"]
    assert [r["text"] for r in document["reminders"]] == ["pack the chalk"]
    assert document["people"] == ["the instructor"]
    assert "private" not in json.dumps(document) and "tea" not in json.dumps(document)


async def test_private_forget_all_leaves_nothing_of_the_user(world: World) -> None:
    await _fill(world)
    report = await world.account.forget_all(user_id=ANNA, chat_id=ANNA)
    assert report.counts["memory"] == 2 and report.counts["core"] == 2
    assert report.counts["reminders"] == 2 and report.counts["people"] == 1
    assert report.counts["groups"] == 1
    db = world.db
    for sql in (
        "SELECT 1 FROM users WHERE id = ?",
        "SELECT 1 FROM chats WHERE id = ?",
        "SELECT 1 FROM messages WHERE scope_id = ?",
        "SELECT 1 FROM memory_facts WHERE scope_id = ?",
        "SELECT 1 FROM reminders WHERE user_id = ?",
        "SELECT 1 FROM group_shares WHERE user_id = ?",
    ):
        assert await db.fetchone(sql, (ANNA,)) is None, sql
    assert not await world.memory.search(user_id=ANNA, query="private words")
    assert await world.users.get(BOB) is not None
    assert await world.memory.search(user_id=BOB, query="private words")
    after = await world.account.export(user_id=ANNA, chat_id=ANNA)
    assert after["user"] is None and after["settings"] == {}
    for key in ("messages", "facts", "reminders", "people", "shared_with_groups"):
        assert after[key] == [], key


async def test_group_forget_all_keeps_the_members_private_data(world: World) -> None:
    await _fill(world)
    report = await world.account.forget_all(user_id=BOB, chat_id=GROUP)
    assert report.counts["memory"] == 2 and report.counts["reminders"] == 1
    assert report.counts["core"] == 1 and report.counts["groups"] == 1
    assert await world.chats.get(GROUP) is None
    assert not await world.memory.search(user_id=BOB, chat_id=GROUP, query="group plans")
    assert await world.users.get(ANNA) is not None and world.people.people[ANNA] == [
        "Anna's mother"
    ]
    assert len(await world.reminders.repo.for_user(ANNA)) == 1


async def test_migration_moves_every_owner_and_is_idempotent(world: World) -> None:
    await _fill(world)
    await world.chats.update_settings(GROUP, introduced_at="2026-11-28")
    moved = await world.account.migrate_chat(GROUP, SUPERGROUP)
    assert moved == {"core": 1, "memory": 1, "reminders": 1, "groups": 1, "people": 1}
    again = await world.account.migrate_chat(GROUP, SUPERGROUP)
    assert not any(again.values())
    chat = await world.chats.get(SUPERGROUP)
    assert chat is not None and chat.thread == 2 and chat.settings["introduced_at"]
    assert await world.chats.get(GROUP) is None
    [hit] = await world.memory.search(user_id=BOB, chat_id=SUPERGROUP, query="group plans")
    assert hit.chat_id == SUPERGROUP
    facts, _ = await world.memory.list_facts(user_id=BOB, chat_id=SUPERGROUP)
    assert [fact.text for fact in facts] == ["The group climbs"]
    assert [r.text for r in await world.reminders.repo.for_chat(SUPERGROUP)] == ["pack the chalk"]
    assert await world.groups.shares(ANNA, SUPERGROUP) and not await world.groups.shares(
        ANNA, GROUP
    )


async def test_owners_cannot_collide(world: World) -> None:
    with pytest.raises(ValueError):
        world.account.register("memory", PeopleOwner())
    with pytest.raises(ValueError):
        world.account.register("settings", PeopleOwner())
    world.account.register("more_people", PeopleOwner(people={ANNA: ["x"]}))
    world.account.register("clash", _Clash())
    with pytest.raises(ValueError, match="messages"):
        await world.account.export(user_id=ANNA, chat_id=ANNA)


class _Clash:
    async def export(self, *, user_id: int, chat_id: int) -> dict[str, Any]:
        return {"messages": []}

    async def forget_all(self, *, user_id: int, chat_id: int) -> int:
        return 0

    async def migrate_chat(self, old_chat_id: int, new_chat_id: int) -> int:
        return 0


async def test_nothing_is_delivered_to_a_chat_dazi_left(world: World) -> None:
    sent: list[Outgoing] = []

    class Recorder:
        async def send(self, message: Outgoing) -> SendResult:
            sent.append(message)
            return SendResult(SendStatus.SENT, message_id=1)

    delivery = ActiveChatDelivery(Recorder(), world.groups)
    assert (await delivery.send(Outgoing(GROUP, "hi"))).sent  # an unknown chat is active
    assert await world.groups.joined(chat_id=GROUP, chat_type="group", title="Climbing")
    assert not await world.groups.joined(chat_id=GROUP, chat_type="group", title="Climbing")
    await world.groups.left(chat_id=GROUP, chat_type="group", title="Climbing")
    result = await delivery.send(Outgoing(GROUP, "still there?"))
    assert result.status == SendStatus.BLOCKED and len(sent) == 1
    assert not await world.groups.joined(chat_id=GROUP, chat_type="group", title="Climbing")
    assert (await delivery.send(Outgoing(GROUP, "back"))).sent


async def test_private_forget_all_takes_dazis_group_answers_that_quote_the_user(
    world: World,
) -> None:
    await _fill(world)
    now = world.clock.now()
    memory = world.memory
    await memory.add_message(
        user_id=ANNA,
        chat_id=GROUP,
        role="user",
        text="My secret is the blue door",
        at=now,
        speaker="Anna",
        tg_message_id=501,
    )
    for text, reply_to in (
        ("Anna, your secret door sounds lovely", 501),  # an answer to her
        ("Someone said: My secret is the blue door", None),  # quotes her to others
        ("The crag opens at nine", None),  # nothing of hers
    ):
        await memory.add_message(
            user_id=BOB,
            chat_id=GROUP,
            role="assistant",
            text=text,
            at=now,
            reply_to_tg_id=reply_to,
        )
    await world.account.forget_all(user_id=ANNA, chat_id=ANNA)
    rows = await world.db.fetchall("SELECT text FROM messages WHERE scope_id = ?", (GROUP,))
    texts = [row["text"] for row in rows]
    assert "The crag opens at nine" in texts and "Group plans" in texts
    assert not [text for text in texts if "secret" in text], texts
    assert not await memory.search(user_id=BOB, chat_id=GROUP, query="blue door secret")
