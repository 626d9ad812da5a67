"""Telegram's overall rate shared by replicas on the real PostgreSQL: the sends of several
replicas (separate connection pools) take turns on one evenly spaced line of slots, so together
they stay within the rate; each replica is served in turn (none starves); reservations are
batched; a flood-control pause told to one replica holds back all.

Where a test must see the spacing of slots far apart, sleeping is injected (recorded, not
slept), the slots one interval of 10 s apart; the combined-rate test really waits, at a rate
high enough to finish in well under a second."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator

import pytest

from bot.storage.postgres import PostgresDatabase
from bot.storage.sendrate import SharedSendRate
from tests.fakes.postgres import fresh_schema, open_postgres


@pytest.fixture
async def replicas() -> AsyncIterator[list[PostgresDatabase]]:
    """Three connection pools on one fresh schema, each standing for a replica."""
    async with fresh_schema() as schema:
        dbs = [await open_postgres(schema) for _ in range(3)]
        try:
            yield dbs
        finally:
            for db in dbs:
                await db.close()


class Waits:
    """An injected sleep: records how long each send was told to wait, without waiting."""

    def __init__(self) -> None:
        self.seconds: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.seconds.append(seconds)


async def _rates(
    dbs: list[PostgresDatabase], *, per_second: float, waits: Waits | None = None, batch: int = 8
) -> list[SharedSendRate]:
    await SharedSendRate.open(dbs[0], per_second=per_second)  # the table, once
    if waits is None:
        return [SharedSendRate(db, per_second=per_second, batch=batch) for db in dbs]
    return [SharedSendRate(db, per_second=per_second, batch=batch, sleep=waits) for db in dbs]


async def test_replicas_take_turns_on_one_line_of_slots(replicas: list[PostgresDatabase]) -> None:
    waits = Waits()
    first, second, third = await _rates(replicas, per_second=0.1, waits=waits)  # one per 10 s
    for rate in (first, second, third, first, second):
        await rate.acquire()
    # Idle before: the first goes at once (no burst saved up); each next one, whichever replica
    # asks, waits one more interval (less the few milliseconds the statements took).
    assert len(waits.seconds) == 4  # the first was not told to wait
    for index, seconds in enumerate(waits.seconds, 1):
        assert 10 * index - 5 < seconds <= 10 * index, waits.seconds


async def test_three_replicas_together_stay_within_the_rate_and_none_starves(
    replicas: list[PostgresDatabase],
) -> None:
    per_second, each = 150.0, 30
    rates = await _rates(replicas, per_second=per_second, batch=4)
    loop = asyncio.get_running_loop()
    sends: list[tuple[float, int]] = []

    async def sender(replica: int) -> None:
        for _ in range(3):
            async with rates[replica]:
                sends.append((loop.time(), replica))

    start = loop.time()
    await asyncio.gather(*(sender(replica) for replica in range(3) for _ in range(each // 3)))
    times = sorted(at for at, _ in sends)
    assert len(times) == 3 * each
    # The k-th send of all replicas together never comes before k intervals after the start:
    # a slot is never early (a loaded machine only makes sends late), so no stretch of time
    # holds more than the rate allows, whichever replica sent. 1 ms of slack for the clocks.
    interval = 1 / per_second
    assert all(at - start >= k * interval - 0.001 for k, at in enumerate(times))
    # Nobody starves: every replica sent a fair part of the first half of all sends.
    first_half = Counter(replica for _, replica in sorted(sends)[: len(sends) // 2])
    assert all(first_half[replica] >= each // 6 for replica in range(3)), first_half
    # Sends waiting together share one statement: fewer round trips than sends.
    assert sum(rate.reservations for rate in rates) <= len(sends) // 2


async def test_a_flood_pause_told_to_one_replica_holds_back_the_others(
    replicas: list[PostgresDatabase],
) -> None:
    waits = Waits()
    told, other, _ = await _rates(replicas, per_second=30, waits=waits)
    await told.hold(60)
    await other.acquire()
    assert 50 < waits.seconds[-1] <= 60
