"""Digests with several replicas on one PostgreSQL: each due digest is sent exactly once, and a
dead replica's claim comes back only after its lease. Always on the real PostgreSQL server."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.people import Actor
from bot.people.runner import RunnerOptions
from bot.storage import to_db_time
from tests.fakes.delivery import FakeDelivery
from tests.people.people_fixtures import World, make_world

DUE = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)
FRIENDS = [Actor(user_id=5000 + n, chat_id=5000 + n, first_name=f"Friend {n}") for n in range(24)]


@pytest.fixture
def shared(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DAZI_TEST_DATABASE", "postgresql")
    return tmp_path / "shared"


@pytest.fixture
async def replicas(shared: Path) -> AsyncIterator[list[World]]:
    first = await make_world(shared)
    worlds = [first] + [
        await make_world(shared, clock=first.clock, delivery=FakeDelivery()) for _ in range(2)
    ]
    assert all(world.db.dialect == "postgresql" for world in worlds)
    yield worlds
    for world in worlds:
        await world.close()


async def test_three_replicas_send_each_digest_exactly_once(replicas: list[World]) -> None:
    first = replicas[0]
    for friend in FRIENDS:
        await first.users.upsert(
            user_id=friend.user_id,
            first_name=friend.first_name,
            username=None,
            language="en",
            now=first.clock.now(),
        )
        await first.say(friend, "birthday", "Lucy 11-30")
    first.clock.set(DUE)
    for world in replicas:
        world.delivery.delay = 0.001
    reports = await asyncio.gather(*(w.service.runner.run_due() for w in replicas for _ in "xy"))
    chats = Counter(message.chat_id for world in replicas for message in world.delivery.sent)
    assert chats == Counter(friend.chat_id for friend in FRIENDS)
    assert sum(report.sent for report in reports) == len(FRIENDS)
    again = await asyncio.gather(*(w.service.runner.run_due() for w in replicas))
    assert sum(report.sent for report in again) == 0


async def test_a_dead_replicas_digest_claim_waits_for_its_lease(
    replicas: list[World], shared: Path
) -> None:
    first, second = replicas[0], replicas[1]
    friend = FRIENDS[0]
    await first.users.upsert(
        user_id=friend.user_id, first_name="F", username=None, language="en", now=DUE
    )
    await first.say(friend, "birthday", "Lucy 11-30")
    first.clock.set(DUE)
    # A replica claimed the digest and died before sending.
    await first.db.execute(
        "UPDATE people_digests SET status = 'claimed', claim_token = 'dead', claimed_at = ?"
        " WHERE user_id = ?",
        (to_db_time(DUE), friend.user_id),
    )
    first.clock.advance(RunnerOptions().claim_lease - timedelta(seconds=1))
    assert (await second.service.runner.run_due()).claimed == 0
    first.clock.advance(timedelta(seconds=1))
    assert (await second.service.runner.run_due()).sent == 1
    assert [message.chat_id for message in second.delivery.sent] == [friend.chat_id]
