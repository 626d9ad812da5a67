"""AccountService: one export, one forget-all and one migration across every data owner."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest

from bot.groups import ActiveChatDelivery
from bot.reminders import Outgoing, SendResult, SendStatus
from tests.fakes.account_world import AccountWorld, reminder_for_tomorrow

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


@pytest.fixture
def account_people() -> PeopleOwner:
    """The stand-in takes the real people service's place in the account account_world."""
    return PeopleOwner()


async def _fill(account_world: AccountWorld) -> None:
    """Anna and Bob in private and in a group: messages, facts, reminders, people, settings."""
    now = account_world.clock.now()
    for user, name in ((ANNA, "Anna"), (BOB, "Bob")):
        await account_world.users.upsert(
            user_id=user, first_name=name, username=None, language="en", now=now
        )
        await account_world.chats.upsert(chat_id=user, chat_type="private", title=None, now=now)
        await account_world.memory.add_message(
            user_id=user, chat_id=user, role="user", text=f"{name}'s private words", at=now
        )
        await account_world.memory.add_fact(
            user_id=user, chat_id=user, text=f"{name} likes tea", now=now
        )
        await account_world.reminders.repo.add(
            reminder_for_tomorrow(user, user, f"{name}'s errand", now), now=now
        )
        account_world.people.people[user] = [f"{name}'s mother"]
    await account_world.users.set_timezone(ANNA, "Europe/Berlin")
    await account_world.users.update_settings(ANNA, reminder_offers=False)
    await account_world.chats.upsert(chat_id=GROUP, chat_type="group", title="Climbing", now=now)
    await account_world.chats.start_new_thread(GROUP)
    await account_world.memory.add_message(
        user_id=BOB, chat_id=GROUP, role="user", text="Group plans", at=now, speaker="Bob"
    )
    await account_world.memory.add_fact(
        user_id=BOB, chat_id=GROUP, text="The group climbs", now=now
    )
    await account_world.reminders.repo.add(
        reminder_for_tomorrow(ANNA, GROUP, "pack the chalk", now), now=now
    )
    await account_world.groups.set_share(ANNA, GROUP, True)
    account_world.people.people[GROUP] = ["the instructor"]


async def test_private_export_is_one_json_document_of_every_kind(
    account_world: AccountWorld,
) -> None:
    await _fill(account_world)
    document = await account_world.account.export(user_id=ANNA, chat_id=ANNA)
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
    counts = await account_world.account.counts(user_id=ANNA, chat_id=ANNA)
    assert counts["messages"] == 1 and counts["facts"] == 1 and counts["people"] == 1


async def test_group_export_holds_the_group_only(account_world: AccountWorld) -> None:
    await _fill(account_world)
    document = await account_world.account.export(user_id=BOB, chat_id=GROUP)
    assert document["scope"] == {"kind": "group", "id": GROUP}
    assert document["chat"]["title"] == "Climbing" and "user" not in document
    assert [m["text"] for m in document["messages"]] == ["Group plans"]
    assert [r["text"] for r in document["reminders"]] == ["pack the chalk"]
    assert document["people"] == ["the instructor"]
    assert "private" not in json.dumps(document) and "tea" not in json.dumps(document)


async def test_private_forget_all_leaves_nothing_of_the_user(account_world: AccountWorld) -> None:
    await _fill(account_world)
    report = await account_world.account.forget_all(user_id=ANNA, chat_id=ANNA)
    assert report.counts["memory"] == 2 and report.counts["core"] == 2
    assert report.counts["reminders"] == 2 and report.counts["people"] == 1
    assert report.counts["groups"] == 1
    db = account_world.db
    for sql in (
        "SELECT 1 FROM users WHERE id = ?",
        "SELECT 1 FROM chats WHERE id = ?",
        "SELECT 1 FROM messages WHERE scope_id = ?",
        "SELECT 1 FROM memory_facts WHERE scope_id = ?",
        "SELECT 1 FROM reminders WHERE user_id = ?",
        "SELECT 1 FROM group_shares WHERE user_id = ?",
    ):
        assert await db.fetchone(sql, (ANNA,)) is None, sql
    assert not await account_world.memory.search(user_id=ANNA, query="private words")
    assert await account_world.users.get(BOB) is not None
    assert await account_world.memory.search(user_id=BOB, query="private words")
    after = await account_world.account.export(user_id=ANNA, chat_id=ANNA)
    assert after["user"] is None and after["settings"] == {}
    for key in ("messages", "facts", "reminders", "people", "shared_with_groups"):
        assert after[key] == [], key


