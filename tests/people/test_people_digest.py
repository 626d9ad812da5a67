"""The daily digest: when it is due (time zones, DST), what it says, and when it keeps quiet."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from bot.people.digest import digest_settings, gift_ideas, next_digest_at
from tests.people.people_fixtures import ANNA, LI, World


def test_nine_oclock_local_across_daylight_saving_in_berlin() -> None:
    at = time(9, 0)
    before = datetime(2026, 3, 28, 9, 0, tzinfo=UTC)  # Sat; CET until Sun 29 Mar 02:00
    first = next_digest_at(before, "Europe/Berlin", at)
    assert first == datetime(2026, 3, 29, 7, 0, tzinfo=UTC)  # already CEST (UTC+2)
    saturday = next_digest_at(datetime(2026, 3, 27, 12, 0, tzinfo=UTC), "Europe/Berlin", at)
    assert saturday == datetime(2026, 3, 28, 8, 0, tzinfo=UTC)  # CET (UTC+1)
    autumn = next_digest_at(datetime(2026, 10, 25, 0, 0, tzinfo=UTC), "Europe/Berlin", at)
    assert autumn == datetime(2026, 10, 25, 8, 0, tzinfo=UTC)  # back to CET


def test_each_zone_gets_its_own_nine_oclock() -> None:
    now = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    assert next_digest_at(now, "Asia/Shanghai", time(9)) == datetime(2026, 11, 29, 1, tzinfo=UTC)
    assert next_digest_at(now, "Europe/Berlin", time(9)) == datetime(2026, 11, 29, 8, tzinfo=UTC)
    assert next_digest_at(now, "America/New_York", time(9)) == datetime(
        2026, 11, 28, 14, tzinfo=UTC
    )


def test_a_handled_day_is_never_handled_again() -> None:
    now = datetime(2026, 11, 28, 6, 0, tzinfo=UTC)
    assert next_digest_at(now, "UTC", time(9)) == datetime(2026, 11, 28, 9, tzinfo=UTC)
    handled = next_digest_at(now, "UTC", time(9), handled=date(2026, 11, 28))
    assert handled == datetime(2026, 11, 29, 9, tzinfo=UTC)


def test_settings_with_defaults() -> None:
    default = digest_settings({}, "Asia/Shanghai")
    assert (default.at, default.lead_days, default.enabled) == (time(9), 3, True)
    custom = digest_settings(
        {"people_digest_time": "07:30", "people_lead_days": 7, "people_digest": False}, "UTC"
    )
    assert (custom.at, custom.lead_days, custom.enabled) == (time(7, 30), 7, False)
    broken = digest_settings({"people_digest_time": "25:99", "people_lead_days": -1}, "UTC")
    assert (broken.at, broken.lead_days) == (time(9), 3)


def test_gift_ideas_come_from_likes_and_wishes() -> None:
    notes = ["moved to Lyon", "loves orchids", "喜欢兰花", "wants a kindle", "has two cats"]
    assert gift_ideas(notes) == ("loves orchids", "喜欢兰花", "wants a kindle")


async def _preview(world: World, actor=ANNA):
    user = await world.users.get(actor.user_id)
    return await world.service.runner.preview(world.service.digest_user(user, actor.user_id))


async def test_window_today_ahead_and_age(world: World) -> None:
    await world.say(ANNA, "birthday", "Tom 1990-11-28")
    await world.say(ANNA, "birthday", "Lucy 12-01")
    await world.say(ANNA, "birthday", "Max 12-02")  # four days away: outside the window
    digest = await _preview(world)
    assert [(i.name, i.days, i.age, i.news) for i in digest.dates] == [
        ("Tom", 0, 36, True),
        ("Lucy", 3, None, True),
    ]
    await world.users.update_settings(ANNA.user_id, people_lead_days=7)
    digest = await _preview(world)
    assert [i.name for i in digest.dates] == ["Tom", "Lucy", "Max"]


async def test_a_lunar_birthday_in_the_digest(world: World) -> None:
    world.clock.set(datetime(2027, 9, 12, 12, 0, tzinfo=UTC))
    await world.say(LI, "birthday", "妈妈 1960年农历八月十五")
    digest = await _preview(world, LI)
    [item] = digest.dates
    assert (item.occurs_on, item.days, item.age, item.lunar) == (date(2027, 9, 15), 3, 67, True)


async def test_announced_items_are_not_news_again(world: World) -> None:
    await world.say(ANNA, "birthday", "Lucy 12-01")
    world.clock.set(datetime(2026, 11, 28, 9, 0, tzinfo=UTC) + timedelta(days=1))
    assert (await world.service.runner.run_due()).sent == 1
    world.clock.advance(timedelta(days=1))
    digest = await _preview(world)
    assert [(i.name, i.news) for i in digest.dates] == [("Lucy", False)]
    assert not digest.has_news
    assert (await world.service.runner.run_due()).quiet == 1
    world.clock.set(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
    digest = await _preview(world)
    assert [(i.name, i.days, i.news) for i in digest.dates] == [("Lucy", 0, True)]


async def test_passed_dates_move_on_to_next_year(world: World) -> None:
    await world.say(ANNA, "birthday", "Lucy 11-29")
    world.clock.set(datetime(2026, 11, 29, 9, 0, tzinfo=UTC))
    await world.service.runner.run_due()  # announced on the day
    world.clock.set(datetime(2026, 12, 2, 9, 0, tzinfo=UTC))
    await world.service.runner.run_due()
    [item] = await world.service.repo.dates_for_user(ANNA.user_id)
    assert item.next_on == date(2027, 11, 29)
    world.clock.set(datetime(2027, 11, 26, 9, 0, tzinfo=UTC))
    digest = await _preview(world)
    assert [(i.name, i.days, i.news) for i in digest.dates] == [("Lucy", 3, True)]


async def test_overdue_renudged_weekly_and_snoozed(world: World) -> None:
    await world.say(ANNA, "keepintouch", "Tom every week")
    world.clock.set(datetime(2026, 12, 5, 9, 0, tzinfo=UTC))
    digest = await _preview(world)
    assert [(i.name, i.overdue_days, i.news) for i in digest.overdue] == [("Tom", 0, True)]
    assert (await world.service.runner.run_due()).sent == 1
    world.clock.advance(timedelta(days=6))
    assert not (await _preview(world)).has_news
    world.clock.advance(timedelta(days=1))
    digest = await _preview(world)
    assert [(i.overdue_days, i.news) for i in digest.overdue] == [(7, True)]
    tom = await world.person(ANNA, "Tom")
    await world.service.repo.snooze(ANNA.user_id, tom.id, world.clock.now() + timedelta(days=3))
    assert (await _preview(world)).overdue == []


async def test_disabled_digest_stays_quiet(world: World) -> None:
    await world.say(ANNA, "birthday", "Lucy 11-29")
    await world.say(ANNA, "digest", "off")
    world.clock.set(datetime(2026, 11, 29, 9, 0, tzinfo=UTC))
    report = await world.service.runner.run_due()
    assert (report.sent, report.quiet) == (0, 1)
    assert world.delivery.sent == []
