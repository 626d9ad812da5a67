"""What the people buttons do (part of ``PeopleService``): undo, pick who was meant, log or
decline an offered contact, page the list, open a card, draft, done, snooze, edit, delete,
digest settings, and "show it here" in a group.

Every button acts only for the person who tapped it and only on their own people; a pending
payload (undo, question, offer) is consumed by the first tap, so a double tap does nothing.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from bot.outbound import (
    Action,
    Button,
    ButtonReply,
    DayTime,
    Nothing,
    Notice,
    Page,
    Switch,
    TapHandlers,
)
from bot.people.buttons import (
    TAPS,
    DateId,
    LeadDays,
    NoteId,
    PendingId,
    PersonChoice,
    PersonId,
    Taps,
)
from bot.people.format import date_words, day_words, md, person_label
from bot.people.model import Actor, Person
from bot.people.texts import KIND_ICONS, TEXTS
from bot.storage import Draft

if TYPE_CHECKING:
    from bot.people.service import PeopleService

__all__ = ["SNOOZE", "PeopleButtons"]

#: How long "Snooze" keeps a stay-in-touch nudge quiet.
SNOOZE = timedelta(days=7)
_EDIT_NOTES = 5


class PeopleButtons:
    """The buttons (a collaborator of PeopleService)."""

    def __init__(self, service: PeopleService) -> None:
        self._service = service
        #: What each button does, by its :class:`~bot.people.buttons.Tap`.
        #: What each button does (its handler is given the tap's payload and the language).
        self._handlers: TapHandlers[Actor, [str], ButtonReply] = TapHandlers(TAPS)
        self._handlers.on(Taps.UNDO, self._on_undo)
        self._handlers.on(Taps.PICK, self._on_pick)
        self._handlers.on(Taps.LOG, self._on_log)
        self._handlers.on(Taps.DROP, self._on_drop)
        self._handlers.on(Taps.NO_LOG, self._on_nolog)
        self._handlers.on(Taps.HERE, self._on_here)
        self._handlers.on(Taps.CARD, self._on_card)
        self._handlers.on(Taps.PAGE, self._on_pg)
        self._handlers.on(Taps.DRAFT, self._on_dr)
        self._handlers.on(Taps.ANOTHER_DRAFT, self._on_dr)
        self._handlers.on(Taps.DONE, self._on_done)
        self._handlers.on(Taps.SENT, self._on_sent)
        self._handlers.on(Taps.MET, self._on_met)
        self._handlers.on(Taps.SNOOZE, self._on_snz)
        self._handlers.on(Taps.EDIT, self._on_edit)
        self._handlers.on(Taps.REMOVE_DATE, self._on_rmd)
        self._handlers.on(Taps.REMOVE_NOTE, self._on_rmn)
        self._handlers.on(Taps.NO_CADENCE, self._on_nocad)
        self._handlers.on(Taps.BACK, self._on_back)
        self._handlers.on(Taps.DELETE, self._on_del)
        self._handlers.on(Taps.DELETE_CONFIRMED, self._on_delok)
        self._handlers.on(Taps.DIGEST_TIME, self._on_dgt)
        self._handlers.on(Taps.DIGEST_LEAD, self._on_dgl)
        self._handlers.on(Taps.DIGEST_ON_OFF, self._on_dgo)
        self._handlers.on(Taps.DIGEST_PREVIEW, self._on_dgp)
        self._handlers.complete()

    async def act(self, actor: Actor, action: Action[Any] | None) -> ButtonReply:
        """Carry out the button ``action`` for the actor who tapped it (None: a button this
        version cannot read, which "no longer works")."""
        user = await self._service._user(actor.user_id)
        lang = self._service._lang(user)
        reply = await self._handlers.run(actor, action, lang) if action is not None else None
        return reply if reply is not None else ButtonReply(toast=TEXTS("gone", lang))

    # -- pending payloads ------------------------------------------------------------------

    async def _take(self, actor: Actor, pending_id: int, kind: str) -> Draft | ButtonReply:
        """The pending payload for this tap, consumed; or the ButtonReply that says why not."""
        lang = self._service._lang(await self._service._user(actor.user_id))
        pending = await self._service.repo.drafts.get(pending_id)
        if (
            pending is None
            or pending.kind != kind
            or pending.expires_at < self._service._clock.now()
        ):
            return ButtonReply(toast=TEXTS("gone", lang))
        if pending.user_id != actor.user_id:
            return ButtonReply(toast=TEXTS("not_yours", lang), alert=True)
        if not await self._service.repo.drafts.take(pending_id):
            return ButtonReply(toast=TEXTS("gone", lang))
        return pending

    async def _on_undo(self, actor: Actor, tapped: PendingId, lang: str) -> ButtonReply:
        pending = await self._take(actor, tapped.pending_id, "undo")
        if isinstance(pending, ButtonReply):
            return pending
        done = await self._service.undo(actor.user_id, pending.payload)
        return ButtonReply(edit=Notice(TEXTS("undone" if done else "gone", lang)))

    async def _on_pick(self, actor: Actor, tapped: PersonChoice, lang: str) -> ButtonReply:
        pending = await self._take(actor, tapped.pending_id, "choose")
        if isinstance(pending, ButtonReply):
            return pending
        return await self._carry(actor, pending.payload, tapped.person_id)

    async def _on_log(self, actor: Actor, tapped: PersonChoice, lang: str) -> ButtonReply:
        pending = await self._take(actor, tapped.pending_id, "offer")
        if isinstance(pending, ButtonReply):
            return pending
        return await self._carry(actor, pending.payload, tapped.person_id)

    async def _carry(self, actor: Actor, payload: dict[str, Any], person_id: int) -> ButtonReply:
        """Carry out a pending operation for the chosen person (0: someone new)."""
        if person_id and person_id not in payload.get("options", []):
            return ButtonReply(toast=TEXTS("gone", payload["op"].get("lang", "en")))
        person = await self._service.repo.get(actor.user_id, person_id) if person_id else None
        if person_id and person is None:
            return ButtonReply(toast=TEXTS("gone", payload["op"].get("lang", "en")))
        notice, _ = await self._service.apply(actor, person, payload["op"])
        return ButtonReply(edit=notice)

    async def _on_drop(self, actor: Actor, tapped: PendingId, lang: str) -> ButtonReply:
        pending = await self._take(actor, tapped.pending_id, "choose")
        if isinstance(pending, ButtonReply):
            return pending
        return ButtonReply(edit=Notice(TEXTS("cancelled", lang)))

    async def _on_nolog(self, actor: Actor, tapped: PendingId, lang: str) -> ButtonReply:
        pending = await self._take(actor, tapped.pending_id, "offer")
        if isinstance(pending, ButtonReply):
            return pending
        return ButtonReply(edit=Notice(TEXTS("not_logged", lang)))

    async def _on_here(self, actor: Actor, tapped: PendingId, lang: str) -> ButtonReply:
        pending = await self._take(actor, tapped.pending_id, "here")
        if isinstance(pending, ButtonReply):
            return pending
        payload = pending.payload
        notice = await self._service.command(actor, payload["command"], payload["text"], here=True)
        return ButtonReply(edit=notice)

    # -- a person --------------------------------------------------------------------------

    async def _person(self, actor: Actor, person_id: int, lang: str) -> Person | ButtonReply:
        person = await self._service.repo.get(actor.user_id, person_id)
        return person if person is not None else ButtonReply(toast=TEXTS("gone", lang))

    async def _on_card(self, actor: Actor, tapped: PersonId, lang: str) -> ButtonReply:
        person = await self._person(actor, tapped.person_id, lang)
        if isinstance(person, ButtonReply):
            return person
        return ButtonReply(send=await self._service.card_view(actor, person, lang=lang))

    async def _on_pg(self, actor: Actor, tapped: Page, lang: str) -> ButtonReply:
        return ButtonReply(edit=await self._service.people_view(actor, page=tapped.page, lang=lang))

    async def _on_dr(self, actor: Actor, tapped: PersonId, lang: str) -> ButtonReply:
        person = await self._person(actor, tapped.person_id, lang)
        if isinstance(person, ButtonReply):
            return person
        return ButtonReply(send=await self._service.draft(actor, person, lang=lang))

    async def _contact(self, actor: Actor, person: Person, source: str) -> None:
        now = self._service._clock.now()
        await self._service.repo.add_interaction(person, at=now, note=None, source=source)

    async def _on_done(self, actor: Actor, tapped: PersonId, lang: str) -> ButtonReply:
        person = await self._person(actor, tapped.person_id, lang)
        if isinstance(person, ButtonReply):
            return person
        await self._contact(actor, person, "digest")
        return ButtonReply(
            toast=TEXTS("done_toast", lang, name=person.name), drop_row=PersonId(person.id)
        )

    async def _on_sent(self, actor: Actor, tapped: PersonId, lang: str) -> ButtonReply:
        person = await self._person(actor, tapped.person_id, lang)
        if isinstance(person, ButtonReply):
            return person
        await self._contact(actor, person, "draft")
        return ButtonReply(
            toast=TEXTS("done_toast", lang, name=person.name), drop_row=PersonId(person.id)
        )

    async def _on_met(self, actor: Actor, tapped: PersonId, lang: str) -> ButtonReply:
        person = await self._person(actor, tapped.person_id, lang)
        if isinstance(person, ButtonReply):
            return person
        await self._contact(actor, person, "card")
        fresh = await self._service.repo.get(actor.user_id, person.id) or person
        return ButtonReply(
            edit=await self._service.card_view(actor, fresh, lang=lang),
            toast=TEXTS("done_toast", lang, name=person.name),
        )

    async def _on_snz(self, actor: Actor, tapped: PersonId, lang: str) -> ButtonReply:
        person = await self._person(actor, tapped.person_id, lang)
        if isinstance(person, ButtonReply):
            return person
        now = self._service._clock.now()
        until = now + SNOOZE
        await self._service.repo.snooze(actor.user_id, person.id, until)
        zone = ZoneInfo(self._service._zone(await self._service._user(actor.user_id)))
        local = until.astimezone(zone).date()
        day = day_words(local, now.astimezone(zone).date(), lang)
        return ButtonReply(
            toast=TEXTS("snoozed_toast", lang, name=person.name, day=day),
            drop_row=PersonId(person.id),
        )

    # -- editing and deleting --------------------------------------------------------------

    async def edit_menu(self, actor: Actor, person: Person, lang: str) -> Notice:
        """How to change a person by writing, and buttons to remove a date, a note, a cadence."""
        rows: list[tuple[Button, ...]] = []
        for item in await self._service.repo.dates_of(person.id):
            label = TEXTS(
                "button_remove_date",
                lang,
                icon=KIND_ICONS.get(item.kind, "📅"),
                date=date_words(item, lang),
            )
            rows.append((Taps.REMOVE_DATE.button(label[:60], DateId(item.id)),))
        for note in (await self._service.repo.notes_of(person.id))[:_EDIT_NOTES]:
            text = note.text if len(note.text) <= 24 else note.text[:23] + "…"
            rows.append(
                (
                    Taps.REMOVE_NOTE.button(
                        TEXTS("button_remove_note", lang, text=text), NoteId(note.id)
                    ),
                )
            )
        if person.cadence_days:
            rows.append(
                (Taps.NO_CADENCE.button(TEXTS("button_stop_cadence", lang), PersonId(person.id)),)
            )
        rows.append((Taps.BACK.button(TEXTS("button_back", lang), PersonId(person.id)),))
        return Notice(TEXTS("edit_prompt", lang, who=person_label(person)), tuple(rows))

    async def _on_edit(self, actor: Actor, tapped: PersonId, lang: str) -> ButtonReply:
        person = await self._person(actor, tapped.person_id, lang)
        if isinstance(person, ButtonReply):
            return person
        self._service.start_editing(actor, person.id)
        return ButtonReply(edit=await self.edit_menu(actor, person, lang))

    async def _after_removal(self, actor: Actor, person_id: int, lang: str) -> ButtonReply:
        person = await self._service.repo.get(actor.user_id, person_id)
        if person is None:
            return ButtonReply(toast=TEXTS("removed", lang))
        return ButtonReply(
            edit=await self.edit_menu(actor, person, lang), toast=TEXTS("removed", lang)
        )

    async def _on_rmd(self, actor: Actor, tapped: DateId, lang: str) -> ButtonReply:
        item = await self._service.repo.get_date(actor.user_id, tapped.date_id)
        if item is None or not await self._service.repo.delete_date(actor.user_id, item.id):
            return ButtonReply(toast=TEXTS("gone", lang))
        return await self._after_removal(actor, item.person_id, lang)

    async def _on_rmn(self, actor: Actor, tapped: NoteId, lang: str) -> ButtonReply:
        row = await self._service._db.fetchone(
            "SELECT person_id FROM person_notes WHERE id = ? AND user_id = ?",
            (tapped.note_id, actor.user_id),
        )
        if row is None or not await self._service.repo.delete_note(actor.user_id, tapped.note_id):
            return ButtonReply(toast=TEXTS("gone", lang))
        return await self._after_removal(actor, row["person_id"], lang)

    async def _on_nocad(self, actor: Actor, tapped: PersonId, lang: str) -> ButtonReply:
        person = await self._person(actor, tapped.person_id, lang)
        if isinstance(person, ButtonReply):
            return person
        await self._service.repo.set_cadence(person, None, now=self._service._clock.now())
        return await self._after_removal(actor, person.id, lang)

    async def _on_back(self, actor: Actor, tapped: PersonId, lang: str) -> ButtonReply:
        self._service._editing.pop((actor.chat_id, actor.user_id), None)
        person = await self._person(actor, tapped.person_id, lang)
        if isinstance(person, ButtonReply):
            return person
        return ButtonReply(edit=await self._service.card_view(actor, person, lang=lang))

    async def _on_del(self, actor: Actor, tapped: PersonId, lang: str) -> ButtonReply:
        person = await self._person(actor, tapped.person_id, lang)
        if isinstance(person, ButtonReply):
            return person
        rows = (
            (
                Taps.DELETE_CONFIRMED.button(TEXTS("button_delete_yes", lang), PersonId(person.id)),
                Taps.BACK.button(TEXTS("button_cancel", lang), PersonId(person.id)),
            ),
        )
        return ButtonReply(
            edit=Notice(TEXTS("delete_confirm", lang, who=person_label(person)), rows)
        )

    async def _on_delok(self, actor: Actor, tapped: PersonId, lang: str) -> ButtonReply:
        person = await self._person(actor, tapped.person_id, lang)
        if isinstance(person, ButtonReply):
            return person
        await self._service.repo.delete(actor.user_id, person.id)
        self._service._editing.pop((actor.chat_id, actor.user_id), None)
        return ButtonReply(edit=Notice(TEXTS("deleted", lang, name=md(person.name))))

    # -- digest settings -------------------------------------------------------------------

    async def _on_dgt(self, actor: Actor, tapped: DayTime, lang: str) -> ButtonReply:
        chosen = tapped.as_time
        if chosen is not None:
            await self._service.update_digest(actor, people_digest_time=f"{chosen:%H:%M}")
        return ButtonReply(edit=await self._service.digest_view(actor, lang=lang))

    async def _on_dgl(self, actor: Actor, tapped: LeadDays, lang: str) -> ButtonReply:
        if 0 <= tapped.days <= 30:
            await self._service.update_digest(actor, people_lead_days=tapped.days)
        return ButtonReply(edit=await self._service.digest_view(actor, lang=lang))

    async def _on_dgo(self, actor: Actor, tapped: Switch, lang: str) -> ButtonReply:
        await self._service.update_digest(actor, people_digest=tapped.on)
        return ButtonReply(edit=await self._service.digest_view(actor, lang=lang))

    async def _on_dgp(self, actor: Actor, tapped: Nothing, lang: str) -> ButtonReply:
        return ButtonReply(send=await self._service.digest_preview(actor, lang=lang))
