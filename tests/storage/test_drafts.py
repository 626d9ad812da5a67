"""The drafts every feature shares: one table, each feature sees only its own rows, and a
database of the old layout (reminder_drafts, people_pending) is moved into it with nothing lost.
Every test runs on SQLite and on the real PostgreSQL server."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from bot.outbound import Feature
from bot.people import PEOPLE_MIGRATIONS
from bot.reminders import REMINDER_MIGRATIONS
from bot.storage import Database, DraftRepository, to_db_time

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
GROUP = -1001234567890


async def test_each_feature_sees_only_its_own_drafts(db: Database) -> None:
    await DraftRepository.migrate(db)
    reminders = DraftRepository(db, feature=Feature.REMINDERS.value)
    people = DraftRepository(db, feature=Feature.PEOPLE.value)
    offer = await reminders.add(
        user_id=1, chat_id=1, kind="offer", payload={"text": "买菜"}, now=NOW, lifetime=timedelta(1)
    )
    undo = await people.add(
        user_id=1, chat_id=GROUP, kind="undo", payload={"person": 3}, now=NOW, lifetime=timedelta(1)
    )
    assert offer.id != undo.id
    assert await reminders.get(offer.id) == offer and await reminders.get(undo.id) is None
    assert [d.kind for d in await people.for_user(1)] == ["undo"]
    assert [d.kind for d in await people.for_chat(GROUP)] == ["undo"]
    assert not await reminders.take(undo.id)  # another feature's id: nothing happens
    assert await people.take(undo.id) and not await people.take(undo.id)  # a double tap


async def test_purge_forget_and_move_touch_one_feature(db: Database) -> None:
    await DraftRepository.migrate(db)
    reminders = DraftRepository(db, feature=Feature.REMINDERS.value)
    people = DraftRepository(db, feature=Feature.PEOPLE.value)
    for repo in (reminders, people):
        for chat, life in ((1, timedelta(hours=1)), (GROUP, timedelta(days=2))):
            await repo.add(user_id=1, chat_id=chat, kind="k", payload={}, now=NOW, lifetime=life)
    assert await reminders.purge(NOW + timedelta(days=1)) == 1
    assert len(await people.for_user(1)) == 2
    assert await people.migrate_chat(GROUP, GROUP - 1) == 1
    assert [d.chat_id for d in await reminders.for_user(1)] == [GROUP]
    [moved] = await people.for_chat(GROUP - 1)
    assert await people.delete_owned(column="user_id", owner_id=2, ids=[moved.id]) == 0
    assert await people.delete_owned(column="user_id", owner_id=1, ids=[moved.id]) == 1
    assert await people.delete_for_user(1) == 1 and await reminders.delete_in_chat(GROUP) == 1


async def _old_layout(db: Database) -> None:
    """The tables as the previous release left them, with drafts whose ids overlap."""
    await db.migrate("reminders", REMINDER_MIGRATIONS[:2])
    await db.migrate("people", PEOPLE_MIGRATIONS[:1])
    for table, rows in (
        (
            "reminder_drafts",
            [
                (1, 10, 10, "offer", {"text": "buy milk"}),
                (2, 11, GROUP, "choice", {"texts": ["开会"]}),
            ],
        ),
        (
            "people_pending",
            [(1, 10, 10, "undo", {"person": 5}), (3, 11, GROUP, "here", {"text": "见面"})],
        ),
    ):
        for draft_id, user_id, chat_id, kind, payload in rows:
            await db.execute(
                f"INSERT INTO {table} (id, user_id, chat_id, kind, payload, created_at,"
                " expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    draft_id,
                    user_id,
                    chat_id,
                    kind,
                    json.dumps(payload, ensure_ascii=False),
                    to_db_time(NOW),
                    to_db_time(NOW + timedelta(days=1)),
                ),
            )


async def test_an_old_layout_is_moved_into_the_shared_table_with_nothing_lost(
    db: Database,
) -> None:
    await _old_layout(db)
    # As the services open: the drafts table first, then each feature's own migrations.
    await DraftRepository.migrate(db)
    await db.migrate("reminders", REMINDER_MIGRATIONS)
    await db.migrate("people", PEOPLE_MIGRATIONS)
    reminders = DraftRepository(db, feature=Feature.REMINDERS.value)
    people = DraftRepository(db, feature=Feature.PEOPLE.value)

    moved_reminders = await reminders.for_user(10) + await reminders.for_user(11)
    assert [(d.id, d.chat_id, d.kind, d.payload) for d in moved_reminders] == [
        (1, 10, "offer", {"text": "buy milk"}),
        (2, GROUP, "choice", {"texts": ["开会"]}),
    ]  # the first feature to move keeps its ids: its buttons still work
    assert await reminders.get(1) == moved_reminders[0]
    moved_people = await people.for_user(10) + await people.for_user(11)
    assert [(d.user_id, d.chat_id, d.kind, d.payload) for d in moved_people] == [
        (10, 10, "undo", {"person": 5}),
        (11, GROUP, "here", {"text": "见面"}),
    ]
    assert all(d.expires_at == NOW + timedelta(days=1) for d in moved_people)
    # The second gets new ids above every old one: an old button finds nothing rather than
    # another draft.
    assert min(d.id for d in moved_people) > 3
    assert await people.get(1) is None and await people.get(3) is None
    for table in ("reminder_drafts", "people_pending"):
        assert not await _has_table(db, table)
    # New drafts take ids after every moved one, on both engines.
    fresh = await people.add(
        user_id=10, chat_id=10, kind="undo", payload={}, now=NOW, lifetime=timedelta(1)
    )
    assert fresh.id > max(d.id for d in moved_people)
    # Migrating again changes nothing.
    await DraftRepository.migrate(db)
    await db.migrate("reminders", REMINDER_MIGRATIONS)
    assert len(await people.for_user(10)) == 2 and len(await reminders.for_user(10)) == 1


async def test_the_move_works_in_either_order(db: Database) -> None:
    await _old_layout(db)
    await DraftRepository.migrate(db)
    await db.migrate("people", PEOPLE_MIGRATIONS)
    await db.migrate("reminders", REMINDER_MIGRATIONS)
    people = DraftRepository(db, feature=Feature.PEOPLE.value)
    reminders = DraftRepository(db, feature=Feature.REMINDERS.value)
    assert [d.id for d in await people.for_user(10) + await people.for_user(11)] == [1, 3]
    moved = await reminders.for_user(10) + await reminders.for_user(11)
    assert [d.payload for d in moved] == [{"text": "buy milk"}, {"texts": ["开会"]}]
    assert min(d.id for d in moved) > 3


async def _has_table(db: Database, table: str) -> bool:
    if db.dialect == "sqlite":
        sql = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
    else:
        sql = (
            "SELECT 1 FROM information_schema.tables"
            " WHERE table_schema = current_schema() AND table_name = ?"
        )
    return await db.fetchone(sql, (table,)) is not None
