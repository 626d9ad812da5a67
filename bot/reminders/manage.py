"""Managing reminders: the /reminders list, a reminder's card, pause, resume, delete, edit."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.i18n import detect_language
from bot.outbound import Button, ButtonReply, Notice, Page
from bot.reminders.buttons import ReminderId, ReminderOnPage, Taps
from bot.reminders.model import Reminder, Status
from bot.reminders.readings import lang_of, shorten, with_time
from bot.reminders.recurrence import next_occurrence
from bot.reminders.texts import TEXTS, format_moment, md, mention
from bot.reminders.types import Actor, Plan, Right
from bot.timeparse import describe_rule

if TYPE_CHECKING:
    from bot.reminders.service import ReminderService

__all__ = ["PAGE_SIZE", "ReminderLists"]

PAGE_SIZE = 8
_EDIT_WINDOW = timedelta(minutes=15)


class ReminderLists:
    """The /reminders list and the changes a user makes to a reminder (a collaborator of
    ``ReminderService``, which it reaches for users, plans and the scheduler)."""

    def __init__(self, service: ReminderService) -> None:
        self._service = service

    # -- the list ------------------------------------------------------------------------------

    async def upcoming(self, actor: Actor) -> list[Reminder]:
        """A group's reminders in a group; the user's own in a private chat."""
        if actor.kind.is_group:
            return await self._service.repo.upcoming(chat_id=actor.chat_id)
        return await self._service.repo.upcoming(chat_id=actor.chat_id, user_id=actor.user_id)

    async def list_view(self, actor: Actor, page: int = 0) -> Notice:
        """``/reminders``: upcoming reminders with their next local time, a button each."""
        user = await self._service._user(actor)
        lang = lang_of(user)
        items = await self.upcoming(actor)
        if not items:
            return Notice(TEXTS("list_empty", lang))
        now = self._service._clock.now()
        pages = (len(items) + PAGE_SIZE - 1) // PAGE_SIZE
        page = min(max(page, 0), pages - 1)
        shown = items[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
        head = "list_head_group" if actor.kind.is_group else "list_head"
        lines = [TEXTS(head, lang, count=len(items))]
        rows: list[tuple[Button, ...]] = []
        for offset, reminder in enumerate(shown, start=page * PAGE_SIZE + 1):
            lines.append(self._list_line(reminder, offset, now, lang))
            label = f"{offset}. {shorten(reminder.text)}"
            rows.append((Taps.VIEW.button(label, ReminderOnPage(reminder.id, page)),))
        if pages > 1:
            lines.append(TEXTS("list_page", lang, page=page + 1, pages=pages))
            nav = []
            if page > 0:
                nav.append(Taps.LIST.button(TEXTS("button_prev", lang), Page(page - 1)))
            if page < pages - 1:
                nav.append(Taps.LIST.button(TEXTS("button_next", lang), Page(page + 1)))
            rows.append(tuple(nav))
        lines.append(TEXTS("list_hint", lang))
        return Notice("\n".join(lines), tuple(rows))

    def _list_line(self, reminder: Reminder, index: int, now: datetime, lang: str) -> str:
        when = format_moment(reminder.local_due(), now, lang)
        if reminder.rrule:
            when += f" · 🔁 {md(describe_rule(reminder.rrule, lang))}"
        line = TEXTS("list_item", lang, index=index, task=md(reminder.text), when=when)
        if reminder.status == Status.PAUSED:
            line += TEXTS("list_paused", lang)
        return line

    async def on_list(self, actor: Actor, tapped: Page) -> ButtonReply:
        return ButtonReply(edit=await self.list_view(actor, tapped.page))

    async def detail_view(self, actor: Actor, reminder: Reminder, page: int = 0) -> Notice:
        lang = lang_of(await self._service._user(actor))
        now = self._service._clock.now()
        when = format_moment(reminder.local_due(), now, lang)
        when += TEXTS("zone_line", lang, zone=reminder.timezone)
        text = TEXTS("detail", lang, task=md(reminder.text), when=when)
        if reminder.rrule:
            text += TEXTS("rule_line", lang, rule=md(describe_rule(reminder.rrule, lang)))
        if reminder.status == Status.PAUSED:
            text += TEXTS("detail_paused", lang)
        if reminder.kind.is_group:
            text += TEXTS("detail_by", lang, who=md(reminder.creator_name or ""))
        on_page = ReminderOnPage(reminder.id, page)
        toggle = (
            Taps.RESUME.button(TEXTS("button_resume", lang), on_page)
            if reminder.status == Status.PAUSED
            else Taps.PAUSE.button(TEXTS("button_pause", lang), on_page)
        )
        return Notice(
            text,
            (
                (
                    Taps.EDIT.button(TEXTS("button_edit", lang), ReminderId(reminder.id)),
                    toggle,
                    Taps.DELETE.button(TEXTS("button_delete", lang), on_page),
                ),
                (Taps.LIST.button(TEXTS("button_back", lang), Page(max(page, 0))),),
            ),
        )

    async def on_view(self, actor: Actor, tapped: ReminderOnPage) -> ButtonReply:
        reminder, refusal = await self._service._owned(
            actor, tapped.reminder_id, right=Right.ANYONE_IN_CHAT
        )
        if reminder is None:
            return refusal or ButtonReply()
        return ButtonReply(edit=await self.detail_view(actor, reminder, tapped.page))

    async def on_pause(self, actor: Actor, tapped: ReminderOnPage) -> ButtonReply:
        reminder, refusal = await self._service._owned(actor, tapped.reminder_id)
        if reminder is None:
            return refusal or ButtonReply()
        await self._service.repo.set_status(
            reminder.id,
            Status.PAUSED,
            now=self._service._clock.now(),
            only_from=(Status.SCHEDULED, Status.CLAIMED),
        )
        self._service.scheduler.wake()
        updated = await self._service.repo.get(reminder.id) or reminder
        lang = reminder.language
        return ButtonReply(
            edit=await self.detail_view(actor, updated, tapped.page),
            toast=TEXTS("paused", lang, task=shorten(reminder.text)).replace("**", ""),
        )

    async def on_resume(self, actor: Actor, tapped: ReminderOnPage) -> ButtonReply:
        reminder, refusal = await self._service._owned(actor, tapped.reminder_id)
        if reminder is None:
            return refusal or ButtonReply()
        now = self._service._clock.now()
        due = reminder.due_at
        if reminder.rrule and reminder.dtstart and due <= now:
            due = next_occurrence(reminder.rrule, reminder.dtstart, reminder.timezone, now) or due
        if due <= now:
            return ButtonReply(toast=TEXTS("resume_past", reminder.language), alert=True)
        if reminder.status == Status.PAUSED:
            await self._service.repo.reschedule(reminder.id, due_at=due, now=now)
            self._service.scheduler.wake()
        updated = await self._service.repo.get(reminder.id) or reminder
        return ButtonReply(edit=await self.detail_view(actor, updated, tapped.page))

    async def on_del(self, actor: Actor, tapped: ReminderOnPage) -> ButtonReply:
        reminder, refusal = await self._service._owned(actor, tapped.reminder_id)
        if reminder is None:
            return refusal or ButtonReply()
        await self._service.repo.delete(reminder.id)
        self._service.scheduler.wake()
        lang = reminder.language
        rest = await self.upcoming(actor)
        if rest:
            listing = await self.list_view(actor, tapped.page)
            text = TEXTS("deleted", lang, task=md(reminder.text)) + "\n\n" + listing.text
            return ButtonReply(edit=Notice(text, listing.buttons))
        return ButtonReply(edit=Notice(TEXTS("deleted", lang, task=md(reminder.text))))

    # -- editing by reply ----------------------------------------------------------------------

    async def on_edit(self, actor: Actor, tapped: ReminderId) -> ButtonReply:
        reminder, refusal = await self._service._owned(actor, tapped.reminder_id)
        if reminder is None:
            return refusal or ButtonReply()
        self._service._edits[(actor.chat_id, actor.user_id)] = (
            reminder.id,
            self._service._clock.now() + _EDIT_WINDOW,
        )
        lang = lang_of(await self._service._user(actor))
        text = TEXTS("edit_prompt", lang, task=md(reminder.text))
        if actor.kind.is_group:  # the mention makes the forced reply apply to this person only
            text = f"{mention(actor.user_id, actor.first_name)} {text}"
        return ButtonReply(send=Notice(text), force_reply=True)

    def awaiting_edit(self, chat_id: int, user_id: int) -> bool:
        """Whether the user's next message in the chat is the new time of a reminder."""
        entry = self._service._edits.get((chat_id, user_id))
        if entry is None:
            return False
        if entry[1] < self._service._clock.now():
            self._service._edits.pop((chat_id, user_id), None)
            return False
        return True

    def cancel_edit(self, actor: Actor) -> None:
        self._service._edits.pop((actor.chat_id, actor.user_id), None)

    async def apply_edit(self, actor: Actor, text: str) -> Notice:
        """The user's answer to "when should I remind you?": re-time (and maybe re-word) it."""
        user = await self._service._user(actor)
        lang = detect_language(text, fallback=lang_of(user))
        key = (actor.chat_id, actor.user_id)
        entry = self._service._edits.get(key)
        if text.strip().lower() in ("/cancel", "cancel", "取消") or entry is None:
            self._service._edits.pop(key, None)
            return Notice(TEXTS("edit_cancelled", lang))
        reminder = await self._service.repo.get(entry[0])
        if reminder is None:
            self._service._edits.pop(key, None)
            return Notice(TEXTS("gone", lang))
        settings = self._service._settings(user)
        now = self._service._clock.now()
        plan = self._service.plan(text, actor=actor, settings=settings, language=lang, now=now)
        if plan.kind == "unparsed" or plan.spec is None:
            return Notice(TEXTS("edit_unparsed", lang))
        if plan.kind == "ask":  # never re-time on a reading the user did not confirm
            return Notice(TEXTS("ask_edit", lang))
        if plan.kind == "past":
            when = format_moment(
                plan.spec.due_at.astimezone(ZoneInfo(settings.timezone)), now, lang
            )
            return Notice(TEXTS("past_no_alternative", lang, when=when))
        self._service._edits.pop(key, None)
        updated = await self._retime(reminder, plan, now)
        self._service.scheduler.wake()
        return await self._service._confirmation(
            updated, actor=actor, settings=settings, now=now, title="updated"
        )

    async def _retime(self, reminder: Reminder, plan: Plan, now: datetime) -> Reminder:
        spec = plan.spec
        parsed = plan.parsed
        assert spec is not None and parsed is not None
        new_text = parsed.task.strip() if parsed.task else None
        rrule, dtstart, due = spec.rrule, spec.dtstart, spec.due_at
        if reminder.rrule and not spec.rrule:
            # "8am" for "every weekday at 7:30": keep the rule, move its time of day.
            local = spec.due_at.astimezone(ZoneInfo(spec.timezone))
            rrule = with_time(reminder.rrule, local.hour, local.minute)
            dtstart = local.replace(tzinfo=None)
            due = next_occurrence(rrule, dtstart, spec.timezone, now) or spec.due_at
        await self._service.repo.reschedule(
            reminder.id,
            due_at=due,
            now=now,
            text=new_text,
            rrule=rrule,
            dtstart=dtstart,
            timezone=spec.timezone,
            keep_rule=False,
            floating=spec.floating and not rrule,
        )
        updated = await self._service.repo.get(reminder.id)
        assert updated is not None
        return updated
