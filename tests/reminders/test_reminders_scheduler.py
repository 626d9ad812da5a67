"""The scheduler: fire, snooze, recur across DST, retry, blocked, crash recovery, late, scale."""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.clock import SystemClock
from bot.reminders import NewReminder, Outgoing, SendResult, SendStatus, Status
from bot.reminders.scheduler import Scheduler, SchedulerOptions
from tests.fakes.waiting import until
from tests.reminders.reminders_fixtures import ANNA, GROUP, LI, World, make_world


async def _status(world: World, reminder_id: int) -> str:
    reminder = await world.service.repo.get(reminder_id)
    assert reminder is not None
    return reminder.status


async def test_parse_store_fire_snooze_fire_again(world: World) -> None:
    notice = await world.service.remind(ANNA, "in 2 hours stretch your legs")
    assert "stretch your legs" in notice.text
    assert (await world.service.scheduler.run_due()).sent == 0
    world.clock.advance(timedelta(hours=2))
    assert (await world.service.scheduler.run_due()).sent == 1
    [due] = world.delivery.sent
    assert due.text == "⏰ stretch your legs" and due.chat_id == ANNA.chat_id
    assert due.reply_to == ANNA.message_id
    labels = [button.label for row in due.buttons for button in row]
    assert labels == ["✅ Done", "💤 10 min", "💤 1 hour", "💤 Tomorrow"]
    snooze = due.buttons[1][0].action
    reply = await world.service.act(ANNA, snooze)
    assert reply.edit is not None and "Snoozed until" in reply.edit.text
    await world.service.scheduler.run_due()
    assert len(world.delivery.sent) == 1
    world.clock.advance(timedelta(minutes=10))
    await world.service.scheduler.run_due()
    assert world.delivery.texts() == ["⏰ stretch your legs"] * 2
    done = world.delivery.sent[1].buttons[0][0].action
    reply = await world.service.act(ANNA, done)
    assert reply.edit is not None and "Done" in reply.edit.text
    [reminder] = await world.service.repo.for_user(ANNA.user_id)
    assert reminder.status == Status.DONE


async def test_recurring_keeps_local_time_across_dst(tmp_path: Path) -> None:
    world = await make_world(tmp_path / "dst.sqlite3")
    world.clock.set(datetime(2026, 3, 27, 12, 0, tzinfo=UTC))
    try:
        await world.service.remind(ANNA, "every day at 7:00 take vitamins")
        fired: list[datetime] = []
        for _ in range(4):
            reminder = (await world.service.repo.for_user(ANNA.user_id))[0]
            world.clock.set(reminder.due_at)
            assert (await world.service.scheduler.run_due()).sent == 1
            fired.append(reminder.due_at)
        local = [moment.astimezone(reminder.zone) for moment in fired]
        assert [(m.day, m.hour, m.minute) for m in local] == [
            (28, 7, 0),
            (29, 7, 0),
            (30, 7, 0),
            (31, 7, 0),
        ]
        assert [m.hour for m in fired] == [6, 5, 5, 5]  # UTC moves, local time stays
        # Done on a recurring reminder keeps it going.
        reply = await world.service.act(ANNA, world.delivery.sent[-1].buttons[0][0].action)
        assert reply.edit is not None and "Next:" in reply.edit.text
        assert (await world.service.repo.for_user(ANNA.user_id))[0].status == Status.SCHEDULED
    finally:
        await world.close()


async def test_snoozing_a_recurring_reminder_adds_one_extra_time(world: World) -> None:
    await world.service.remind(ANNA, "every day at 14:00 drink water")
    world.clock.set(datetime(2026, 11, 28, 13, 0, tzinfo=UTC))
    await world.service.scheduler.run_due()
    await world.service.act(ANNA, world.delivery.sent[0].buttons[1][1].action)  # 1 hour
    world.clock.advance(timedelta(hours=1))
    await world.service.scheduler.run_due()
    assert world.delivery.texts() == ["⏰ drink water"] * 2
    reminders = await world.service.repo.for_user(ANNA.user_id)
    parent = next(r for r in reminders if r.parent_id is None)
    assert parent.status == Status.SCHEDULED
    assert parent.local_due().hour == 14 and parent.local_due().day == 29


