"""The people commands: /people, /person, /birthday, /note, /keepintouch, /met, /draft,
/digest, and editing a person by writing to Dazi (part of ``PeopleService``).

Arguments are read deterministically: the person is the longest known name, alias or relation
at the start (or everything before a colon), the rest is the note, the date or the cadence; a
possessive after the name goes ("Anna's husband likes golf" is a note on Anna: "husband likes
golf"), and a surname after a known first name ("Anna Smith" when only "Anna" is known) is
asked about: that person, or someone new. ``/met`` reads when it was from the words ("2 weeks
ago", "last Tuesday", "三天前": :mod:`bot.people.past`), never a day after today.
In a group every command answers with a privacy hint and a "Show it here" button that only the
person who asked can use.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from bot.outbound import DayTime, Nothing, Notice, Switch
from bot.people.buttons import LeadDays, PendingId, Taps
from bot.people.format import md
from bot.people.model import Actor, Person
from bot.people.parsing import CADENCE_OFF, find_cadence, find_date
from bot.people.past import find_past, without
from bot.people.relations import RELATION_WORDS, name_key
from bot.people.texts import TEXTS
from bot.people.views import card_notice, digest_message, list_notice

if TYPE_CHECKING:
    pass

if TYPE_CHECKING:
    from bot.people.service import PeopleService

__all__ = [
    "COMMAND_NAMES",
    "PeopleCommands",
    "Subject",
    "parse_edit",
    "read_subject",
    "split_subject",
]

COMMAND_NAMES = ("people", "person", "birthday", "note", "keepintouch", "met", "draft", "digest")
_EDIT_WINDOW = timedelta(minutes=15)
_HERE_LIFETIME = timedelta(hours=6)
_LEADING_MY = re.compile(r"^(?:my|our|我的|我们的|我家的?|我)\s*", re.IGNORECASE)
_BIRTHDAY_WORDS = re.compile(
    r"(?:'s|’s)?\s*(?:birthday|bday|b-day|is|on|的生日是?|生日是?|的生日|生日|是|在)\s*$",
    re.IGNORECASE,
)
_ALIAS_WORDS = r"alias(?:es)?|also|aka|nickname|别名|也叫|外号|昵称"
_EDIT_FIELDS: list[tuple[str, re.Pattern[str]]] = [
    ("rename", re.compile(r"^(?:name|rename|名字改?为?|改名为?|叫)\s*[:：]?\s*(.+)$", re.I)),
    ("relation", re.compile(r"^(?:relation(?:ship)?|关系)\s*[:：]?\s*(.+)$", re.I)),
    ("aliases", re.compile(rf"^(?:{_ALIAS_WORDS})\s*[:：]?\s*(.+)$", re.I)),
    ("birthday", re.compile(r"^(?:birthday|bday|生日)\s*[:：]?\s*(.+)$", re.I)),
    ("anniversary", re.compile(r"^(?:anniversary|纪念日)\s*[:：]?\s*(.+)$", re.I)),
    ("note", re.compile(r"^(?:note|备注|笔记|记下)\s*[:：]?\s*(.+)$", re.I)),
]  # fmt: skip


@dataclass(frozen=True, slots=True)
class Subject:
    """Whom a command's words are about, and the rest of the words.

    ``shorter`` is set when ``who`` is a fuller name than a known one it starts with ("Anna
    Smith" when only "Anna" is known): maybe the same person, maybe someone new, so ask."""

    who: str
    rest: str
    shorter: str | None = None


_COLON = re.compile(r"(?<!\d)[:：]|[:：](?!\d)")
_POSSESSIVE = re.compile(r"^(?:(?:'s|’s)\b|['’](?=\s|$)|的(?![确確]))\s*", re.IGNORECASE)
_OWNER = re.compile(r"^(?P<who>\S+?)(?:'s|’s|(?<=s)['’])$", re.IGNORECASE)
_ZH_OWNER = re.compile(r"^(?P<who>[\u4e00-\u9fff·]{1,6}?)的(?![确確])(?P<rest>.+)$")
#: Capitalised words that follow a name without being a surname.
_NOT_SURNAME_WORDS = """
    i i'm i've i'd i'll we he she they it his her their my our you your the a an and or but
    so is was are were has had have will would can could just also still got gets loves likes
    love like said says told called met texted visited new old today yesterday tonight last
    this next on at in for with from about lunch dinner breakfast coffee drinks monday tuesday
    wednesday thursday friday saturday sunday january february march april may june july august
    september october november december mom dad christmas easter thanksgiving birthday party
"""
_NOT_SURNAMES = frozenset(_NOT_SURNAME_WORDS.split())


def _surname_like(word: str) -> bool:
    """Whether a word after a first name reads as a surname ("Smith", "McDonald", "O'Neil")."""
    bare = re.sub(r"(?:'s|’s)$", "", word)
    letters = bare.replace("-", "").replace("'", "").replace("’", "")
    return (
        len(letters) >= 2
        and letters.isalpha()
        and bare[:1].isupper()
        and not letters.isupper()
        and bare.casefold() not in _NOT_SURNAMES
    )


def _after_name(rest: str) -> str:
    """The words after a name, without a possessive ("'s husband" -> "husband")."""
    return _POSSESSIVE.sub("", rest.strip(" ,，:：")).strip(" ,，:：")


def _fuller_name(who: str, rest: str) -> tuple[str, str] | None:
    """The name with a surname: "Anna" + "Smith's husband likes golf" -> "Anna Smith"."""
    head, _, tail = rest.partition(" ")
    if not _surname_like(head):
        return None
    owner = _OWNER.match(head)
    surname = owner["who"] if owner else head
    return f"{who} {surname}", _after_name(tail) if owner else tail.strip()


def read_subject(text: str, people: list[Person]) -> Subject:
    """Split "Anna loves orchids" / "妈妈喜欢兰花" / "Anna Schmidt: loves orchids" /
    "Anna's husband likes golf" / "安娜的丈夫喜欢高尔夫" into the person and the rest: the
    longest known name, alias or relation word at the start (a possessive after it goes), else
    the first word, or the first two when the second reads as a surname (``shorter`` then says
    which known first name they may be: "Carl Berg" when "Carl Jensen" is known)."""
    text = " ".join(text.split())
    if match := _COLON.search(text):
        who, rest = text[: match.start()].strip(), text[match.end() :].strip()
        if who:
            return Subject(who, rest)
    body = _LEADING_MY.sub("", text) if _LEADING_MY.match(text) else text
    lowered = body.casefold()
    names = {name_key(person.name) for person in people}
    names |= {name_key(alias) for person in people for alias in person.aliases}
    for key in sorted(names | set(RELATION_WORDS), key=len, reverse=True):
        if key and lowered.startswith(key):
            after = body[len(key) : len(key) + 1]
            if not after or not (after.isalnum() and key[-1:].isascii() and after.isascii()):
                who, rest = body[: len(key)], body[len(key) :]
                if key in names and " " not in key and after == " ":
                    fuller = _fuller_name(who, rest.strip())
                    if fuller is not None:
                        return Subject(fuller[0], fuller[1], shorter=who)
                return Subject(who, _after_name(rest))
    if " " not in text and (owned := _ZH_OWNER.match(text)):
        return Subject(owned["who"], owned["rest"].strip())
    head, _, rest = text.partition(" ")
    head = head.rstrip(",，")
    if owner := _OWNER.match(head):
        return Subject(owner["who"], _after_name(rest))
    fuller = _fuller_name(head, rest) if head[:1].isupper() else None
    if fuller is not None and fuller[1]:
        first = head.casefold()
        known = any(key.split()[0] == first for key in names if " " in key)
        return Subject(*fuller, shorter=head if known else None)
    return Subject(head, rest.strip())


def split_subject(text: str, people: list[Person]) -> tuple[str, str]:
    """The person and the rest (see :func:`read_subject`)."""
    subject = read_subject(text, people)
    return subject.who, subject.rest


def parse_edit(text: str) -> dict[str, Any] | None:
    """Read an edit ("relation sister", "别名 小安", "every 2 weeks", several lines at once)
    into operation fields; None when nothing there is an edit."""
    fields: dict[str, Any] = {}
    for line in re.split(r"[\n;；]+", text):
        line = line.strip()
        if line:
            _edit_line(line, fields)
    return fields or None


def _edit_line(line: str, fields: dict[str, Any]) -> None:
    for name, pattern in _EDIT_FIELDS:
        match = pattern.match(line)
        if not match:
            continue
        value = match[1].strip()
        if name in ("birthday", "anniversary"):
            found = find_date(value)
            if found:
                fields["date"] = _date_fields(found)
                fields["date_kind"] = name
            return
        if name == "aliases":
            fields["aliases"] = [a.strip() for a in re.split(r"[,，、/]", value) if a.strip()]
        elif name == "relation":
            fields["relation"], fields["force_relation"] = value, True
        else:
            fields[name] = value
        return
    cadence = find_cadence(line)
    if cadence is not None and (cadence[0] != CADENCE_OFF or len(line) <= 12):
        fields["cadence"] = cadence[0]


def _date_fields(found: Any) -> dict[str, Any]:
    data = asdict(found)
    return {key: data[key] for key in ("month", "day", "year", "calendar", "is_leap_month")}


class PeopleCommands:
    """The commands (a collaborator of PeopleService)."""

    def __init__(self, service: PeopleService) -> None:
        self._service = service
        #: What each command does, by its name.
        self._commands: dict[str, Callable[[Actor, str, str], Awaitable[Notice]]] = {
            "people": self._cmd_people,
            "person": self._cmd_person,
            "draft": self._cmd_draft,
            "birthday": self._cmd_birthday,
            "note": self._cmd_note,
            "keepintouch": self._cmd_keepintouch,
            "met": self._cmd_met,
            "digest": self._cmd_digest,
        }

    # -- dispatch --------------------------------------------------------------------------

    async def command(self, actor: Actor, name: str, text: str, *, here: bool = False) -> Notice:
        """Run ``/<name> <text>`` for the actor; in a group only with ``here`` (the user asked
        to show it there), else a privacy hint with a button."""
        user = await self._service._user(actor.user_id)
        lang = self._service._lang(user, text)
        if actor.kind.is_group and not here:
            return await self._private_hint(actor, name, text, lang)
        await self._service._schedule(user, actor.user_id)
        handler = self._commands[name]
        return await handler(actor, text.strip(), lang)

    async def _private_hint(self, actor: Actor, name: str, text: str, lang: str) -> Notice:
        pending_id = (
            await self._service.repo.drafts.add(
                user_id=actor.user_id,
                chat_id=actor.chat_id,
                kind="here",
                payload={"command": name, "text": text},
                now=self._service._clock.now(),
                lifetime=_HERE_LIFETIME,
            )
        ).id
        return Notice(
            TEXTS("private_only", lang),
            ((Taps.HERE.button(TEXTS("button_show_here", lang), PendingId(pending_id)),),),
        )

    async def _remember(self, actor: Actor, lang: str, **op: Any) -> Notice:
        notice, _ = await self._service.perform(actor, {"kind": "remember", "lang": lang, **op})
        return notice

    # -- the commands ----------------------------------------------------------------------

    async def _cmd_people(self, actor: Actor, text: str, lang: str) -> Notice:
        page = int(text) - 1 if text.isdigit() else 0
        return await self.people_view(actor, page=page, lang=lang)

    async def people_view(self, actor: Actor, *, page: int = 0, lang: str | None = None) -> Notice:
        """Everyone, the next birthday, who is due for a call; a button per person."""
        user = await self._service._user(actor.user_id)
        people = await self._service.repo.for_user(actor.user_id)
        dates = await self._service.repo.dates_for_user(actor.user_id)
        return list_notice(
            people,
            dates,
            now=self._service._clock.now(),
            timezone=self._service._zone(user),
            lang=lang or self._service._lang(user),
            page=page,
        )

    async def card_view(self, actor: Actor, person: Person, *, lang: str | None = None) -> Notice:
        user = await self._service._user(actor.user_id)
        return card_notice(
            await self._service.repo.card(person),
            now=self._service._clock.now(),
            timezone=self._service._zone(user),
            lang=lang or self._service._lang(user),
        )

    async def _cmd_person(self, actor: Actor, text: str, lang: str) -> Notice:
        if not text:
            return Notice(TEXTS("usage_person", lang))
        notice, _ = await self._service.perform(actor, {"kind": "show", "name": text, "lang": lang})
        return notice

    async def _cmd_draft(self, actor: Actor, text: str, lang: str) -> Notice:
        if not text:
            return Notice(TEXTS("usage_draft", lang))
        notice, _ = await self._service.perform(
            actor, {"kind": "draft", "name": text, "lang": lang}
        )
        return notice

    async def _cmd_birthday(self, actor: Actor, text: str, lang: str) -> Notice:
        if not text:
            return Notice(TEXTS("usage_birthday", lang))
        found = find_date(text)
        who = _BIRTHDAY_WORDS.sub(
            "", (text[: found.start] + " " + text[found.end :]) if found else ""
        )
        who = " ".join(who.split()).strip(" ,，:：-")
        if found is None:
            return Notice(
                TEXTS("bad_date", lang, text=md(text[:80])) + "\n\n" + TEXTS("usage_birthday", lang)
            )
        if not who:
            return Notice(TEXTS("usage_birthday", lang))
        return await self._remember(
            actor, lang, name=who, date=_date_fields(found), date_kind="birthday"
        )

    async def _cmd_note(self, actor: Actor, text: str, lang: str) -> Notice:
        subject = read_subject(text, await self._service.repo.for_user(actor.user_id))
        if not subject.who or not subject.rest:
            return Notice(TEXTS("usage_note", lang))
        return await self._remember_about(actor, subject, lang, note=subject.rest[:1000])

    async def _remember_about(self, actor: Actor, subject: Subject, lang: str, **op: Any) -> Notice:
        """Remember something about the subject; when it is a fuller name than a known person
        ("Anna Smith", only "Anna" known), ask: that person, or someone new."""
        if subject.shorter:
            _, found = await self._service.candidates(actor.user_id, subject.shorter)
            if found:
                return await self._service._ask_which(
                    actor, found, {"kind": "remember", "name": subject.who, "lang": lang, **op}
                )
        return await self._remember(actor, lang, name=subject.who, **op)

    async def _cmd_keepintouch(self, actor: Actor, text: str, lang: str) -> Notice:
        if not text:
            return Notice(TEXTS("usage_keepintouch", lang))
        found = find_cadence(text)
        if found is None:
            return Notice(
                TEXTS("bad_cadence", lang, text=md(text[:80]))
                + "\n\n"
                + TEXTS("usage_keepintouch", lang)
            )
        days, start, end = found
        who = " ".join((text[:start] + " " + text[end:]).split()).strip(" ,，:：-")
        if not who:
            return Notice(TEXTS("usage_keepintouch", lang))
        return await self._remember(actor, lang, name=who, cadence=days)

    async def _cmd_met(self, actor: Actor, text: str, lang: str) -> Notice:
        subject = read_subject(text, await self._service.repo.for_user(actor.user_id))
        if not subject.who:
            return Notice(TEXTS("usage_met", lang))
        user = await self._service._user(actor.user_id)
        at, note = self.contact_time(subject.rest, self._service._zone(user))
        met = {"at": at.isoformat(), "note": note, "source": "command"}
        return await self._remember_about(actor, subject, lang, met=met)

    def contact_time(self, words: str, timezone: str) -> tuple[datetime, str]:
        """When a contact happened, from words like "yesterday", "2 weeks ago", "last
        Tuesday", "三天前", "上周二" (see :mod:`bot.people.past`), and the words left over.
        Today (or no such words): now. Another day: noon local time that day. Never later
        than now."""
        now: datetime = self._service._clock.now()
        zone = ZoneInfo(timezone)
        today = now.astimezone(zone).date()
        found = find_past(words, today) if words else None
        if found is None:
            return now, words.strip()
        rest = without(words, found.start, found.end)
        if found.day >= today:
            return now, rest
        noon = datetime.combine(found.day, time(12), tzinfo=zone).astimezone(UTC)
        return min(noon, now), rest

    # -- /digest -----------------------------------------------------------------------------

    async def _cmd_digest(self, actor: Actor, text: str, lang: str) -> Notice:
        if text:
            changes = _digest_changes(text)
            if changes is None:
                return Notice(TEXTS("digest_bad", lang))
            if changes == {"preview": True}:
                return await self.digest_preview(actor, lang=lang)
            await self.update_digest(actor, **changes)
        return await self.digest_view(actor, lang=lang)

    async def update_digest(self, actor: Actor, **changes: Any) -> None:
        """Store digest settings (time, days ahead, on/off) and move the schedule."""
        await self._service._users.update_settings(actor.user_id, **changes)
        user = await self._service._user(actor.user_id)
        await self._service._schedule(user, actor.user_id, force=True)

    async def digest_view(self, actor: Actor, *, lang: str | None = None) -> Notice:
        user = await self._service._user(actor.user_id)
        lang = lang or self._service._lang(user)
        settings = self._service.settings(user)
        text = TEXTS(
            "digest_settings",
            lang,
            state=TEXTS("on" if settings.enabled else "off", lang),
            time=f"{settings.at:%H:%M}",
            zone=settings.timezone,
            lead=settings.lead_days,
        )
        times = tuple(
            Taps.DIGEST_TIME.button(
                ("✓ " if choice == settings.at else "") + f"{choice:%H:%M}", DayTime.of(choice)
            )
            for choice in (time(7), time(8), time(9), time(10), time(20))
        )
        leads = tuple(
            Taps.DIGEST_LEAD.button(
                ("✓ " if days == settings.lead_days else "")
                + TEXTS("button_lead", lang, days=days),
                LeadDays(days),
            )
            for days in (1, 3, 7)
        )
        toggle = Taps.DIGEST_ON_OFF.button(
            TEXTS("button_digest_off" if settings.enabled else "button_digest_on", lang),
            Switch(on=not settings.enabled),
        )
        preview = Taps.DIGEST_PREVIEW.button(TEXTS("button_preview", lang), Nothing())
        return Notice(text, (times, leads, (toggle, preview)))

    async def digest_preview(self, actor: Actor, *, lang: str | None = None) -> Notice:
        """Today's digest as it stands (nothing is marked as announced)."""
        user = await self._service._user(actor.user_id)
        digest = await self._service.runner.preview(self._service.digest_user(user, actor.user_id))
        if not digest.dates and not digest.overdue:
            return Notice(TEXTS("digest_nothing", lang or digest.user.language))
        message = digest_message(digest)
        return Notice(message.text, message.buttons)

    # -- editing by writing ----------------------------------------------------------------

    def start_editing(self, actor: Actor, person_id: int) -> None:
        until = self._service._clock.now() + _EDIT_WINDOW
        self._service._editing[(actor.chat_id, actor.user_id)] = (person_id, until)

    def editing(self, chat_id: int, user_id: int, text: str = "") -> bool:
        """Whether the user's next message in the chat edits a person (and reads as an edit,
        or is /cancel); other messages go on to the conversation."""
        entry = self._service._editing.get((chat_id, user_id))
        if entry is None:
            return False
        if entry[1] < self._service._clock.now():
            self._service._editing.pop((chat_id, user_id), None)
            return False
        return text.strip().startswith("/cancel") or parse_edit(text) is not None

    async def apply_edit(self, actor: Actor, text: str) -> Notice:
        """Apply an edit the user wrote to the person being edited."""
        user = await self._service._user(actor.user_id)
        lang = self._service._lang(user, text)
        entry = self._service._editing.get((actor.chat_id, actor.user_id))
        if text.strip().startswith("/cancel"):
            self._service._editing.pop((actor.chat_id, actor.user_id), None)
            return Notice(TEXTS("edit_done", lang))
        fields = parse_edit(text)
        person = await self._service.repo.get(actor.user_id, entry[0]) if entry else None
        if person is None:
            self._service._editing.pop((actor.chat_id, actor.user_id), None)
            return Notice(TEXTS("gone", lang))
        if fields is None:
            return Notice(TEXTS("edit_unknown", lang))
        self.start_editing(actor, person.id)
        notice, _ = await self._service.apply(
            actor, person, {"kind": "remember", "name": person.name, "lang": lang, **fields}
        )
        return notice


def _digest_changes(text: str) -> dict[str, Any] | None:
    """``/digest 8:30`` / ``/digest 5 days`` / ``/digest off`` / ``/digest now``."""
    words = text.strip().casefold()
    if words in ("now", "today", "preview", "现在", "今天", "预览"):
        return {"preview": True}
    if words in ("off", "stop", "关闭", "关", "停止"):
        return {"people_digest": False}
    if words in ("on", "start", "开启", "开", "打开"):
        return {"people_digest": True}
    if match := re.fullmatch(
        r"(?:at\s+)?(\d{1,2})(?:[:.h](\d{2}))?\s*(am|pm)?|(\d{1,2})点(?:(\d{1,2})分?|半)?", words
    ):
        hour = int(match[1] or match[4])
        minute = int(match[2] or match[5] or (30 if words.endswith("半") else 0))
        if match[3] == "pm" and hour < 12:
            hour += 12
        if match[3] == "am" and hour == 12:
            hour = 0
        if hour < 24 and minute < 60:
            return {"people_digest_time": f"{hour:02d}:{minute:02d}"}
        return None
    if match := re.fullmatch(r"(?:提前)?\s*(\d{1,2})\s*(?:days?|d|天)(?:\s*ahead|前)?", words):
        days = int(match[1])
        return {"people_lead_days": days} if 0 <= days <= 30 else None
    return None
