"""Reminders for people: create from words, confirm, list, edit, snooze, offer, export, forget.

Telegram-free: the transport passes an :class:`Actor` (who, where, which message) and shows the
:class:`~bot.conversation.Notice` or :class:`ButtonReply` that comes back. Dates are always
resolved by :func:`bot.timeparse.parse_when` from the user's own words, in the user's time zone;
never by the language model.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.chats import ChatKind
from bot.clock import Clock
from bot.i18n import detect_language
from bot.outbound import Action, Button, ButtonReply, Delivery, Notice, TapHandlers
from bot.reminders.buttons import (
    TAPS,
    DraftId,
    EveryReading,
    Pick,
    ReminderId,
    Snooze,
    SnoozeSpan,
    Taps,
)
from bot.reminders.manage import ReminderLists
from bot.reminders.messages import due_text
from bot.reminders.model import Reminder, Status
from bot.reminders.preferences import ReminderPreferences
from bot.reminders.readings import (
    drafts_exported,
    exported,
    lang_of,
    other_reading,
    parse_clock,
    spec_from_payload,
    spec_payload,
)
from bot.reminders.recurrence import localize, next_occurrence
from bot.reminders.repository import NewReminder, ReminderRepository
from bot.reminders.scheduler import Scheduler, SchedulerOptions
from bot.reminders.schema import REMINDER_MIGRATIONS
from bot.reminders.texts import TEXTS, format_moment, format_short, md, mention
from bot.reminders.types import Actor, Plan, ReminderSettings, Right
from bot.storage import Database, DraftRepository, UserRecord, UserRepository, from_db_time
from bot.timeparse import ParsedWhen, describe_rule, parse_when

__all__ = ["Actor", "ButtonReply", "Plan", "ReminderService", "ReminderSettings"]

logger = logging.getLogger(__name__)

DEFAULT_TIME = time(9, 0)
_OFFER_LIFETIME = timedelta(days=14)
_CHOICE_LIFETIME = timedelta(days=2)
_SNOOZES = {SnoozeSpan.TEN_MINUTES: timedelta(minutes=10), SnoozeSpan.HOUR: timedelta(hours=1)}


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
        self.lists = ReminderLists(self)
        self.preferences = ReminderPreferences(self)
        #: What each button does, by its :class:`~bot.reminders.buttons.Tap`.
        self._buttons: TapHandlers[Actor, [], ButtonReply] = TapHandlers(TAPS)
        self._buttons.on(Taps.UNDO, self._on_undo)
        self._buttons.on(Taps.DONE, self._on_done)
        self._buttons.on(Taps.SNOOZE, self._on_snz)
        self._buttons.on(Taps.PICK, self._on_pick)
        self._buttons.on(Taps.OFFER, self._on_offer)
        self._buttons.on(Taps.DROP, self._on_drop)
        self._buttons.on(Taps.DECLINE_OFFER, self._on_nooffer)
        self._buttons.on(Taps.NEVER_OFFER, self._on_never)
        self._buttons.on(Taps.ALTERNATIVE, self._on_alt)
        self._buttons.on(Taps.LIST, self.lists.on_list)
        self._buttons.on(Taps.VIEW, self.lists.on_view)
        self._buttons.on(Taps.PAUSE, self.lists.on_pause)
        self._buttons.on(Taps.RESUME, self.lists.on_resume)
        self._buttons.on(Taps.DELETE, self.lists.on_del)
        self._buttons.on(Taps.EDIT, self.lists.on_edit)
        self._buttons.on(Taps.TIMEZONE, self.preferences.on_tz)
        self._buttons.on(Taps.OFFERS, self.preferences.on_offers)
        self._buttons.on(Taps.DEFAULT_TIME, self.preferences.on_default_time)
        self._buttons.complete()

    @classmethod
    async def open(
        cls, db: Database, users: UserRepository, clock: Clock, **options: Any
    ) -> ReminderService:
        """Migrate the reminders tables and return the service."""
        await DraftRepository.migrate(db)  # first: version 3 moves the old drafts there
        await db.migrate("reminders", REMINDER_MIGRATIONS)
        return cls(db, users, clock, **options)

    async def start(self, delivery: Delivery, *, background: bool = True) -> None:
        """Start the scheduler (recovering claims left by a crash)."""
        await self.scheduler.start(delivery, background=background)

    async def stop(self) -> None:
        await self.scheduler.stop()

    # -- the list, edits and preferences (see ReminderLists and ReminderPreferences) -----------

    async def upcoming(self, actor: Actor) -> list[Reminder]:
        return await self.lists.upcoming(actor)

    async def list_view(self, actor: Actor, page: int = 0) -> Notice:
        return await self.lists.list_view(actor, page)

    async def detail_view(self, actor: Actor, reminder: Reminder, page: int = 0) -> Notice:
        return await self.lists.detail_view(actor, reminder, page)

    def awaiting_edit(self, chat_id: int, user_id: int) -> bool:
        return self.lists.awaiting_edit(chat_id, user_id)

    def cancel_edit(self, actor: Actor) -> None:
        self.lists.cancel_edit(actor)

    async def apply_edit(self, actor: Actor, text: str) -> Notice:
        return await self.lists.apply_edit(actor, text)

    async def timezone_command(self, actor: Actor, text: str) -> Notice:
        return await self.preferences.timezone_command(actor, text)

    async def set_timezone(self, actor: Actor, zone: str, *, lang: str | None = None) -> Notice:
        return await self.preferences.set_timezone(actor, zone, lang=lang)

    async def settings_view(self, actor: Actor) -> Notice:
        return await self.preferences.settings_view(actor)

    async def settings_command(self, actor: Actor, text: str) -> Notice:
        return await self.preferences.settings_command(actor, text)

    # -- settings ------------------------------------------------------------------------------

    async def settings_of(self, user_id: int) -> ReminderSettings:
        user = await self._users.get(user_id)
        return self._settings(user)

    def _settings(self, user: UserRecord | None) -> ReminderSettings:
        stored = user.settings if user else {}
        default_time = parse_clock(str(stored.get("reminder_default_time", ""))) or DEFAULT_TIME
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
        """Resolve the time in ``text`` for ``actor``; ``task`` overrides the words left over.

        "ask" when the words must be confirmed first: time-like words were left over, or there
        are several readings (``Plan.choices``); nothing is stored for it until the user picks.
        """
        parsed = parse_when(text, now, settings.timezone, default_time=settings.default_time)
        if parsed is None:
            return Plan("unparsed")
        words = (task or parsed.task or "").strip()
        if parsed.unparsed and not task:  # the words not understood are not the task either
            words = " ".join(words.replace(parsed.unparsed, " ").split()).strip(" ,.;:") or words
        words = words or TEXTS("default_task", language)
        spec = self._spec(parsed, words, actor=actor, settings=settings, language=language)
        spec = replace(spec, origin=origin, due_at=self._upcoming(parsed, spec, now))
        if parsed.needs_question:
            choices = []
            for choice in parsed.choices:
                option = self._spec(
                    choice, words, actor=actor, settings=settings, language=language
                )
                option = replace(option, origin=origin, due_at=self._upcoming(choice, option, now))
                if option.rrule or option.due_at > now:
                    choices.append(option)
            return Plan("ask", spec, parsed, choices=tuple(choices))
        if not parsed.rrule and spec.due_at <= now:
            later = spec.due_at + timedelta(days=1)
            return Plan("past", spec, parsed, later if later > now else None)
        return Plan("ready", spec, parsed)

    def _spec(
        self,
        parsed: ParsedWhen,
        words: str,
        *,
        actor: Actor,
        settings: ReminderSettings,
        language: str,
    ) -> NewReminder:
        dtstart = None
        if parsed.rrule:
            dtstart = (parsed.dtstart or parsed.when).astimezone(ZoneInfo(settings.timezone))
        return NewReminder(
            user_id=actor.user_id,
            chat_id=actor.chat_id,
            text=words[:1000],
            language=language,
            timezone=settings.timezone,
            due_at=parsed.when,
            thread_id=actor.thread_id,
            rrule=parsed.rrule,
            dtstart=dtstart.replace(tzinfo=None) if dtstart else None,
            source_message_id=actor.message_id,
            # "tomorrow at 9" before /timezone: 9 where the user lives, once we know where
            # ("5pm EST" and "in 2 hours" are fixed moments and do not move)
            floating=not settings.timezone_set
            and not parsed.relative
            and not parsed.rrule
            and parsed.zone is None,
        )

    @staticmethod
    def _upcoming(parsed: ParsedWhen, spec: NewReminder, now: datetime) -> datetime:
        if spec.rrule and spec.dtstart and parsed.when <= now:
            return next_occurrence(spec.rrule, spec.dtstart, spec.timezone, now) or parsed.when
        return parsed.when

    # -- creating ------------------------------------------------------------------------------

    async def remind(self, actor: Actor, text: str) -> Notice:
        """``/remind <words>``: create and confirm, ask about a past time, or explain."""
        user = await self._user(actor)
        language = detect_language(text, fallback=lang_of(user))
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
        if plan.kind == "ask":
            return await self.question(plan, actor=actor, now=now), None
        reminder = await self.repo.add(plan.spec, now=now)
        self.scheduler.wake()
        flags = plan.parsed.flags if plan.parsed else ()
        notice = await self._confirmation(
            reminder, actor=actor, settings=settings, now=now, flags=flags, parsed=plan.parsed
        )
        return notice, reminder

    def _reading(self, spec: NewReminder, now: datetime, *, short: bool = False) -> str:
        """A candidate reading for a question: the local time, and the rule when it repeats."""
        zone = ZoneInfo(spec.timezone)
        lang = spec.language
        if spec.rrule:
            rule = describe_rule(spec.rrule, lang)
            if short:
                return rule
            return format_moment(spec.due_at.astimezone(zone), now, lang) + f" · 🔁 {rule}"
        return format_moment(spec.due_at.astimezone(zone), now, lang)

    async def question(self, plan: Plan, *, actor: Actor, now: datetime) -> Notice:
        """Ask before setting anything: what was understood, and the readings to pick from
        (or a request to say it again); nothing is stored until a button is tapped."""
        spec, parsed = plan.spec, plan.parsed
        assert spec is not None and parsed is not None
        lang = spec.language
        task = md(spec.text)
        code = parsed.ambiguity or "unparsed"
        options = list(plan.choices)
        if code == "lunar":
            if spec.rrule or not options:
                return Notice(TEXTS("ask_lunar_rule", lang, task=task))
            text = TEXTS("ask_lunar", lang, task=task, when=self._reading(options[0], now))
        elif code == "anchor":
            text = TEXTS("ask_anchor", lang, task=task)
        elif code == "date_order":
            text = TEXTS("ask_date_order", lang, task=task)
        elif code == "multi":
            text = TEXTS("ask_multi", lang, task=task)
        else:
            understood = self._reading(spec, now) + TEXTS("zone_line", lang, zone=spec.timezone)
            rest = parsed.unparsed
            key = "ask_unparsed" if rest else "ask_unsure"
            text = TEXTS(key, lang, task=task, when=understood, rest=md(rest or ""))
            options = [spec]
        if not options:
            return Notice(text + TEXTS("ask_rephrase", lang))
        draft = await self.repo.drafts.add(
            user_id=actor.user_id,
            chat_id=actor.chat_id,
            kind="choice",
            payload={"language": lang, "choices": [spec_payload(o) for o in options]},
            now=now,
            lifetime=_CHOICE_LIFETIME,
        )
        rows: list[tuple[Button, ...]] = [
            (Taps.PICK.button("✅ " + self._reading(option, now, short=True), Pick(draft.id, i)),)
            for i, option in enumerate(options)
        ]
        if code == "multi" and len(options) > 1:
            label = TEXTS("button_all", lang, count=len(options))
            rows.append((Taps.PICK.button(label, Pick(draft.id, EveryReading.ALL)),))
        rows.append((Taps.DROP.button(TEXTS("button_cancel", lang), DraftId(draft.id)),))
        return Notice(text + TEXTS("ask_rephrase", lang), tuple(rows))

    async def _past_question(self, plan: Plan, *, actor: Actor, now: datetime) -> Notice:
        spec = plan.spec
        assert spec is not None
        lang = spec.language
        when = format_moment(spec.due_at.astimezone(ZoneInfo(spec.timezone)), now, lang)
        if plan.alternative is None:
            return Notice(TEXTS("past_no_alternative", lang, when=when))
        spec = replace(spec, due_at=plan.alternative)
        draft = await self.repo.drafts.add(
            user_id=actor.user_id,
            chat_id=actor.chat_id,
            kind="choice",
            payload=spec_payload(spec),
            now=now,
            lifetime=_CHOICE_LIFETIME,
        )
        alternative = format_moment(plan.alternative.astimezone(ZoneInfo(spec.timezone)), now, lang)
        return Notice(
            TEXTS("past", lang, when=when, alternative=alternative),
            (
                (
                    Taps.PICK.button(
                        TEXTS("button_yes_at", lang, when=alternative), Pick(draft.id)
                    ),
                    Taps.DROP.button(TEXTS("button_cancel", lang), DraftId(draft.id)),
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
        parsed: ParsedWhen | None = None,
    ) -> Notice:
        lang = reminder.language
        text = self.describe(reminder, now, title=title, creator=actor.first_name)
        if parsed is not None and parsed.zone and parsed.zone_when is not None:
            # "5pm EST": what was said, on that zone's clock, = the user's own time
            stated = format_short(parsed.zone_when, now, lang)
            local = format_moment(reminder.local_due(), now, lang)
            text += TEXTS("note_zone", lang, stated=stated, zone=md(parsed.zone), local=local)
        text += self._notes(reminder, flags, settings)
        if not settings.timezone_set:
            text += TEXTS("zone_hint", lang, zone=reminder.timezone)
        rows: list[tuple[Button, ...]] = []
        alternative = await self._alternative(reminder, flags, actor=actor, now=now)
        if alternative is not None:
            rows.append((alternative,))
        rows.append((Taps.UNDO.button(TEXTS("button_undo", lang), ReminderId(reminder.id)),))
        return Notice(text, tuple(rows))

    def describe(
        self, reminder: Reminder, now: datetime, *, title: str = "created", creator: str = ""
    ) -> str:
        """The confirmation lines: what, the exact local time and zone, and the rule."""
        lang = reminder.language
        when = format_moment(reminder.local_due(), now, lang)
        when += TEXTS("zone_line", lang, zone=reminder.timezone)
        task = md(reminder.text)
        if title == "created" and reminder.kind.is_group:
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
        if "rolled" in flags and not reminder.rrule:
            notes += TEXTS("note_rolled", lang)
        if "day_only" in flags:
            notes += TEXTS("note_day_only", lang, time=f"{settings.default_time:%H:%M}")
        if "multi" in flags and not reminder.rrule:
            notes += TEXTS("note_multi", lang)
        return notes

    async def _alternative(
        self, reminder: Reminder, flags: tuple[str, ...], *, actor: Actor, now: datetime
    ) -> Button | None:
        """A one-tap fix for the other plausible reading (am/pm, "next Friday")."""
        payload = other_reading(reminder, flags, now)
        if payload is None:
            return None
        draft = await self.repo.drafts.add(
            user_id=actor.user_id,
            chat_id=reminder.chat_id,
            kind="alternative",
            payload=payload,
            now=now,
            lifetime=_CHOICE_LIFETIME,
        )
        due = from_db_time(payload["due_at"]).astimezone(reminder.zone)
        label = f"{due:%H:%M}" if "ampm" in flags else format_moment(due, now, reminder.language)
        return Taps.ALTERNATIVE.button(
            TEXTS("button_meant", reminder.language, when=label), DraftId(draft.id)
        )

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
        if plan.kind in ("ready", "past") and fallback_text and fallback_text.strip() != words:
            # The model may have copied only part of the time ("tomorrow" of "tomorrow after
            # work"): when the user's own message needs a question, ask it.
            full = self.plan(
                fallback_text,
                actor=actor,
                settings=settings,
                language=language,
                now=now,
                task=task,
                origin=origin,
            )
            guessed = plan.parsed is not None and (
                {"day_only", "period"} & set(plan.parsed.flags)
                or (full.parsed is not None and full.parsed.when == plan.parsed.when)
            )
            if full.kind == "ask" and guessed:
                plan = full
        return plan, settings, now

    async def offer(self, plan: Plan, *, actor: Actor, now: datetime) -> Notice:
        """Keep the plan as a pending offer and show it with Remind me / No thanks."""
        assert plan.spec is not None
        spec = plan.spec
        lang = spec.language
        draft = await self.repo.drafts.add(
            user_id=actor.user_id,
            chat_id=actor.chat_id,
            kind="offer",
            payload=spec_payload(spec),
            now=now,
            lifetime=_OFFER_LIFETIME,
        )
        when = format_moment(spec.due_at.astimezone(ZoneInfo(spec.timezone)), now, lang)
        text = TEXTS("offer", lang, task=md(spec.text), when=when)
        if spec.rrule and spec.dtstart:
            text += TEXTS("rule_line", lang, rule=md(describe_rule(spec.rrule, lang)))
        return Notice(
            text,
            (
                (
                    Taps.OFFER.button(TEXTS("button_offer_yes", lang), DraftId(draft.id)),
                    Taps.DECLINE_OFFER.button(TEXTS("button_offer_no", lang), DraftId(draft.id)),
                ),
                (Taps.NEVER_OFFER.button(TEXTS("button_offer_never", lang), DraftId(draft.id)),),
            ),
        )

    # -- buttons -------------------------------------------------------------------------------

    async def act(self, actor: Actor, action: Action[Any] | None) -> ButtonReply:
        """Carry out a reminders button (None: one this version cannot read, answered
        without a word)."""
        reply = await self._buttons.run(actor, action) if action is not None else None
        return reply or ButtonReply()

    async def _owned(
        self, actor: Actor, reminder_id: int, *, right: Right = Right.OWNER_OR_ADMIN
    ) -> tuple[Reminder | None, ButtonReply | None]:
        """The reminder if ``actor`` may act on it with ``right``, else the reply that says
        why not (in the actor's language)."""
        user = await self._user(actor)
        lang = lang_of(user) if user is not None else actor.language or "en"
        reminder = await self.repo.get(reminder_id)
        if reminder is None:
            return None, ButtonReply(toast=TEXTS("gone", lang), edit=None)
        if reminder.user_id == actor.user_id:
            return reminder, None
        same_group = actor.kind.is_group and reminder.chat_id == actor.chat_id
        if same_group and right is Right.ANYONE_IN_CHAT:
            return reminder, None
        if same_group and await actor.is_group_admin():
            return reminder, None
        who = reminder.creator_name or str(reminder.user_id)
        key = "not_yours_group" if same_group else "not_yours"
        return None, ButtonReply(toast=TEXTS(key, lang, who=who), alert=True)

    async def _on_undo(self, actor: Actor, tapped: ReminderId) -> ButtonReply:
        reminder, refusal = await self._owned(actor, tapped.reminder_id)
        if reminder is None:
            return refusal or ButtonReply()
        await self.repo.delete(reminder.id)
        self.scheduler.wake()
        return ButtonReply(edit=Notice(TEXTS("undone", reminder.language, task=md(reminder.text))))

    async def _on_done(self, actor: Actor, tapped: ReminderId) -> ButtonReply:
        reminder, refusal = await self._owned(actor, tapped.reminder_id, right=Right.ANYONE_IN_CHAT)
        if reminder is None:
            return refusal or ButtonReply()
        now = self._clock.now()
        lang = reminder.language
        base = due_text(replace(reminder, due_at=now), now)
        await self.repo.finish_snoozes(reminder.id, now=now)
        if reminder.is_recurring and reminder.status in (Status.SCHEDULED, Status.CLAIMED):
            when = format_moment(reminder.local_due(), now, lang)
            ack = TEXTS("acked_done_next", lang, when=when)
        else:
            # Done also cancels a snooze still pending for this one-off.
            await self.repo.set_status(
                reminder.id,
                Status.DONE,
                now=now,
                only_from=(Status.DELIVERED, Status.FAILED, Status.SCHEDULED, Status.PAUSED),
            )
            self.scheduler.wake()
            ack = TEXTS("acked_done", lang)
        return ButtonReply(edit=Notice(base + ack), toast=TEXTS("toast_done", lang))

    async def _on_snz(self, actor: Actor, tapped: Snooze) -> ButtonReply:
        reminder, refusal = await self._owned(actor, tapped.reminder_id)
        if reminder is None:
            return refusal or ButtonReply()
        now = self._clock.now()
        until = self._snooze_until(reminder, tapped.span, now)
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
        return ButtonReply(
            edit=Notice(base + TEXTS("acked_snoozed", lang, when=when)),
            toast=TEXTS("toast_snoozed", lang, when=when),
        )

    @staticmethod
    def _snooze_until(reminder: Reminder, span: SnoozeSpan, now: datetime) -> datetime:
        if span in _SNOOZES:
            return (now + _SNOOZES[span]).replace(microsecond=0)
        zone = reminder.zone
        local_now = now.astimezone(zone)
        due = reminder.due_at.astimezone(zone)
        wall = datetime.combine(local_now.date() + timedelta(days=1), due.time())
        return localize(wall, zone)

    async def _on_pick(self, actor: Actor, tapped: Pick) -> ButtonReply:
        """Accept a reading offered by a question ("that has passed", "which one?")."""
        return await self._accept_draft(
            actor, tapped.draft_id, kind="choice", reading=tapped.reading
        )

    async def _on_offer(self, actor: Actor, tapped: DraftId) -> ButtonReply:
        """Accept a next-step offer: the reminder is created only now."""
        return await self._accept_draft(actor, tapped.draft_id, kind="offer")

    async def _accept_draft(
        self, actor: Actor, draft_id: int, *, kind: str, reading: int | EveryReading = 0
    ) -> ButtonReply:
        user = await self._user(actor)
        lang = lang_of(user)
        draft = await self.repo.drafts.get(draft_id)
        now = self._clock.now()
        if draft is None or draft.kind != kind or (draft.expires_at and draft.expires_at < now):
            return ButtonReply(toast=TEXTS("expired", lang), edit=None)
        if draft.user_id != actor.user_id:
            return ButtonReply(toast=TEXTS("not_yours", lang, who="…"), alert=True)
        payloads = draft.payload.get("choices")
        if payloads is None:
            payloads = [draft.payload]
        elif reading is EveryReading.ALL:
            pass
        elif isinstance(reading, int) and 0 <= reading < len(payloads):
            payloads = [payloads[reading]]
        else:
            return ButtonReply()
        if not await self.repo.drafts.take(draft.id):
            return ButtonReply()
        settings = self._settings(user)
        specs = [self._ready_spec(spec_from_payload(p), settings, now) for p in payloads]
        for spec in specs:
            if spec.due_at <= now:
                when = format_moment(spec.due_at.astimezone(ZoneInfo(spec.timezone)), now, lang)
                text = TEXTS("past_no_alternative", spec.language, when=when)
                return ButtonReply(edit=Notice(text))
        made = [await self.repo.add(spec, now=now) for spec in specs]
        self.scheduler.wake()
        notice = await self._confirmation(made[0], actor=actor, settings=settings, now=now)
        if len(made) > 1:
            notice = self._combined(made, notice, now)
        return ButtonReply(edit=notice)

    @staticmethod
    def _ready_spec(spec: NewReminder, settings: ReminderSettings, now: datetime) -> NewReminder:
        """A stored draft made ready to add: a floating time follows a zone set meanwhile, a
        rule moves to its next occurrence."""
        if spec.floating and settings.timezone_set and spec.timezone != settings.timezone:
            wall = spec.due_at.astimezone(ZoneInfo(spec.timezone)).replace(tzinfo=None)
            spec = replace(
                spec,
                timezone=settings.timezone,
                due_at=localize(wall, ZoneInfo(settings.timezone)),
                floating=False,
            )
        if spec.rrule and spec.dtstart and spec.due_at <= now:
            upcoming = next_occurrence(spec.rrule, spec.dtstart, spec.timezone, now)
            spec = replace(spec, due_at=upcoming or spec.due_at)
        return spec

    def _combined(self, made: list[Reminder], first: Notice, now: datetime) -> Notice:
        """One confirmation for several reminders set at once, an Undo for each."""
        lang = made[0].language
        lines = [first.text.split("\n", 1)[0]]
        rows: list[tuple[Button, ...]] = []
        for reminder in made:
            when = format_moment(reminder.local_due(), now, lang)
            lines.append(f"🗓 {when}" + TEXTS("zone_line", lang, zone=reminder.timezone))
            label = TEXTS("button_undo", lang) + f" · {reminder.local_due():%d.%m %H:%M}"
            rows.append((Taps.UNDO.button(label, ReminderId(reminder.id)),))
        return Notice("\n".join(lines), tuple(rows))

    async def _on_drop(self, actor: Actor, tapped: DraftId) -> ButtonReply:
        return await self._decline(actor, tapped.draft_id, "cancelled")

    async def _on_nooffer(self, actor: Actor, tapped: DraftId) -> ButtonReply:
        return await self._decline(actor, tapped.draft_id, "offer_declined")

    async def _on_never(self, actor: Actor, tapped: DraftId) -> ButtonReply:
        reply = await self._decline(actor, tapped.draft_id, "offers_off")
        if reply.edit is not None:
            await self._users.update_settings(actor.user_id, reminder_offers=False)
        return reply

    async def _decline(self, actor: Actor, draft_id: int, key: str) -> ButtonReply:
        user = await self._user(actor)
        lang = lang_of(user)
        draft = await self.repo.drafts.get(draft_id)
        if draft is not None and draft.user_id != actor.user_id:
            return ButtonReply(toast=TEXTS("not_yours", lang, who="…"), alert=True)
        if draft is not None:
            await self.repo.drafts.take(draft.id)
            lang = draft.payload.get("language", lang)
        return ButtonReply(edit=Notice(TEXTS(key, lang)))

    async def _on_alt(self, actor: Actor, tapped: DraftId) -> ButtonReply:
        """Switch a fresh reminder to the other reading of its time."""
        user = await self._user(actor)
        lang = lang_of(user)
        draft = await self.repo.drafts.get(tapped.draft_id)
        if draft is None or draft.kind != "alternative":
            return ButtonReply(toast=TEXTS("expired", lang))
        reminder, refusal = await self._owned(actor, int(draft.payload["reminder_id"]))
        if reminder is None:
            return refusal or ButtonReply()
        await self.repo.drafts.take(draft.id)
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
        return ButtonReply(edit=notice)

    # -- data rights ---------------------------------------------------------------------------

    async def export(self, *, user_id: int, chat_id: int) -> dict[str, Any]:
        """Everything stored about the reminders of a scope: a user's (also those they set in
        groups), or a group's."""
        if ChatKind.of_scope(user_id=user_id, chat_id=chat_id).is_group:
            return await self.export_chat(chat_id)
        reminders = await self.repo.for_user(user_id)
        drafts = await self.repo.drafts.for_user(user_id)
        return {"reminders": [exported(r) for r in reminders], "pending": drafts_exported(drafts)}

    async def export_chat(self, chat_id: int) -> dict[str, Any]:
        reminders = await self.repo.for_chat(chat_id)
        drafts = await self.repo.drafts.for_chat(chat_id)
        return {"reminders": [exported(r) for r in reminders], "pending": drafts_exported(drafts)}

    async def forget_all(self, *, user_id: int, chat_id: int) -> int:
        """Delete the reminders and pending offers of a scope: a user's, or a group's."""
        if ChatKind.of_scope(user_id=user_id, chat_id=chat_id).is_group:
            return await self.forget_chat(chat_id)
        self._edits = {k: v for k, v in self._edits.items() if k[1] != user_id}
        count = await self.repo.delete_for_user(user_id)
        self.scheduler.wake()
        return count

    async def forget_chat(self, chat_id: int) -> int:
        self._edits = {k: v for k, v in self._edits.items() if k[0] != chat_id}
        count = await self.repo.delete_for_chat(chat_id)
        self.scheduler.wake()
        return count

    async def forget_items(
        self,
        *,
        user_id: int,
        chat_id: int,
        reminder_ids: Sequence[int],
        draft_ids: Sequence[int] = (),
    ) -> tuple[int, int]:
        """Delete these reminders and pending drafts of a scope (a user's, or a group's); ids
        of anyone else's are ignored. Returns how many reminders and drafts went."""
        group = ChatKind.of_scope(user_id=user_id, chat_id=chat_id).is_group
        column, owner_id = ("chat_id", chat_id) if group else ("user_id", user_id)
        reminders, drafts = await self.repo.delete_owned(
            owner_column=column, owner_id=owner_id, reminder_ids=reminder_ids, draft_ids=draft_ids
        )
        gone = set(reminder_ids)
        self._edits = {key: value for key, value in self._edits.items() if value[0] not in gone}
        if reminders:
            self.scheduler.wake()
        return reminders, drafts

    async def chat_reachable(self, chat_id: int) -> int:
        """The chat wrote to the bot again (so it is no longer blocked): its recurring
        reminders stopped by the block resume at their next occurrence.  Cheap for every other
        chat: only chats known to have such reminders touch the database."""
        if chat_id not in self.scheduler.blocked_chats:
            return 0
        self.scheduler.blocked_chats.discard(chat_id)
        now = self._clock.now()
        resumed = 0
        for reminder in await self.repo.blocked_recurring(chat_id):
            if reminder.rrule is None or reminder.dtstart is None:
                continue
            due = next_occurrence(reminder.rrule, reminder.dtstart, reminder.timezone, now)
            if due is not None and await self.repo.reactivate(reminder.id, due_at=due, now=now):
                resumed += 1
        if resumed:
            logger.info(
                "chat %s is reachable again: %d recurring reminder(s) resumed", chat_id, resumed
            )
            self.scheduler.wake()
        return resumed

    async def migrate_chat(self, old_chat_id: int, new_chat_id: int) -> int:
        """A group became a supergroup: its reminders follow it."""
        count = await self.repo.migrate_chat(old_chat_id, new_chat_id)
        self._edits = {
            ((new_chat_id if chat == old_chat_id else chat), user): value
            for (chat, user), value in self._edits.items()
        }
        return count