async def test_snooze_until_tomorrow_keeps_the_time_of_day(world: World) -> None:
    await world.service.remind(ANNA, "today at 16:30 water the garden")
    world.clock.set(datetime(2026, 11, 28, 15, 30, tzinfo=UTC))
    await world.service.scheduler.run_due()
    await world.service.act(ANNA, world.delivery.sent[0].buttons[1][2].action)
    [reminder] = await world.service.repo.for_user(ANNA.user_id)
    local = reminder.local_due()
    assert (local.day, local.hour, local.minute) == (29, 16, 30)


async def test_refused_send_is_retried_with_backoff_then_delivered(world: World) -> None:
    await world.service.remind(ANNA, "in 1 hour check the oven")
    world.delivery.plan = [
        SendResult(SendStatus.RETRY, error="Bad Gateway"),
        SendResult(SendStatus.RETRY, error="Timed out"),
    ]
    world.clock.advance(timedelta(hours=1))
    report = await world.service.scheduler.run_due()
    assert (report.sent, report.retried) == (0, 1)
    [reminder] = await world.service.repo.for_user(ANNA.user_id)
    assert reminder.fire_at - world.clock.now() == timedelta(seconds=15)
    assert reminder.status == Status.SCHEDULED and reminder.last_error == "Bad Gateway"
    world.clock.advance(timedelta(seconds=14))
    assert (await world.service.scheduler.run_due()).retried == 0
    world.clock.advance(timedelta(seconds=1))
    assert (await world.service.scheduler.run_due()).retried == 1
    [reminder] = await world.service.repo.for_user(ANNA.user_id)
    assert reminder.fire_at - world.clock.now() == timedelta(seconds=30)  # doubled
    world.clock.advance(timedelta(seconds=30))
    assert (await world.service.scheduler.run_due()).sent == 1
    assert world.delivery.texts() == ["⏰ check the oven"]
    assert len(world.delivery.refused) == 2
    assert await _status(world, reminder.id) == Status.DELIVERED


async def test_retry_after_from_telegram_is_honoured(world: World) -> None:
    await world.service.remind(ANNA, "in 1 hour call the plumber")
    world.delivery.plan = [SendResult(SendStatus.RETRY, retry_after=120, error="flood")]
    world.clock.advance(timedelta(hours=1))
    await world.service.scheduler.run_due()
    [reminder] = await world.service.repo.for_user(ANNA.user_id)
    assert reminder.fire_at - world.clock.now() == timedelta(seconds=120)


async def test_gives_up_after_max_attempts(tmp_path: Path) -> None:
    world = await make_world(
        tmp_path / "max.sqlite3",
        options=SchedulerOptions(
            max_attempts=3, backoff_base=timedelta(seconds=1), max_per_second=None
        ),
    )
    try:
        await world.service.remind(ANNA, "in 1 hour x")
        world.delivery.plan = [SendResult(SendStatus.RETRY, error="boom")] * 5
        world.clock.advance(timedelta(hours=1))
        for _ in range(4):
            await world.service.scheduler.run_due()
            world.clock.advance(timedelta(minutes=1))
        [reminder] = await world.service.repo.for_user(ANNA.user_id)
        assert reminder.status == Status.FAILED and len(world.delivery.refused) == 3
    finally:
        await world.close()


async def test_blocked_bot_marks_failed_and_stops_trying(world: World) -> None:
    await world.service.remind(ANNA, "in 1 hour feed the cat")
    world.delivery.blocked.add(ANNA.chat_id)
    world.clock.advance(timedelta(hours=1))
    report = await world.service.scheduler.run_due()
    assert (report.sent, report.failed) == (0, 1)
    world.clock.advance(timedelta(days=3))
    await world.service.scheduler.run_due()
    assert len(world.delivery.refused) == 1 and not world.delivery.sent
    [reminder] = await world.service.repo.for_user(ANNA.user_id)
    assert reminder.status == Status.FAILED and "blocked" in (reminder.last_error or "")


