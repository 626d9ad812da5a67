"""One person's (or one group's) data across every feature: export it, forget it, move it.

Each feature that stores data about people is a *data owner*: it implements :class:`DataOwner`
and is registered once in the composition root (:func:`bot.app.build_services`)::

    account.register("memory", MemoryData(memory))
    account.register("reminders", ReminderData(reminders))
    account.register("people", people)          # the people service, once it exists

The scope is always given as ``user_id`` and ``chat_id``, exactly like the memory store:

* a **private account**: ``chat_id == user_id``. The owner covers everything it keeps about
  that user.
* a **group**: ``chat_id`` is the group's id and ``user_id`` the member acting (an admin). The
  owner covers what it keeps for the group, never any member's private data.

:meth:`bot.chats.ChatKind.of_scope` tells the two apart (never the sign of an id).

An owner's :meth:`DataOwner.export` returns a dict (its keys go to the top level of the export
document, so name them plainly: ``"people"``, ``"relationships"``) or a list (stored under the
name it was registered with). Two owners may not use the same key. :meth:`DataOwner.forget_all`
deletes everything of the scope from every table and index the owner has and returns how many
records went; :meth:`DataOwner.migrate_chat` moves a group's data to its new supergroup id and
must be idempotent (Telegram announces an upgrade twice, once in each chat).

The core rows are handled here: the ``users`` row (language, time zone, settings) and the private
``chats`` row for a private forget-all, the group's ``chats`` row for a group.

**Forgetting a topic.** An owner whose records hold words may also implement
:class:`TopicOwner`: :meth:`~TopicOwner.preview_topic` says which of the scope's records mention
a topic (ids by kind, a few examples, and, as a separate explicit choice, ``optional`` records
such as the person the topic names), and :meth:`~TopicOwner.forget_topic_items` deletes exactly
those ids, ignoring any outside the scope. :meth:`AccountService.preview_topic` gathers every
owner's matches into one :class:`TopicPreview`, kept by the caller until the user confirms, and
:meth:`AccountService.forget_topic` deletes what it holds. Owners match words with
:class:`TopicMatcher` (the memory tokenizer: English words and Chinese segmentation), so "吉他"
is found inside "下个月开始上吉他课".
"""

from __future__ import annotations

import asyncio
import logging
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from bot.chats import ChatKind
from bot.clock import Clock
from bot.memory import MemoryStore
from bot.memory.text import is_cjk, tokenize, unique_terms
from bot.reminders import ReminderService
from bot.storage import (
    ChatRecord,
    ChatRepository,
    Database,
    UserRecord,
    UserRepository,
    from_db_time,
    tg_message_ids,
)

__all__ = [
    "EXPORT_FORMAT",
    "AccountService",
    "DataOwner",
    "ForgetReport",
    "MemoryData",
    "ReminderData",
    "TopicExample",
    "TopicMatcher",
    "TopicMatches",
    "TopicOwner",
    "TopicPreview",
    "payload_strings",
]

logger = logging.getLogger(__name__)

EXPORT_FORMAT = "dazi-export"
EXPORT_VERSION = 1
#: Keys of the export document that no owner may use.
_RESERVED = frozenset({"format", "version", "exported_at", "scope", "user", "chat", "settings"})


class DataOwner(Protocol):
    """A feature that keeps data about users or groups (see the module docstring)."""

    async def export(self, *, user_id: int, chat_id: int) -> dict[str, Any] | list[Any]: ...

    async def forget_all(self, *, user_id: int, chat_id: int) -> int: ...

    async def migrate_chat(self, old_chat_id: int, new_chat_id: int) -> int: ...


@dataclass(frozen=True, slots=True)
class TopicExample:
    """One record shown in a topic preview: its words, and when (a message's time, a
    reminder's next time), if that helps to recognise it."""

    text: str
    at: datetime | None = None


