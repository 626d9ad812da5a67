"""GroupService on both engines: membership, one introduction, sharing, export, forget and the
move to a supergroup (a 64-bit id) behave the same on SQLite and on PostgreSQL."""

from __future__ import annotations

from bot.groups import GroupService
from bot.storage import ChatRepository, Database
from tests.fakes.clock import FakeClock

ANNA, BOB = 101, 303
GROUP, SUPERGROUP = -4001, -1001234567890


async def _groups(db: Database) -> GroupService:
    return await GroupService.open(db, ChatRepository(db), FakeClock())


async def test_a_group_is_introduced_once_and_left_chats_get_nothing(each_engine: Database) -> None:
    groups = await _groups(each_engine)
    assert await groups.joined(chat_id=GROUP, chat_type="group", title="Climbers")
    assert await groups.introduced(GROUP)
    await groups.left(chat_id=GROUP, chat_type="group", title="Climbers")
    assert not await groups.is_active(GROUP)
    # Re-added: active again, but no second introduction.
    assert not await groups.joined(chat_id=GROUP, chat_type="group", title="Climbers")
    assert await groups.is_active(GROUP)
    assert await groups.is_active(-999)  # an unknown chat is not blocked


async def test_sharing_is_per_member_and_moves_to_the_supergroup(each_engine: Database) -> None:
    groups = await _groups(each_engine)
    await groups.joined(chat_id=GROUP, chat_type="group", title="Climbers")
    await groups.set_share(ANNA, GROUP, True)
    await groups.set_share(ANNA, GROUP, True)  # twice is once
    assert await groups.shares(ANNA, GROUP)
    assert not await groups.shares(BOB, GROUP)
    assert not await groups.shares(ANNA, ANNA)  # never in private

    # Bob already chose in the supergroup before the old group's rows moved there.
    await groups.set_share(BOB, SUPERGROUP, True)
    await groups.set_share(BOB, GROUP, True)
    assert await groups.migrate_chat(GROUP, SUPERGROUP) == 1  # Anna's; Bob's was there
    assert await groups.migrate_chat(GROUP, SUPERGROUP) == 0  # announced twice: idempotent
    assert await groups.shares(ANNA, SUPERGROUP) and await groups.shares(BOB, SUPERGROUP)
    assert not await groups.shares(ANNA, GROUP)
    assert await groups.introduced(SUPERGROUP) and not await groups.introduced(GROUP)

    exported = await groups.export(user_id=ANNA, chat_id=SUPERGROUP)
    assert [row["user_id"] for row in exported["sharing_members"]] == [ANNA, BOB]
    assert exported["introduced_at"] is not None
    mine = await groups.export(user_id=ANNA, chat_id=ANNA)
    assert [row["chat_id"] for row in mine["shared_with_groups"]] == [SUPERGROUP]

    assert await groups.forget_all(user_id=ANNA, chat_id=ANNA) == 1
    assert not await groups.shares(ANNA, SUPERGROUP) and await groups.shares(BOB, SUPERGROUP)
    await groups.set_share(BOB, SUPERGROUP, False)
    assert not await groups.shares(BOB, SUPERGROUP)
    # The introduction mark outlives a group's forget-all: it says nothing about anyone.
    assert await groups.forget_all(user_id=BOB, chat_id=SUPERGROUP) == 0
    assert await groups.introduced(SUPERGROUP)


async def test_an_introduction_marked_in_old_chat_settings_is_kept(each_engine: Database) -> None:
    chats = ChatRepository(each_engine)
    clock = FakeClock()
    await chats.upsert(chat_id=GROUP, chat_type="group", title="Old", now=clock.now())
    await chats.update_settings(GROUP, introduced_at="2025-01-02T03:04:05.000+00:00")
    groups = await GroupService.open(each_engine, chats, clock)
    assert not await groups.joined(chat_id=GROUP, chat_type="group", title="Old")
    exported = await groups.export(user_id=ANNA, chat_id=GROUP)
    assert exported["introduced_at"] == "2025-01-02T03:04:05.000+00:00"
