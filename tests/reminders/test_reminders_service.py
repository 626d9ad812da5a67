"""The reminders service without Telegram: confirmations, questions, the list, time zones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.chats import ChatKind
from bot.outbound import Action, Notice
from bot.reminders import Status
from bot.reminders.buttons import ReminderId, Taps, Zone
from tests.reminders.reminders_fixtures import ANNA, GROUP, LI, World


def _data(notice: Notice) -> list[str]:
    return [button.action for row in notice.buttons for button in row]


def _labels(notice: Notice) -> list[str]:
    return [button.label for row in notice.buttons for button in row]


async def test_english_confirmation_has_the_exact_local_time_and_undo(world: World) -> None:
    notice = await world.service.remind(ANNA, "tomorrow at 3pm call mom")
    assert notice.text.startswith("✅ I'll remind you: **call mom**\n")
    assert "🗓 tomorrow, Sun 29 Nov at 15:00 (Europe/Berlin)" in notice.text
    assert _labels(notice) == ["↩️ Undo"]
    [reminder] = await world.service.repo.for_user(ANNA.user_id)
    assert reminder.due_at == datetime(2026, 11, 29, 14, 0, tzinfo=UTC)  # stored in UTC
    assert (reminder.text, reminder.source_message_id, reminder.rrule) == ("call mom", 11, None)


async def test_chinese_confirmation(world: World) -> None:
    notice = await world.service.remind(LI, "明天下午三点给妈妈打电话")
    assert notice.text.startswith("✅ 好的，我会提醒你：**给妈妈打电话**\n")
    assert "🗓 明天 11月29日（周日）15:00（Europe/Berlin）" in notice.text
    assert _labels(notice) == ["↩️ 撤销"]


async def test_recurring_confirmation_shows_the_rule(world: World) -> None:
    notice = await world.service.remind(ANNA, "every other Monday at 9am water the plants")
    assert "🗓 Mon 30 Nov at 09:00 (Europe/Berlin)" in notice.text
    assert "🔁 every other Monday at 09:00" in notice.text
    [reminder] = await world.service.repo.for_user(ANNA.user_id)
    assert reminder.rrule == "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO;BYHOUR=9;BYMINUTE=0"
    assert reminder.dtstart == datetime(2026, 11, 30, 9, 0)  # local wall time


async def test_chinese_workdays_with_an_am_pm_fix_button(world: World) -> None:
    notice = await world.service.remind(LI, "每个工作日8点半查邮件")
    assert "🔁 每个工作日 08:30" in notice.text and "我把时间理解为 08:30" in notice.text
    assert _labels(notice) == ["是指 20:30？", "↩️ 撤销"]
    reply = await world.service.act(LI, _data(notice)[0])
    assert reply.edit is not None and "🔁 每个工作日 20:30" in reply.edit.text
    [reminder] = await world.service.repo.for_user(LI.user_id)
    assert reminder.local_due().hour == 20 and "BYHOUR=20" in (reminder.rrule or "")


async def test_one_off_am_pm_alternative(world: World) -> None:
    notice = await world.service.remind(ANNA, "at 5 call Bob")
    assert "I read the time as 17:00" in notice.text
    reply = await world.service.act(ANNA, _data(notice)[0])
    assert reply.edit is not None and "tomorrow, Sun 29 Nov at 05:00" in reply.edit.text


async def test_past_time_asks_and_stores_nothing_until_confirmed(world: World) -> None:
    notice = await world.service.remind(ANNA, "today at 8am gym")
    assert notice.text.startswith("⌛ today, Sat 28 Nov at 08:00 has already passed.")
    assert "Did you mean tomorrow, Sun 29 Nov at 08:00?" in notice.text
    assert not await world.service.repo.for_user(ANNA.user_id)
    pick, _drop = _data(notice)
    reply = await world.service.act(ANNA, pick)
    assert reply.edit is not None and "tomorrow, Sun 29 Nov at 08:00" in reply.edit.text
    [reminder] = await world.service.repo.for_user(ANNA.user_id)
    assert reminder.text == "gym"
    again = await world.service.act(ANNA, pick)  # a second tap creates nothing more
    assert again.edit is None and len(await world.service.repo.for_user(ANNA.user_id)) == 1
    notice = await world.service.remind(ANNA, "today at 9am yoga")
    reply = await world.service.act(ANNA, _data(notice)[1])
    assert reply.edit is not None and reply.edit.text == "OK, no reminder."
    assert len(await world.service.repo.for_user(ANNA.user_id)) == 1


async def test_a_date_long_gone_is_explained(world: World) -> None:
    notice = await world.service.remind(ANNA, "1 March 2025 at 10am pay taxes")
    assert "is in the past, so I did not set a reminder" in notice.text
    assert not notice.buttons and not await world.service.repo.for_user(ANNA.user_id)


async def test_unparseable_input_gets_examples_in_the_users_language(world: World) -> None:
    english = await world.service.remind(ANNA, "call mom sometime")
    assert "couldn't find a time" in english.text and "/remind tomorrow at 3pm" in english.text
    chinese = await world.service.remind(LI, "给妈妈打电话")
    assert "没能" in chinese.text and "/remind 明天下午三点给妈妈打电话" in chinese.text
    assert not await world.service.repo.for_user(ANNA.user_id)
    usage = await world.service.remind(ANNA, "  ")
    assert usage.text.startswith("⏰ Tell me what")


async def test_undo_removes_the_reminder_and_only_its_owner_may(world: World) -> None:
    notice = await world.service.remind(ANNA, "in 2 hours tea")
    [undo] = _data(notice)
    refused = await world.service.act(LI, undo)
    assert refused.alert and refused.toast == "只有 Anna 可以修改这条提醒。"
    reply = await world.service.act(ANNA, undo)
    assert reply.edit is not None and "Undone" in reply.edit.text
    assert not await world.service.repo.for_user(ANNA.user_id)


async def test_a_date_without_time_uses_the_users_default(world: World) -> None:
    notice = await world.service.remind(ANNA, "on Friday submit the report")
    assert "Fri 4 Dec at 09:00" in notice.text and "No time was given" in notice.text
    view = await world.service.settings_command(ANNA, "time 7:30")
    assert "07:30" in view.text
    notice = await world.service.remind(ANNA, "on Friday book tickets")
    assert "Fri 4 Dec at 07:30" in notice.text
    bad = await world.service.settings_command(ANNA, "time banana")
    assert "not a time of day" in bad.text


async def test_settings_buttons_toggle_offers_and_default_time(world: World) -> None:
    view = await world.service.settings_view(ANNA)
    assert "Offering reminders from our chats: on" in view.text
    toggle = _data(view)[0]
    reply = await world.service.act(ANNA, toggle)
    assert reply.edit is not None and "Offering reminders from our chats: off" in reply.edit.text
    assert not (await world.service.settings_of(ANNA.user_id)).offers
    eight = next(b.action for row in view.buttons for b in row if b.label.endswith("08:00"))
    await world.service.act(ANNA, eight)
    assert (await world.service.settings_of(ANNA.user_id)).default_time.hour == 8


async def test_timezone_by_name_city_and_local_time(world: World) -> None:
    shown = await world.service.timezone_command(ANNA, "")
    assert "**Europe/Berlin**" in shown.text and "the default" in shown.text
    notice = await world.service.timezone_command(ANNA, "Asia/Shanghai")
    assert "Time zone set to **Asia/Shanghai**. Your local time: 20:00." in notice.text
    notice = await world.service.timezone_command(ANNA, "Berlin")
    assert "**Europe/Berlin**" in notice.text
    world.clock.set(datetime(2026, 11, 28, 12, 40, tzinfo=UTC))
    notice = await world.service.timezone_command(ANNA, "15:40")
    assert "**Etc/GMT-3**" in notice.text and "fixed offset" in notice.text
    assert (await world.service.settings_of(ANNA.user_id)).timezone == "Etc/GMT-3"


async def test_ambiguous_timezone_offers_candidates(world: World) -> None:
    notice = await world.service.timezone_command(ANNA, "CST")
    assert "Several time zones" in notice.text
    labels = _labels(notice)
    assert any(label.startswith("America/Chicago") for label in labels)
    shanghai = next(d for d in _data(notice) if d.payload == Zone("Asia/Shanghai"))
    reply = await world.service.act(ANNA, shanghai)
    assert reply.edit is not None and "**Asia/Shanghai**" in reply.edit.text
    unknown = await world.service.timezone_command(ANNA, "Atlantis")
    assert "I don't know the time zone" in unknown.text


async def test_recurring_reminders_follow_a_new_timezone(world: World) -> None:
    await world.service.timezone_command(ANNA, "Europe/Berlin")  # chosen, not the fallback
    await world.service.remind(ANNA, "every day at 7:00 stretch")
    await world.service.remind(ANNA, "tomorrow at 3pm one-off")
    notice = await world.service.timezone_command(ANNA, "Asia/Shanghai")
    assert "1 recurring reminder(s)" in notice.text and "keep their clock time" not in notice.text
    daily, once = await world.service.repo.for_user(ANNA.user_id)
    assert daily.timezone == "Asia/Shanghai" and daily.local_due().hour == 7
    assert once.due_at == datetime(2026, 11, 29, 14, 0, tzinfo=UTC)  # unchanged instant
    assert once.timezone == "Asia/Shanghai"  # shown in the new local time


async def test_list_shows_next_local_times_and_pauses_and_deletes(world: World) -> None:
    await world.service.remind(ANNA, "tomorrow at 3pm call mom")
    await world.service.remind(ANNA, "every other Monday at 9am water the plants")
    await world.service.remind(LI, "明天上午10点开会")
    listing = await world.service.list_view(ANNA)
    assert listing.text.startswith("⏰ **Your reminders** (2)")
    assert "1. **call mom**\n    tomorrow, Sun 29 Nov at 15:00" in listing.text
    assert "🔁 every other Monday at 09:00" in listing.text and "开会" not in listing.text
    view = _data(listing)[1]
    detail = await world.service.act(ANNA, view)
    assert detail.edit is not None and "Next: Mon 30 Nov at 09:00" in detail.edit.text
    assert _labels(detail.edit) == ["✏️ Edit", "⏸ Pause", "🗑 Delete", "« Back"]
    pause = _data(detail.edit)[1]
    assert (await world.service.act(LI, pause)).alert  # not Li's to pause
    paused = await world.service.act(ANNA, pause)
    assert paused.edit is not None and "⏸ Paused" in paused.edit.text
    assert "▶️ Resume" in _labels(paused.edit)
    plants = (await world.service.repo.for_user(ANNA.user_id))[1]
    assert plants.status == Status.PAUSED
    world.clock.advance(timedelta(hours=46))  # Monday 11:00 in Berlin
    assert (await world.service.scheduler.run_due()).sent == 1  # only the call
    resumed = await world.service.act(ANNA, _data(paused.edit)[1])
    assert resumed.edit is not None and "Mon 14 Dec at 09:00" in resumed.edit.text
    deleted = await world.service.act(ANNA, _data(resumed.edit)[2])
    assert deleted.edit is not None and "🗑 Deleted: **water the plants**" in deleted.edit.text
    empty = await world.service.list_view(ANNA)
    assert "no upcoming reminders" in empty.text


async def test_list_pages(world: World) -> None:
    for hour in range(1, 11):
        await world.service.remind(ANNA, f"in {hour} hours item {hour}")
    first = await world.service.list_view(ANNA)
    assert "Page 1 of 2" in first.text and "item 8" in first.text and "item 9" not in first.text
    second = await world.service.act(ANNA, _data(first)[-1])
    assert second.edit is not None and "item 10" in second.edit.text


async def test_edit_by_reply_retimes_and_rewords(world: World) -> None:
    await world.service.remind(ANNA, "tomorrow at 3pm call mom")
    [reminder] = await world.service.repo.for_user(ANNA.user_id)
    detail = await world.service.detail_view(ANNA, reminder)
    reply = await world.service.act(ANNA, _data(detail)[0])
    assert reply.force_reply and reply.send is not None and "call mom" in reply.send.text
    assert world.service.awaiting_edit(ANNA.chat_id, ANNA.user_id)
    assert not world.service.awaiting_edit(LI.chat_id, LI.user_id)
    nope = await world.service.apply_edit(ANNA, "whenever")
    assert "couldn't find a time" in nope.text
    notice = await world.service.apply_edit(ANNA, "Monday 10am call dad")
    assert notice.text.startswith("✏️ Updated: **call dad**")
    assert "Mon 30 Nov at 10:00" in notice.text
    assert not world.service.awaiting_edit(ANNA.chat_id, ANNA.user_id)
    [reminder] = await world.service.repo.for_user(ANNA.user_id)
    assert reminder.text == "call dad" and reminder.local_due().hour == 10


async def test_editing_a_recurring_reminder_moves_its_time_of_day(world: World) -> None:
    await world.service.remind(ANNA, "every weekday at 7:30 check mail")
    [reminder] = await world.service.repo.for_user(ANNA.user_id)
    await world.service.act(ANNA, Action(Taps.EDIT, ReminderId(reminder.id)))
    notice = await world.service.apply_edit(ANNA, "8am")
    assert "🔁 every weekday at 08:00" in notice.text
    cancelled = await world.service.act(ANNA, Action(Taps.EDIT, ReminderId(reminder.id)))
    assert cancelled.send is not None
    assert (await world.service.apply_edit(ANNA, "/cancel")).text == "OK, nothing changed."


async def test_group_list_and_permissions(world: World) -> None:
    notice = await world.service.remind(GROUP, "every Friday at 16:00 demo time")
    assert notice.text.startswith("✅ Group reminder from [Anna](tg://user?id=101)")
    other = GROUP.__class__(
        user_id=LI.user_id, chat_id=GROUP.chat_id, first_name="李雷", kind=ChatKind.GROUP
    )
    listing = await world.service.list_view(other)
    assert "本群的提醒" in listing.text
    detail = await world.service.act(other, _data(listing)[0])
    assert detail.edit is not None and "由 Anna 设置" in detail.edit.text
    refused = await world.service.act(other, _data(detail.edit)[2])  # delete
    assert refused.alert


async def test_export_forget_and_migrate(world: World) -> None:
    await world.service.remind(ANNA, "tomorrow at 3pm call mom")
    await world.service.remind(GROUP, "in 1 hour stand-up")
    await world.service.remind(LI, "明天上午10点开会")
    await world.service.remind(ANNA, "today at 8am past thing")  # leaves a pending question
    exported = await world.service.export(user_id=ANNA.user_id, chat_id=ANNA.chat_id)
    assert [r["text"] for r in exported["reminders"]] == ["call mom", "stand-up"]
    assert exported["reminders"][0]["next_local"] == "2026-11-29T15:00:00+01:00"
    assert [p["kind"] for p in exported["pending"]] == ["choice"]
    group = await world.service.export(user_id=GROUP.user_id, chat_id=GROUP.chat_id)
    assert [r["text"] for r in group["reminders"]] == ["stand-up"]
    assert await world.service.migrate_chat(GROUP.chat_id, -100999) == 1
    assert [
        r["text"]
        for r in (await world.service.export(user_id=GROUP.user_id, chat_id=-100999))["reminders"]
    ] == ["stand-up"]
    assert await world.service.forget_all(user_id=GROUP.user_id, chat_id=-100999) == 1
    assert await world.service.forget_all(user_id=ANNA.user_id, chat_id=ANNA.chat_id) == 1
    assert (await world.service.export(user_id=ANNA.user_id, chat_id=ANNA.chat_id)) == {
        "reminders": [],
        "pending": [],
    }
    assert (
        len((await world.service.export(user_id=LI.user_id, chat_id=LI.chat_id))["reminders"]) == 1
    )


async def test_a_time_passed_today_rolls_to_tomorrow_and_says_so(world: World) -> None:
    notice = await world.service.remind(ANNA, "at 8am run")
    assert "tomorrow, Sun 29 Nov at 08:00" in notice.text
    assert "That time has passed for now" in notice.text


async def test_a_named_zone_is_confirmed_in_the_users_own_time(world: World) -> None:
    notice = await world.service.remind(ANNA, "5pm EST call the bank")
    [reminder] = await world.service.repo.for_user(ANNA.user_id)
    assert reminder.due_at.astimezone(UTC).hour == 22  # 17:00 at UTC-5
    assert reminder.local_due().hour == 23 and reminder.text == "call the bank"
    assert "17:00 EST = " in notice.text and "at 23:00 your time" in notice.text


async def test_a_named_zone_is_confirmed_in_chinese(world: World) -> None:
    notice = await world.service.remind(LI, "北京时间晚上8点开会")
    [reminder] = await world.service.repo.for_user(LI.user_id)
    assert reminder.due_at.astimezone(UTC).hour == 12  # 20:00 in Beijing
    assert reminder.text == "开会"
    assert "🌐 北京时间 " in notice.text and "20:00 = 你的时间 " in notice.text
    assert notice.text.rstrip().endswith("13:00") or "13:00" in notice.text.split("你的时间")[1]


async def test_a_rule_with_a_named_zone_is_asked_about(world: World) -> None:
    notice = await world.service.remind(ANNA, "every day at 9am EST stretch")
    assert "EST" in notice.text and not await world.service.repo.for_user(ANNA.user_id)
