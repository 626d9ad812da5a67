"""Per-chat leases over the shared inbox, on the real PostgreSQL server: one replica holds a
chat at a time, takes its updates strictly in update_id order, never takes a live lease of
another replica, and takes over a dead one's chat only after its lease expired (reporting the
update it was cut off in, not doing it twice).

Leases are long and never run out by themselves during a test: time passes for them by
:func:`_let_pass`, which moves their expiry back as waiting would, without a real wait that a
loaded machine stretches past a short lease."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.storage.inbox import PostgresInbox
from bot.storage.postgres import PostgresDatabase
from bot.storage.replicas import ChatLeases
from tests.fakes.postgres import fresh_schema, open_postgres

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
LEASE = timedelta(seconds=60)


async def _let_pass(db: PostgresDatabase, span: timedelta) -> None:
    """``span`` of the database's time passes for every lease (as if the test had waited)."""
    await db.execute(
        "UPDATE chat_leases SET expires_at = expires_at - make_interval(secs => ?)",
        (span.total_seconds(),),
    )


def _update(update_id: int, chat_id: int) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {"message_id": update_id, "chat": {"id": chat_id}, "text": f"m{update_id}"},
    }


@dataclass
class Replica:
    db: PostgresDatabase
    leases: ChatLeases


@pytest.fixture
async def shared() -> AsyncIterator[tuple[PostgresInbox, Replica, Replica]]:
    async with fresh_schema() as schema:
        first, second = await open_postgres(schema), await open_postgres(schema)
        try:
            inbox = await PostgresInbox.open(first)
            a = Replica(first, await ChatLeases.open(first, holder="a", lease=LEASE))
            b = Replica(second, await ChatLeases.open(second, holder="b", lease=LEASE))
            yield inbox, a, b
        finally:
            await first.close()
            await second.close()


async def test_one_replica_holds_a_chat_and_takes_its_updates_in_update_id_order(
    shared: tuple[PostgresInbox, Replica, Replica],
) -> None:
    inbox, a, b = shared
    await inbox.append([_update(12, 7), _update(10, 7), _update(11, 8), _update(13, 7)], NOW)
    results = await asyncio.gather(*(r.leases.acquire(7) for r in (a, b, a, b)))
    assert results.count(True) >= 1 and not (results[0] and results[1])
    holder, other = (a, b) if results[0] else (b, a)
    assert not await other.leases.acquire(7)
    assert await other.leases.claim_next(7) is None  # no lease, no claim

    taken = [await holder.leases.claim_next(7) for _ in range(4)]
    assert [item.update_id if item else None for item in taken] == [10, 12, 13, None]
    assert taken[0] is not None and taken[0].body["message"]["text"] == "m10"
    for item in taken[:3]:
        assert item is not None
        await holder.leases.done(item.update_id)
    await holder.leases.release(7)
    assert not await holder.leases.waiting(7)
    assert await holder.leases.waiting(8)
    assert await other.leases.acquire(7)  # let go: the other takes it at once


async def test_a_dead_replicas_chat_goes_to_another_after_its_lease_and_its_update_is_cut_off(
    shared: tuple[PostgresInbox, Replica, Replica],
) -> None:
    inbox, a, b = shared
    await inbox.append([_update(1, 5), _update(2, 5)], NOW)
    assert await a.leases.acquire(5)
    first = await a.leases.claim_next(5)
    assert first is not None and first.update_id == 1
    # A dies here, mid-update. While its lease holds, B neither takes the chat nor sees it
    # as orphaned.
    assert not await b.leases.acquire(5)
    assert 5 not in await b.leases.orphaned()

    await _let_pass(a.db, LEASE)
    assert await b.leases.orphaned() == [5]
    assert await b.leases.acquire(5)
    cut = await b.leases.cut_off(5)
    assert [item.update_id for item in cut] == [1]  # told as lost, not answered twice
    second = await b.leases.claim_next(5)
    assert second is not None and second.update_id == 2
    # A, had it only stalled, can no longer claim or renew: the chat is B's.
    assert await a.leases.claim_next(5) is None
    assert await a.leases.renew([5]) == set()
    assert await b.leases.renew([5]) == {5}


async def test_a_restarted_replica_takes_back_only_its_own_chats_at_once(
    shared: tuple[PostgresInbox, Replica, Replica],
) -> None:
    inbox, a, b = shared
    await inbox.append([_update(1, 5), _update(2, 6)], NOW)
    assert await a.leases.acquire(5)
    assert await b.leases.acquire(6)
    restarted = await ChatLeases.open(a.db, holder="a", lease=LEASE)
    # Right after the restart, before any lease expired: its own chat, not B's live one.
    assert await restarted.orphaned() == [5]
    assert await restarted.acquire(5)
    assert not await restarted.acquire(6)
    assert await restarted.renew([5, 6]) == {5}


async def test_leases_survive_updates_longer_than_the_lease_while_renewed(
    shared: tuple[PostgresInbox, Replica, Replica],
) -> None:
    inbox, a, b = shared
    await inbox.append([_update(1, 9)], NOW)
    assert await a.leases.acquire(9)
    for _ in range(3):  # a long answer: the heartbeat renews at a third of the lease
        await _let_pass(a.db, LEASE / 2)  # unrenewed, the lease would end at the second turn
        assert await a.leases.renew([9]) == {9}
        assert not await b.leases.acquire(9)