@dataclass(frozen=True, slots=True)
class TopicMatches:
    """What one owner holds about a topic, by kind of record (``"messages"``, ``"reminders"``).

    ``items`` go when the user confirms; ``optional`` only when the user explicitly chooses
    them too (the person a topic names: deleting them takes their dates and notes).
    """

    items: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    optional: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    examples: Mapping[str, tuple[TopicExample, ...]] = field(default_factory=dict)

    @property
    def is_empty(self) -> bool:
        return not any(self.items.values()) and not any(self.optional.values())


@runtime_checkable
class TopicOwner(Protocol):
    """A data owner that can find and forget the records mentioning a topic."""

    async def preview_topic(
        self, *, user_id: int, chat_id: int, topic: str, now: datetime
    ) -> TopicMatches: ...

    async def forget_topic_items(
        self, *, user_id: int, chat_id: int, items: Mapping[str, Sequence[int]]
    ) -> dict[str, int]: ...


@dataclass(frozen=True, slots=True)
class TopicPreview:
    """Everything a topic forget would delete, across owners, for one scope."""

    topic: str
    user_id: int
    chat_id: int
    #: Owner name -> its matches (owners with nothing are left out).
    matches: Mapping[str, TopicMatches] = field(default_factory=dict)

    def counts(self, *, optional: bool = False) -> dict[str, int]:
        """How many records of each kind go (``optional``: the explicit choice's instead)."""
        counts: dict[str, int] = {}
        for found in self.matches.values():
            for kind, ids in (found.optional if optional else found.items).items():
                if ids:
                    counts[kind] = counts.get(kind, 0) + len(ids)
        return counts

    def examples(self, kind: str) -> tuple[TopicExample, ...]:
        return tuple(
            example for found in self.matches.values() for example in found.examples.get(kind, ())
        )

    @property
    def has_items(self) -> bool:
        return bool(self.counts())

    @property
    def has_optional(self) -> bool:
        return bool(self.counts(optional=True))

    @property
    def is_empty(self) -> bool:
        return not self.has_items and not self.has_optional


class TopicMatcher:
    """Whether a text mentions a topic: every word of the topic (stop words aside) is in it.

    Words come from the memory tokenizer, so Chinese is segmented ("吉他" is a word of
    "我想学吉他"), and a Chinese word also matches as a plain substring (segmentation differs
    between phrasings). English words are compared after a light suffix folding, so "guitars"
    and "guitar", "lessons" and "lesson" match. Stricter than memory's ranked search on purpose:
    a reminder or a note goes only when it names the whole topic.
    """

    def __init__(self, topic: str) -> None:
        terms = unique_terms(tokenize(topic))  # a topic of stop words alone matches nothing
        self.terms = tuple(terms)
        self._folded = tuple(_fold(term) for term in terms)

    def __bool__(self) -> bool:
        return bool(self.terms)

    def matches(self, text: str | None) -> bool:
        if not self.terms or not text:
            return False
        words = {_fold(word) for word in tokenize(text, keep_stop_words=True)}
        flat = unicodedata.normalize("NFKC", text).casefold()
        return all(
            folded in words or (is_cjk(term[0]) and term in flat)
            for term, folded in zip(self.terms, self._folded, strict=True)
        )

    def matches_any(self, texts: Iterable[str | None]) -> bool:
        return any(self.matches(text) for text in texts)


_DOUBLED = re.compile(r"([b-df-hj-km-np-rtv-y])\1$")


