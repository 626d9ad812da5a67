"""Delivering digests: exactly once among concurrent passes, retries, blocked chats, restarts,
time-zone changes."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.outbound import SendResult, SendStatus
from bot.people.runner import RunnerOptions
from bot.storage import to_db_time
from tests.fakes.waiting import until
from tests.people.people_fixtures import ANNA, LI, World, make_world

DUE = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)


async def _row(world: World, user_id: int = ANNA.user_id):
    return await world.db.fetchone("SELECT * FROM people_digests WHERE user_id = ?", (user_id,))


async def test_concurrent_passes_send_once(world: World) -> None:
    await world.say(ANNA, "birthday", "Lucy 11-30")
    await world.say(LI, "birthday", "妈妈 11月30日")
    world.clock.set(DUE)
    reports = await asyncio.gather(*(world.service.runner.run_due() for _ in range(4)))
    assert sum(report.sent for report in reports) == 2
    assert sorted(message.chat_id for message in world.delivery.sent) == [101, 202]


async def test_a_passing_failure_is_retried_with_backoff(world: World) -> None:
    await world.say(ANNA, "birthday", "Lucy 11-30")
    world.clock.set(DUE)
    world.delivery.plan = [SendResult(SendStatus.RETRY, error="502"), SendResult(SendStatus.RETRY)]
    assert (await world.service.runner.run_due()).retried == 1
    assert (await _row(world))["next_at"] == "2026-11-29T09:00:30.000+00:00"
    world.clock.advance(timedelta(seconds=30))
    assert (await world.service.runner.run_due()).retried == 1
    world.clock.advance(timedelta(seconds=59))
    assert (await world.service.runner.run_due()).claimed == 0  # backoff doubled to 60 s
    world.clock.advance(timedelta(seconds=1))
    assert (await world.service.runner.run_due()).sent == 1
    row = await _row(world)
    assert (row["attempts"], row["last_local_date"]) == (0, "2026-11-29")


async def test_flood_control_waits_as_long_as_telegram_says(world: World) -> None:
    await world.say(ANNA, "birthday", "Lucy 11-30")
    world.clock.set(DUE)
    world.delivery.plan = [SendResult(SendStatus.RETRY, retry_after=300, error="429")]
    await world.service.runner.run_due()
    assert (await _row(world))["next_at"] == "2026-11-29T09:05:00.000+00:00"


async def test_blocked_or_hopeless_skips_to_the_next_day(tmp_path: Path) -> None:
    world = await make_world(tmp_path / "p.sqlite3", options=RunnerOptions(max_attempts=2))
    try:
        await world.say(ANNA, "birthday", "Lucy 11-30")
        world.clock.set(DUE)
        world.delivery.plan = [SendResult(SendStatus.BLOCKED, error="Forbidden")]
        assert (await world.service.runner.run_due()).skipped == 1
        row = await _row(world)
        assert (row["next_at"], row["last_error"]) == ("2026-11-30T09:00:00.000+00:00", "Forbidden")
        # The item was never announced, so the next digest still brings it (on the day now).
        world.clock.set(DUE + timedelta(days=1))
        world.delivery.plan = [SendResult(SendStatus.RETRY), SendResult(SendStatus.RETRY)]
        assert (await world.service.runner.run_due()).retried == 1
        world.clock.advance(timedelta(minutes=1))
        assert (await world.service.runner.run_due()).skipped == 1  # second attempt: give up
        world.clock.set(DUE + timedelta(days=2))
        assert (await world.service.runner.run_due()).sent == 1
        assert "Lucy" in world.delivery.sent[-1].text
    finally:
        await world.close()


async def test_a_claim_left_by_a_crash_is_recovered_at_start(world: World) -> None:
    await world.say(ANNA, "birthday", "Lucy 11-30")
    world.clock.set(DUE)
    await world.db.execute(
        "UPDATE people_digests SET status = 'claimed', claim_token = 'gone', claimed_at = ?"
        " WHERE user_id = ?",
        (to_db_time(world.clock.now()), ANNA.user_id),
    )
    assert (await world.service.runner.run_due()).claimed == 0
    if world.db.dialect != "sqlite":
        # Replicas: the claim may be another live replica's until its lease expires.
        world.clock.advance(RunnerOptions().claim_lease)
    restarted = await world.reopen()  # the fixture's close of the old one is then a no-op
    try:
        assert (await restarted.service.runner.run_due()).sent == 1
        assert (await restarted.service.runner.run_due()).claimed == 0
    finally:
        await restarted.close()
    assert len(restarted.delivery.sent) == 1


async def test_a_stale_finish_cannot_mark_anything(world: World) -> None:
    await world.say(ANNA, "birthday", "Lucy 11-30")
    world.clock.set(DUE)
    runner = world.service.runner
    [claim] = await runner._claim_batch()
    await world.db.execute(
        "UPDATE people_digests SET claim_token = 'other' WHERE user_id = ?", (ANNA.user_id,)
    )
    digest = (await runner.composer.compose([claim.user], DUE))[ANNA.user_id]
    await runner._finish_sent(claim, digest, SendResult(SendStatus.SENT, message_id=1), DUE)
    [item] = await world.service.repo.dates_for_user(ANNA.user_id)
    assert item.notified_ahead is None


async def test_a_new_time_zone_moves_the_schedule(world: World) -> None:
    await world.say(ANNA, "birthday", "Lucy 12-25")
    assert await world.service.runner.next_at(ANNA.user_id) == DUE
    await world.users.set_timezone(ANNA.user_id, "Asia/Shanghai")
    await world.say(ANNA, "people")  # any use of the feature follows the new zone
    assert await world.service.runner.next_at(ANNA.user_id) == datetime(
        2026, 11, 29, 1, 0, tzinfo=UTC
    )


async def test_the_digest_follows_a_zone_changed_elsewhere(world: World) -> None:
    await world.say(ANNA, "birthday", "Lucy 11-30")
    await world.users.set_timezone(ANNA.user_id, "America/New_York")  # e.g. by /timezone
    world.clock.set(DUE)  # 09:00 UTC is 04:00 in New York: too early there
    report = await world.service.runner.run_due()
    assert (report.claimed, report.sent) == (1, 0)
    assert await world.service.runner.next_at(ANNA.user_id) == datetime(
        2026, 11, 29, 14, 0, tzinfo=UTC
    )
    world.clock.set(datetime(2026, 11, 29, 14, 0, tzinfo=UTC))
    assert (await world.service.runner.run_due()).sent == 1
    assert await world.service.runner.next_at(ANNA.user_id) == datetime(
        2026, 11, 30, 14, 0, tzinfo=UTC
    )


async def test_the_loop_sends_in_the_background(tmp_path: Path) -> None:
    world = await make_world(tmp_path / "p.sqlite3")
    try:
        await world.say(ANNA, "birthday", "Lucy 11-29")
        world.clock.set(DUE)
        await world.service.runner.start(world.delivery, background=True)
        await until(lambda: world.delivery.sent)
        assert "Lucy" in world.delivery.sent[0].text
    finally:
        await world.close()
