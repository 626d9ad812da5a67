"""Several replicas on one PostgreSQL: every due reminder is sent exactly once, and a claim left
by a replica that died comes back after its lease, never while the lease holds.

Always on the real PostgreSQL server (each replica is its own connection pool on one schema)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.reminders.model import Status
from tests.fakes.delivery import FakeDelivery
from tests.reminders.reminders_fixtures import ANNA, LI, World, make_world


@pytest.fixture
def shared(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The replicas' one database (a schema of the real PostgreSQL server)."""
    monkeypatch.setenv("DAZI_TEST_DATABASE", "postgresql")
    return tmp_path / "shared"


@pytest.fixture
async def replicas(shared: Path) -> AsyncIterator[tuple[World, World, World]]:
    path = shared
    first = await make_world(path)
    others = [await make_world(path, clock=first.clock, delivery=FakeDelivery()) for _ in range(2)]
    worlds = (first, *others)
    assert all(world.db.dialect == "postgresql" for world in worlds)
    yield worlds[0], worlds[1], worlds[2]
    for world in worlds:
        await world.close()


async def test_three_replicas_send_each_due_reminder_exactly_once(
    replicas: tuple[World, World, World],
) -> None:
    a = replicas[0]
    for index in range(60):
        actor = ANNA if index % 2 else LI
        await a.service.remind(actor, f"in 1 hour item {index}")
    a.clock.advance(timedelta(hours=1))
    for world in replicas:
        world.delivery.delay = 0.001  # the sends of the replicas interleave
    reports = await asyncio.gather(*(w.service.scheduler.run_due() for w in replicas for _ in "xy"))
    sent = Counter(text for world in replicas for text in world.delivery.texts())
    assert sent == Counter(f"⏰ item {index}" for index in range(60))
    assert sum(report.sent for report in reports) == 60
    assert sum(1 for world in replicas if world.delivery.sent) >= 2, "one replica did it all"
    statuses = {reminder.status for reminder in await a.service.repo.for_chat(ANNA.chat_id)}
    assert statuses == {Status.DELIVERED}


async def test_a_dead_replicas_claim_comes_back_only_after_its_lease(
    replicas: tuple[World, World, World], shared: Path
) -> None:
    a, b, _ = replicas
    await a.service.remind(ANNA, "in 1 hour take the bread out")
    a.clock.advance(timedelta(hours=1))
    [reminder] = await a.service.repo.for_user(ANNA.user_id)
    claimed = await a.service.repo.claim(reminder.id, a.clock.now())
    assert claimed is not None
    await a.db.close()  # replica A dies holding the claim: nothing was sent

    # A replica (re)starting meanwhile must not take a claim whose lease still holds.
    restarted = await make_world(shared, clock=a.clock, delivery=b.delivery)
    try:
        assert (await restarted.service.repo.get(reminder.id)).status == Status.CLAIMED  # type: ignore[union-attr]
        a.clock.advance(timedelta(minutes=1))
        assert (await b.service.scheduler.run_due()).sent == 0
        assert b.delivery.texts() == []

        a.clock.advance(timedelta(minutes=1, seconds=1))  # the lease (2 minutes) has expired
        reports = await asyncio.gather(
            b.service.scheduler.run_due(), restarted.service.scheduler.run_due()
        )
        assert sum(report.sent for report in reports) == 1
        assert b.delivery.texts() == ["⏰ take the bread out\n_(late: due 14:00)_"]
        # The dead replica's token can no longer record anything.
        assert not await b.service.repo.delivered(
            claimed, now=a.clock.now(), message_id=1, next_due=None
        )
    finally:
        await restarted.close()


async def test_a_single_process_on_sqlite_takes_back_every_claim_at_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without replicas no claim can be alive at start: they all come back at once."""
    monkeypatch.delenv("DAZI_TEST_DATABASE", raising=False)
    world = await make_world(tmp_path / "alone.sqlite3")
    assert world.db.dialect == "sqlite"
    await world.service.remind(ANNA, "in 1 hour water the plants")
    world.clock.advance(timedelta(hours=1))
    [reminder] = await world.service.repo.for_user(ANNA.user_id)
    assert await world.service.repo.claim(reminder.id, world.clock.now()) is not None
    await world.db.close()
    again = await make_world(tmp_path / "alone.sqlite3", clock=world.clock)
    try:
        assert (await again.service.scheduler.run_due()).sent == 1
    finally:
        await again.close()
