"""Writing messages: the core ``messages`` row and its index body, in one cheap transaction.

Each message is indexed with its own words and, as weaker "context" words, the words of the one
or two messages just before it in the same scope (when they were written shortly before). An
answer such as "Three times a week" is then found by the words of the question it answers.
The words of each scope's latest messages are cached, so the hot path needs no extra read.

When messages are deleted, the messages that took context words from them (the next
``ContextPolicy.messages`` of the scope) are re-encoded in the same transaction, with the context
they would have had had the deleted ones never been written (see
:meth:`MessageWriter.reencode_followers`), so no forgotten word stays in the index.

Tokenizing happens on the event loop; everything the database does for a batch of messages
(scope keys, ids, rows, index bodies, counters, embedding queue) is one synchronous function run
in one :meth:`Database.run_write` round trip, shared by every message waiting at that moment
(a group commit).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.memory.backends import MemoryBackend, SqliteMemory
from bot.memory.common import column
from bot.memory.index import ScopeKeys, decode_body, encode_body, index_word
from bot.memory.text import distinct_terms, han_characters, unique_terms
from bot.memory.types import NewMessage
from bot.storage import Database, from_db_time, memory_scope, to_db_time

__all__ = ["AlsoWrite", "ContextPolicy", "MessageWriter"]

#: More writes that belong with messages being stored (their media rows, a backlog moved on):
#: run in the database thread, in the messages' own transaction, given the new message ids; an
#: exception rolls the messages back too.
AlsoWrite = Callable[[sqlite3.Connection, list[int]], None]

#: Scopes whose latest words are kept in memory (the cache is dropped whole when full).
_RECENT_CACHE_SCOPES = 50_000

_Recent = list[tuple[datetime, list[str]]]


@dataclass(frozen=True, slots=True)
class ContextPolicy:
    """Which neighbouring words a message is indexed with."""

    enabled: bool = True
    #: How many preceding messages lend words, and how many words at most.
    messages: int = 2
    words: int = 24
    #: Messages further apart than this (a new conversation) lend no context.
    gap: timedelta = timedelta(hours=3)


@dataclass(slots=True)
class _Prepared:
    """A message ready for insertion: its scope, sender and index words."""

    message: NewMessage
    scope_id: int
    sender: int | None
    words: list[str]


@dataclass(slots=True)
class _Waiting:
    """Messages of one :meth:`MessageWriter.add` call, waiting for the next group commit."""

    prepared: list[_Prepared]
    queue_embeddings: bool
    done: asyncio.Future[list[int]]
    also: AlsoWrite | None = None


class MessageWriter:
    """Inserts messages into the core table and the memory index.

    Writes are group-committed: the messages of every chat that arrive while a transaction is
    on its way share the next one, so a busy minute costs a handful of round trips to the
    database thread instead of two per message (and a quiet one costs what it did before).
    """

    def __init__(
        self,
        db: Database,
        keys: ScopeKeys,
        policy: ContextPolicy,
        *,
        backend: MemoryBackend | None = None,
    ) -> None:
        self._db = db
        self._keys = keys
        self._backend: MemoryBackend = backend or SqliteMemory()
        self._policy = policy
        # Read in the database thread during a write; changed only on the loop, after commit,
        # before the next group commit starts.
        self._recent: dict[int, _Recent] = {}
        self._waiting: list[_Waiting] = []
        self._committer: asyncio.Task[None] | None = None

    async def add(
        self,
        rows: Iterable[NewMessage | Mapping[str, Any]],
        *,
        queue_embeddings: bool,
        also: AlsoWrite | None = None,
    ) -> list[int]:
        """Store and index the messages (committed when this returns); return their ids.
        ``also`` writes more in the same transaction (see :data:`AlsoWrite`)."""
        prepared = [
            _prepare(row if isinstance(row, NewMessage) else NewMessage(**row)) for row in rows
        ]
        if not prepared:
            return []
        done = asyncio.get_running_loop().create_future()
        waiting = _Waiting(prepared, queue_embeddings, done, also)
        self._waiting.append(waiting)
        if self._committer is None:
            self._committer = asyncio.create_task(self._commit_waiting())
        # Shielded: a caller that gives up does not take the others' commit down with it.
        return await asyncio.shield(waiting.done)

    async def flush(self) -> None:
        """Wait until every message handed to :meth:`add` is committed (before closing)."""
        while self._committer is not None:
            await asyncio.shield(self._committer)

    async def _commit_waiting(self) -> None:
        group: list[_Waiting] = []
        try:
            while self._waiting:
                group, self._waiting = self._waiting, []
                try:
                    await self._commit(group)
                except Exception:
                    if len(group) == 1:
                        continue  # its caller has the error
                    # Commit the callers one by one: one bad row must not lose the others'.
                    for waiting in group:
                        with contextlib.suppress(Exception):
                            await self._commit([waiting])
        except BaseException:  # cancelled (shutdown): nobody may wait forever
            for waiting in [*group, *self._waiting]:
                waiting.done.cancel()
            raise
        finally:
            self._committer = None

    async def _commit(self, group: Sequence[_Waiting]) -> None:
        prepared = [item for waiting in group for item in waiting.prepared]
        queued = [waiting.queue_embeddings for waiting in group for _ in waiting.prepared]
        extra = [(waiting.also, len(waiting.prepared)) for waiting in group]

        def write(conn: sqlite3.Connection) -> tuple[list[int], dict[int, _Recent]]:
            ids, recent = self._insert(conn, prepared, queued)
            start = 0
            for also, count in extra:
                if also is not None:
                    also(conn, ids[start : start + count])
                start += count
            return ids, recent

        try:
            ids, recent = await self._db.run_write(write)
        except Exception as error:
            if len(group) == 1 and not group[0].done.done():
                group[0].done.set_exception(error)
            raise
        self._remember(recent)  # only once committed
        start = 0
        for waiting in group:
            end = start + len(waiting.prepared)
            if not waiting.done.done():
                waiting.done.set_result(ids[start:end])
            start = end

    def _insert(
        self, conn: sqlite3.Connection, prepared: Sequence[_Prepared], queued: Sequence[bool]
    ) -> tuple[list[int], dict[int, _Recent]]:
        """Insert and index the messages (in the database thread, inside the transaction);
        return their ids and the new latest words of their scopes, for the cache.
        ``queued[i]`` says whether message ``i`` waits for an embedding."""
        codes = self._keys.ensure(conn, {item.scope_id for item in prepared})
        ids = self._backend.next_message_ids(conn, len(prepared))
        conn.executemany(
            "INSERT INTO messages (id, scope_id, chat_id, user_id, role, speaker, text,"
            " tg_message_id, reply_to_tg_id, thread, at, tg_part_ids)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            [
                _message_row(message_id, item)
                for message_id, item in zip(ids, prepared, strict=True)
            ],
        )
        recent: dict[int, _Recent] = {}
        bodies, stats = self._bodies(conn, prepared, codes, recent)
        conn.executemany(
            "INSERT INTO memory_fts (rowid, body) VALUES (?, ?)", zip(ids, bodies, strict=True)
        )
        conn.executemany(
            "UPDATE memory_scopes SET docs = docs + ?, terms = terms + ? WHERE scope_id = ?",
            [(docs, terms, scope_id) for scope_id, (docs, terms) in stats.items()],
        )
        conn.executemany(
            "INSERT OR IGNORE INTO memory_embed_queue (kind, item_id) VALUES ('message', ?)",
            [(message_id,) for message_id, wait in zip(ids, queued, strict=True) if wait],
        )
        return ids, recent

    def forget_recent(self, *scope_ids: int) -> None:
        """Drop cached words of scopes whose messages were deleted or moved."""
        for scope_id in scope_ids:
            self._recent.pop(scope_id, None)

    def reencode_followers(
        self, conn: sqlite3.Connection, scope_id: int, deleted_ids: Iterable[int]
    ) -> int:
        """Re-encode the index bodies of the messages that took context words from messages
        just deleted from the scope (in the database thread, inside the deleting transaction,
        after the deletion); return how many bodies changed.

        Each follower gets the context its remaining predecessors give it, as if the deleted
        messages had never been written. The next ``ContextPolicy.messages`` remaining messages
        after each deleted one are exactly those whose predecessors included a deleted message.
        """
        span = self._policy.messages
        code = self._keys.code(conn, scope_id)
        if span <= 0 or code is None:
            return 0
        followers: set[int] = set()
        for deleted in sorted(set(deleted_ids)):
            followers.update(
                column(
                    conn,
                    "SELECT id FROM messages WHERE scope_id = ? AND id > ? ORDER BY id LIMIT ?",
                    (scope_id, deleted, span),
                )
            )
        changed: list[tuple[str, int]] = []
        for message_id in sorted(followers):
            rows = conn.execute(
                "SELECT m.id, m.at, f.body FROM messages AS m JOIN memory_fts AS f"
                " ON f.rowid = m.id WHERE m.scope_id = ? AND m.id <= ? ORDER BY m.id DESC LIMIT ?",
                (scope_id, message_id, span + 1),
            ).fetchall()
            if not rows or rows[0][0] != message_id:
                continue  # not indexed: nothing to re-encode
            own, _ = decode_body(rows[0][2])
            context: list[str] = []
            if self._policy.enabled:
                earlier = [(from_db_time(at), decode_body(body)[0]) for _, at, body in rows[:0:-1]]
                context = _context_words(own, from_db_time(rows[0][1]), earlier, self._policy)
            body = encode_body(code, own, context)
            if body != rows[0][2]:
                changed.append((body, message_id))
        conn.executemany("UPDATE memory_fts SET body = ? WHERE rowid = ?", changed)
        return len(changed)

    def _bodies(
        self,
        conn: sqlite3.Connection,
        prepared: Sequence[_Prepared],
        codes: Mapping[int, str],
        recent: dict[int, _Recent],
    ) -> tuple[list[str], dict[int, tuple[int, int]]]:
        """The FTS body of each message, and per scope the added (messages, words)."""
        bodies: list[str] = []
        stats: dict[int, tuple[int, int]] = {}
        for item in prepared:
            context: list[str] = []
            if self._policy.enabled:
                earlier = recent.get(item.scope_id)
                if earlier is None:
                    earlier = self._recent_words(conn, item.scope_id)
                context = _context_words(item.words, item.message.at, earlier, self._policy)
                keep = self._policy.messages
                recent[item.scope_id] = [*earlier, (item.message.at, item.words)][-keep:]
            bodies.append(encode_body(codes[item.scope_id], item.words, context))
            docs, terms = stats.get(item.scope_id, (0, 0))
            stats[item.scope_id] = (docs + 1, terms + len(item.words))
        return bodies, stats

    def _recent_words(self, conn: sqlite3.Connection, scope_id: int) -> _Recent:
        cached = self._recent.get(scope_id)
        if cached is not None:
            return cached
        rows = conn.execute(
            "SELECT m.at, f.body FROM messages AS m JOIN memory_fts AS f ON f.rowid = m.id"
            " WHERE m.scope_id = ? ORDER BY m.id DESC LIMIT ?",
            (scope_id, self._policy.messages),
        ).fetchall()
        return [(from_db_time(at), decode_body(body)[0]) for at, body in reversed(rows)]

    def _remember(self, updates: Mapping[int, _Recent]) -> None:
        if len(self._recent) + len(updates) > _RECENT_CACHE_SCOPES:
            self._recent.clear()
        self._recent.update(updates)


def _context_words(
    own: Sequence[str], at: datetime, earlier: _Recent, policy: ContextPolicy
) -> list[str]:
    """Words of the preceding messages (oldest first in ``earlier``) of the same
    conversation, nearest first, that the message at ``at`` is indexed with."""
    if policy.words <= 0:
        return []
    own_words = set(own)
    context: dict[str, None] = {}  # ordered, without repeats
    moment = at
    for written, words in reversed(earlier):
        if moment - written > policy.gap:
            break
        # A question usually ends its message, so its last words are taken first; a long one
        # (a document's part: ~110 words) stops at the limit instead of going through all.
        for word in reversed(words):
            if word not in own_words and word not in context:
                context[word] = None
                if len(context) >= policy.words:
                    return list(context)
        moment = written
    return list(context)


def message_words(text: str, speaker: str | None = None) -> list[str]:
    """The distinct index words of a message or fact, with the single characters of its
    Chinese words (the speaker's name is searchable too)."""
    full = f"{speaker or ''} {text}"
    words = distinct_terms(full)
    if full.isascii():
        return words  # no Han characters, and every word is already one FTS token
    indexed = (index_word(word) for word in unique_terms([*words, *han_characters(words)]))
    return [word for word in indexed if word]


def _prepare(message: NewMessage) -> _Prepared:
    if message.role not in ("user", "assistant", "system"):
        raise ValueError(f"unknown role {message.role!r}")
    if message.at.tzinfo is None:
        raise ValueError("message times must be timezone-aware")
    scope_id = memory_scope(user_id=message.user_id, chat_id=message.chat_id)
    sender: int | None
    if message.sender_id is not None:
        sender = message.sender_id
    else:
        sender = message.user_id if message.role == "user" else None
    return _Prepared(message, scope_id, sender, message_words(message.text, message.speaker))


def _message_row(message_id: int, item: _Prepared) -> tuple[Any, ...]:
    message = item.message
    return (
        message_id,
        item.scope_id,
        message.chat_id,
        item.sender,
        message.role,
        message.speaker,
        message.text,
        message.tg_message_id,
        message.reply_to_tg_id,
        message.thread,
        to_db_time(message.at),
        json.dumps(list(message.tg_part_ids)) if message.tg_part_ids else None,
    )
