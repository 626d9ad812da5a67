"""Drafting a message to someone (part of ``PeopleService``): the language model writes a
short, warm message in the user's language from what Dazi knows: the relation, the occasion
(a birthday today or soon, a long silence), the notes, and recent memories that mention the
person (searched in the user's own private memory only, by name and aliases)."""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.llm.types import ChatMessage
from bot.outbound import Notice
from bot.people.buttons import PersonId, Taps
from bot.people.format import ago, md_block
from bot.people.model import Actor, Person, PersonCard
from bot.people.texts import TEXTS
from bot.people.views import kind_name, next_of

if TYPE_CHECKING:
    pass

if TYPE_CHECKING:
    from bot.people.service import PeopleService

__all__ = ["PeopleDrafts", "draft_prompt"]

logger = logging.getLogger(__name__)

_MEMORIES = 5
_NOTES = 8
_SOON = 14

_SYSTEM = """You help the user write a message to someone close to them. Write it as the user, \
in {language}, ready to send: 1 to 3 short sentences, warm, personal and natural, like a text \
from a friend, at most one emoji. Use a concrete detail from the notes or memories when it fits; \
never invent facts. Answer with the message only: no quotes, no greeting to the user, no \
explanations, no alternatives."""


def draft_prompt(
    card: PersonCard,
    *,
    memories: list[tuple[datetime, str]],
    facts: list[str],
    occasion: str,
    language: str,
    now: datetime,
    timezone: str,
) -> list[ChatMessage]:
    """The messages asking the model for one draft."""
    zone = ZoneInfo(timezone)
    today = now.astimezone(zone).date()
    person = card.person
    lines = [f"Write a message to {person.name}."]
    if person.relation:
        lines.append(f"{person.name} is the user's {person.relation}.")
    if person.aliases:
        lines.append(f"The user also calls them: {', '.join(person.aliases)}.")
    lines.append(f"Occasion: {occasion}")
    if person.last_contact_at is not None:
        when = ago(person.last_contact_at.astimezone(zone), now, "en", today=today)
        last = next((item.note for item in card.interactions if item.note), None)
        lines.append(f"Last contact: {when}" + (f" ({last})" if last else "") + ".")
    if card.notes:
        lines.append("Notes the user keeps about them:")
        lines += [
            f"- {note.text} ({note.at.astimezone(zone):%Y-%m-%d})" for note in card.notes[:_NOTES]
        ]
    if facts:
        lines.append("Things the user told you that may concern them:")
        lines += [f"- {fact}" for fact in facts]
    if memories:
        lines.append("Recent things the user said that mention them:")
        lines += [f"- [{at.astimezone(zone):%Y-%m-%d}] {text}" for at, text in memories]
    name = "Chinese (简体中文)" if language == "zh" else "English"
    return [
        {"role": "system", "content": _SYSTEM.format(language=name)},
        {"role": "user", "content": "\n".join(lines)},
    ]


def occasion_of(card: PersonCard, today: date, lang: str = "en") -> str:
    """Why write now: a birthday or date today or soon, a long silence, or just to say hi."""
    soonest: tuple[int, str] | None = None
    for item in card.dates:
        found = next_of(item, today)
        if found is None:
            continue
        days = (found[0] - today).days
        if days <= _SOON and (soonest is None or days < soonest[0]):
            what = kind_name(item.kind, item.label, "en").lower()
            age = f" (turns {found[1]})" if found[1] is not None else ""
            soonest = (days, f"their {what}{age}")
    if soonest is not None:
        days, what = soonest
        if days == 0:
            return f"it is {what} today: wish them well."
        return f"{what} is in {days} days; the message may mention it or just say hi before it."
    person = card.person
    if person.cadence_days and person.last_contact_at is not None:
        return "it has been a while since they talked; reach out and catch up."
    return "just reaching out to stay in touch."


class PeopleDrafts:
    """Drafts (a collaborator of PeopleService)."""

    def __init__(self, service: PeopleService) -> None:
        self._service = service

    async def draft(self, actor: Actor, person: Person, *, lang: str) -> Notice:
        """A drafted message for the user to copy or edit, with Another / I sent it."""
        user = await self._service._user(actor.user_id)
        timezone = self._service._zone(user)
        now = self._service._clock.now()
        card = await self._service.repo.card(person)
        memories, facts = await self._recollect(actor.user_id, person, now)
        today = now.astimezone(ZoneInfo(timezone)).date()
        prompt = draft_prompt(
            card,
            memories=memories,
            facts=facts,
            occasion=occasion_of(card, today),
            language=lang,
            now=now,
            timezone=timezone,
        )
        text = await self._write(prompt)
        if not text:
            return Notice(TEXTS("draft_failed", lang))
        buttons = (
            (
                Taps.ANOTHER_DRAFT.button(TEXTS("button_draft_again", lang), PersonId(person.id)),
                Taps.SENT.button(TEXTS("button_sent_it", lang), PersonId(person.id)),
            ),
        )
        return Notice(md_block(text), buttons)

    async def _write(self, prompt: list[ChatMessage]) -> str:
        if self._service._llm is None:
            return ""
        try:
            completion = await self._service._llm.complete(prompt, temperature=0.8, max_tokens=400)
        except Exception as error:  # LLMUnavailable, or anything a client may raise
            logger.warning("draft failed: %s", error)
            return ""
        return completion.text.strip().strip('"“”「」').strip()

    async def _recollect(
        self, user_id: int, person: Person, now: datetime
    ) -> tuple[list[tuple[datetime, str]], list[str]]:
        """Recent memories and facts mentioning the person, from the user's private scope."""
        if self._service._memory is None:
            return [], []
        query = " ".join([person.name, *person.aliases])
        try:
            hits = await self._service._memory.search(
                user_id=user_id, chat_id=user_id, query=query, k=12, now=now
            )
            facts = await self._service._memory.search_facts(
                user_id=user_id, chat_id=user_id, query=query, k=5, now=now
            )
        except Exception:
            logger.exception("memory search for a draft failed")
            return [], []
        keys = [key.casefold() for key in (person.name, *person.aliases)]
        mentioning = [
            hit
            for hit in hits
            if hit.role == "user" and any(key in hit.text.casefold() for key in keys)
        ]
        mentioning.sort(key=lambda hit: hit.at, reverse=True)
        recent = [(hit.at, hit.text[:300]) for hit in mentioning[:_MEMORIES]]
        return recent, [fact.text for fact in facts if fact.is_active][:_MEMORIES]