async def test_group_forget_all_keeps_the_members_private_data(account_world: AccountWorld) -> None:
    await _fill(account_world)
    report = await account_world.account.forget_all(user_id=BOB, chat_id=GROUP)
    assert report.counts["memory"] == 2 and report.counts["reminders"] == 1
    assert report.counts["core"] == 1 and report.counts["groups"] == 1
    assert await account_world.chats.get(GROUP) is None
    assert not await account_world.memory.search(user_id=BOB, chat_id=GROUP, query="group plans")
    assert await account_world.users.get(ANNA) is not None and account_world.people.people[
        ANNA
    ] == ["Anna's mother"]
    assert len(await account_world.reminders.repo.for_user(ANNA)) == 1


async def test_migration_moves_every_owner_and_is_idempotent(account_world: AccountWorld) -> None:
    await _fill(account_world)
    await account_world.chats.update_settings(GROUP, introduced_at="2026-11-28")
    moved = await account_world.account.migrate_chat(GROUP, SUPERGROUP)
    assert moved == {
        "core": 1,
        "memory": 1,
        "reminders": 1,
        "groups": 1,
        "people": 1,
        "media": 0,
        "pending_documents": 0,
    }
    again = await account_world.account.migrate_chat(GROUP, SUPERGROUP)
    assert not any(again.values())
    chat = await account_world.chats.get(SUPERGROUP)
    assert chat is not None and chat.thread == 2 and chat.settings["introduced_at"]
    assert await account_world.chats.get(GROUP) is None
    [hit] = await account_world.memory.search(user_id=BOB, chat_id=SUPERGROUP, query="group plans")
    assert hit.chat_id == SUPERGROUP
    facts, _ = await account_world.memory.list_facts(user_id=BOB, chat_id=SUPERGROUP)
    assert [fact.text for fact in facts] == ["The group climbs"]
    assert [r.text for r in await account_world.reminders.repo.for_chat(SUPERGROUP)] == [
        "pack the chalk"
    ]
    assert await account_world.groups.shares(
        ANNA, SUPERGROUP
    ) and not await account_world.groups.shares(ANNA, GROUP)


async def test_owners_cannot_collide(account_world: AccountWorld) -> None:
    with pytest.raises(ValueError):
        account_world.account.register("memory", PeopleOwner())
    with pytest.raises(ValueError):
        account_world.account.register("settings", PeopleOwner())
    account_world.account.register("more_people", PeopleOwner(people={ANNA: ["x"]}))
    account_world.account.register("clash", _Clash())
    with pytest.raises(ValueError, match="messages"):
        await account_world.account.export(user_id=ANNA, chat_id=ANNA)


class _Clash:
    async def export(self, *, user_id: int, chat_id: int) -> dict[str, Any]:
        return {"messages": []}

    async def forget_all(self, *, user_id: int, chat_id: int) -> int:
        return 0

    async def migrate_chat(self, old_chat_id: int, new_chat_id: int) -> int:
        return 0


async def test_nothing_is_delivered_to_a_chat_dazi_left(account_world: AccountWorld) -> None:
    sent: list[Outgoing] = []

    class Recorder:
        async def send(self, message: Outgoing) -> SendResult:
            sent.append(message)
            return SendResult(SendStatus.SENT, message_id=1)

    delivery = ActiveChatDelivery(Recorder(), account_world.groups)
    assert (await delivery.send(Outgoing(GROUP, "hi"))).sent  # an unknown chat is active
    assert await account_world.groups.joined(chat_id=GROUP, chat_type="group", title="Climbing")
    assert not await account_world.groups.joined(chat_id=GROUP, chat_type="group", title="Climbing")
    await account_world.groups.left(chat_id=GROUP, chat_type="group", title="Climbing")
    result = await delivery.send(Outgoing(GROUP, "still there?"))
    assert result.status == SendStatus.BLOCKED and len(sent) == 1
    assert not await account_world.groups.joined(chat_id=GROUP, chat_type="group", title="Climbing")
    assert (await delivery.send(Outgoing(GROUP, "back"))).sent


async def test_private_forget_all_takes_dazis_group_answers_that_quote_the_user(
    account_world: AccountWorld,
) -> None:
    await _fill(account_world)
    now = account_world.clock.now()
    memory = account_world.memory
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
    await account_world.account.forget_all(user_id=ANNA, chat_id=ANNA)
    rows = await account_world.db.fetchall("SELECT text FROM messages WHERE scope_id = ?", (GROUP,))
    texts = [row["text"] for row in rows]
    assert "The crag opens at nine" in texts and "Group plans" in texts
    assert not [text for text in texts if "secret" in text], texts
    assert not await memory.search(user_id=BOB, chat_id=GROUP, query="blue door secret")
