"""What the user sees: a person's card, the list, the lines of a confirmation, the digest."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.outbound import Button, Notice, Outgoing, Page
from bot.people.buttons import PersonId, Taps
from bot.people.calendar import age_on, next_occurrence
from bot.people.digest import DateItem, Digest, OverdueItem
from bot.people.format import (
    ago,
    cadence_words,
    date_words,
    day_words,
    in_days,
    md,
    person_label,
    short_day,
)
from bot.people.model import ImportantDate, Person, PersonCard
from bot.people.relations import canonical_relation
from bot.people.texts import KIND_ICONS, TEXTS

__all__ = [
    "PAGE_SIZE",
    "card_notice",
    "date_line",
    "digest_message",
    "kind_name",
    "list_notice",
    "next_of",
]

PAGE_SIZE = 20
_DIGEST_ROWS = 8
_CARD_NOTES = 6
_CARD_CONTACTS = 3


def kind_name(kind: str, label: str | None, lang: str) -> str:
    return label or TEXTS(f"kind_{kind}", lang)


def next_of(item: ImportantDate, today: date) -> tuple[date, int | None] | None:
    """The next occurrence of a date on or after today, and the age then (birthdays)."""
    found = next_occurrence(item.calendar, item.month, item.day, item.is_leap_month, today)
    if found is None:
        return None
    day, year = found
    return day, age_on(item.year, year) if item.kind == "birthday" else None


def date_line(item: ImportantDate, today: date, lang: str) -> str:
    """``🎂 Birthday: 14 Mar 1990 — next on Sat 14 Mar (in 106 days), turns 37``."""
    text = TEXTS(
        "line_date",
        lang,
        icon=KIND_ICONS.get(item.kind, "📅"),
        kind=md(kind_name(item.kind, item.label, lang)),
        date=date_words(item, lang),
    )
    found = next_of(item, today)
    if found is not None:
        day, age = found
        when = in_days((day - today).days, lang)
        text += TEXTS("line_date_next", lang, day=day_words(day, today, lang), when=when)
        if age is not None:
            text += TEXTS("line_turns", lang, age=age)
    return text


# -- the card ------------------------------------------------------------------------------


def card_notice(card: PersonCard, *, now: datetime, timezone: str, lang: str) -> Notice:
    """A person's card with Draft / Talked today / Edit / Delete."""
    zone = ZoneInfo(timezone)
    today = now.astimezone(zone).date()
    person = card.person
    lines = [f"👤 {person_label(person)}"]
    if person.aliases:
        lines.append(TEXTS("card_aliases", lang, aliases=md(", ".join(person.aliases))))
    if card.dates:
        lines += [date_line(item, today, lang) for item in card.dates]
    else:
        lines.append(TEXTS("card_no_dates", lang, name=person.name))
    lines += _contact_lines(person, now, today, zone, lang)
    if card.notes:
        lines.append(TEXTS("card_notes", lang))
        for note in card.notes[:_CARD_NOTES]:
            day = short_day(note.at.astimezone(zone).date(), lang)
            lines.append(TEXTS("card_note", lang, text=md(note.text), day=day))
        if len(card.notes) > _CARD_NOTES:
            lines.append(TEXTS("card_more_notes", lang, count=len(card.notes) - _CARD_NOTES))
    talks = [item for item in card.interactions if item.note][:_CARD_CONTACTS]
    if talks:
        lines.append(TEXTS("card_recent", lang))
        for item in talks:
            day = short_day(item.at.astimezone(zone).date(), lang)
            lines.append(TEXTS("card_contact", lang, day=day, what=md(item.note or "")))
    return Notice("\n".join(lines), card_buttons(person.id, lang))


def card_buttons(person_id: int, lang: str) -> tuple[tuple[Button, ...], ...]:
    person = PersonId(person_id)
    return (
        (
            Taps.DRAFT.button(TEXTS("button_draft", lang), person),
            Taps.MET.button(TEXTS("button_met_today", lang), person),
        ),
        (
            Taps.EDIT.button(TEXTS("button_edit", lang), person),
            Taps.DELETE.button(TEXTS("button_delete", lang), person),
        ),
    )


