"""Reminders for people: create from words, confirm, list, edit, snooze, offer, export, forget.

Telegram-free: the transport passes an :class:`Actor` (who, where, which message) and shows the
:class:`~bot.conversation.Notice` or :class:`ActionReply` that comes back. Dates are always
resolved by :func:`bot.timeparse.parse_when` from the user's own words, in the user's time zone;
never by the language model.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.conversation import Button, Notice
from bot.i18n import detect_language
from bot.reminders.buttons import Action, button, parse
from bot.reminders.delivery import Delivery
from bot.reminders.messages import due_text
from bot.reminders.model import Draft, Reminder, Status
from bot.reminders.recurrence import localize, next_occurrence
from bot.reminders.repository import NewReminder, ReminderRepository
from bot.reminders.scheduler import Scheduler, SchedulerOptions
from bot.reminders.schema import REMINDER_MIGRATIONS
from bot.reminders.texts import TEXTS, format_moment, md, mention
from bot.storage import Database, UserRecord, UserRepository, from_db_time, to_db_time
from bot.timeparse import ParsedWhen, describe_rule, parse_when, resolve_timezone

__all__ = ["ActionReply", "Actor", "Plan", "ReminderService", "ReminderSettings"]

logger = logging.getLogger(__name__)

DEFAULT_TIME = time(9, 0)
PAGE_SIZE = 8
_EDIT_WINDOW = timedelta(minutes=15)
_OFFER_LIFETIME = timedelta(days=14)
_CHOICE_LIFETIME = timedelta(days=2)
_TIME_OF_DAY = re.compile(
    r"^\s*(\d{1,2})(?:[:.h](\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?\s*$", re.IGNORECASE
)
_SNOOZES = {"10m": timedelta(minutes=10), "1h": timedelta(hours=1)}


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts and where: the sender of a command, a message or a button tap."""

    user_id: int
    chat_id: int
    first_name: str = ""
    chat_type: str = "private"
    message_id: int | None = None
    thread_id: int | None = None

    @property
    def is_group(self) -> bool:
        return self.chat_type in ("group", "supergroup") or self.chat_id < 0


@dataclass(frozen=True, slots=True)
class ActionReply:
    """The answer to a button: edit the message that carried it, send another, or a toast."""

    edit: Notice | None = None
    send: Notice | None = None
    toast: str | None = None
    alert: bool = False
    force_reply: bool = False


@dataclass(frozen=True, slots=True)
class ReminderSettings:
    """A user's reminder settings, with the defaults filled in."""

    timezone: str
    timezone_set: bool
    default_time: time
    offers: bool


@dataclass(frozen=True, slots=True)
class Plan:
    """What the words meant: a reminder ready to store, or why not."""

    kind: str  # "ready", "past", "unparsed"
    spec: NewReminder | None = None
    parsed: ParsedWhen | None = None
    alternative: datetime | None = None


