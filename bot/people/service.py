"""PeopleService: the people in a user's life, their dates, notes, contacts, digests and drafts.

Telegram-free: the transport passes an :class:`~bot.people.model.Actor` and shows the
:class:`~bot.conversation.Notice` or :class:`~bot.people.model.Reply` that comes back.

Every change goes through one *operation* (a small JSON-able dict: who, and what to record),
so a command, a tool call, a "which Anna?" button and an accepted offer all do the same thing,
and every change is confirmed with an Undo that reverses exactly what it did.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.account import TopicExample, TopicMatcher, TopicMatches, payload_strings
from bot.chats import ChatKind
from bot.clock import Clock
from bot.i18n import detect_language
from bot.llm.types import LLM
from bot.memory import MemoryStore
from bot.outbound import Action, Button, ButtonReply, Delivery, Notice
from bot.people.actions import PeopleButtons
from bot.people.buttons import PendingId, PersonChoice, Taps
from bot.people.calendar import next_occurrence
from bot.people.commands import PeopleCommands
from bot.people.digest import DigestUser, digest_settings
from bot.people.drafts import PeopleDrafts
from bot.people.format import (
    ago,
    cadence_words,
    contact_day,
    date_words,
    day_words,
    md,
    person_label,
)
from bot.people.model import Actor, DigestSettings, ImportantDate, Person
from bot.people.parsing import DateWords, find_date
from bot.people.relations import (
    RELATION_WORDS,
    UNIQUE_RELATIONS,
    canonical_relation,
    match_people,
    name_key,
)
from bot.people.repository import PeopleRepository
from bot.people.runner import DigestRunner, RunnerOptions
from bot.people.schema import PEOPLE_MIGRATIONS
from bot.people.texts import TEXTS
from bot.people.views import date_line, digest_message
from bot.storage import (
    Database,
    DraftRepository,
    UserRecord,
    UserRepository,
    from_db_time,
    to_db_time,
)

__all__ = ["Change", "PeopleService"]

logger = logging.getLogger(__name__)

UNDO_LIFETIME = timedelta(days=14)
#: Chinese characters that may be part of a date ("3月14日", "闰4/8", "农历八月十五").
_DATE_HAN = frozenset("闰閏农历阴旧農曆陰月日号號年初廿卅正冬腊臘〇零一二两三四五六七八九十百")
CHOICE_LIFETIME = timedelta(days=3)


@dataclass(slots=True)
class Change:
    """What one operation did to one person: the lines to confirm it, and how to undo it."""

    person: Person
    created: bool
    lines: list[str] = field(default_factory=list)
    undo: dict[str, Any] = field(default_factory=dict)


class PeopleService:
    """Everything about people that is not Telegram."""

    def __init__(
        self,
        db: Database,
        users: UserRepository,
        clock: Clock,
        *,
        llm: LLM | None = None,
        memory: MemoryStore | None = None,
        default_timezone: str = "UTC",
        runner_options: RunnerOptions | None = None,
    ) -> None:
        self._db = db
        self._users = users
        self._clock = clock
        self._llm = llm
        self._memory = memory
        self._default_timezone = default_timezone
        self.repo = PeopleRepository(db)
        self.runner = DigestRunner(
            db,
            clock,
            digest_message,
            default_timezone=default_timezone,
            options=runner_options,
        )
        #: (chat id, user id) -> (person id, until): the next message edits that person.
        self._editing: dict[tuple[int, int], tuple[int, datetime]] = {}
        self.commands = PeopleCommands(self)
        self.buttons = PeopleButtons(self)
        self.drafts = PeopleDrafts(self)

    @classmethod
    async def open(
        cls, db: Database, users: UserRepository, clock: Clock, **options: Any
    ) -> PeopleService:
        """Migrate the people tables and return the service."""
        await DraftRepository.migrate(db)  # first: version 2 moves the old drafts there
        await db.migrate("people", PEOPLE_MIGRATIONS)
        return cls(db, users, clock, **options)

    async def start(self, delivery: Delivery, *, background: bool = True) -> None:
        """Start the daily digests (recovering claims left by a crash)."""
        await self.repo.drafts.purge(self._clock.now())
        await self.runner.start(delivery, background=background)

    async def stop(self) -> None:
        await self.runner.stop()

    # -- commands, buttons and drafts (see PeopleCommands, PeopleButtons, PeopleDrafts) --------

    async def command(self, actor: Actor, name: str, text: str, *, here: bool = False) -> Notice:
        return await self.commands.command(actor, name, text, here=here)

    async def act(self, actor: Actor, action: Action[Any] | None) -> ButtonReply:
        return await self.buttons.act(actor, action)

    async def people_view(self, actor: Actor, *, page: int = 0, lang: str | None = None) -> Notice:
        return await self.commands.people_view(actor, page=page, lang=lang)

    async def card_view(self, actor: Actor, person: Person, *, lang: str | None = None) -> Notice:
        return await self.commands.card_view(actor, person, lang=lang)

    async def edit_menu(self, actor: Actor, person: Person, lang: str) -> Notice:
        return await self.buttons.edit_menu(actor, person, lang)

    async def digest_view(self, actor: Actor, *, lang: str | None = None) -> Notice:
        return await self.commands.digest_view(actor, lang=lang)

    async def digest_preview(self, actor: Actor, *, lang: str | None = None) -> Notice:
        return await self.commands.digest_preview(actor, lang=lang)

    async def update_digest(self, actor: Actor, **changes: Any) -> None:
        await self.commands.update_digest(actor, **changes)

    def contact_time(self, words: str, timezone: str) -> tuple[datetime, str]:
        return self.commands.contact_time(words, timezone)

    def start_editing(self, actor: Actor, person_id: int) -> None:
        self.commands.start_editing(actor, person_id)

    def editing(self, chat_id: int, user_id: int, text: str = "") -> bool:
        return self.commands.editing(chat_id, user_id, text)

    async def apply_edit(self, actor: Actor, text: str) -> Notice:
        return await self.commands.apply_edit(actor, text)

    async def draft(self, actor: Actor, person: Person, *, lang: str) -> Notice:
        return await self.drafts.draft(actor, person, lang=lang)

    # -- who, where, which language -----------------------------------------------------------

    async def _user(self, user_id: int) -> UserRecord | None:
        return await self._users.get(user_id)

    def _zone(self, user: UserRecord | None) -> str:
        return (user.timezone if user else None) or self._default_timezone

    @staticmethod
    def _lang(user: UserRecord | None, text: str = "") -> str:
        """The user's language, unless what they wrote is clearly in the other one. A name
        alone ("/person Maria") or a date ("/birthday Eve lunar 闰4/8", "/birthday Dan
        3月14日") does not switch: Chinese characters count only outside dates."""
        fallback = "zh" if user is not None and user.language == "zh" else "en"
        if any("\u4e00" <= char <= "\u9fff" and char not in _DATE_HAN for char in text):
            return "zh"
        if found := find_date(text):
            text = f"{text[: found.start]} {text[found.end :]}"
        if len(text.split()) < 3:
            return fallback
        return detect_language(text, fallback=fallback)

    def settings(self, user: UserRecord | None) -> DigestSettings:
        return digest_settings(user.settings if user else {}, self._zone(user))

    def digest_user(self, user: UserRecord | None, user_id: int) -> DigestUser:
        lang = self._lang(user)
        return DigestUser(user_id, lang, self.settings(user))

    def _today(self, user: UserRecord | None) -> date:
        return self._clock.now().astimezone(ZoneInfo(self._zone(user))).date()

    async def _schedule(
        self, user: UserRecord | None, user_id: int, *, force: bool = False
    ) -> None:
        """Make sure the user has a digest schedule that follows their zone and hour."""
        settings = self.settings(user)
        await self.runner.ensure(user_id, settings.timezone, settings.at, force=force)

    # -- finding people ------------------------------------------------------------------------

    async def candidates(
        self, user_id: int, query: str, relation: str | None = None
    ) -> tuple[list[Person], list[Person]]:
        """Everyone the user has, and those ``query`` may mean (narrowed by ``relation``)."""
        people = await self.repo.for_user(user_id)
        by_id = {person.id: person for person in people}
        found = [by_id[match.person_id] for match in match_people(query, people)]
        wanted = canonical_relation(relation)
        if not found and wanted in UNIQUE_RELATIONS:
            # "Mom's name is Maria": the one person who is the user's mother.
            found = [person for person in people if person.relation_key == wanted]
        if len(found) > 1 and wanted:
            same = [person for person in found if person.relation_key == wanted]
            if same:
                found = same
        return people, found

    def _settles(self, found: list[Person], relation: str | None, allow_new: bool) -> bool:
        """Whether one found person is surely the one meant (else the user is asked)."""
        if len(found) != 1:
            return False
        wanted = canonical_relation(relation)
        person = found[0]
        return not (allow_new and wanted and person.relation_key and person.relation_key != wanted)

    # -- operations ------------------------------------------------------------------------------

    async def perform(self, actor: Actor, op: dict[str, Any]) -> tuple[Notice, Change | None]:
        """Carry out an operation for the person it names: change and confirm, or ask which
        person is meant. ``op["kind"]`` is "remember", "show" or "draft"."""
        user = await self._user(actor.user_id)
        lang = op.get("lang") or self._lang(user)
        op = {**op, "lang": lang}
        _, found = await self.candidates(actor.user_id, op["name"], op.get("relation"))
        creating = op["kind"] == "remember"
        if not found and creating:
            return await self.apply(actor, None, op)
        if not found:
            return Notice(TEXTS("unknown_person", lang, name=md(op["name"]))), None
        if self._settles(found, op.get("relation"), creating):
            return await self.apply(actor, found[0], op)
        return await self._ask_which(actor, found, op), None

    async def apply(
        self, actor: Actor, person: Person | None, op: dict[str, Any]
    ) -> tuple[Notice, Change | None]:
        """Carry out an operation for a known person (or a new one, for None)."""
        user = await self._user(actor.user_id)
        lang = op.get("lang") or self._lang(user)
        if op["kind"] == "show":
            assert person is not None
            return await self.card_view(actor, person, lang=lang), None
        if op["kind"] == "draft":
            assert person is not None
            return await self.draft(actor, person, lang=lang), None
        change = await self._change(actor, person, op, user=user, lang=lang)
        await self._schedule(user, actor.user_id)
        one_line = bool(op.get("one_line"))
        return await self._confirm(actor, change, lang, one_line=one_line), change

    async def _keep_options(
        self,
        actor: Actor,
        kind: str,
        op: dict[str, Any],
        found: list[Person],
        now: datetime,
        lifetime: timedelta,
    ) -> int:
        """Keep an operation and the people it may apply to until a button picks one; the
        draft's id (for the buttons)."""
        payload = {"op": op, "options": [person.id for person in found]}
        draft = await self.repo.drafts.add(
            user_id=actor.user_id,
            chat_id=actor.chat_id,
            kind=kind,
            payload=payload,
            now=now,
            lifetime=lifetime,
        )
        return draft.id

    async def _ask_which(self, actor: Actor, found: list[Person], op: dict[str, Any]) -> Notice:
        lang = op["lang"]
        now = self._clock.now()
        creating = op["kind"] == "remember"
        pending_id = await self._keep_options(actor, "choose", op, found, now, CHOICE_LIFETIME)
        alone = len(found) == 1
        rows: list[tuple[Button, ...]] = [
            (
                Taps.PICK.button(
                    await self._tell_apart(person, lang, alone=alone),
                    PersonChoice(pending_id, person.id),
                ),
            )
            for person in found[:8]
        ]
        if creating:
            label = TEXTS("button_new", lang, name=op["name"][:24])
            rows.append((Taps.PICK.button(label, PersonChoice(pending_id, 0)),))
        rows.append((Taps.DROP.button(TEXTS("button_cancel", lang), PendingId(pending_id)),))
        named = len({name_key(person.name) for person in found}) == 1
        question = (
            TEXTS("which", lang, name=md(found[0].name))
            if named and not creating
            else TEXTS("which_or_new", lang)
            if creating
            else TEXTS("which", lang, name=md(op["name"]))
        )
        return Notice(question, tuple(rows))

    async def _tell_apart(self, person: Person, lang: str, *, alone: bool = False) -> str:
        """A button label that tells two namesakes apart: relation, else a note or a date
        (else the id; just the name when there is only one to choose)."""
        label = person.name
        if person.relation and canonical_relation(person.name) != person.relation_key:
            return f"{label} ({person.relation})"[:60]
        notes = await self.repo.notes_of(person.id, limit=1)
        if notes:
            return f"{label} ({notes[0].text[:30]})"
        dates = await self.repo.dates_of(person.id)
        if dates:
            return f"{label} ({date_words(dates[0], lang)})"
        return label if alone else f"{label} #{person.id}"

    # -- changing one person ---------------------------------------------------------------------

    async def _change(
        self,
        actor: Actor,
        person: Person | None,
        op: dict[str, Any],
        *,
        user: UserRecord | None,
        lang: str,
    ) -> Change:
        now = self._clock.now()
        today = self._today(user)
        if person is None:
            change = await self._create(actor, op, now)
        else:
            change = await self._update_identity(person, op, now, lang)
        if op.get("date"):
            await self._set_date(change, op, today=today, now=now, lang=lang)
        if op.get("note"):
            note_id = await self.repo.add_note(change.person, op["note"].strip(), at=now)
            change.undo.setdefault("notes_added", []).append(note_id)
            change.lines.append(TEXTS("line_note", lang, text=md(op["note"])))
        if op.get("cadence") is not None:
            await self._set_cadence(change, int(op["cadence"]), now=now, user=user, lang=lang)
        if op.get("met"):
            await self._log_contact(change, op["met"], now=now, user=user, lang=lang)
        refreshed = await self.repo.get(actor.user_id, change.person.id)
        change.person = refreshed or change.person
        return change

    async def _create(self, actor: Actor, op: dict[str, Any], now: datetime) -> Change:
        name = display_name(op["name"])
        relation = op.get("relation") or (name if canonical_relation(name) in _KNOWN else None)
        aliases = _new_aliases(name, (), op.get("aliases") or ())
        person = await self.repo.add(
            user_id=actor.user_id, name=name, now=now, relation=relation, aliases=aliases
        )
        return Change(person=person, created=True, undo={"created": person.id})

    async def _update_identity(
        self, person: Person, op: dict[str, Any], now: datetime, lang: str
    ) -> Change:
        change = Change(person=person, created=False, undo={"person": person.id})
        before = {"name": person.name, "relation": person.relation, "aliases": list(person.aliases)}
        changed = False
        relation = (op.get("relation") or "").strip()
        if relation and (
            person.relation is None
            or canonical_relation(relation) != person.relation_key
            or op.get("force_relation")
        ):
            person.relation = relation
            change.lines.append(TEXTS("line_relation", lang, relation=md(relation)))
            changed = True
        if op.get("rename") and op["rename"].strip() != person.name:
            person.name = op["rename"].strip()
            change.lines.append(TEXTS("line_renamed", lang, name=md(person.name)))
            changed = True
        names = list(op.get("aliases") or ())
        if name_key(op["name"]) not in _keys(person) and not _is_relation_word(op["name"]):
            names.append(op["name"])  # found through the relation: "Maria" is Mom
        added = _new_aliases(person.name, person.aliases, names)
        if added:
            person.aliases = (*person.aliases, *added)
            change.lines.append(TEXTS("line_aliases", lang, aliases=md(", ".join(added))))
            changed = True
        if changed:
            await self.repo.update(person, now=now)
            change.undo["before"] = before
        return change

    async def _set_date(
        self, change: Change, op: dict[str, Any], *, today: date, now: datetime, lang: str
    ) -> None:
        words = op["date"]
        kind = op.get("date_kind") or "birthday"
        label = (op.get("date_label") or "").strip() or None
        found = next_occurrence(
            words["calendar"], words["month"], words["day"], words["is_leap_month"], today
        )
        if found is None:
            return
        fields = {**words, "next_on": found[0].isoformat()}
        existing = [
            item
            for item in await self.repo.dates_of(change.person.id)
            if item.kind == kind and (kind == "birthday" or (item.label or "") == (label or ""))
        ]
        if existing:
            old = existing[0]
            change.undo["date_replaced"] = {"id": old.id, **_date_fields(old)}
            await self.repo.replace_date(change.person.user_id, old.id, fields)
        else:
            date_id = await self.repo.add_date(
                change.person, _words(words), kind=kind, label=label, next_on=found[0], now=now
            )
            change.undo.setdefault("dates_added", []).append(date_id)
        shown = ImportantDate(
            id=0,
            person_id=change.person.id,
            kind=kind,
            month=words["month"],
            day=words["day"],
            year=words["year"],
            calendar=words["calendar"],
            is_leap_month=words["is_leap_month"],
            label=label,
        )
        line = date_line(shown, today, lang)
        if shown.is_lunar and not op.get("one_line"):
            line += TEXTS("line_lunar_rule", lang)
        change.lines.append(line)

    async def _set_cadence(
        self, change: Change, days: int, *, now: datetime, user: UserRecord | None, lang: str
    ) -> None:
        person = change.person
        change.undo["cadence_before"] = {
            "days": person.cadence_days,
            "since": to_db_time(person.cadence_since) if person.cadence_since else None,
        }
        await self.repo.set_cadence(person, days or None, now=now)
        if not days:
            change.lines.append(TEXTS("line_cadence_off", lang))
            return
        fresh = await self.repo.get(person.user_id, person.id)
        due = fresh.contact_due_at if fresh and fresh.contact_due_at else now
        zone = ZoneInfo(self._zone(user))
        today = now.astimezone(zone).date()
        day = max(due.astimezone(zone).date(), today)
        change.lines.append(
            TEXTS(
                "line_cadence",
                lang,
                cadence=cadence_words(days, lang),
                day=day_words(day, today, lang),
            )
        )

    async def _log_contact(
        self,
        change: Change,
        met: dict[str, Any],
        *,
        now: datetime,
        user: UserRecord | None,
        lang: str,
    ) -> None:
        at = from_db_time(met["at"]) if met.get("at") else now
        note = (met.get("note") or "").strip() or None
        interaction_id = await self.repo.add_interaction(
            change.person, at=at, note=note, source=met.get("source", "command")
        )
        change.undo.setdefault("interactions_added", []).append(interaction_id)
        zone = ZoneInfo(self._zone(user))
        today = now.astimezone(zone).date()
        when = contact_day(at.astimezone(zone).date(), today, lang)
        if note:
            change.lines.append(TEXTS("line_met", lang, what=md(note), when=when))
        else:
            change.lines.append(TEXTS("line_met_plain", lang, when=when))

    async def _confirm(
        self, actor: Actor, change: Change, lang: str, *, one_line: bool = False
    ) -> Notice:
        """What changed, with Undo: one line for what was learned in the chat, a few lines
        for a command."""
        head = TEXTS(
            "saved_new" if change.created else "saved", lang, who=person_label(change.person)
        )
        text = (" · " if one_line else "\n").join([head, *change.lines])
        pending_id = (
            await self.repo.drafts.add(
                user_id=actor.user_id,
                chat_id=actor.chat_id,
                kind="undo",
                payload=change.undo,
                now=self._clock.now(),
                lifetime=UNDO_LIFETIME,
            )
        ).id
        undo = Taps.UNDO.button(TEXTS("button_undo", lang), PendingId(pending_id))
        return Notice(text, ((undo,),))

    async def undo(self, user_id: int, payload: dict[str, Any]) -> bool:
        """Reverse what one operation did; False when the person is gone meanwhile."""
        now = self._clock.now()
        if "created" in payload:
            return await self.repo.delete(user_id, payload["created"])
        person = await self.repo.get(user_id, payload.get("person", 0))
        if person is None:
            return False
        if before := payload.get("before"):
            person.name, person.relation = before["name"], before["relation"]
            person.aliases = tuple(before["aliases"])
            await self.repo.update(person, now=now)
        for date_id in payload.get("dates_added", ()):
            await self.repo.delete_date(user_id, date_id)
        if replaced := payload.get("date_replaced"):
            await self.repo.replace_date(user_id, replaced["id"], replaced)
        for note_id in payload.get("notes_added", ()):
            await self.repo.delete_note(user_id, note_id)
        for interaction_id in payload.get("interactions_added", ()):
            await self.repo.delete_interaction(user_id, interaction_id)
        if cadence := payload.get("cadence_before"):
            since = from_db_time(cadence["since"]) if cadence["since"] else None
            await self.repo.set_cadence(person, cadence["days"], now=now, since=since)
        return True

    # -- from the conversation ---------------------------------------------------------------

    async def offer_contact(
        self, actor: Actor, *, name: str, what: str, when: str, lang: str
    ) -> Notice:
        """Offer to log a contact the user mentioned; nothing is stored until they tap."""
        user = await self._user(actor.user_id)
        zone = self._zone(user)
        at, _ = self.contact_time(when, zone) if when else (self._clock.now(), "")
        _, found = await self.candidates(actor.user_id, name)
        op = {
            "kind": "remember",
            "name": name,
            "lang": lang,
            "met": {"at": at.isoformat(), "note": what or None, "source": "chat"},
        }
        now = self._clock.now()
        pending_id = await self._keep_options(actor, "offer", op, found, now, UNDO_LIFETIME)
        today = now.astimezone(ZoneInfo(zone)).date()
        when_words = contact_day(at.astimezone(ZoneInfo(zone)).date(), today, lang)
        who = person_label(found[0]) if len(found) == 1 else f"**{md(name)}**"
        key = "offer_log" if what else "offer_log_plain"
        text = TEXTS(key, lang, what=md(what), who=who, when=when_words)
        no = Taps.NO_LOG.button(TEXTS("button_no_thanks", lang), PendingId(pending_id))
        if len(found) <= 1:
            chosen = PersonChoice(pending_id, found[0].id if found else 0)
            yes = Taps.LOG.button(TEXTS("button_log", lang), chosen)
            return Notice(text, ((yes, no),))
        rows = [
            (
                Taps.LOG.button(
                    TEXTS("button_log_who", lang, who=await self._tell_apart(person, lang)),
                    PersonChoice(pending_id, person.id),
                ),
            )
            for person in found[:6]
        ]
        return Notice(text, (*rows, (no,)))

    async def describe(self, actor: Actor, name: str) -> str:
        """What Dazi knows about someone, for the model (English, dates resolved)."""
        _, found = await self.candidates(actor.user_id, name)
        if not found:
            return f"no person called '{name}' is known; the user can tell you about them."
        user = await self._user(actor.user_id)
        zone = ZoneInfo(self._zone(user))
        now = self._clock.now()
        today = now.astimezone(zone).date()
        blocks = []
        for person in found[:3]:
            card = await self.repo.card(person)
            lines = [
                f"{person.name}" + (f" (relation: {person.relation})" if person.relation else "")
            ]
            if person.aliases:
                lines.append("also called: " + ", ".join(person.aliases))
            for item in card.dates:
                lines.append(date_line(item, today, "en").replace("**", ""))
            if person.cadence_days:
                lines.append(f"stay in touch {cadence_words(person.cadence_days, 'en')}")
            if person.last_contact_at:
                lines.append(
                    "last contact "
                    + ago(person.last_contact_at.astimezone(zone), now, "en", today=today)
                )
            lines += [
                f"note ({note.at.astimezone(zone):%Y-%m-%d}): {note.text}"
                for note in card.notes[:10]
            ]
            blocks.append("\n".join(lines))
        if len(found) > 1:
            blocks.insert(0, f"{len(found)} people match '{name}'; ask which one if it matters.")
        return "\n\n".join(blocks)

    # -- export, forget, migrate (for the AccountService) ------------------------------------

    async def export(self, *, user_id: int, chat_id: int) -> dict[str, Any]:
        """Everything about the user's people, JSON-serialisable: every note and contact, the
        pending buttons (undo records, questions, offers) and the digest schedule. People are
        private: a group scope has none, and the pending buttons its
        members left there are theirs (in their own export), not the group's."""
        if ChatKind.of_scope(user_id=user_id, chat_id=chat_id).is_group:
            return {"people": []}
        people = []
        for person in await self.repo.for_user(user_id):
            card = await self.repo.card(person, limit=-1)
            people.append(_exported(card))
        user = await self._user(user_id)
        settings = self.settings(user)
        return {
            "people": people,
            "people_digest": {
                "time": f"{settings.at:%H:%M}",
                "timezone": settings.timezone,
                "days_ahead": settings.lead_days,
                "enabled": settings.enabled,
            },
            "people_digest_schedule": await self.repo.digest_schedule(user_id),
            "people_pending": [
                {
                    "id": item.id,
                    "chat_id": item.chat_id,
                    "kind": item.kind,
                    "payload": item.payload,
                    "expires_at": item.expires_at.isoformat(),
                }
                for item in await self.repo.drafts.for_user(user_id)
            ],
        }

    async def forget_all(self, *, user_id: int, chat_id: int) -> int:
        """Erase the user's people and everything about them; return how many people went.
        A group scope holds no people: forgetting a group only drops the pending buttons its
        members left there."""
        if ChatKind.of_scope(user_id=user_id, chat_id=chat_id).is_group:
            self._editing = {k: v for k, v in self._editing.items() if k[0] != chat_id}
            return await self.repo.delete_pending_in_chat(chat_id)
        self._editing = {key: value for key, value in self._editing.items() if key[1] != user_id}
        return await self.repo.delete_user(user_id)

    async def preview_topic(
        self, *, user_id: int, chat_id: int, topic: str, now: datetime
    ) -> TopicMatches:
        """Notes, contact notes and pending buttons that mention the topic; and, only as an
        explicit extra choice, the people the topic names. A group scope has none."""
        matcher = TopicMatcher(topic)
        if ChatKind.of_scope(user_id=user_id, chat_id=chat_id).is_group or not matcher:
            return TopicMatches()
        notes = [
            (note, name)
            for note, name in await self.repo.notes_for_user(user_id)
            if matcher.matches(note.text)
        ]
        contacts = [
            (item, name)
            for item, name in await self.repo.contact_notes_for_user(user_id)
            if matcher.matches(item.note)
        ]
        pending = [
            item
            for item in await self.repo.drafts.for_user(user_id)
            if matcher.matches_any(payload_strings(item.payload))
        ]
        everyone = await self.repo.for_user(user_id)
        named = {match.person_id for match in match_people(topic, everyone)}
        people = [person for person in everyone if person.id in named]
        return TopicMatches(
            items={
                "person_notes": tuple(note.id for note, _ in notes),
                "contact_notes": tuple(item.id for item, _ in contacts),
                "people_pending": tuple(item.id for item in pending),
            },
            optional={"people": tuple(person.id for person in people)},
            examples={
                "person_notes": tuple(
                    TopicExample(f"{name}: {note.text}", note.at) for note, name in notes[:2]
                ),
                "contact_notes": tuple(
                    TopicExample(f"{name}: {item.note}", item.at) for item, name in contacts[:2]
                ),
                "people": tuple(TopicExample(_plain_label(person)) for person in people),
            },
        )

    async def forget_topic_items(
        self, *, user_id: int, chat_id: int, items: Mapping[str, Sequence[int]]
    ) -> dict[str, int]:
        """Delete what :meth:`preview_topic` found (ids that are not the user's are ignored)."""
        if ChatKind.of_scope(user_id=user_id, chat_id=chat_id).is_group:
            return {}
        people = tuple(items.get("people", ()))
        if people:
            self._editing = {
                key: value
                for key, value in self._editing.items()
                if not (key[1] == user_id and value[0] in people)
            }
        return await self.repo.forget_items(
            user_id,
            note_ids=items.get("person_notes", ()),
            contact_note_ids=items.get("contact_notes", ()),
            pending_ids=items.get("people_pending", ()),
            person_ids=people,
        )

    async def migrate_chat(self, old_chat_id: int, new_chat_id: int) -> int:
        """A group became a supergroup: pending buttons there follow it."""
        self._editing = {
            ((new_chat_id if chat == old_chat_id else chat), user): value
            for (chat, user), value in self._editing.items()
        }
        return await self.repo.migrate_chat(old_chat_id, new_chat_id)


# -- helpers ---------------------------------------------------------------------------------

_KNOWN = frozenset(canonical_relation(word) for word in RELATION_WORDS)


def _is_relation_word(text: str) -> bool:
    return name_key(text) in RELATION_WORDS


def display_name(text: str) -> str:
    """A new person's name as shown: "my mom" -> "Mom", "anna" -> "Anna", "妈妈" as is."""
    name = " ".join(text.split())
    key = name_key(name)
    if key != name.casefold():
        name = name[len(name) - len(key) :] if name.casefold().endswith(key) else key
    if name.isascii() and name == name.lower():
        name = name[:1].upper() + name[1:]
    return name[:80] or "?"


def _plain_label(person: Person) -> str:
    """A person as named in a plain-text preview: "Tom (brother)"."""
    return f"{person.name} ({person.relation})" if person.relation else person.name


def _keys(person: Person) -> set[str]:
    return {name_key(person.name), *(name_key(alias) for alias in person.aliases)}


def _new_aliases(name: str, existing: tuple[str, ...] | list[str], names: Any) -> list[str]:
    seen = {name_key(name), *(name_key(alias) for alias in existing)}
    added = []
    for alias in names:
        alias = " ".join(str(alias).split())[:60]
        if alias and name_key(alias) not in seen:
            seen.add(name_key(alias))
            added.append(alias)
    return added


def _date_fields(item: ImportantDate) -> dict[str, Any]:
    return {
        "month": item.month,
        "day": item.day,
        "year": item.year,
        "calendar": item.calendar,
        "is_leap_month": item.is_leap_month,
        "next_on": item.next_on.isoformat() if item.next_on else date.today().isoformat(),
    }


def _words(fields: dict[str, Any]) -> DateWords:
    return DateWords(
        month=fields["month"],
        day=fields["day"],
        year=fields["year"],
        calendar=fields["calendar"],
        is_leap_month=fields["is_leap_month"],
    )


def _exported(card: Any) -> dict[str, Any]:
    person = card.person
    return {
        "name": person.name,
        "relation": person.relation,
        "aliases": list(person.aliases),
        "cadence_days": person.cadence_days,
        "last_contact_at": person.last_contact_at.isoformat() if person.last_contact_at else None,
        "snoozed_until": person.snoozed_until.isoformat() if person.snoozed_until else None,
        "created_at": person.created_at.isoformat() if person.created_at else None,
        "dates": [
            {
                "kind": item.kind,
                "label": item.label,
                "month": item.month,
                "day": item.day,
                "year": item.year,
                "calendar": item.calendar,
                "is_leap_month": item.is_leap_month,
            }
            for item in card.dates
        ],
        "notes": [{"text": note.text, "at": note.at.isoformat()} for note in card.notes],
        "interactions": [
            {"at": item.at.isoformat(), "note": item.note, "source": item.source}
            for item in card.interactions
        ],
    }