def _contact_lines(
    person: Person, now: datetime, today: date, zone: ZoneInfo, lang: str
) -> list[str]:
    lines = []
    if person.cadence_days:
        if person.snoozed_until and person.snoozed_until > now:
            day = day_words(person.snoozed_until.astimezone(zone).date(), today, lang)
            state = TEXTS("card_snoozed", lang, day=day)
        elif person.contact_due_at is not None:
            due = person.contact_due_at.astimezone(zone).date()
            key = "card_overdue" if due <= today else "card_next_nudge"
            state = TEXTS(key, lang, day=day_words(due, today, lang))
        else:
            state = ""
        lines.append(
            TEXTS(
                "card_cadence", lang, cadence=cadence_words(person.cadence_days, lang), state=state
            )
        )
    if person.last_contact_at is not None:
        when = ago(person.last_contact_at.astimezone(zone), now, lang, today=today)
        lines.append(TEXTS("card_last_contact", lang, when=when))
    else:
        lines.append(TEXTS("card_no_contact", lang))
    return lines


# -- the list ------------------------------------------------------------------------------


def list_notice(
    people: Sequence[Person],
    dates: Sequence[ImportantDate],
    *,
    now: datetime,
    timezone: str,
    lang: str,
    page: int = 0,
) -> Notice:
    """Everyone, with the next birthday and who is due for a call; a button per person."""
    if not people:
        return Notice(TEXTS("list_empty", lang))
    zone = ZoneInfo(timezone)
    today = now.astimezone(zone).date()
    by_person: dict[int, list[ImportantDate]] = {}
    for item in dates:
        by_person.setdefault(item.person_id, []).append(item)
    lines = [TEXTS("list_head", lang, count=len(people))]
    lines += _summary(people, by_person, now, today, lang)
    pages = max(1, -(-len(people) // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    shown = people[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    lines.append("")
    for person in shown:
        lines.append("• " + _list_line(person, by_person.get(person.id, []), now, today, lang))
    if pages > 1:
        lines.append(TEXTS("list_page", lang, page=page + 1, pages=pages))
    rows: list[tuple[Button, ...]] = []
    for start in range(0, len(shown), 2):
        pair = shown[start : start + 2]
        rows.append(tuple(Taps.CARD.button(p.name[:30], PersonId(p.id)) for p in pair))
    nav = []
    if page > 0:
        nav.append(Taps.PAGE.button(TEXTS("button_prev", lang), Page(page - 1)))
    if page < pages - 1:
        nav.append(Taps.PAGE.button(TEXTS("button_next", lang), Page(page + 1)))
    if nav:
        rows.append(tuple(nav))
    return Notice("\n".join(lines), tuple(rows))


def _summary(
    people: Sequence[Person],
    by_person: dict[int, list[ImportantDate]],
    now: datetime,
    today: date,
    lang: str,
) -> list[str]:
    lines = []
    upcoming = []
    for person in people:
        for item in by_person.get(person.id, []):
            if item.kind == "birthday" and (found := next_of(item, today)):
                upcoming.append((found[0], person))
    if upcoming:
        day, person = min(upcoming, key=lambda pair: (pair[0], pair[1].name))
        lines.append(
            TEXTS(
                "list_next_birthday",
                lang,
                who=person_label(person),
                day=day_words(day, today, lang),
                when=in_days((day - today).days, lang),
            )
        )
    due = [p for p in people if _is_due(p, now)]
    if due:
        due.sort(key=lambda p: p.contact_due_at or now)
        names = ", ".join(f"**{md(p.name)}**" for p in due[:8])
        if len(due) > 8:
            names += f" +{len(due) - 8}"
        lines.append(TEXTS("list_due", lang, names=names))
    return lines


def _is_due(person: Person, now: datetime) -> bool:
    if person.contact_due_at is None or person.contact_due_at > now:
        return False
    return person.snoozed_until is None or person.snoozed_until <= now


def _list_line(
    person: Person, dates: list[ImportantDate], now: datetime, today: date, lang: str
) -> str:
    parts = [person_label(person)]
    for item in dates[:2]:
        parts.append(f"{KIND_ICONS.get(item.kind, '📅')} {date_words(item, lang)}")
    if person.cadence_days:
        parts.append(f"📞 {cadence_words(person.cadence_days, lang)}")
        if _is_due(person, now) and person.contact_due_at is not None:
            days = (today - person.contact_due_at.date()).days
            parts.append(
                TEXTS("overdue_days", lang, days=days) if days > 0 else TEXTS("due_today", lang)
            )
    return " · ".join(parts)


# -- the digest ----------------------------------------------------------------------------


def digest_message(digest: Digest) -> Outgoing:
    """The digest as one message to the user's private chat, with a row of buttons per
    person: Draft / Done (and Snooze a week for stay-in-touch nudges)."""
    lang = digest.user.language
    lines = [TEXTS("digest_head", lang)]
    sections = (
        ("digest_today", digest.today_items),
        ("digest_upcoming", digest.ahead_items),
        ("digest_missed", digest.missed_items),
    )
    for title, items in sections:
        if items:
            lines += ["", TEXTS(title, lang)]
            for item in items:
                lines += _date_item_lines(item, digest, lang)
    if digest.overdue:
        lines += ["", TEXTS("digest_overdue", lang)]
        for overdue in digest.overdue[:_DIGEST_ROWS]:
            lines.append(_overdue_line(overdue, digest, lang))
        if len(digest.overdue) > _DIGEST_ROWS:
            lines.append(TEXTS("digest_more", lang, count=len(digest.overdue) - _DIGEST_ROWS))
    return Outgoing(
        chat_id=digest.user.user_id, text="\n".join(lines), buttons=_digest_buttons(digest, lang)
    )


def _who(name: str, relation: str | None) -> str:
    label = f"**{md(name)}**"
    if relation and canonical_relation(relation) != canonical_relation(name):
        label += f" ({md(relation)})"
    return label


def _date_item_lines(item: DateItem, digest: Digest, lang: str) -> list[str]:
    kind = md(kind_name(item.kind, item.label, lang)) + (
        TEXTS("digest_lunar", lang) if item.lunar else ""
    )
    who = _who(item.name, item.relation)
    day = day_words(item.occurs_on, digest.today, lang)
    if item.days == 0:
        age = TEXTS("digest_age_today", lang, age=item.age) if item.age is not None else ""
        lines = [TEXTS("digest_item_today", lang, who=who, kind=kind, age=age)]
    elif item.days > 0:
        age = TEXTS("digest_age", lang, age=item.age) if item.age is not None else ""
        when = in_days(item.days, lang)
        lines = [TEXTS("digest_item_ahead", lang, who=who, kind=kind, day=day, when=when, age=age)]
    else:
        lines = [TEXTS("digest_item_missed", lang, who=who, kind=kind, day=day)]
    if item.last_contact_at is not None:
        zone = ZoneInfo(digest.user.settings.timezone)
        when = ago(item.last_contact_at.astimezone(zone), digest.now, lang, today=digest.today)
        lines.append(TEXTS("digest_last_talked", lang, when=when))
    else:
        lines.append(TEXTS("digest_never_talked", lang))
    if item.gifts:
        lines.append(TEXTS("digest_gifts", lang, ideas="; ".join(md(g) for g in item.gifts)))
    return lines


def _overdue_line(item: OverdueItem, digest: Digest, lang: str) -> str:
    who = _who(item.name, item.relation)
    cadence = cadence_words(item.cadence_days, lang)
    if item.last_contact_at is None:
        return TEXTS("digest_overdue_never", lang, who=who, cadence=cadence)
    zone = ZoneInfo(digest.user.settings.timezone)
    when = ago(item.last_contact_at.astimezone(zone), digest.now, lang, today=digest.today)
    return TEXTS("digest_overdue_item", lang, who=who, when=when, cadence=cadence)


def _digest_buttons(digest: Digest, lang: str) -> tuple[tuple[Button, ...], ...]:
    rows: list[tuple[Button, ...]] = []
    seen: set[int] = set()
    entries: list[tuple[int, str, bool]] = [
        (item.person_id, item.name, False) for item in digest.dates
    ]
    entries += [(item.person_id, item.name, True) for item in digest.overdue[:_DIGEST_ROWS]]
    for person_id, name, overdue in entries:
        if person_id in seen or len(rows) >= _DIGEST_ROWS:
            continue
        seen.add(person_id)
        person = PersonId(person_id)
        row = [
            Taps.DRAFT.button(TEXTS("button_digest_draft", lang, name=name[:20]), person),
            Taps.DONE.button(TEXTS("button_digest_done", lang), person),
        ]
        if overdue:
            row.append(Taps.SNOOZE.button(TEXTS("button_digest_snooze", lang), person))
        rows.append(tuple(row))
    return tuple(rows)