class ReminderService:
    """Everything about reminders that is not Telegram."""

    def __init__(
        self,
        db: Database,
        users: UserRepository,
        clock: Clock,
        *,
        default_timezone: str = "UTC",
        scheduler_options: SchedulerOptions | None = None,
    ) -> None:
        self._db = db
        self._users = users
        self._clock = clock
        self._default_timezone = default_timezone
        self.repo = ReminderRepository(db)
        self.scheduler = Scheduler(self.repo, clock, scheduler_options)
        self._edits: dict[tuple[int, int], tuple[int, datetime]] = {}

    @classmethod
    async def open(
        cls, db: Database, users: UserRepository, clock: Clock, **options: Any
    ) -> ReminderService:
        """Migrate the reminders tables and return the service."""
        await db.migrate("reminders", REMINDER_MIGRATIONS)
        return cls(db, users, clock, **options)

    async def start(self, delivery: Delivery, *, background: bool = True) -> None:
        """Start the scheduler (recovering claims left by a crash)."""
        await self.scheduler.start(delivery, background=background)

    async def stop(self) -> None:
        await self.scheduler.stop()

    # -- settings ------------------------------------------------------------------------------

    async def settings_of(self, user_id: int) -> ReminderSettings:
        user = await self._users.get(user_id)
        return self._settings(user)

    def _settings(self, user: UserRecord | None) -> ReminderSettings:
        stored = user.settings if user else {}
        default_time = _parse_clock(str(stored.get("reminder_default_time", ""))) or DEFAULT_TIME
        zone = user.timezone if user and user.timezone else None
        return ReminderSettings(
            timezone=zone or self._default_timezone,
            timezone_set=zone is not None,
            default_time=default_time,
            offers=bool(stored.get("reminder_offers", True)),
        )

    async def _user(self, actor: Actor) -> UserRecord | None:
        return await self._users.get(actor.user_id)

    # -- understanding words -------------------------------------------------------------------

    def plan(
        self,
        text: str,
        *,
        actor: Actor,
        settings: ReminderSettings,
        language: str,
        now: datetime,
        task: str | None = None,
        origin: str = "command",
    ) -> Plan:
        """Resolve the time in ``text`` for ``actor``; ``task`` overrides the words left over."""
        parsed = parse_when(text, now, settings.timezone, default_time=settings.default_time)
        if parsed is None:
            return Plan("unparsed")
        words = (task or parsed.task or "").strip() or TEXTS("default_task", language)
        due, dtstart = parsed.when, None
        if parsed.rrule:
            dtstart = (parsed.dtstart or parsed.when).astimezone(ZoneInfo(settings.timezone))
            if due <= now:
                due = next_occurrence(parsed.rrule, dtstart, settings.timezone, now) or due
        spec = NewReminder(
            user_id=actor.user_id,
            chat_id=actor.chat_id,
            text=words[:1000],
            language=language,
            timezone=settings.timezone,
            due_at=due,
            thread_id=actor.thread_id,
            rrule=parsed.rrule,
            dtstart=dtstart.replace(tzinfo=None) if dtstart else None,
            origin=origin,
            source_message_id=actor.message_id,
        )
        if not parsed.rrule and due <= now:
            later = due + timedelta(days=1)
            return Plan("past", spec, parsed, later if later > now else None)
        return Plan("ready", spec, parsed)

    # -- creating ------------------------------------------------------------------------------

    async def remind(self, actor: Actor, text: str) -> Notice:
        """``/remind <words>``: create and confirm, ask about a past time, or explain."""
        user = await self._user(actor)
        language = detect_language(text, fallback=_lang(user))
        if not text.strip():
            return Notice(TEXTS("usage", language))
        settings = self._settings(user)
        now = self._clock.now()
        plan = self.plan(text, actor=actor, settings=settings, language=language, now=now)
        if plan.kind == "unparsed":
            return Notice(TEXTS("unparsed", language, text=md(text[:200])))
        notice, _ = await self.carry_out(plan, actor=actor, settings=settings, now=now)
        return notice

    async def carry_out(
        self, plan: Plan, *, actor: Actor, settings: ReminderSettings, now: datetime
    ) -> tuple[Notice, Reminder | None]:
        """Store a ready plan and confirm it, or ask about a past one (nothing stored)."""
        assert plan.spec is not None
        if plan.kind == "past":
            return await self._past_question(plan, actor=actor, now=now), None
        reminder = await self.repo.add(plan.spec, now=now)
        self.scheduler.wake()
        flags = plan.parsed.flags if plan.parsed else ()
        notice = await self._confirmation(
            reminder, actor=actor, settings=settings, now=now, flags=flags
        )
        return notice, reminder

    async def _past_question(self, plan: Plan, *, actor: Actor, now: datetime) -> Notice:
        spec = plan.spec
        assert spec is not None
        lang = spec.language
        when = format_moment(spec.due_at.astimezone(ZoneInfo(spec.timezone)), now, lang)
        if plan.alternative is None:
            return Notice(TEXTS("past_no_alternative", lang, when=when))
        spec = replace(spec, due_at=plan.alternative)
        draft = await self.repo.add_draft(
            user_id=actor.user_id,
            chat_id=actor.chat_id,
            kind="choice",
            payload=_spec_payload(spec),
            now=now,
            expires_at=now + _CHOICE_LIFETIME,
        )
        alternative = format_moment(plan.alternative.astimezone(ZoneInfo(spec.timezone)), now, lang)
        return Notice(
            TEXTS("past", lang, when=when, alternative=alternative),
            (
                (
                    button(TEXTS("button_yes_at", lang, when=alternative), "pick", draft.id),
                    button(TEXTS("button_cancel", lang), "drop", draft.id),
                ),
            ),
        )

    async def _confirmation(
        self,
        reminder: Reminder,
        *,
        actor: Actor,
        settings: ReminderSettings,
        now: datetime,
        flags: tuple[str, ...] = (),
        title: str = "created",
    ) -> Notice:
        lang = reminder.language
        text = self.describe(reminder, now, title=title, creator=actor.first_name)
        text += self._notes(reminder, flags, settings)
        if not settings.timezone_set:
            text += TEXTS("zone_hint", lang, zone=reminder.timezone)
        rows: list[tuple[Button, ...]] = []
        alternative = await self._alternative(reminder, flags, actor=actor, now=now)
        if alternative is not None:
            rows.append((alternative,))
        rows.append((button(TEXTS("button_undo", lang), "undo", reminder.id),))
        return Notice(text, tuple(rows))

    def describe(
        self, reminder: Reminder, now: datetime, *, title: str = "created", creator: str = ""
    ) -> str:
        """The confirmation lines: what, the exact local time and zone, and the rule."""
        lang = reminder.language
        when = format_moment(reminder.local_due(), now, lang)
        when += TEXTS("zone_line", lang, zone=reminder.timezone)
        task = md(reminder.text)
        if title == "created" and reminder.is_group:
            who = mention(reminder.user_id, creator or reminder.creator_name or "")
            text = TEXTS("created_group", lang, who=who, task=task, when=when)
        else:
            text = TEXTS(title, lang, task=task, when=when)
        if reminder.rrule:
            text += TEXTS("rule_line", lang, rule=md(describe_rule(reminder.rrule, lang)))
        return text

    def _notes(self, reminder: Reminder, flags: tuple[str, ...], settings: ReminderSettings) -> str:
        lang = reminder.language
        notes = ""
        if "ampm" in flags:
            notes += TEXTS("note_ampm", lang, time=f"{reminder.local_due():%H:%M}")
        if "next" in flags:
            notes += TEXTS("note_next", lang)
        if "day_only" in flags:
            notes += TEXTS("note_day_only", lang, time=f"{settings.default_time:%H:%M}")
        if "multi" in flags and not reminder.rrule:
            notes += TEXTS("note_multi", lang)
        return notes

    async def _alternative(
        self, reminder: Reminder, flags: tuple[str, ...], *, actor: Actor, now: datetime
    ) -> Button | None:
        """A one-tap fix for the other plausible reading (am/pm, "next Friday")."""
        payload = _other_reading(reminder, flags, now)
        if payload is None:
            return None
        draft = await self.repo.add_draft(
            user_id=actor.user_id,
            chat_id=reminder.chat_id,
            kind="alternative",
            payload=payload,
            now=now,
            expires_at=now + _CHOICE_LIFETIME,
        )
        due = from_db_time(payload["due_at"]).astimezone(reminder.zone)
        label = f"{due:%H:%M}" if "ampm" in flags else format_moment(due, now, reminder.language)
        return button(TEXTS("button_meant", reminder.language, when=label), "alt", draft.id)

    # -- from the conversation (LLM tools) -----------------------------------------------------

    async def plan_from_words(
        self,
        actor: Actor,
        *,
        task: str,
        when: str,
        recurrence: str | None,
        fallback_text: str,
        language: str,
        origin: str,
    ) -> tuple[Plan, ReminderSettings, datetime]:
        """Plan from the tool's fields: the user's time words, else the user's whole message."""
        user = await self._user(actor)
        settings = self._settings(user)
        now = self._clock.now()
        words = " ".join(part for part in (recurrence or "", when or "") if part).strip()
        plan = Plan("unparsed")
        for text in (words, fallback_text):
            if text:
                plan = self.plan(
                    text,
                    actor=actor,
                    settings=settings,
                    language=language,
                    now=now,
                    task=task,
                    origin=origin,
                )
                if plan.kind != "unparsed":
                    break
        return plan, settings, now

    async def offer(self, plan: Plan, *, actor: Actor, now: datetime) -> Notice:
        """Keep the plan as a pending offer and show it with Remind me / No thanks."""
        assert plan.spec is not None
        spec = plan.spec
        lang = spec.language
        draft = await self.repo.add_draft(
            user_id=actor.user_id,
            chat_id=actor.chat_id,
            kind="offer",
            payload=_spec_payload(spec),
            now=now,
            expires_at=now + _OFFER_LIFETIME,
        )
        when = format_moment(spec.due_at.astimezone(ZoneInfo(spec.timezone)), now, lang)
        text = TEXTS("offer", lang, task=md(spec.text), when=when)
        if spec.rrule and spec.dtstart:
            text += TEXTS("rule_line", lang, rule=md(describe_rule(spec.rrule, lang)))
        return Notice(
            text,
            (
                (
                    button(TEXTS("button_offer_yes", lang), "offer", draft.id),
                    button(TEXTS("button_offer_no", lang), "nooffer", draft.id),
                ),
                (button(TEXTS("button_offer_never", lang), "never", draft.id),),
            ),
        )

    # -- buttons -------------------------------------------------------------------------------

    async def act(self, actor: Actor, data: str) -> ActionReply:
        """Carry out a reminders button (``rem:...`` callback data)."""
        action = parse(data)
        if action is None:
            return ActionReply()
        handler = getattr(self, f"_on_{action.name}", None)
        if handler is None:
            return ActionReply()
        return await handler(actor, action)

    async def _owned(
        self, actor: Actor, reminder_id: int, *, chat_may_act: bool = False
    ) -> tuple[Reminder | None, ActionReply | None]:
        """The reminder if ``actor`` may act on it, else the reply that says why not."""
        user = await self._user(actor)
        lang = _lang(user)
        reminder = await self.repo.get(reminder_id)
        if reminder is None:
            return None, ActionReply(toast=TEXTS("gone", lang), edit=None)
        if reminder.user_id == actor.user_id:
            return reminder, None
        if chat_may_act and reminder.chat_id == actor.chat_id:
            return reminder, None
        who = reminder.creator_name or str(reminder.user_id)
        return None, ActionReply(toast=TEXTS("not_yours", lang, who=who), alert=True)

    async def _on_undo(self, actor: Actor, action: Action) -> ActionReply:
        reminder, refusal = await self._owned(actor, action.target)
        if reminder is None:
            return refusal or ActionReply()
        await self.repo.delete(reminder.id)
        self.scheduler.wake()
        return ActionReply(edit=Notice(TEXTS("undone", reminder.language, task=md(reminder.text))))

    async def _on_done(self, actor: Actor, action: Action) -> ActionReply:
        reminder, refusal = await self._owned(actor, action.target, chat_may_act=True)
        if reminder is None:
            return refusal or ActionReply()
        now = self._clock.now()
        lang = reminder.language
        base = due_text(replace(reminder, due_at=now), now)
        if reminder.is_recurring and reminder.status in (Status.SCHEDULED, Status.CLAIMED):
            when = format_moment(reminder.local_due(), now, lang)
            ack = TEXTS("acked_done_next", lang, when=when)
        else:
            await self.repo.set_status(
                reminder.id, Status.DONE, now=now, only_from=(Status.DELIVERED, Status.FAILED)
            )
            ack = TEXTS("acked_done", lang)
        return ActionReply(edit=Notice(base + ack), toast=TEXTS("toast_done", lang))

    async def _on_snz(self, actor: Actor, action: Action) -> ActionReply:
        reminder, refusal = await self._owned(actor, action.target, chat_may_act=True)
        if reminder is None:
            return refusal or ActionReply()
        now = self._clock.now()
        until = self._snooze_until(reminder, action.arg, now)
        if reminder.is_recurring:
            await self.repo.add(
                NewReminder(
                    user_id=reminder.user_id,
                    chat_id=reminder.chat_id,
                    text=reminder.text,
                    language=reminder.language,
                    timezone=reminder.timezone,
                    due_at=until,
                    thread_id=reminder.thread_id,
                    origin="snooze",
                    source_message_id=reminder.source_message_id,
                    parent_id=reminder.id,
                ),
                now=now,
            )
        else:
            await self.repo.reschedule(reminder.id, due_at=until, now=now)
        self.scheduler.wake()
        lang = reminder.language
        when = format_moment(until.astimezone(reminder.zone), now, lang)
        base = due_text(replace(reminder, due_at=now), now)
        return ActionReply(
            edit=Notice(base + TEXTS("acked_snoozed", lang, when=when)),
            toast=TEXTS("toast_snoozed", lang, when=when),
        )

    @staticmethod
    def _snooze_until(reminder: Reminder, choice: str, now: datetime) -> datetime:
        if choice in _SNOOZES:
            return (now + _SNOOZES[choice]).replace(microsecond=0)
        zone = reminder.zone
        local_now = now.astimezone(zone)
        due = reminder.due_at.astimezone(zone)
        wall = datetime.combine(local_now.date() + timedelta(days=1), due.time())
        return localize(wall, zone)

    async def _on_pick(self, actor: Actor, action: Action) -> ActionReply:
        """Accept the suggested time of a "that has passed" question."""
        return await self._accept_draft(actor, action.target, kind="choice")

    async def _on_offer(self, actor: Actor, action: Action) -> ActionReply:
        """Accept a next-step offer: the reminder is created only now."""
        return await self._accept_draft(actor, action.target, kind="offer")

    async def _accept_draft(self, actor: Actor, draft_id: int, *, kind: str) -> ActionReply:
        user = await self._user(actor)
        lang = _lang(user)
        draft = await self.repo.get_draft(draft_id)
        if draft is None or draft.kind != kind:
            return ActionReply(toast=TEXTS("expired", lang), edit=None)
        if draft.user_id != actor.user_id:
            return ActionReply(toast=TEXTS("not_yours", lang, who="…"), alert=True)
        if not await self.repo.take_draft(draft.id):
            return ActionReply()
        now = self._clock.now()
        spec = _spec_from_payload(draft.payload)
        if spec.rrule and spec.dtstart and spec.due_at <= now:
            upcoming = next_occurrence(spec.rrule, spec.dtstart, spec.timezone, now)
            spec = replace(spec, due_at=upcoming or spec.due_at)
        if spec.due_at <= now:
            when = format_moment(spec.due_at.astimezone(ZoneInfo(spec.timezone)), now, lang)
            return ActionReply(edit=Notice(TEXTS("past_no_alternative", spec.language, when=when)))
        reminder = await self.repo.add(spec, now=now)
        self.scheduler.wake()
        notice = await self._confirmation(
            reminder, actor=actor, settings=self._settings(user), now=now
        )
        return ActionReply(edit=notice)

    async def _on_drop(self, actor: Actor, action: Action) -> ActionReply:
        return await self._decline(actor, action.target, "cancelled")

    async def _on_nooffer(self, actor: Actor, action: Action) -> ActionReply:
        return await self._decline(actor, action.target, "offer_declined")

    async def _on_never(self, actor: Actor, action: Action) -> ActionReply:
        reply = await self._decline(actor, action.target, "offers_off")
        if reply.edit is not None:
            await self._users.update_settings(actor.user_id, reminder_offers=False)
        return reply

    async def _decline(self, actor: Actor, draft_id: int, key: str) -> ActionReply:
        user = await self._user(actor)
        lang = _lang(user)
        draft = await self.repo.get_draft(draft_id)
        if draft is not None and draft.user_id != actor.user_id:
            return ActionReply(toast=TEXTS("not_yours", lang, who="…"), alert=True)
        if draft is not None:
            await self.repo.take_draft(draft.id)
            lang = draft.payload.get("language", lang)
        return ActionReply(edit=Notice(TEXTS(key, lang)))

    async def _on_alt(self, actor: Actor, action: Action) -> ActionReply:
        """Switch a fresh reminder to the other reading of its time."""
        user = await self._user(actor)
        lang = _lang(user)
        draft = await self.repo.get_draft(action.target)
        if draft is None or draft.kind != "alternative":
            return ActionReply(toast=TEXTS("expired", lang))
        reminder, refusal = await self._owned(actor, int(draft.payload["reminder_id"]))
        if reminder is None:
            return refusal or ActionReply()
        await self.repo.take_draft(draft.id)
        now = self._clock.now()
        dtstart = draft.payload.get("dtstart")
        await self.repo.reschedule(
            reminder.id,
            due_at=from_db_time(draft.payload["due_at"]),
            now=now,
            rrule=draft.payload.get("rrule") or reminder.rrule,
            dtstart=datetime.fromisoformat(dtstart) if dtstart else reminder.dtstart,
            keep_rule=False,
        )
        self.scheduler.wake()
        updated = await self.repo.get(reminder.id)
        assert updated is not None
        notice = await self._confirmation(
            updated, actor=actor, settings=self._settings(user), now=now
        )
        return ActionReply(edit=notice)

    # -- the list ------------------------------------------------------------------------------

    async def upcoming(self, actor: Actor) -> list[Reminder]:
        """A group's reminders in a group; the user's own in a private chat."""
        if actor.is_group:
            return await self.repo.upcoming(chat_id=actor.chat_id)
        return await self.repo.upcoming(chat_id=actor.chat_id, user_id=actor.user_id)

    async def list_view(self, actor: Actor, page: int = 0) -> Notice:
        """``/reminders``: upcoming reminders with their next local time, a button each."""
        user = await self._user(actor)
        lang = _lang(user)
        items = await self.upcoming(actor)
        if not items:
            return Notice(TEXTS("list_empty", lang))
        now = self._clock.now()
        pages = (len(items) + PAGE_SIZE - 1) // PAGE_SIZE
        page = min(max(page, 0), pages - 1)
        shown = items[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
        head = "list_head_group" if actor.is_group else "list_head"
        lines = [TEXTS(head, lang, count=len(items))]
        rows: list[tuple[Button, ...]] = []
        for offset, reminder in enumerate(shown, start=page * PAGE_SIZE + 1):
            lines.append(self._list_line(reminder, offset, now, lang))
            label = f"{offset}. {_short(reminder.text)}"
            rows.append((button(label, "view", reminder.id, str(page)),))
        if pages > 1:
            lines.append(TEXTS("list_page", lang, page=page + 1, pages=pages))
            nav = []
            if page > 0:
                nav.append(button(TEXTS("button_prev", lang), "list", page - 1))
            if page < pages - 1:
                nav.append(button(TEXTS("button_next", lang), "list", page + 1))
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

    async def _on_list(self, actor: Actor, action: Action) -> ActionReply:
        return ActionReply(edit=await self.list_view(actor, action.target))

    async def detail_view(self, actor: Actor, reminder: Reminder, page: int = 0) -> Notice:
        lang = _lang(await self._user(actor))
        now = self._clock.now()
        when = format_moment(reminder.local_due(), now, lang)
        when += TEXTS("zone_line", lang, zone=reminder.timezone)
        text = TEXTS("detail", lang, task=md(reminder.text), when=when)
        if reminder.rrule:
            text += TEXTS("rule_line", lang, rule=md(describe_rule(reminder.rrule, lang)))
        if reminder.status == Status.PAUSED:
            text += TEXTS("detail_paused", lang)
        if reminder.is_group:
            text += TEXTS("detail_by", lang, who=md(reminder.creator_name or ""))
        toggle = (
            button(TEXTS("button_resume", lang), "resume", reminder.id, str(page))
            if reminder.status == Status.PAUSED
            else button(TEXTS("button_pause", lang), "pause", reminder.id, str(page))
        )
        return Notice(
            text,
            (
                (
                    button(TEXTS("button_edit", lang), "edit", reminder.id),
                    toggle,
                    button(TEXTS("button_delete", lang), "del", reminder.id, str(page)),
                ),
                (button(TEXTS("button_back", lang), "list", _page(page)),),
            ),
        )

    async def _on_view(self, actor: Actor, action: Action) -> ActionReply:
        reminder, refusal = await self._owned(actor, action.target, chat_may_act=True)
        if reminder is None:
            return refusal or ActionReply()
        return ActionReply(edit=await self.detail_view(actor, reminder, _page(action.arg)))

    async def _on_pause(self, actor: Actor, action: Action) -> ActionReply:
        reminder, refusal = await self._owned(actor, action.target)
        if reminder is None:
            return refusal or ActionReply()
        await self.repo.set_status(
            reminder.id,
            Status.PAUSED,
            now=self._clock.now(),
            only_from=(Status.SCHEDULED, Status.CLAIMED),
        )
        self.scheduler.wake()
        updated = await self.repo.get(reminder.id) or reminder
        lang = reminder.language
        return ActionReply(
            edit=await self.detail_view(actor, updated, _page(action.arg)),
            toast=TEXTS("paused", lang, task=_short(reminder.text)).replace("**", ""),
        )

    async def _on_resume(self, actor: Actor, action: Action) -> ActionReply:
        reminder, refusal = await self._owned(actor, action.target)
        if reminder is None:
            return refusal or ActionReply()
        now = self._clock.now()
        due = reminder.due_at
        if reminder.rrule and reminder.dtstart and due <= now:
            due = next_occurrence(reminder.rrule, reminder.dtstart, reminder.timezone, now) or due
        if due <= now:
            return ActionReply(toast=TEXTS("resume_past", reminder.language), alert=True)
        if reminder.status == Status.PAUSED:
            await self.repo.reschedule(reminder.id, due_at=due, now=now)
            self.scheduler.wake()
        updated = await self.repo.get(reminder.id) or reminder
        return ActionReply(edit=await self.detail_view(actor, updated, _page(action.arg)))

    async def _on_del(self, actor: Actor, action: Action) -> ActionReply:
        reminder, refusal = await self._owned(actor, action.target)
        if reminder is None:
            return refusal or ActionReply()
        await self.repo.delete(reminder.id)
        self.scheduler.wake()
        lang = reminder.language
        rest = await self.upcoming(actor)
        if rest:
            listing = await self.list_view(actor, _page(action.arg))
            text = TEXTS("deleted", lang, task=md(reminder.text)) + "\n\n" + listing.text
            return ActionReply(edit=Notice(text, listing.buttons))
        return ActionReply(edit=Notice(TEXTS("deleted", lang, task=md(reminder.text))))

    # -- editing by reply ----------------------------------------------------------------------

    async def _on_edit(self, actor: Actor, action: Action) -> ActionReply:
        reminder, refusal = await self._owned(actor, action.target)
        if reminder is None:
            return refusal or ActionReply()
        self._edits[(actor.chat_id, actor.user_id)] = (
            reminder.id,
            self._clock.now() + _EDIT_WINDOW,
        )
        lang = _lang(await self._user(actor))
        prompt = Notice(TEXTS("edit_prompt", lang, task=md(reminder.text)))
        return ActionReply(send=prompt, force_reply=True)

    def awaiting_edit(self, chat_id: int, user_id: int) -> bool:
        """Whether the user's next message in the chat is the new time of a reminder."""
        entry = self._edits.get((chat_id, user_id))
        if entry is None:
            return False
        if entry[1] < self._clock.now():
            self._edits.pop((chat_id, user_id), None)
            return False
        return True

    def cancel_edit(self, actor: Actor) -> None:
        self._edits.pop((actor.chat_id, actor.user_id), None)

    async def apply_edit(self, actor: Actor, text: str) -> Notice:
        """The user's answer to "when should I remind you?": re-time (and maybe re-word) it."""
        user = await self._user(actor)
        lang = detect_language(text, fallback=_lang(user))
        key = (actor.chat_id, actor.user_id)
        entry = self._edits.get(key)
        if text.strip().lower() in ("/cancel", "cancel", "取消") or entry is None:
            self._edits.pop(key, None)
            return Notice(TEXTS("edit_cancelled", lang))
        reminder = await self.repo.get(entry[0])
        if reminder is None:
            self._edits.pop(key, None)
            return Notice(TEXTS("gone", lang))
        settings = self._settings(user)
        now = self._clock.now()
        plan = self.plan(text, actor=actor, settings=settings, language=lang, now=now)
        if plan.kind == "unparsed" or plan.spec is None:
            return Notice(TEXTS("edit_unparsed", lang))
        if plan.kind == "past":
            when = format_moment(
                plan.spec.due_at.astimezone(ZoneInfo(settings.timezone)), now, lang
            )
            return Notice(TEXTS("past_no_alternative", lang, when=when))
        self._edits.pop(key, None)
        updated = await self._retime(reminder, plan, now)
        self.scheduler.wake()
        return await self._confirmation(
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
            rrule = _with_time(reminder.rrule, local.hour, local.minute)
            dtstart = local.replace(tzinfo=None)
            due = next_occurrence(rrule, dtstart, spec.timezone, now) or spec.due_at
        await self.repo.reschedule(
            reminder.id,
            due_at=due,
            now=now,
            text=new_text,
            rrule=rrule,
            dtstart=dtstart,
            timezone=spec.timezone,
            keep_rule=False,
        )
        updated = await self.repo.get(reminder.id)
        assert updated is not None
        return updated

    # -- time zones ----------------------------------------------------------------------------

    async def timezone_command(self, actor: Actor, text: str) -> Notice:
        """``/timezone [zone | city | offset | current local time]``."""
        user = await self._user(actor)
        lang = detect_language(text, fallback=_lang(user)) if text.strip() else _lang(user)
        settings = self._settings(user)
        now = self._clock.now()
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
            return await self.set_timezone(actor, candidates[0], lang=lang)
        rows = tuple(
            (button(f"{zone} · {now.astimezone(ZoneInfo(zone)):%H:%M}", "tz", 0, zone),)
            for zone in candidates[:8]
            if len(f"rem:tz:0:{zone}".encode()) <= 64
        )
        return Notice(TEXTS("tz_pick", lang, text=md(text[:80])), rows)

    async def set_timezone(self, actor: Actor, zone: str, *, lang: str | None = None) -> Notice:
        """Store the zone; recurring reminders keep their local wall time in the new zone."""
        user = await self._user(actor)
        lang = lang or _lang(user)
        ZoneInfo(zone)  # raises for an unknown zone
        old = self._settings(user).timezone
        await self._users.set_timezone(actor.user_id, zone)
        moved = await self._move_recurring(actor.user_id, old, zone)
        now = self._clock.now()
        text = TEXTS("tz_set", lang, zone=zone, time=f"{now.astimezone(ZoneInfo(zone)):%H:%M}")
        if zone.startswith("Etc/"):
            text += TEXTS("tz_fixed", lang)
        if moved:
            text += TEXTS("tz_moved", lang, count=moved)
        return Notice(text)

    async def _move_recurring(self, user_id: int, old: str, new: str) -> int:
        if old == new:
            return 0
        now = self._clock.now()
        moved = 0
        for reminder in await self.repo.recurring_of(user_id):
            if reminder.timezone != old or reminder.dtstart is None or reminder.rrule is None:
                continue
            due = next_occurrence(reminder.rrule, reminder.dtstart, new, now)
            if due is None:
                continue
            await self._db.execute(
                "UPDATE reminders SET timezone = ?, due_at = ?, fire_at = ?, updated_at = ?"
                " WHERE id = ? AND status IN (?, ?)",
                (
                    new,
                    to_db_time(due),
                    to_db_time(due),
                    to_db_time(now),
                    reminder.id,
                    Status.SCHEDULED,
                    Status.PAUSED,
                ),
            )
            moved += 1
        if moved:
            self.scheduler.wake()
        return moved

    async def _on_tz(self, actor: Actor, action: Action) -> ActionReply:
        try:
            notice = await self.set_timezone(actor, action.arg)
        except (ValueError, KeyError):
            return ActionReply()
        return ActionReply(edit=notice)

    # -- settings ------------------------------------------------------------------------------

    async def settings_view(self, actor: Actor) -> Notice:
        """``/settings``: time zone, default time of day, next-step offers."""
        user = await self._user(actor)
        lang = _lang(user)
        settings = self._settings(user)
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
            button(
                ("✓ " if choice == settings.default_time else "") + f"{choice:%H:%M}",
                "dt",
                0,
                f"{choice:%H%M}",
            )
            for choice in (time(7, 0), time(8, 0), time(9, 0), time(10, 0))
        )
        return Notice(
            text,
            (
                (button(TEXTS(toggle, lang), "offers", 0, "off" if settings.offers else "on"),),
                times,
            ),
        )

    async def settings_command(self, actor: Actor, text: str) -> Notice:
        """``/settings`` alone shows them; ``/settings time 8:30`` sets the default time."""
        words = text.strip().split(maxsplit=1)
        if words and words[0].lower() in ("time", "时间", "default") and len(words) == 2:
            chosen = _parse_clock(words[1])
            if chosen is None:
                lang = _lang(await self._user(actor))
                return Notice(TEXTS("settings_bad_time", lang, text=md(words[1][:40])))
            await self._users.update_settings(
                actor.user_id, reminder_default_time=f"{chosen:%H:%M}"
            )
        elif words and words[0].lower() in ("offers", "提议") and len(words) == 2:
            on = words[1].strip().lower() in ("on", "yes", "开", "打开")
            await self._users.update_settings(actor.user_id, reminder_offers=on)
        return await self.settings_view(actor)

    async def _on_offers(self, actor: Actor, action: Action) -> ActionReply:
        await self._users.update_settings(actor.user_id, reminder_offers=action.arg == "on")
        return ActionReply(edit=await self.settings_view(actor))

    async def _on_dt(self, actor: Actor, action: Action) -> ActionReply:
        chosen = _parse_clock(action.arg[:2] + ":" + action.arg[2:])
        if chosen is not None:
            await self._users.update_settings(
                actor.user_id, reminder_default_time=f"{chosen:%H:%M}"
            )
        return ActionReply(edit=await self.settings_view(actor))

    # -- data rights ---------------------------------------------------------------------------

    async def export(self, user_id: int) -> dict[str, Any]:
        """Everything stored about reminders of a user (or, for a negative id, of a group)."""
        if user_id < 0:
            return await self.export_chat(user_id)
        reminders = await self.repo.for_user(user_id)
        drafts = await self.repo.drafts_for_user(user_id)
        return {"reminders": [_exported(r) for r in reminders], "pending": _drafts(drafts)}

    async def export_chat(self, chat_id: int) -> dict[str, Any]:
        reminders = await self.repo.for_chat(chat_id)
        drafts = await self.repo.drafts_for_chat(chat_id)
        return {"reminders": [_exported(r) for r in reminders], "pending": _drafts(drafts)}

    async def forget_all(self, user_id: int) -> int:
        """Delete a user's reminders and pending offers (a group's, for a negative id)."""
        if user_id < 0:
            return await self.forget_chat(user_id)
        self._edits = {k: v for k, v in self._edits.items() if k[1] != user_id}
        count = await self.repo.delete_for_user(user_id)
        self.scheduler.wake()
        return count

    async def forget_chat(self, chat_id: int) -> int:
        self._edits = {k: v for k, v in self._edits.items() if k[0] != chat_id}
        count = await self.repo.delete_for_chat(chat_id)
        self.scheduler.wake()
        return count

    async def migrate_chat(self, old_chat_id: int, new_chat_id: int) -> int:
        """A group became a supergroup: its reminders follow it."""
        count = await self.repo.migrate_chat(old_chat_id, new_chat_id)
        self._edits = {
            ((new_chat_id if chat == old_chat_id else chat), user): value
            for (chat, user), value in self._edits.items()
        }
        return count


# --------------------------------------------------------------------------- helpers


def _lang(user: UserRecord | None) -> str:
    return "zh" if user is not None and user.language == "zh" else "en"


def _page(value: object) -> int:
    try:
        return max(0, int(str(value)))
    except ValueError:
        return 0


def _short(text: str, size: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= size else text[: size - 1] + "…"


def _parse_clock(text: str) -> time | None:
    """ "8:30", "0830"? no; "8", "8am", "20.15" -> a time of day."""
    if not text:
        return None
    match = _TIME_OF_DAY.match(text)
    if match is None:
        parsed = parse_when(text, datetime(2000, 1, 3, 0, 0, tzinfo=ZoneInfo("UTC")), "UTC")
        if parsed is None or parsed.rrule or parsed.grain != "minute":
            return None
        return parsed.when.time().replace(second=0, microsecond=0)
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    meridiem = (match.group(3) or "").lower().replace(".", "")
    if meridiem == "pm" and hour < 12:
        hour += 12
    elif meridiem == "am" and hour == 12:
        hour = 0
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def _with_time(rule: str, hour: int, minute: int) -> str:
    """The rule firing at ``hour:minute`` instead (BYHOUR/BYMINUTE replaced or added)."""
    parts = [p for p in rule.split(";") if p and not p.upper().startswith(("BYHOUR=", "BYMINUTE="))]
    if any(
        p.upper().startswith("FREQ=") and p.upper()[5:] in ("HOURLY", "MINUTELY") for p in parts
    ):
        return rule
    return ";".join([*parts, f"BYHOUR={hour}", f"BYMINUTE={minute}"])


def _other_reading(
    reminder: Reminder, flags: tuple[str, ...], now: datetime
) -> dict[str, Any] | None:
    """The alternative of an am/pm or "next week" reading, as a draft payload."""
    local = reminder.local_due()
    if "ampm" in flags:
        if reminder.rrule and reminder.dtstart:
            parts = reminder.rrule.upper()
            if "BYHOUR=" in parts and "," in parts.split("BYHOUR=")[1].split(";")[0]:
                return None
            hour = (local.hour + 12) % 24
            rule = _with_time(reminder.rrule, hour, local.minute)
            start = reminder.dtstart.replace(hour=hour)
            due = next_occurrence(rule, start, reminder.timezone, now)
            if due is None:
                return None
            return {
                "reminder_id": reminder.id,
                "due_at": to_db_time(due),
                "rrule": rule,
                "dtstart": start.isoformat(),
            }
        shift = timedelta(hours=12) if local.hour < 12 else -timedelta(hours=12)
        other = local.replace(tzinfo=None) + shift
        due = localize(other, reminder.zone)
        if due <= now:
            due = localize(other + timedelta(days=1), reminder.zone)
        return {"reminder_id": reminder.id, "due_at": to_db_time(due)}
    if "next" in flags and not reminder.rrule:
        earlier = reminder.due_at - timedelta(days=7)
        if earlier > now:
            return {"reminder_id": reminder.id, "due_at": to_db_time(earlier)}
    return None


def _spec_payload(spec: NewReminder) -> dict[str, Any]:
    return {
        "user_id": spec.user_id,
        "chat_id": spec.chat_id,
        "text": spec.text,
        "language": spec.language,
        "timezone": spec.timezone,
        "due_at": to_db_time(spec.due_at),
        "thread_id": spec.thread_id,
        "rrule": spec.rrule,
        "dtstart": spec.dtstart.isoformat() if spec.dtstart else None,
        "origin": spec.origin,
        "source_message_id": spec.source_message_id,
    }


def _spec_from_payload(payload: dict[str, Any]) -> NewReminder:
    return NewReminder(
        user_id=int(payload["user_id"]),
        chat_id=int(payload["chat_id"]),
        text=str(payload["text"]),
        language=str(payload.get("language", "en")),
        timezone=str(payload["timezone"]),
        due_at=from_db_time(payload["due_at"]),
        thread_id=payload.get("thread_id"),
        rrule=payload.get("rrule"),
        dtstart=datetime.fromisoformat(payload["dtstart"]) if payload.get("dtstart") else None,
        origin=str(payload.get("origin", "command")),
        source_message_id=payload.get("source_message_id"),
    )


def _exported(reminder: Reminder) -> dict[str, Any]:
    return {
        "id": reminder.id,
        "chat_id": reminder.chat_id,
        "text": reminder.text,
        "status": reminder.status,
        "timezone": reminder.timezone,
        "next_local": reminder.local_due().isoformat(),
        "next_utc": to_db_time(reminder.due_at),
        "rrule": reminder.rrule,
        "dtstart_local": reminder.dtstart.isoformat() if reminder.dtstart else None,
        "origin": reminder.origin,
        "created_at": to_db_time(reminder.created_at) if reminder.created_at else None,
        "delivered_at": to_db_time(reminder.delivered_at) if reminder.delivered_at else None,
    }


def _drafts(drafts: list[Draft]) -> list[dict[str, Any]]:
    return [{"id": d.id, "kind": d.kind, **d.payload} for d in drafts]
