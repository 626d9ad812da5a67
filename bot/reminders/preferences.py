"""Per-user preferences: the time zone (/timezone) and the reminder settings (/settings)."""

from __future__ import annotations

from datetime import datetime, time
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.i18n import detect_language
from bot.outbound import ButtonReply, DayTime, Notice, Switch
from bot.reminders.buttons import Taps, Zone
from bot.reminders.readings import lang_of, parse_clock
from bot.reminders.recurrence import localize, next_occurrence
from bot.reminders.texts import TEXTS, format_moment, md
from bot.reminders.types import Actor
from bot.timeparse import resolve_timezone
from bot.timeparse.zones import timezone_alternatives

if TYPE_CHECKING:
    from bot.reminders.service import ReminderService

__all__ = ["ReminderPreferences"]


class ReminderPreferences:
    """Time zone and settings (a collaborator of ``ReminderService``)."""

    def __init__(self, service: ReminderService) -> None:
        self._service = service

    # -- time zones ----------------------------------------------------------------------------

    async def timezone_command(self, actor: Actor, text: str) -> Notice:
        """``/timezone [zone | city | offset | current local time]``."""
        user = await self._service._user(actor)
        lang = detect_language(text, fallback=lang_of(user)) if text.strip() else lang_of(user)
        settings = self._service._settings(user)
        now = self._service._clock.now()
        if not text.strip():
            local = now.astimezone(ZoneInfo(settings.timezone))
            default = "" if settings.timezone_set else TEXTS("tz_default", lang)
            return Notice(
                TEXTS(
                    "tz_current",
                    lang,
                    zone=settings.timezone,
                    time=f"{local:%H:%M}",
                    default=default,
                )
            )
        candidates = resolve_timezone(text, now)
        if not candidates:
            return Notice(TEXTS("tz_unknown", lang, text=md(text[:80])))
        if len(candidates) == 1:
            notice = await self.set_timezone(actor, candidates[0], lang=lang)
            others = [z for z in timezone_alternatives(text) if z != candidates[0]]
            if not others:
                return notice
            note = TEXTS("tz_alternative", lang, note=", ".join(others))
            rows = tuple(
                (
                    Taps.TIMEZONE.button(
                        f"{zone} · {now.astimezone(ZoneInfo(zone)):%H:%M}", Zone(zone)
                    ),
                )
                for zone in others
            )
            return Notice(notice.text + note, notice.buttons + rows)
        rows = tuple(
            (Taps.TIMEZONE.button(f"{zone} · {now.astimezone(ZoneInfo(zone)):%H:%M}", Zone(zone)),)
            for zone in candidates[:8]
        )
        return Notice(TEXTS("tz_pick", lang, text=md(text[:80])), rows)

    async def set_timezone(self, actor: Actor, zone: str, *, lang: str | None = None) -> Notice:
        """Store the zone; recurring reminders keep their local wall time in the new zone."""
        user = await self._service._user(actor)
        lang = lang or lang_of(user)
        ZoneInfo(zone)  # raises for an unknown zone
        previous = self._service._settings(user)
        old = previous.timezone
        await self._service._users.set_timezone(actor.user_id, zone)
        now = self._service._clock.now()
        reanchored = await self._reanchor_floating(actor.user_id, old, zone, now)
        moved = await self._follow_timezone(actor.user_id, old, zone)
        text = TEXTS("tz_set", lang, zone=zone, time=f"{now.astimezone(ZoneInfo(zone)):%H:%M}")
        if zone.startswith("Etc/"):
            text += TEXTS("tz_fixed", lang)
        if moved:
            text += TEXTS("tz_moved", lang, count=moved)
        if reanchored:
            times = ", ".join(
                format_moment(due.astimezone(ZoneInfo(zone)), now, lang) for due in reanchored[:3]
            )
            if len(reanchored) > 3:
                times += ", …"
            text += TEXTS("tz_reanchored", lang, count=len(reanchored), zone=zone, times=times)
            if any(due <= now for due in reanchored):
                text += TEXTS("tz_reanchored_due", lang)
        return Notice(text)

    async def _reanchor_floating(
        self, user_id: int, old: str, new: str, now: datetime
    ) -> list[datetime]:
        """One-offs set before the user had a zone were read in the fallback zone: "tomorrow at
        9" meant 9 where the user lives, so they keep that wall time in the zone now set.
        Returns their new times (the flag is cleared either way: from now on times are read in
        a zone the user chose)."""
        moved: list[datetime] = []
        if old != new:
            for reminder in await self._service.repo.floating_of(user_id):
                if reminder.timezone != old:
                    continue
                wall = reminder.local_due().replace(tzinfo=None)
                due = localize(wall, ZoneInfo(new))
                if await self._service.repo.reanchor(reminder.id, new, due_at=due, now=now):
                    moved.append(due)
        await self._service.repo.clear_floating(user_id)
        if moved:
            self._service.scheduler.wake()
        return sorted(moved)

    async def _follow_timezone(self, user_id: int, old: str, new: str) -> int:
        """Move the user's reminders to the new zone; return how many recurring ones moved.

        A recurring reminder keeps its wall time ("every day at 07:00" stays 07:00 where the
        user now lives); a one-off set in a zone the user chose keeps its instant and is only
        shown in the new zone (floating ones were re-anchored before).
        """
        if old == new:
            return 0
        now = self._service._clock.now()
        await self._service.repo.rezone_one_offs(user_id, old, new, now=now)
        moved = 0
        for reminder in await self._service.repo.recurring_of(user_id):
            if reminder.timezone != old or reminder.dtstart is None or reminder.rrule is None:
                continue
            due = next_occurrence(reminder.rrule, reminder.dtstart, new, now)
            if due is not None and await self._service.repo.rezone(
                reminder.id, new, due_at=due, now=now
            ):
                moved += 1
        if moved:
            self._service.scheduler.wake()
        return moved

    async def on_tz(self, actor: Actor, tapped: Zone) -> ButtonReply:
        try:
            notice = await self.set_timezone(actor, tapped.name)
        except (ValueError, KeyError):
            return ButtonReply()
        return ButtonReply(edit=notice)

    # -- settings ------------------------------------------------------------------------------

    async def settings_view(self, actor: Actor) -> Notice:
        """``/settings``: time zone, default time of day, next-step offers."""
        user = await self._service._user(actor)
        lang = lang_of(user)
        settings = self._service._settings(user)
        offers = TEXTS("on" if settings.offers else "off", lang)
        text = TEXTS(
            "settings",
            lang,
            zone=settings.timezone,
            time=f"{settings.default_time:%H:%M}",
            offers=offers,
        )
        toggle = "button_offers_off" if settings.offers else "button_offers_on"
        times = tuple(
            Taps.DEFAULT_TIME.button(
                ("✓ " if choice == settings.default_time else "") + f"{choice:%H:%M}",
                DayTime.of(choice),
            )
            for choice in (time(7, 0), time(8, 0), time(9, 0), time(10, 0))
        )
        return Notice(
            text,
            (
                (Taps.OFFERS.button(TEXTS(toggle, lang), Switch(on=not settings.offers)),),
                times,
            ),
        )

    async def settings_command(self, actor: Actor, text: str) -> Notice:
        """``/settings`` alone shows them; ``/settings time 8:30`` sets the default time."""
        words = text.strip().split(maxsplit=1)
        if words and words[0].lower() in ("time", "时间", "default") and len(words) == 2:
            chosen = parse_clock(words[1])
            if chosen is None:
                lang = lang_of(await self._service._user(actor))
                return Notice(TEXTS("settings_bad_time", lang, text=md(words[1][:40])))
            await self._service._users.update_settings(
                actor.user_id, reminder_default_time=f"{chosen:%H:%M}"
            )
        elif words and words[0].lower() in ("offers", "提议") and len(words) == 2:
            on = words[1].strip().lower() in ("on", "yes", "开", "打开")
            await self._service._users.update_settings(actor.user_id, reminder_offers=on)
        return await self.settings_view(actor)

    async def on_offers(self, actor: Actor, tapped: Switch) -> ButtonReply:
        await self._service._users.update_settings(actor.user_id, reminder_offers=tapped.on)
        return ButtonReply(edit=await self.settings_view(actor))

    async def on_default_time(self, actor: Actor, tapped: DayTime) -> ButtonReply:
        chosen = tapped.as_time
        if chosen is not None:
            await self._service._users.update_settings(
                actor.user_id, reminder_default_time=f"{chosen:%H:%M}"
            )
        return ButtonReply(edit=await self.settings_view(actor))