async def test_restart_between_creation_and_due_time(tmp_path: Path) -> None:
    path = tmp_path / "restart.sqlite3"
    world = await make_world(path)
    await world.service.remind(ANNA, "tomorrow at 9am dentist")
    await world.close()
    world = await make_world(path, clock=world.clock, delivery=world.delivery)
    try:
        world.clock.set(datetime(2026, 11, 29, 8, 0, tzinfo=UTC))
        await world.service.scheduler.run_due()
        await world.service.scheduler.run_due()
        assert world.delivery.texts() == ["⏰ dentist"]
    finally:
        await world.close()


async def test_crash_after_claim_before_send_is_sent_once_after_restart(tmp_path: Path) -> None:
    path = tmp_path / "crash.sqlite3"
    world = await make_world(path)
    await world.service.remind(ANNA, "in 1 hour take the bread out")
    world.clock.advance(timedelta(hours=1))
    [reminder] = await world.service.repo.for_user(ANNA.user_id)
    claimed = await world.service.repo.claim(reminder.id, world.clock.now())
    assert claimed is not None
    # The process dies here: nothing was sent, the row stays claimed.
    assert await world.service.repo.claim(reminder.id, world.clock.now()) is None
    assert (await world.service.scheduler.run_due()).sent == 0
    await world.db.close()
    world.clock.advance(timedelta(minutes=5))
    world = await make_world(path, clock=world.clock, delivery=world.delivery)
    try:
        await asyncio.gather(*(world.service.scheduler.run_due() for _ in range(3)))
        assert world.delivery.texts() == ["⏰ take the bread out\n_(late: due 14:00)_"]
        # The dead process's token can no longer finish anything.
        assert not await world.service.repo.delivered(
            claimed, now=world.clock.now(), message_id=1, next_due=None
        )
        assert await _status(world, reminder.id) == Status.DELIVERED
    finally:
        await world.close()


async def test_concurrent_drains_never_send_twice(world: World) -> None:
    for index in range(40):
        await world.service.remind(ANNA, f"in 1 hour item {index}")
    world.clock.advance(timedelta(hours=1))
    world.delivery.delay = 0.001
    reports = await asyncio.gather(*(world.service.scheduler.run_due() for _ in range(4)))
    assert sum(report.sent for report in reports) == 40
    assert sorted(world.delivery.texts()) == sorted(f"⏰ item {index}" for index in range(40))


async def test_deleted_while_claimed_is_not_sent(world: World) -> None:
    await world.service.remind(ANNA, "in 1 hour secret")
    [reminder] = await world.service.repo.for_user(ANNA.user_id)
    world.clock.advance(timedelta(hours=1))
    claimed = await world.service.repo.claim(reminder.id, world.clock.now())
    assert claimed is not None
    await world.service.repo.delete(reminder.id)
    assert not await world.service.repo.still_claimed(claimed)


async def test_late_reminders_say_so(world: World) -> None:
    await world.service.remind(ANNA, "today at 15:00 call Bob")
    world.clock.set(datetime(2026, 11, 28, 17, 30, tzinfo=UTC))  # 18:30 in Berlin
    await world.service.scheduler.run_due()
    assert world.delivery.texts() == ["⏰ call Bob\n_(late: due 15:00)_"]


async def test_more_than_a_day_late_is_summed_up_in_one_message_per_chat(world: World) -> None:
    await world.service.remind(ANNA, "today at 15:00 call Bob")
    await world.service.remind(ANNA, "today at 16:00 buy flowers")
    await world.service.remind(ANNA, "every day at 18:00 walk")
    await world.service.remind(LI, "今天下午4点开会")
    await world.service.remind(ANNA, "in 30 hours recent one")
    world.clock.set(datetime(2026, 11, 30, 17, 30, tzinfo=UTC))  # Monday 18:30 in Berlin
    report = await world.service.scheduler.run_due()
    assert (report.summaries, report.summarized) == (2, 4)
    anna = [m for m in world.delivery.sent if m.chat_id == ANNA.chat_id]
    [summary, recent] = anna
    assert summary.text.startswith("⏰ While I was away, 3 reminders fell due:")
    assert "call Bob" in summary.text and "buy flowers" in summary.text
    assert "walk (next: tomorrow, Tue 1 Dec at 18:00)" in summary.text
    assert recent.text == "⏰ recent one\n_(late: due Sun 29 Nov 19:00)_"
    [li] = [m for m in world.delivery.sent if m.chat_id == LI.chat_id]
    assert li.text.startswith("⏰ 我离线期间，有一条提醒到期了") and "开会" in li.text
    walk = next(r for r in await world.service.repo.for_user(ANNA.user_id) if r.rrule)
    assert walk.status == Status.SCHEDULED and walk.local_due().day == 1
    await world.service.scheduler.run_due()
    assert len(world.delivery.sent) == 3


