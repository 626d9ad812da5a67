"""The inbox on both engines: updates kept once, claimed once, in Telegram's order per chat;
on PostgreSQL two replicas claiming a chat's next update at once never get the same one."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.storage import Database
from bot.storage.inbox import InboxItem, PostgresInbox, SQLiteInbox, chat_of, open_inbox
from tests.fakes.postgres import fresh_schema, open_postgres

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
ANNA, SUPERGROUP = 101, -1001234567890


def message(update_id: int, chat_id: int, text: str) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {"message_id": update_id, "chat": {"id": chat_id}, "text": text},
    }


async def test_updates_are_kept_once_and_claimed_in_order(each_engine: Database) -> None:
    inbox = await open_inbox(each_engine)
    expected = PostgresInbox if each_engine.dialect == "postgresql" else SQLiteInbox
    assert isinstance(inbox, expected)
    updates = [message(7, ANNA, "早上好"), message(8, SUPERGROUP, "hi"), message(9, ANNA, "later")]
    await inbox.append(updates, NOW)
    await inbox.append([*updates[:1], {"no": "update id"}], NOW)  # kept once; junk ignored
    assert [item.update_id for item in await inbox.unfinished()] == [7, 8, 9]

    first = await inbox.claim_next(ANNA)
    assert first == InboxItem(7, ANNA, updates[0], claimed=True)
    second = await inbox.claim_next(ANNA)
    assert second is not None and second.update_id == 9
    assert await inbox.claim_next(ANNA) is None
    await inbox.claim(8)
    await inbox.done(7)
    left = await inbox.unfinished()
    assert [(item.update_id, item.chat_id, item.claimed) for item in left] == [
        (8, SUPERGROUP, True),
        (9, ANNA, True),
    ]
    assert left[0].body["message"]["text"] == "hi"


async def test_sqlite_claims_and_dones_asked_at_once_share_one_commit(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "inbox.sqlite3")
    try:
        inbox = await SQLiteInbox.open(db)
        await inbox.append([message(n, ANNA + n, f"m{n}") for n in range(1, 61)], NOW)
        writes = 0
        run_write = db.run_write

        async def counting(work: Any) -> Any:
            nonlocal writes
            writes += 1
            return await run_write(work)

        db.run_write = counting  # type: ignore[method-assign]
        await asyncio.gather(*(inbox.claim(n) for n in range(1, 41)))
        assert writes <= 2  # the first claim's commit, then all that queued meanwhile
        assert [item.update_id for item in await inbox.unfinished() if item.claimed] == list(
            range(1, 41)
        )
        writes = 0
        await asyncio.gather(*(inbox.done(n) for n in range(1, 21)), inbox.claim(41))
        assert writes <= 2
        left = await inbox.unfinished()
        assert [(item.update_id, item.claimed) for item in left][:21] == [
            *((n, True) for n in range(21, 42))
        ]
        assert len(left) == 40
    finally:
        await db.close()


async def test_two_replicas_never_claim_the_same_update() -> None:
    async with fresh_schema() as schema:
        first, second = await open_postgres(schema), await open_postgres(schema)
        try:
            inboxes = [await PostgresInbox.open(first), await PostgresInbox.open(second)]
            await inboxes[0].append([message(n, ANNA, f"m{n}") for n in range(1, 41)], NOW)

            async def drain(inbox: PostgresInbox) -> list[int]:
                taken: list[int] = []
                while (item := await inbox.claim_next(ANNA)) is not None:
                    taken.append(item.update_id)
                return taken

            one, two = await asyncio.gather(drain(inboxes[0]), drain(inboxes[1]))
        finally:
            await first.close()
            await second.close()
    assert sorted(one + two) == list(range(1, 41))  # each once, none lost
    assert one == sorted(one) and two == sorted(two)  # each replica takes them oldest first


def test_the_chat_of_an_update() -> None:
    assert chat_of(message(1, SUPERGROUP, "x")) == SUPERGROUP
    callback = {"update_id": 2, "callback_query": {"message": {"chat": {"id": ANNA}}}}
    assert chat_of(callback) == ANNA
    assert chat_of({"update_id": 3, "poll": {"id": "p"}}) == 0
