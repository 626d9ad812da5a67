"""Never a wrong reminder: unclear times become questions; zones set later keep wall times.

The world's clock: Saturday 28 November 2026, 13:00 in Berlin (the fallback zone).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.outbound import Action, Notice
from bot.reminders import Status
from bot.reminders.buttons import ReminderId, Taps
from tests.reminders.reminders_fixtures import ANNA, LI, World

TOKYO = ZoneInfo("Asia/Tokyo")


def _data(notice: Notice) -> list[str]:
    return [button.action for row in notice.buttons for button in row]


def _labels(notice: Notice) -> list[str]:
    return [button.label for row in notice.buttons for button in row]


QUESTIONS = [
    # (who, words, a line of the question, the buttons)
    (
        ANNA,
        "tomorrow at 9 or 10 call the bank",
        "I understood tomorrow, Sun 29 Nov at 09:00 (Europe/Berlin), but not “or 10",
        ["✅ tomorrow, Sun 29 Nov at 09:00", "✖️ Cancel"],
    ),
    (
        ANNA,
        "every day at 8 but only on holidays water",
        "but not “but only on holidays water”",
        ["✅ every day at 08:00", "✖️ Cancel"],
    ),
    (
        ANNA,
        "tomorrow Friday at 9 dentist",  # tomorrow is a Sunday
        "but I'm not sure that is what you meant",
        ["✅ tomorrow, Sun 29 Nov at 09:00", "✖️ Cancel"],
    ),
    (
        ANNA,
        "3/12 dentist",
        "Which date do you mean for **dentist**?",
        ["✅ Thu 3 Dec at 09:00", "✅ Fri 12 Mar 2027 at 09:00", "✖️ Cancel"],
    ),
    (
        ANNA,
        "tomorrow after work buy milk",
        "What time do you mean for **buy milk**?",
        [
            "✅ tomorrow, Sun 29 Nov at 17:00",
            "✅ tomorrow, Sun 29 Nov at 18:00",
            "✅ tomorrow, Sun 29 Nov at 19:00",
            "✖️ Cancel",
        ],
    ),
    (
        ANNA,
        "Monday and Friday at 9am gym",
        "You gave several times for **gym**",
        ["✅ Mon 30 Nov at 09:00", "✅ Fri 4 Dec at 09:00", "✅ All 2", "✖️ Cancel"],
    ),
    (
        LI,
        "明天下班后去买菜",
        "**去买菜**，具体几点提醒你？",
        [
            "✅ 明天 11月29日（周日）17:00",
            "✅ 明天 11月29日（周日）18:00",
            "✅ 明天 11月29日（周日）19:00",
            "✖️ 取消",
        ],
    ),
    (
        LI,
        "明天8点和15号交报告",
        "不确定是不是你的意思",
        ["✅ 12月15日（周二）08:00", "✖️ 取消"],
    ),
    (
        LI,
        "农历八月十五吃月饼",
        "这是农历日期，下一次是公历 2027年9月15日（周三）09:00",
        ["✅ 2027年9月15日（周三）09:00", "✖️ 取消"],
    ),
    (LI, "每年农历八月十五给妈妈打电话", "请用 /birthday", []),
]


@pytest.mark.parametrize(("actor", "words", "line", "labels"), QUESTIONS)
async def test_unclear_times_are_asked_and_nothing_is_set(
    world: World, actor, words: str, line: str, labels: list[str]
) -> None:
    notice = await world.service.remind(actor, words)
    assert line in notice.text
    assert _labels(notice) == labels
    assert not await world.service.repo.for_user(actor.user_id)
    assert not notice.text.startswith("✅")


async def test_picking_a_reading_sets_exactly_that_one(world: World) -> None:
    notice = await world.service.remind(ANNA, "tomorrow after work buy milk")
    reply = await world.service.act(ANNA, _data(notice)[1])
    assert reply.edit is not None and "I'll remind you: **buy milk**" in reply.edit.text
    assert "tomorrow, Sun 29 Nov at 18:00" in reply.edit.text
    [reminder] = await world.service.repo.for_user(ANNA.user_id)
    assert reminder.due_at == datetime(2026, 11, 29, 17, 0, tzinfo=UTC)
    again = await world.service.act(ANNA, _data(notice)[2])  # the question is used up
    assert again.toast and len(await world.service.repo.for_user(ANNA.user_id)) == 1


async def test_all_of_several_times_sets_each_with_its_undo(world: World) -> None:
    notice = await world.service.remind(ANNA, "Monday and Friday at 9am gym")
    every = next(
        d for d, label in zip(_data(notice), _labels(notice), strict=True) if "All" in label
    )
    reply = await world.service.act(ANNA, every)
    assert reply.edit is not None
    assert "🗓 Mon 30 Nov at 09:00" in reply.edit.text and "🗓 Fri 4 Dec at 09:00" in reply.edit.text
    assert [label.startswith("↩️ Undo") for label in _labels(reply.edit)] == [True, True]
    made = await world.service.repo.for_user(ANNA.user_id)
    assert sorted(r.local_due().day for r in made) == [4, 30]


async def test_cancel_sets_nothing_and_others_cannot_pick(world: World) -> None:
    notice = await world.service.remind(ANNA, "3/12 dentist")
    refused = await world.service.act(LI, _data(notice)[0])
    assert refused.alert
    reply = await world.service.act(ANNA, _data(notice)[-1])
    assert reply.edit is not None and reply.edit.text == "OK, no reminder."
    assert not await world.service.repo.for_user(ANNA.user_id)


async def test_a_date_order_pick_keeps_the_chosen_date(world: World) -> None:
    notice = await world.service.remind(ANNA, "3/12 dentist")
    reply = await world.service.act(ANNA, _data(notice)[1])
    assert reply.edit is not None and "Fri 12 Mar 2027 at 09:00" in reply.edit.text
    [reminder] = await world.service.repo.for_user(ANNA.user_id)
    assert (reminder.local_due().month, reminder.local_due().day) == (3, 12)


async def test_an_edit_with_an_unclear_time_changes_nothing(world: World) -> None:
    await world.service.remind(ANNA, "tomorrow at 3pm call mom")
    [reminder] = await world.service.repo.for_user(ANNA.user_id)
    await world.service.act(ANNA, Action(Taps.EDIT, ReminderId(reminder.id)))
    notice = await world.service.apply_edit(ANNA, "Monday at 9 or 10")
    assert "not sure about that time" in notice.text
    assert world.service.awaiting_edit(ANNA.chat_id, ANNA.user_id)
    [same] = await world.service.repo.for_user(ANNA.user_id)
    assert same.due_at == reminder.due_at


async def test_the_tool_asks_when_the_users_words_need_it(world: World) -> None:
    plan, _, _ = await world.service.plan_from_words(
        ANNA,
        task="buy milk",
        when="tomorrow",
        recurrence=None,
        fallback_text="remind me tomorrow after work to buy milk",
        language="en",
        origin="chat",
    )
    assert plan.kind == "ask" and plan.parsed is not None and plan.parsed.ambiguity == "anchor"
    clear, _, _ = await world.service.plan_from_words(
        ANNA,
        task="call mom",
        when="tomorrow at 3pm",
        recurrence=None,
        fallback_text="I had a long day. Remind me tomorrow at 3pm to call mom",
        language="en",
        origin="chat",
    )
    assert clear.kind == "ready"


# -- time zones ----------------------------------------------------------------------------


async def test_one_offs_set_before_a_zone_keep_their_wall_time(world: World) -> None:
    await world.service.remind(ANNA, "tomorrow at 9am call the bank")
    await world.service.remind(ANNA, "in 2 hours take the cake out")
    await world.service.remind(ANNA, "every day at 7:00 stretch")
    bank, cake, _daily = await world.service.repo.for_user(ANNA.user_id)
    assert bank.floating and not cake.floating
    notice = await world.service.timezone_command(ANNA, "Tokyo")
    assert "**Asia/Tokyo**" in notice.text
    assert "1 reminder(s) you set before choosing a time zone keep their clock time" in notice.text
    assert "tomorrow, Sun 29 Nov at 09:00" in notice.text
    bank, cake, daily = await world.service.repo.for_user(ANNA.user_id)
    assert bank.due_at == datetime(2026, 11, 29, 9, 0, tzinfo=TOKYO)  # 09:00 where Anna is
    assert bank.timezone == "Asia/Tokyo" and not bank.floating
    assert cake.due_at == datetime(2026, 11, 28, 14, 0, tzinfo=UTC)  # the instant stays
    assert daily.local_due().hour == 7 and daily.timezone == "Asia/Tokyo"
    # A second change keeps instants: the time was read in a zone Anna chose.
    await world.service.timezone_command(ANNA, "Berlin")
    bank = (await world.service.repo.for_user(ANNA.user_id))[0]
    assert bank.due_at == datetime(2026, 11, 29, 9, 0, tzinfo=TOKYO)


async def test_a_reanchored_time_already_passed_there_comes_at_once(world: World) -> None:
    await world.service.remind(ANNA, "today at 8pm call dad")  # 20:00 Berlin
    notice = await world.service.timezone_command(ANNA, "Asia/Tokyo")  # 22:00 there now
    assert "come right away" in notice.text
    [reminder] = await world.service.repo.for_user(ANNA.user_id)
    assert reminder.due_at == datetime(2026, 11, 28, 20, 0, tzinfo=TOKYO)
    assert (await world.service.scheduler.run_due()).sent == 1


async def test_explicitly_setting_the_fallback_zone_moves_nothing(world: World) -> None:
    await world.service.remind(ANNA, "tomorrow at 9am call the bank")
    before = (await world.service.repo.for_user(ANNA.user_id))[0]
    notice = await world.service.timezone_command(ANNA, "Europe/Berlin")
    assert "keep their clock time" not in notice.text
    after = (await world.service.repo.for_user(ANNA.user_id))[0]
    assert after.due_at == before.due_at and not after.floating


async def test_a_question_answered_after_setting_the_zone_follows_it(world: World) -> None:
    notice = await world.service.remind(ANNA, "tomorrow after work buy milk")
    await world.service.timezone_command(ANNA, "Asia/Tokyo")
    reply = await world.service.act(ANNA, _data(notice)[0])
    assert reply.edit is not None and "(Asia/Tokyo)" in reply.edit.text
    [reminder] = await world.service.repo.for_user(ANNA.user_id)
    assert reminder.due_at == datetime(2026, 11, 29, 17, 0, tzinfo=TOKYO)


@pytest.mark.parametrize(
    ("words", "zone", "switch"),
    [
        ("EST", "America/New_York", ["America/Toronto"]),
        ("MST", "America/Denver", ["America/Phoenix"]),
        ("PST", "America/Los_Angeles", ["America/Vancouver"]),
        ("India", "Asia/Kolkata", []),
        ("Japan", "Asia/Tokyo", []),
    ],
)
async def test_timezone_names(world: World, words: str, zone: str, switch: list[str]) -> None:
    notice = await world.service.timezone_command(ANNA, words)
    assert f"Time zone set to **{zone}**" in notice.text
    assert [label.split(" · ")[0] for label in _labels(notice)] == switch
    if switch:
        reply = await world.service.act(ANNA, _data(notice)[0])
        assert reply.edit is not None and f"**{switch[0]}**" in reply.edit.text
        assert (await world.service.settings_of(ANNA.user_id)).timezone == switch[0]


@pytest.mark.parametrize("words", ["Australia", "Canada", "USA", "Russia", "Indonesia", "Mexico"])
async def test_countries_with_several_zones_ask(world: World, words: str) -> None:
    notice = await world.service.timezone_command(ANNA, words)
    assert "Several time zones" in notice.text and len(_labels(notice)) >= 3
    assert not (await world.service.settings_of(ANNA.user_id)).timezone_set


async def test_rules_with_limits_end(world: World) -> None:
    notice = await world.service.remind(ANNA, "every day at 8pm for 2 days stretch")
    assert "🔁 every day at 20:00, until Sun 29 Nov 2026" in notice.text
    for _ in range(2):
        [reminder] = await world.service.repo.for_user(ANNA.user_id)
        world.clock.set(reminder.due_at)
        assert (await world.service.scheduler.run_due()).sent == 1
    [reminder] = await world.service.repo.for_user(ANNA.user_id)
    assert reminder.status == Status.DELIVERED
    world.clock.advance(timedelta(days=3))
    assert (await world.service.scheduler.run_due()).sent == 0