async def test_group_reminder_mentions_who_set_it(world: World) -> None:
    notice = await world.service.remind(GROUP, "in 1 hour stand-up meeting")
    assert "[Anna](tg://user?id=101)" in notice.text
    world.clock.advance(timedelta(hours=1))
    await world.service.scheduler.run_due()
    [message] = world.delivery.sent
    assert message.chat_id == GROUP.chat_id
    assert message.text == "⏰ [Anna](tg://user?id=101): stand\\-up meeting"


async def test_thousands_due_at_once_use_bounded_concurrency(tmp_path: Path) -> None:
    world = await make_world(
        tmp_path / "many.sqlite3",
        options=SchedulerOptions(concurrency=16, batch=100, max_per_second=None),
    )
    try:
        now = world.clock.now()
        await world.service.repo.add_many(
            [
                NewReminder(
                    user_id=1000 + index,
                    chat_id=1000 + index,
                    text=f"r{index}",
                    language="en",
                    timezone="UTC",
                    due_at=now + timedelta(seconds=index % 60),
                )
                for index in range(2000)
            ],
            now=now,
        )
        world.delivery.delay = 0.0005
        world.clock.advance(timedelta(minutes=1))
        report = await world.service.scheduler.run_due()
        assert report.sent == 2000
        assert sorted(m.text for m in world.delivery.sent) == sorted(
            f"⏰ r{index}" for index in range(2000)
        )
        assert world.delivery.max_in_flight <= 16
        assert await world.service.repo.count_by_status() == {Status.DELIVERED: 2000}
    finally:
        await world.close()


async def test_background_loop_wakes_for_new_and_due_reminders(world: World) -> None:
    await world.service.scheduler.stop()
    await world.service.scheduler.start(world.delivery)
    try:
        await world.service.remind(ANNA, "in 1 hour loop test")
        await asyncio.sleep(0.05)
        assert not world.delivery.sent
        world.clock.advance(timedelta(hours=1))
        world.service.scheduler.wake()
        await until(lambda: world.delivery.sent)
        assert world.delivery.texts() == ["⏰ loop test"]
    finally:
        await world.service.scheduler.stop()


async def test_fires_on_time_on_the_real_clock(tmp_path: Path) -> None:
    world = await make_world(tmp_path / "real.sqlite3")
    await world.service.stop()
    clock = SystemClock()
    world.service.scheduler._clock = clock  # the real clock from here on
    await world.service.scheduler.start(world.delivery)
    try:
        due = clock.now() + timedelta(milliseconds=300)
        await world.service.repo.add(
            NewReminder(
                user_id=ANNA.user_id,
                chat_id=ANNA.chat_id,
                text="now",
                language="en",
                timezone="UTC",
                due_at=due,
            ),
            now=clock.now(),
        )
        world.service.scheduler.wake()
        await until(lambda: world.delivery.sent)
        late = clock.now() - due
        assert world.delivery.texts() == ["⏰ now"]
        # Within a second on a quiet machine; a loaded one delays it by seconds. A loop that
        # slept until its idle wake-up instead of the reminder's time would be a minute late.
        assert late < timedelta(seconds=10)
    finally:
        await world.close()


