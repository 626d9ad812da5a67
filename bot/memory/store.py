"""MemoryStore: every message Dazi saw, searchable; durable facts; forgetting and export.

Messages live in the core ``messages`` table; this store writes them there and keeps its own
indexes beside them (see :mod:`bot.memory.schema`). Everything is partitioned by memory scope:
a user's private memory, or a group's shared one (``bot.storage.memory_scope``). No search,
recall, listing or deletion reads or touches rows of another scope.

Typical use::

    store = await MemoryStore.open(db)                  # the app's shared Database
    mid = await store.add_message(user_id=1, chat_id=1, role="user", text="...", at=now)
    hits = await store.search(user_id=1, query="what guitar did I buy?", now=now)
    recall = await store.recall(user_id=1, chat_id=1, query=text, now=now, budget_tokens=600)

Each call on the hot path is one round trip to the database thread: ``add_message`` writes in
one :meth:`Database.run_write`, and ``search`` and ``recall`` (facts and messages together) read
in one :meth:`Database.run`, after the optional query embedding.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.clock import utcnow
from bot.memory.backends import memory_backend
from bot.memory.common import aware
from bot.memory.embeddings import (
    EMBED_CLAIM_MIGRATIONS,
    Embedder,
    EmbeddingQueue,
    VectorIndex,
)
from bot.memory.facts import FactBook
from bot.memory.fences import FENCE_MIGRATIONS, hold_fence, open_fence
from bot.memory.forget import Forgetter
from bot.memory.index import ScopeKeys
from bot.memory.ingest import AlsoWrite, ContextPolicy, MessageWriter
from bot.memory.media import MediaRecord, export_media, insert_media
from bot.memory.ranking import RankingConfig
from bot.memory.recall import Recall, asks_about_the_past, select_for_budget
from bot.memory.search import Candidate, Searcher, SearchFilter
from bot.memory.summaries import insert_summary
from bot.memory.types import Fact, ForgetPreview, MemoryHit, NewMessage, Summary
from bot.storage import CORE_MIGRATIONS, Database, memory_scope

__all__ = ["MemoryStore", "StoreOptions"]

#: How many facts and messages recall considers before fitting them to the budget.
_RECALL_FACTS = 12
_RECALL_MESSAGES = 40


@dataclass(frozen=True, slots=True)
class StoreOptions:
    """Tuning of a store: ranking knobs, context indexing, and the query embedding timeout."""

    ranking: RankingConfig = field(default_factory=RankingConfig)
    context: ContextPolicy = field(default_factory=ContextPolicy)
    #: Seconds to wait for the embedder on a query before answering lexically only.
    query_embed_timeout: float = 3.0


class MemoryStore:
    """Long-term memory over one SQLite or PostgreSQL database (see the module docstring)."""

    def __init__(
        self,
        db: Database,
        *,
        owns_db: bool,
        vectors: VectorIndex,
        embedder: Embedder | None,
        options: StoreOptions,
    ) -> None:
        self._db = db
        self._owns_db = owns_db
        keys = ScopeKeys()
        backend = memory_backend(db)
        self._writer = MessageWriter(db, keys, options.context, backend=backend)
        self._searcher = Searcher(
            keys,
            options.ranking,
            vectors,
            embedder,
            query_embed_timeout=options.query_embed_timeout,
            backend=backend,
        )
        self._keys = keys
        self._facts = FactBook(db, keys, vectors, queue_embeddings=embedder is not None)
        self._forgetter = Forgetter(db, keys, vectors, self._searcher, self._writer)
        self._vectors = vectors
        self._embeddings = EmbeddingQueue(db, vectors, embedder) if embedder else None
        self._forget_listeners: list[Callable[[int], None]] = []

    # --- lifecycle ----------------------------------------------------------------------------

    @classmethod
    async def open(
        cls,
        path_or_db: str | Path | Database,
        *,
        embedder: Embedder | None = None,
        options: StoreOptions | None = None,
        close_database: bool | None = None,
    ) -> MemoryStore:
        """Open a store on a SQLite database path (owned: :meth:`close` closes it) or on the
        app's shared Database, SQLite or PostgreSQL (only migrated; ``close_database=True``
        hands it over to the store). Either way the core and memory schemas are brought up to
        date, and the memory backend fits the engine (:mod:`bot.memory.backends`)."""
        owns_db = not isinstance(path_or_db, Database) if close_database is None else close_database
        db = path_or_db if isinstance(path_or_db, Database) else await Database.open(path_or_db)
        backend = memory_backend(db)
        try:
            await db.migrate("core", CORE_MIGRATIONS)
            await db.migrate("memory", backend.migrations)
            await db.migrate("memory_learning_fences", FENCE_MIGRATIONS)
            if db.dialect == "postgresql":  # replicas share the embedding queue
                await db.migrate("memory_embed_claims", EMBED_CLAIM_MIGRATIONS)
            vectors = VectorIndex(db, native=await backend.native_vectors(db))
            await vectors.load()
        except BaseException:
            if owns_db:
                await db.close()
            raise
        return cls(
            db,
            owns_db=owns_db,
            vectors=vectors,
            embedder=embedder,
            options=options or StoreOptions(),
        )

    @property
    def database(self) -> Database:
        return self._db

    @property
    def vectors(self) -> VectorIndex:
        """The vector store (for diagnostics: backend, dimension, counts)."""
        return self._vectors

    async def close(self) -> None:
        """Finish pending writes, stop background embedding; close the database if this store
        opened it."""
        await self._writer.flush()
        if self._embeddings is not None:
            await self._embeddings.stop()
        if self._owns_db:
            await self._db.close()

    # --- messages -----------------------------------------------------------------------------

    async def add_message(
        self,
        *,
        user_id: int,
        chat_id: int,
        role: str,
        text: str,
        at: datetime,
        speaker: str | None = None,
        sender_id: int | None = None,
        tg_message_id: int | None = None,
        reply_to_tg_id: int | None = None,
        thread: int = 1,
        tg_part_ids: Sequence[int] = (),
        also: AlsoWrite | None = None,
    ) -> int:
        """Store one message in the core table, index it, and return its id.

        ``user_id`` with ``chat_id`` picks the memory scope; the stored sender is ``sender_id``,
        else ``user_id`` for role "user" and nobody for the bot. ``also`` writes more in the
        message's own transaction (see :data:`bot.memory.ingest.AlsoWrite`).
        """
        message = NewMessage(
            user_id=user_id,
            chat_id=chat_id,
            role=role,
            text=text,
            at=at,
            speaker=speaker,
            sender_id=sender_id,
            tg_message_id=tg_message_id,
            reply_to_tg_id=reply_to_tg_id,
            thread=thread,
            tg_part_ids=tuple(tg_part_ids),
        )
        return (await self.add_messages([message], also=also))[0]

    async def add_messages(
        self, rows: Iterable[NewMessage | Mapping[str, Any]], *, also: AlsoWrite | None = None
    ) -> list[int]:
        """Store and index many messages (NewMessage or dicts of its fields) in one
        transaction, with what ``also`` writes (see :data:`bot.memory.ingest.AlsoWrite`);
        return their ids in order."""
        queue = self._embeddings is not None
        ids = await self._writer.add(rows, queue_embeddings=queue, also=also)
        self._kick_embeddings()
        return ids

    async def attach_media(self, records: Sequence[MediaRecord]) -> None:
        """Note what stored messages carried (voice, photo, document): bot.memory.media."""
        if records:
            await self._db.run_write(lambda conn: insert_media(conn, records))

    async def get_messages(
        self, *, user_id: int, chat_id: int, message_ids: Sequence[int]
    ) -> list[MemoryHit]:
        """Messages of the scope by id, oldest first (ids of other scopes are ignored)."""
        scope_id = memory_scope(user_id=user_id, chat_id=chat_id)
        ids = sorted(set(message_ids))
        candidates = await self._db.run(lambda conn: self._searcher.load(conn, scope_id, ids))
        return [candidate.hit() for candidate in sorted(candidates, key=lambda c: c.id)]

    async def search(
        self,
        *,
        user_id: int,
        query: str,
        k: int = 10,
        now: datetime | None = None,
        chat_id: int | None = None,
        before_id: int | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        person: str | None = None,
        written_before: datetime | None = None,
    ) -> list[MemoryHit]:
        """The k past messages that best answer a natural question, best first.

        The scope is the user's private memory, or the group's when ``chat_id`` is a group;
        ``before_id`` keeps only messages stored before that id. ``since``/``until`` (exclusive)
        keep only messages of that time, and ``person`` those said by or naming someone;
        ``written_before`` drops messages from that moment on without ranking by time.
        """
        scope_id = memory_scope(user_id=user_id, chat_id=user_id if chat_id is None else chat_id)
        vector = await self._searcher.embed_query(query)
        now = aware(now or utcnow())
        plan = self._searcher.plan(query, now)
        where = None
        if since or until or written_before or (person and person.strip()):
            where = SearchFilter(
                since=aware(since) if since else None,
                until=aware(until) if until else None,
                person=person.strip() if person and person.strip() else None,
                written_before=aware(written_before) if written_before else None,
            )
        ranked = await self._db.run(
            lambda conn: self._searcher.messages(
                conn,
                scope_id,
                plan,
                now,
                k=k,
                before_id=before_id,
                query_vector=vector,
                where=where,
            )
        )
        return [candidate.hit() for candidate in ranked]

    async def recall(
        self,
        *,
        user_id: int,
        chat_id: int,
        query: str,
        now: datetime,
        budget_tokens: int,
        exclude_message_ids: Iterable[int] = (),
    ) -> Recall:
        """The facts and past messages most relevant to ``query`` that fit ``budget_tokens``,
        leaving out ``exclude_message_ids`` (the recent turns the prompt already holds).

        Facts that are no longer true come too when the question asks about the past ("where
        did I live before?"), marked as such; otherwise only what holds now.
        """
        scope_id = memory_scope(user_id=user_id, chat_id=chat_id)
        now = aware(now)
        vector = await self._searcher.embed_query(query)
        plan = self._searcher.plan(query, now)
        exclude = frozenset(exclude_message_ids)

        history = asks_about_the_past(query)

        def search(conn: sqlite3.Connection) -> tuple[list[Fact], list[Candidate]]:
            facts = self._searcher.facts(
                conn,
                scope_id,
                plan,
                k=_RECALL_FACTS,
                include_superseded=history,
                query_vector=vector,
            )
            messages = self._searcher.messages(
                conn,
                scope_id,
                plan,
                now,
                k=_RECALL_MESSAGES,
                exclude=exclude,
                query_vector=vector,
            )
            return facts, messages

        facts, messages = await self._db.run(search)
        return select_for_budget(facts, [c.hit() for c in messages], budget_tokens)

    # --- facts --------------------------------------------------------------------------------

    async def add_fact(
        self,
        *,
        user_id: int,
        chat_id: int,
        text: str,
        source_message_ids: Sequence[int] = (),
        now: datetime,
        subject: str | None = None,
        kind: str = "fact",
        fence: str | None = None,
    ) -> Fact:
        """Remember a fact in the user's (or group's) memory. ``fence``: learned by a pass
        that read this :meth:`learning_fence` (a forget since raises SourcesForgotten)."""
        scope_id = memory_scope(user_id=user_id, chat_id=chat_id)
        fact = await self._facts.add(
            scope_id,
            text,
            source_message_ids=source_message_ids,
            now=aware(now),
            subject=subject,
            kind=kind,
            fence=fence,
        )
        self._kick_embeddings()
        return fact

    async def get_fact(self, *, user_id: int, chat_id: int, fact_id: int) -> Fact | None:
        return await self._facts.get(memory_scope(user_id=user_id, chat_id=chat_id), fact_id)

    async def list_facts(
        self,
        *,
        user_id: int,
        chat_id: int,
        offset: int = 0,
        limit: int = 10,
        include_superseded: bool = False,
    ) -> tuple[list[Fact], int]:
        """A page of the scope's facts, newest first, and how many there are in all.

        ``include_superseded`` adds the history: superseded and no-longer-true facts.
        """
        return await self._facts.page(
            memory_scope(user_id=user_id, chat_id=chat_id),
            offset=offset,
            limit=limit,
            include_superseded=include_superseded,
        )

    async def supersede_fact(
        self,
        *,
        user_id: int,
        chat_id: int,
        fact_ids: Sequence[int] | int,
        text: str,
        source_message_ids: Sequence[int] = (),
        now: datetime,
        subject: str | None = None,
        kind: str | None = None,
        fence: str | None = None,
    ) -> Fact | None:
        """Replace active facts with a new one; the old ones stay, superseded, pointing at it,
        valid until the time of the latest source message (else ``now``), which they also name.

        Returns the new fact, or None when none of the given facts is active in the scope.
        """
        fact = await self._facts.supersede(
            memory_scope(user_id=user_id, chat_id=chat_id),
            [fact_ids] if isinstance(fact_ids, int) else list(fact_ids),
            text,
            source_message_ids=source_message_ids,
            now=aware(now),
            subject=subject,
            kind=kind,
            fence=fence,
        )
        self._kick_embeddings()
        return fact

    async def retract_fact(
        self,
        *,
        user_id: int,
        chat_id: int,
        fact_id: int,
        now: datetime,
        source_message_ids: Sequence[int] = (),
        fence: str | None = None,
    ) -> bool:
        """Mark an active fact as no longer true (status 'deleted'), keeping it as history,
        with the message that said so (``source_message_ids``, the latest counts) and its time."""
        scope_id = memory_scope(user_id=user_id, chat_id=chat_id)
        return await self._facts.retract(scope_id, fact_id, aware(now), source_message_ids, fence)

    async def delete_fact(self, *, user_id: int, chat_id: int, fact_id: int) -> bool:
        """Erase a fact the user wants gone, with the older versions it replaced.

        Returns False when the fact is not in this scope (another user's id deletes nothing).
        """
        return await self._facts.delete(memory_scope(user_id=user_id, chat_id=chat_id), fact_id)

    async def search_facts(
        self,
        *,
        user_id: int,
        chat_id: int,
        query: str,
        k: int = 10,
        now: datetime | None = None,
        include_superseded: bool = False,
    ) -> list[Fact]:
        """The scope's facts most relevant to a question, best first."""
        scope_id = memory_scope(user_id=user_id, chat_id=chat_id)
        vector = await self._searcher.embed_query(query)
        plan = self._searcher.plan(query, aware(now or utcnow()))
        return await self._db.run(
            lambda conn: self._searcher.facts(
                conn,
                scope_id,
                plan,
                k=k,
                include_superseded=include_superseded,
                query_vector=vector,
            )
        )

    # --- summaries ----------------------------------------------------------------------------

    async def add_summary(
        self,
        *,
        user_id: int,
        chat_id: int,
        text: str,
        message_ids: Sequence[int],
        now: datetime,
        fence: str | None = None,
    ) -> Summary | None:
        """Remember a summary of these messages (their stretch, first to last, in the scope);
        None without text, without any of the messages in the scope, or when the scope was
        forgotten since the learning pass read ``fence``."""
        scope_id = memory_scope(user_id=user_id, chat_id=chat_id)

        def add(conn: sqlite3.Connection) -> Summary | None:
            if fence is not None and not hold_fence(conn, scope_id, fence):
                return None
            return insert_summary(conn, self._keys, scope_id, text, message_ids, aware(now))

        return await self._db.run_write(add)

    async def learning_fence(self, *, user_id: int, chat_id: int) -> str:
        """The token a learning pass reads before the messages it learns from, and gives to
        each write (see bot.memory.fences): a forget in between, by any replica, stops it."""
        scope_id = memory_scope(user_id=user_id, chat_id=chat_id)
        return await self._db.run_write(lambda conn: open_fence(conn, scope_id))

    # --- forgetting, export, migration --------------------------------------------------------

    def on_forget(self, listener: Callable[[int], None]) -> None:
        """Call ``listener(scope_id)`` whenever something of a scope is about to be forgotten
        (so that learning under way for it stops instead of bringing it back)."""
        self._forget_listeners.append(listener)

    def _fence(self, scope_id: int) -> None:
        for listener in self._forget_listeners:
            listener(scope_id)

    async def forget_all(self, *, user_id: int, chat_id: int) -> int:
        """Erase the scope's whole memory (messages, facts, index rows, vectors); return how
        many messages and facts went."""
        scope_id = memory_scope(user_id=user_id, chat_id=chat_id)
        self._fence(scope_id)
        return await self._forgetter.forget_all(scope_id)

    async def preview_forget_topic(
        self, *, user_id: int, chat_id: int, topic: str, now: datetime
    ) -> ForgetPreview:
        """What forgetting a topic would delete; nothing is deleted yet. Show it, and on
        confirmation pass its ids to :meth:`forget_items`."""
        scope_id = memory_scope(user_id=user_id, chat_id=chat_id)
        return await self._forgetter.preview_topic(scope_id, topic, aware(now))

    async def forget_items(
        self,
        *,
        user_id: int,
        chat_id: int,
        message_ids: Sequence[int] = (),
        fact_ids: Sequence[int] = (),
        summary_ids: Sequence[int] = (),
    ) -> int:
        """Delete these messages, facts and summaries everywhere (and the summaries of the
        messages' stretches); ids outside the scope are ignored. Returns how many messages and
        facts went."""
        scope_id = memory_scope(user_id=user_id, chat_id=chat_id)
        self._fence(scope_id)
        return await self._forgetter.forget_items(scope_id, message_ids, fact_ids, summary_ids)

    async def forget_topic(self, *, user_id: int, chat_id: int, topic: str, now: datetime) -> int:
        """Preview and delete in one call (for callers that already asked the user)."""
        preview = await self.preview_forget_topic(
            user_id=user_id, chat_id=chat_id, topic=topic, now=now
        )
        return await self.forget_items(
            user_id=user_id,
            chat_id=chat_id,
            message_ids=preview.message_ids,
            fact_ids=preview.fact_ids,
            summary_ids=preview.summary_ids,
        )

    async def export(self, *, user_id: int, chat_id: int) -> dict[str, Any]:
        """Everything remembered in the scope: messages, facts, media and summaries,
        JSON-serialisable."""
        scope_id = memory_scope(user_id=user_id, chat_id=chat_id)
        data = await self._forgetter.export(scope_id)
        data["media"] = await self._db.run(lambda conn: export_media(conn, scope_id))
        return data

    async def migrate_chat(self, old_chat_id: int, new_chat_id: int) -> int:
        """Move a group's memory to its new id (Telegram upgraded it to a supergroup)."""
        return await self._forgetter.migrate_chat(old_chat_id, new_chat_id)

    # --- embeddings ---------------------------------------------------------------------------

    async def flush_embeddings(self) -> int:
        """Embed every queued item now (benchmarks, tests, maintenance); 0 without embedder."""
        return await self._embeddings.flush() if self._embeddings is not None else 0

    def _kick_embeddings(self) -> None:
        if self._embeddings is not None:
            self._embeddings.kick()