def _fold(word: str) -> str:
    """A light English suffix folding (plural, -ing, -ed, final e), the same on both sides."""
    if not word.isascii() or not word.isalpha() or len(word) <= 3:
        return word
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("s") and not word.endswith("ss"):
        word = word[:-1]
    for suffix in ("ing", "ed"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = _DOUBLED.sub(r"\1", word[: -len(suffix)])
            break
    if word.endswith("e") and len(word) > 3:
        word = word[:-1]
    return word


def payload_strings(value: Any, keys: frozenset[str] | None = None) -> Iterable[str]:
    """The strings inside a JSON-like value (a pending button's payload): all of them, or only
    those stored under one of ``keys`` at any depth."""
    if isinstance(value, str):
        if keys is None:
            yield value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            if keys is not None and key in keys and isinstance(item, str):
                yield item
            else:
                yield from payload_strings(item, keys)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from payload_strings(item, keys)


@dataclass(frozen=True, slots=True)
class ForgetReport:
    """How many records each owner deleted (``core`` counts the users/chats rows)."""

    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


class MemoryData:
    """The memory store as a data owner: messages and facts of the scope.

    A private scope also covers the user's own words in groups: they are exported (as
    ``group_messages``) and erased by a private forget-all, with the group facts drawn from them
    and Dazi's group messages that answered or quoted them.
    """

    #: Preview examples of each kind.
    EXAMPLES = 2

    def __init__(self, memory: MemoryStore) -> None:
        self._memory = memory

    async def export(self, *, user_id: int, chat_id: int) -> dict[str, Any]:
        data = await self._memory.export(user_id=user_id, chat_id=chat_id)
        document = {
            "messages": data["messages"],
            "facts": data["facts"],
            "media": data["media"],
            "summaries": data["summaries"],
        }
        if not ChatKind.of_scope(user_id=user_id, chat_id=chat_id).is_group:
            # The user's words outside their own memory: in groups.
            rows = await self._memory.database.fetchall(
                "SELECT id, chat_id, role, speaker, text, tg_message_id, tg_part_ids,"
                " reply_to_tg_id, thread, at"
                " FROM messages WHERE user_id = ? AND scope_id <> ? ORDER BY id",
                (user_id, user_id),
            )
            document["group_messages"] = [_exported_group_message(row) for row in rows]
            media = await self._memory.database.fetchall(
                "SELECT m.message_id, m.kind, m.file_id, m.duration, m.file_name, m.part,"
                " COALESCE(NULLIF(m.content, ''), s.text) AS content FROM memory_media AS m"
                " JOIN messages AS s ON s.id = m.message_id"
                " WHERE s.user_id = ? AND s.scope_id <> ? ORDER BY m.message_id",
                (user_id, user_id),
            )
            document["group_media"] = [
                {key: value for key, value in dict(row).items() if value is not None}
                for row in media
            ]
        return document

    async def forget_all(self, *, user_id: int, chat_id: int) -> int:
        count = await self._memory.forget_all(user_id=user_id, chat_id=chat_id)
        if ChatKind.of_scope(user_id=user_id, chat_id=chat_id).is_group:
            return count
        for group, message_ids in (await self._words_in_groups(user_id)).items():
            quoting = await self._answers_quoting(group, message_ids)
            fact_ids = await self._facts_citing(user_id, group, [*message_ids, *quoting])
            count += await self._memory.forget_items(
                user_id=user_id,
                chat_id=group,
                message_ids=[*message_ids, *quoting],
                fact_ids=fact_ids,
            )
        return count

    async def migrate_chat(self, old_chat_id: int, new_chat_id: int) -> int:
        return await self._memory.migrate_chat(old_chat_id, new_chat_id)

    async def preview_topic(
        self, *, user_id: int, chat_id: int, topic: str, now: datetime
    ) -> TopicMatches:
        preview = await self._memory.preview_forget_topic(
            user_id=user_id, chat_id=chat_id, topic=topic, now=now
        )
        return TopicMatches(
            items={
                "messages": preview.message_ids,
                "facts": preview.fact_ids,
                "summaries": preview.summary_ids,
            },
            examples={
                "facts": tuple(TopicExample(f.text) for f in preview.facts[: self.EXAMPLES]),
                "messages": tuple(
                    TopicExample(hit.text, hit.at)
                    for hit in preview.sample_messages[: self.EXAMPLES]
                ),
            },
        )

    async def forget_topic_items(
        self, *, user_id: int, chat_id: int, items: Mapping[str, Sequence[int]]
    ) -> dict[str, int]:
        message_ids = list(items.get("messages", ()))
        fact_ids = list(items.get("facts", ()))
        present = await self._memory.get_messages(
            user_id=user_id, chat_id=chat_id, message_ids=message_ids
        )
        total = await self._memory.forget_items(
            user_id=user_id,
            chat_id=chat_id,
            message_ids=message_ids,
            fact_ids=fact_ids,
            summary_ids=list(items.get("summaries", ())),
        )
        return {"messages": len(present), "facts": max(0, total - len(present))}

    async def _words_in_groups(self, user_id: int) -> dict[int, list[int]]:
        """The user's own messages in group memories (any but their own), by group."""
        rows = await self._memory.database.fetchall(
            "SELECT scope_id, id FROM messages WHERE user_id = ? AND scope_id <> ? ORDER BY id",
            (user_id, user_id),
        )
        groups: dict[int, list[int]] = {}
        for row in rows:
            groups.setdefault(row["scope_id"], []).append(row["id"])
        return groups

    async def _answers_quoting(self, group: int, message_ids: list[int]) -> list[int]:
        """Dazi's own messages in the group that carry the user's words: its answers to them
        (which restate the question) and any that repeat one of their messages word for word.
        They go with the words, as the user was promised."""
        if not message_ids:
            return []
        marks = ",".join("?" * len(message_ids))
        words = await self._memory.database.fetchall(
            f"SELECT tg_message_id, text FROM messages WHERE id IN ({marks})", message_ids
        )
        asked = {row["tg_message_id"] for row in words if row["tg_message_id"] is not None}
        quotable = [" ".join(row["text"].split()) for row in words if len(row["text"].strip()) >= 8]
        answers = await self._memory.database.fetchall(
            "SELECT id, text, reply_to_tg_id FROM messages"
            " WHERE scope_id = ? AND role = 'assistant' ORDER BY id",
            (group,),
        )
        return [
            row["id"]
            for row in answers
            if row["reply_to_tg_id"] in asked
            or any(quote in " ".join(row["text"].split()) for quote in quotable)
        ]

    async def _facts_citing(self, user_id: int, group: int, message_ids: list[int]) -> list[int]:
        """The group's facts drawn from any of these messages (they go with them)."""
        wanted = set(message_ids)
        facts, _ = await self._memory.list_facts(
            user_id=user_id, chat_id=group, limit=1 << 31, include_superseded=True
        )
        return [fact.id for fact in facts if wanted.intersection(fact.source_message_ids)]


class ReminderData:
    """The reminders as a data owner: a user's reminders (also those they set in groups), or a
    group's reminders, with pending offers."""

    #: Only these payload fields of a pending offer hold the user's words.
    _WORDS = frozenset({"text"})

    def __init__(self, reminders: ReminderService) -> None:
        self._reminders = reminders

    async def export(self, *, user_id: int, chat_id: int) -> dict[str, Any]:
        data = await self._reminders.export(user_id=user_id, chat_id=chat_id)
        return {"reminders": data["reminders"], "pending_reminders": data["pending"]}

    async def forget_all(self, *, user_id: int, chat_id: int) -> int:
        return await self._reminders.forget_all(user_id=user_id, chat_id=chat_id)

    async def migrate_chat(self, old_chat_id: int, new_chat_id: int) -> int:
        return await self._reminders.migrate_chat(old_chat_id, new_chat_id)

    async def preview_topic(
        self, *, user_id: int, chat_id: int, topic: str, now: datetime
    ) -> TopicMatches:
        matcher = TopicMatcher(topic)
        if not matcher:
            return TopicMatches()
        repo = self._reminders.repo
        group = ChatKind.of_scope(user_id=user_id, chat_id=chat_id).is_group
        reminders = await (repo.for_chat(chat_id) if group else repo.for_user(user_id))
        drafts = await (repo.drafts.for_chat(chat_id) if group else repo.drafts.for_user(user_id))
        found = [reminder for reminder in reminders if matcher.matches(reminder.text)]
        offers = [
            (draft, [text for text in payload_strings(draft.payload, self._WORDS)])
            for draft in drafts
        ]
        pending = [(draft, texts) for draft, texts in offers if matcher.matches_any(texts)]
        return TopicMatches(
            items={
                "reminders": tuple(reminder.id for reminder in found),
                "reminder_drafts": tuple(draft.id for draft, _ in pending),
            },
            examples={
                "reminders": tuple(TopicExample(r.text, r.due_at) for r in found[:2]),
                "reminder_drafts": tuple(
                    TopicExample(next(t for t in texts if matcher.matches(t)))
                    for _, texts in pending[:2]
                ),
            },
        )

    async def forget_topic_items(
        self, *, user_id: int, chat_id: int, items: Mapping[str, Sequence[int]]
    ) -> dict[str, int]:
        reminders, drafts = await self._reminders.forget_items(
            user_id=user_id,
            chat_id=chat_id,
            reminder_ids=items.get("reminders", ()),
            draft_ids=items.get("reminder_drafts", ()),
        )
        return {"reminders": reminders, "reminder_drafts": drafts}


class AccountService:
    """Gathers, erases and moves the data of one user or one group across every owner."""

    def __init__(
        self,
        *,
        users: UserRepository,
        chats: ChatRepository,
        clock: Clock,
        db: Database | None = None,
    ) -> None:
        self._users = users
        self._chats = chats
        self._clock = clock
        self._db = db
        self._owners: dict[str, DataOwner] = {}
        self._migrations = asyncio.Lock()

    def register(self, name: str, owner: DataOwner) -> None:
        """Add a data owner; ``name`` labels its counts and a list-valued export."""
        if name in self._owners or name in _RESERVED or name == "core":
            raise ValueError(f"data owner {name!r} is already registered or reserved")
        self._owners[name] = owner

    @property
    def owners(self) -> Sequence[str]:
        return tuple(self._owners)

    async def export(self, *, user_id: int, chat_id: int) -> dict[str, Any]:
        """Everything stored about the user (private) or the group, as one JSON-ready dict."""
        now = self._clock.now()
        group = ChatKind.of_scope(user_id=user_id, chat_id=chat_id).is_group
        document: dict[str, Any] = {
            "format": EXPORT_FORMAT,
            "version": EXPORT_VERSION,
            "exported_at": now.isoformat(),
            "scope": {"kind": "group" if group else "user", "id": chat_id if group else user_id},
        }
        chat = await self._chats.get(chat_id if group else user_id)
        if group:
            document["chat"] = _chat_row(chat) if chat else None
            document["settings"] = dict(chat.settings) if chat else {}
        else:
            user = await self._users.get(user_id)
            document["user"] = _user_row(user) if user else None
            document["chat"] = _chat_row(chat) if chat else None  # the private chat
            document["settings"] = _user_settings(user)
        for name, owner in self._owners.items():
            part = await owner.export(user_id=user_id, chat_id=chat_id)
            _merge(document, name, part)
        return document

    async def counts(self, *, user_id: int, chat_id: int) -> dict[str, int]:
        """How many records of each kind are stored (the lists of the export), for a preview."""
        document = await self.export(user_id=user_id, chat_id=chat_id)
        return {
            key: len(value)
            for key, value in document.items()
            if isinstance(value, list) and key not in _RESERVED
        }

    async def forget_all(self, *, user_id: int, chat_id: int) -> ForgetReport:
        """Delete everything of the scope from every owner, then the core rows."""
        counts: dict[str, int] = {}
        for name, owner in self._owners.items():
            counts[name] = await owner.forget_all(user_id=user_id, chat_id=chat_id)
        core = 0
        kind = ChatKind.of_scope(user_id=user_id, chat_id=chat_id)
        if kind.is_group:
            if await self._chats.get(chat_id) is not None:
                await self._chats.delete(chat_id)
                core += 1
        else:
            for exists, delete in (
                (await self._users.get(user_id), self._users.delete),
                (await self._chats.get(user_id), self._chats.delete),
            ):
                if exists is not None:
                    await delete(user_id)
                    core += 1
        counts["core"] = core
        await self._erase_from_disk()
        logger.info(
            "forgot everything of scope %s: %s", chat_id if kind.is_group else "user", counts
        )
        return ForgetReport(counts)

    async def _erase_from_disk(self) -> None:
        """Deleted rows can survive in the write-ahead log until a checkpoint: force one."""
        if self._db is not None:
            await self._db.checkpoint()

    async def preview_topic(self, *, user_id: int, chat_id: int, topic: str) -> TopicPreview:
        """What forgetting a topic would delete from every owner that keeps words (memory,
        reminders, people...); nothing is deleted yet. Keep it, show it, and on confirmation
        pass it to :meth:`forget_topic`."""
        now = self._clock.now()
        matches: dict[str, TopicMatches] = {}
        for name, owner in self._owners.items():
            if isinstance(owner, TopicOwner):
                found = await owner.preview_topic(
                    user_id=user_id, chat_id=chat_id, topic=topic, now=now
                )
                if not found.is_empty:
                    matches[name] = found
        return TopicPreview(topic=topic, user_id=user_id, chat_id=chat_id, matches=matches)

    async def forget_topic(
        self, preview: TopicPreview, *, user_id: int, chat_id: int, include_optional: bool = False
    ) -> dict[str, int]:
        """Delete exactly the records of the preview (its ``optional`` ones too only when the
        user chose so); return how many of each kind went. The preview must be of this scope,
        and each owner ignores ids outside it."""
        if (preview.user_id, preview.chat_id) != (user_id, chat_id):
            raise ValueError("the preview belongs to another scope")
        counts: dict[str, int] = {}
        for name, found in preview.matches.items():
            owner = self._owners.get(name)
            if not isinstance(owner, TopicOwner):
                continue
            items = {kind: tuple(ids) for kind, ids in found.items.items() if ids}
            if include_optional:
                for kind, ids in found.optional.items():
                    if ids:
                        items[kind] = items.get(kind, ()) + tuple(ids)
            if not items:
                continue
            done = await owner.forget_topic_items(user_id=user_id, chat_id=chat_id, items=items)
            for kind, count in done.items():
                counts[kind] = counts.get(kind, 0) + count
        await self._erase_from_disk()
        kind = ChatKind.of_scope(user_id=user_id, chat_id=chat_id)
        logger.info("forgot a topic in scope %s: %s", chat_id if kind.is_group else "user", counts)
        return counts

    async def migrate_chat(self, old_chat_id: int, new_chat_id: int) -> dict[str, int]:
        """A group became a supergroup: move its chat row and every owner's data. Idempotent."""
        if old_chat_id == new_chat_id:
            return {}
        async with self._migrations:
            moved = {"core": await self._move_chat_row(old_chat_id, new_chat_id)}
            for name, owner in self._owners.items():
                moved[name] = await owner.migrate_chat(old_chat_id, new_chat_id)
        if any(moved.values()):
            logger.info("chat %s became %s: moved %s", old_chat_id, new_chat_id, moved)
        return moved

    async def _move_chat_row(self, old_chat_id: int, new_chat_id: int) -> int:
        """Carry the old chat's settings and thread to the new id; drop the old row."""
        return int(await self._chats.migrate(old_chat_id, new_chat_id))


def _merge(document: dict[str, Any], name: str, part: dict[str, Any] | list[Any]) -> None:
    if isinstance(part, list):
        part = {name: part}
    for key, value in part.items():
        if key in document:
            raise ValueError(f"export key {key!r} of {name!r} is already used")
        document[key] = value


def _user_row(user: UserRecord) -> dict[str, Any]:
    return {
        "id": user.id,
        "first_name": user.first_name,
        "username": user.username,
        "language": user.language,
        "timezone": user.timezone,
        "settings": dict(user.settings),
    }


def _user_settings(user: UserRecord | None) -> dict[str, Any]:
    if user is None:
        return {}
    return {"language": user.language, "timezone": user.timezone, **user.settings}


def _chat_row(chat: ChatRecord) -> dict[str, Any]:
    return {
        "id": chat.id,
        "type": chat.type,
        "title": chat.title,
        "thread": chat.thread,
        "active": chat.active,
        "settings": dict(chat.settings),
    }


def _exported_group_message(row: Any) -> dict[str, Any]:
    """A user's own message in a group, as exported: every Telegram id, an ISO timestamp."""
    message = dict(row)
    part_ids = message.pop("tg_part_ids")
    message["tg_message_ids"] = tg_message_ids(message["tg_message_id"], part_ids)
    message["at"] = from_db_time(message["at"]).isoformat()
    return message