async def test_backoff_grows_and_is_capped(world: World) -> None:
    scheduler = world.service.scheduler
    assert [scheduler.backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [15, 30, 60, 120]
    assert scheduler.backoff(30) == timedelta(hours=1)


async def test_migrated_chat_is_followed(world: World) -> None:
    await world.service.remind(GROUP, "in 1 hour retro")
    world.delivery.plan = [SendResult(SendStatus.MIGRATED, new_chat_id=-100999, error="moved")]
    world.clock.advance(timedelta(hours=1))
    await world.service.scheduler.run_due()
    [message] = world.delivery.sent
    assert message.chat_id == -100999 and message.text.endswith("retro")


async def test_done_cancels_a_pending_snooze(world: World) -> None:
    await world.service.remind(ANNA, "in 1 hour one-off")
    await world.service.remind(ANNA, "every day at 14:00 daily")
    world.clock.set(datetime(2026, 11, 28, 13, 0, tzinfo=UTC))
    await world.service.scheduler.run_due()
    for message in world.delivery.sent:
        await world.service.act(ANNA, message.buttons[1][0].action)  # snooze 10 min
        await world.service.act(ANNA, message.buttons[0][0].action)  # then Done after all
    world.clock.advance(timedelta(minutes=10))
    assert (await world.service.scheduler.run_due()).sent == 0
    statuses = sorted(r.status for r in await world.service.repo.for_user(ANNA.user_id))
    assert statuses == [Status.DONE, Status.DONE, Status.SCHEDULED]  # the daily one goes on


async def test_sends_are_spaced_evenly_at_the_scheduler_rate(world: World) -> None:
    # The pacing's own clock, advanced only by the pacing's sleeps: the spacing is checked
    # exactly, whatever the machine's load.
    elapsed = [100.0]
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        elapsed[0] += seconds

    scheduler = Scheduler(
        world.service.repo,
        world.clock,
        SchedulerOptions(max_per_second=200, concurrency=8),
        monotonic=lambda: elapsed[0],
        sleep=sleep,
    )
    stamps: list[float] = []
    send = world.delivery.send

    async def timed(message):  # type: ignore[no-untyped-def]
        stamps.append(elapsed[0])
        return await send(message)

    world.delivery.send = timed  # type: ignore[method-assign]
    await scheduler.start(world.delivery, background=False)
    for index in range(20):
        await world.service.remind(ANNA, f"in 1 hour paced {index}")
    world.clock.advance(timedelta(hours=1))
    assert (await scheduler.run_due()).sent == 20
    await scheduler.stop()
    gaps = [b - a for a, b in itertools.pairwise(stamps)]
    assert gaps == pytest.approx([0.005] * 19)  # 200/s: one every 5 ms, never two at once
    assert len(slept) == 19


class _Exploding:
    """A transport that raises (a bug, not a Telegram refusal) a given number of times."""

    def __init__(self, inner, times: int) -> None:
        self.inner, self.times, self.calls = inner, times, 0

    async def send(self, message):
        self.calls += 1
        if self.calls <= self.times:
            raise RuntimeError("transport bug")
        return await self.inner.send(message)


async def test_an_exception_while_sending_takes_the_retry_path(world: World) -> None:
    await world.service.remind(ANNA, "in 1 hour check the oven")
    exploding = _Exploding(world.delivery, times=1)
    world.service.scheduler._delivery = exploding
    world.clock.advance(timedelta(hours=1))
    report = await world.service.scheduler.run_due()
    assert (report.sent, report.retried, report.errors) == (0, 1, [])
    [reminder] = await world.service.repo.for_user(ANNA.user_id)
    assert reminder.status == Status.SCHEDULED and reminder.claim_token is None  # not stuck
    assert reminder.fire_at - world.clock.now() == timedelta(seconds=15)
    assert "transport bug" in (reminder.last_error or "")
    world.clock.advance(timedelta(seconds=15))
    assert (await world.service.scheduler.run_due()).sent == 1
    assert world.delivery.texts() == ["⏰ check the oven"]


async def test_a_database_error_after_the_send_does_not_send_twice(
    world: World, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    await world.service.remind(ANNA, "in 1 hour take the cake out")
    repo = world.service.repo
    real = repo.delivered
    broken = {"on": True}

    async def delivered(*args, **kwargs):
        if broken["on"]:
            raise OSError("database is locked")
        return await real(*args, **kwargs)

    monkeypatch.setattr(repo, "delivered", delivered)
    world.clock.advance(timedelta(hours=1))
    assert (await world.service.scheduler.run_due()).sent == 1
    assert "WAS SENT but recording it failed" in caplog.text
    assert world.service.scheduler.unrecorded == 1
    for _ in range(3):  # still broken: kept claimed, never sent again
        world.clock.advance(timedelta(minutes=5))
        await world.service.scheduler.run_due()
    assert world.delivery.texts() == ["⏰ take the cake out"]
    broken["on"] = False
    await world.service.scheduler.run_due()
    assert world.service.scheduler.unrecorded == 0
    [reminder] = await repo.for_user(ANNA.user_id)
    assert reminder.status == Status.DELIVERED
    assert world.delivery.texts() == ["⏰ take the cake out"]


async def test_a_blocked_chat_fails_its_other_due_reminders_and_recurring_ones_come_back(
    world: World,
) -> None:
    await world.service.remind(ANNA, "in 1 hour feed the cat")
    await world.service.remind(ANNA, "in 1 hour water the plants")
    await world.service.remind(ANNA, "every day at 15:00 stretch")  # 14:00 UTC
    await world.service.remind(ANNA, "in 3 days call grandma")
    await world.service.remind(LI, "1小时后喝水")
    world.delivery.blocked.add(ANNA.chat_id)
    world.service.scheduler.options = SchedulerOptions(concurrency=1, max_per_second=None)
    world.clock.advance(timedelta(hours=2))
    report = await world.service.scheduler.run_due()
    assert (report.sent, report.failed) == (1, 3)
    assert len(world.delivery.refused) == 1  # one 403, not one per reminder
    statuses = {r.text: r.status for r in await world.service.repo.for_user(ANNA.user_id)}
    assert statuses == {
        "feed the cat": Status.FAILED,
        "water the plants": Status.FAILED,
        "stretch": Status.FAILED,
        "call grandma": Status.SCHEDULED,  # not due: it fails or not in its own time
    }
    assert ANNA.chat_id in world.service.scheduler.blocked_chats
    # Anna unblocks the bot and writes again: the daily reminder resumes, one-offs stay past.
    world.delivery.blocked.discard(ANNA.chat_id)
    assert await world.service.chat_reachable(LI.chat_id) == 0
    assert await world.service.chat_reachable(ANNA.chat_id) == 1
    assert await world.service.chat_reachable(ANNA.chat_id) == 0  # once
    reminders = {r.text: r for r in await world.service.repo.for_user(ANNA.user_id)}
    stretch = reminders["stretch"]
    assert stretch.status == Status.SCHEDULED and stretch.local_due().day == 29
    assert stretch.attempts == 0 and stretch.last_error is None
    assert reminders["feed the cat"].status == Status.FAILED
    world.clock.set(stretch.due_at)
    assert (await world.service.scheduler.run_due()).sent == 1
    assert world.delivery.texts()[-1] == "⏰ stretch"


async def test_blocked_chats_are_remembered_across_restarts(tmp_path: Path) -> None:
    path = tmp_path / "blocked.sqlite3"
    world = await make_world(path)
    await world.service.remind(ANNA, "every day at 15:00 stretch")
    world.delivery.blocked.add(ANNA.chat_id)
    world.clock.advance(timedelta(hours=2))
    await world.service.scheduler.run_due()
    await world.close()
    world = await make_world(path, clock=world.clock, delivery=world.delivery)
    try:
        assert world.service.scheduler.blocked_chats == {ANNA.chat_id}
        assert await world.service.chat_reachable(ANNA.chat_id) == 1
    finally:
        await world.close()


async def test_every_three_hours_is_three_real_hours_across_the_fall_back(tmp_path: Path) -> None:
    world = await make_world(tmp_path / "hourly.sqlite3")
    world.clock.set(datetime(2026, 10, 24, 20, 0, tzinfo=UTC))  # 22:00 CEST
    try:
        notice = await world.service.remind(ANNA, "every 3 hours drink water")
        assert "🔁 every 3 hours" in notice.text
        fired: list[datetime] = []
        for _ in range(4):
            [reminder] = await world.service.repo.for_user(ANNA.user_id)
            world.clock.set(reminder.due_at)
            assert (await world.service.scheduler.run_due()).sent == 1
            fired.append(reminder.due_at)
        gaps = [later - earlier for earlier, later in itertools.pairwise(fired)]
        assert gaps == [timedelta(hours=3)] * 3
        local = [f"{moment.astimezone(reminder.zone):%H:%M%z}" for moment in fired]
        assert local == ["01:00+0200", "03:00+0100", "06:00+0100", "09:00+0100"]
    finally:
        await world.close()


async def test_an_hourly_rule_starting_in_the_repeated_hour_keeps_its_phase(
    tmp_path: Path,
) -> None:
    world = await make_world(tmp_path / "fold.sqlite3")
    world.clock.set(datetime(2026, 10, 24, 22, 30, tzinfo=UTC))  # 00:30 CEST
    try:
        await world.service.remind(ANNA, "every 3 hours drink water")
        fired: list[datetime] = []
        for _ in range(3):
            [reminder] = await world.service.repo.for_user(ANNA.user_id)
            world.clock.set(reminder.due_at)
            await world.service.scheduler.run_due()
            fired.append(reminder.due_at)
        # 02:30 CET is the second 02:30 of the night; the next ones are 3 real hours apart
        assert fired == [datetime(2026, 10, 25, hour, 30, tzinfo=UTC) for hour in (1, 4, 7)]
    finally:
        await world.close()


async def test_delivered_is_written_before_any_other_work_after_the_send(world: World) -> None:
    """Whatever a delivery does after Telegram accepted the message (keeping it in the chat's
    history) runs only once the row says delivered: a crash in between cannot resend it."""
    await world.service.remind(ANNA, "in 1 hour call the plumber")
    seen: list[str] = []
    plain = world.delivery.send

    async def send_then_follow_up(message: Outgoing) -> SendResult:
        result = await plain(message)

        async def remember() -> None:
            [reminder] = await world.service.repo.for_user(ANNA.user_id)
            seen.append(reminder.status)

        return replace(result, follow_up=remember)

    world.delivery.send = send_then_follow_up  # type: ignore[method-assign]
    world.clock.advance(timedelta(hours=1))
    assert (await world.service.scheduler.run_due()).sent == 1
    assert seen == [Status.DELIVERED]


async def test_a_failing_database_does_not_spin_the_loop(
    world: World, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A full or read-only disk fails every claim: the loop backs off instead of retrying the
    same reminders as fast as it can (and filling the disk with tracebacks)."""
    await world.service.remind(ANNA, "in 1 hour water the plants")
    await world.service.remind(LI, "in 1 hour 买牛奶")
    repo = world.service.repo
    attempts = 0

    async def claim(*args: object, **kwargs: object) -> None:
        nonlocal attempts
        attempts += 1
        raise OSError("database or disk is full")

    monkeypatch.setattr(repo, "claim", claim)
    world.clock.advance(timedelta(hours=1))
    scheduler = world.service.scheduler
    await scheduler.stop()
    await scheduler.start(world.delivery)
    try:
        await until(lambda: attempts >= 1)
        await asyncio.sleep(0.3)  # a spinning loop would try again and again meanwhile
    finally:
        await scheduler.stop()
    assert attempts <= 2  # one round, then a pause (5 s, doubling)
    assert caplog.text.count("database or disk is full") <= 2
    assert not world.delivery.sent


async def test_one_broken_reminder_does_not_hold_back_the_others(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reminder whose claim keeps failing rests a while; the others are sent on time."""
    await world.service.remind(ANNA, "in 1 hour broken one")
    repo = world.service.repo
    [broken] = await repo.for_user(ANNA.user_id)
    real = repo.claim
    attempts = 0

    async def claim(reminder_id: int, now: datetime) -> object:
        nonlocal attempts
        if reminder_id == broken.id:
            attempts += 1
            raise ValueError("a row this version cannot read")
        return await real(reminder_id, now)

    monkeypatch.setattr(repo, "claim", claim)
    world.clock.advance(timedelta(hours=1))
    scheduler = world.service.scheduler
    await scheduler.stop()
    await scheduler.start(world.delivery)
    try:
        await until(lambda: attempts == 1)  # tried when due: it rests 30 s from here
        await world.service.remind(LI, "in 1 minute 买牛奶")
        world.clock.advance(timedelta(minutes=1))
        scheduler.wake()
        await until(lambda: world.delivery.sent)
    finally:
        await scheduler.stop()
    assert world.delivery.texts() == ["⏰ 买牛奶"]
    assert attempts == 2  # once when due, once more after its 30 s rest (the clock moved 1 min)
