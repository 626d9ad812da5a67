"""Forgetting, export and chat migration: whole-scope operations on memory.

Deleting a message removes it from the core table, the FTS index, the vector store and the
embedding queue, and re-encodes the index bodies of the messages that had borrowed its words as
context, all in one transaction, with SQLite's ``secure_delete`` on so the freed pages are zeroed.
Forgetting everything also removes the scope's row in ``memory_scopes`` (its key and counters):
nothing of the scope is left in any memory table. Afterwards the touched FTS indexes are merged
into one segment each (:func:`~bot.memory.index.scrub_index`), so the forgotten words leave the
index pages too, not just the rows. Forgetting a topic is two steps, so the user can confirm: a
preview of what matches, then deletion of exactly those ids.

Each operation is one synchronous function over a ``sqlite3.Connection``, run in one
:meth:`Database.run` (reads) or :meth:`Database.run_write` (changes) round trip.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.clock import utcnow
from bot.memory.common import clean_ids, column, erasing, placeholders
from bot.memory.embeddings import VectorIndex
from bot.memory.facts import delete_facts, scoped_message_ids
from bot.memory.fences import remove_fence
from bot.memory.index import (
    ScopeKeys,
    body_terms,
    decode_body,
    encode_body,
    encode_key,
    scrub_index,
)
from bot.memory.ingest import MessageWriter
from bot.memory.search import FACT_TABLE, MESSAGE_TABLE, Searcher, fact_from_row
from bot.memory.summaries import (
    SUMMARY_TABLE,
    delete_summaries,
    summaries_by_ids,
    summaries_covering,
)
from bot.memory.types import ForgetPreview, Summary
from bot.storage import Database, from_db_time, tg_message_ids

__all__ = ["Forgetter"]

_PREVIEW_SAMPLE = 5
_DELETE_CHUNK = 500


class Forgetter:
    """Deletes, exports and moves the memory of a scope."""

    def __init__(
        self,
        db: Database,
        keys: ScopeKeys,
        vectors: VectorIndex,
        searcher: Searcher,
        writer: MessageWriter,
    ) -> None:
        self._db = db
        self._keys = keys
        self._vectors = vectors
        self._searcher = searcher
        self._writer = writer

    async def forget_all(self, scope_id: int) -> int:
        """Erase every message and fact of the scope; return how many went."""

        def forget_all(conn: sqlite3.Connection) -> tuple[int, int]:
            remove_fence(conn, scope_id)  # first: learning under way waits, then stores nothing
            messages = column(conn, "SELECT id FROM messages WHERE scope_id = ?", (scope_id,))
            facts = column(conn, "SELECT id FROM memory_facts WHERE scope_id = ?", (scope_id,))
            self._delete_messages(conn, scope_id, messages, reencode=False)  # no followers left
            delete_facts(conn, self._vectors, scope_id, facts)
            summaries = column(
                conn, "SELECT id FROM memory_summaries WHERE scope_id = ?", (scope_id,)
            )
            delete_summaries(conn, scope_id, summaries)
            # Vectors whose items went without them (the extension was missing), then the key
            # and the counters: a later message starts the scope afresh, under a new key.
            conn.execute("DELETE FROM memory_vectors WHERE scope_id = ?", (scope_id,))
            conn.execute("DELETE FROM memory_scopes WHERE scope_id = ?", (scope_id,))
            return len(messages), len(facts)

        messages, facts = await self._db.run_write(erasing(forget_all))
        self._keys.invalidate(scope_id)  # before the write lock lets another write in
        await self._after_delete(scope_id, messages=messages, facts=facts, summaries=True)
        return messages + facts

    async def preview_topic(self, scope_id: int, topic: str, now: datetime) -> ForgetPreview:
        """What forgetting the topic would delete: matching messages and facts, and the facts
        drawn from those messages."""
        return await self._db.run(lambda conn: self._preview(conn, scope_id, topic, now))

    def _preview(
        self, conn: sqlite3.Connection, scope_id: int, topic: str, now: datetime
    ) -> ForgetPreview:
        message_ids, fact_ids = self._searcher.topic_matches(conn, scope_id, topic, now)
        derived = _facts_citing(conn, scope_id, message_ids)
        all_fact_ids = sorted(set(fact_ids) | set(derived))
        sample = self._searcher.load(conn, scope_id, message_ids[:_PREVIEW_SAMPLE])
        order = {message_id: rank for rank, message_id in enumerate(message_ids)}
        sample.sort(key=lambda candidate: order[candidate.id])
        facts = self._searcher.facts_by_ids(conn, scope_id, all_fact_ids)
        summaries = set(self._searcher.topic_summaries(conn, scope_id, topic, now))
        summaries.update(summaries_covering(conn, scope_id, message_ids))
        return ForgetPreview(
            topic=topic,
            message_ids=tuple(message_ids),
            fact_ids=tuple(all_fact_ids),
            sample_messages=tuple(candidate.hit() for candidate in sample),
            facts=tuple(sorted(facts, key=lambda fact: fact.id)),
            summary_ids=tuple(sorted(summaries)),
        )

    async def forget_items(
        self,
        scope_id: int,
        message_ids: Sequence[int],
        fact_ids: Sequence[int],
        summary_ids: Sequence[int] = (),
    ) -> int:
        """Delete these messages, facts and summaries if they are in the scope, with the
        summaries of stretches that held any of the messages; return how many messages and
        facts went."""

        def forget_items(conn: sqlite3.Connection) -> tuple[int, int, int]:
            remove_fence(conn, scope_id)  # first: learning under way waits, then stores nothing
            messages = scoped_message_ids(conn, scope_id, message_ids)
            # With the facts drawn from these messages since the preview was shown (learning
            # that finished in between): they would bring the forgotten words back.
            facts = sorted(
                set(_scoped_fact_ids(conn, scope_id, fact_ids))
                | set(_facts_citing(conn, scope_id, messages))
            )
            summaries = {*summary_ids, *summaries_covering(conn, scope_id, messages)}
            self._delete_messages(conn, scope_id, messages, reencode=True)
            delete_facts(conn, self._vectors, scope_id, facts)
            gone = delete_summaries(conn, scope_id, sorted(summaries))
            return len(messages), len(facts), gone

        messages, facts, summaries = await self._db.run_write(erasing(forget_items))
        await self._after_delete(scope_id, messages=messages, facts=facts, summaries=summaries > 0)
        return messages + facts

    async def export(self, scope_id: int) -> dict[str, Any]:
        """Everything remembered in the scope, JSON-serialisable (ISO timestamps)."""

        def export(conn: sqlite3.Connection) -> tuple[list[Any], list[Any], list[Summary]]:
            messages = conn.execute(
                "SELECT id, chat_id, user_id, role, speaker, text, tg_message_id, tg_part_ids,"
                " reply_to_tg_id, thread, at FROM messages WHERE scope_id = ? ORDER BY id",
                (scope_id,),
            ).fetchall()
            facts = conn.execute(
                "SELECT * FROM memory_facts WHERE scope_id = ? ORDER BY id", (scope_id,)
            ).fetchall()
            summary_ids = column(
                conn, "SELECT id FROM memory_summaries WHERE scope_id = ?", (scope_id,)
            )
            return messages, facts, summaries_by_ids(conn, scope_id, summary_ids)

        messages, facts, summaries = await self._db.run(export)
        return {
            "scope_id": scope_id,
            "exported_at": utcnow().isoformat(),
            "messages": [_exported_message(row) for row in messages],
            "facts": [fact_from_row(row).to_dict() for row in facts],
            "summaries": [summary.to_dict() for summary in summaries],
        }

    async def migrate_chat(self, old_chat_id: int, new_chat_id: int) -> int:
        """Move a group's memory to its new chat id; return how many messages moved."""
        if old_chat_id == new_chat_id:
            return 0
        old_scope, new_scope = old_chat_id, new_chat_id  # a group chat is its own scope

        def migrate(conn: sqlite3.Connection) -> int:
            _move_index(conn, old_scope, new_scope)
            conn.execute(
                "UPDATE memory_facts SET scope_id = ? WHERE scope_id = ?", (new_scope, old_scope)
            )
            conn.execute(
                "UPDATE memory_summaries SET scope_id = ? WHERE scope_id = ?",
                (new_scope, old_scope),
            )
            self._vectors.move_scope(conn, old_scope, new_scope)
            conn.execute(
                "UPDATE messages SET scope_id = ? WHERE scope_id = ?", (new_scope, old_scope)
            )
            return conn.execute(
                "UPDATE messages SET chat_id = ? WHERE chat_id = ?", (new_chat_id, old_chat_id)
            ).rowcount

        moved = await self._db.run_write(migrate)
        self._keys.invalidate(old_scope, new_scope)
        self._writer.forget_recent(old_scope, new_scope)
        return moved

    def _delete_messages(
        self,
        conn: sqlite3.Connection,
        scope_id: int,
        message_ids: Sequence[int],
        *,
        reencode: bool,
    ) -> None:
        """Remove messages (known to be in the scope) from every table and, with ``reencode``,
        their words from the context of the messages that followed them."""
        if not message_ids:
            return
        removed_words = 0
        for start in range(0, len(message_ids), _DELETE_CHUNK):
            chunk = message_ids[start : start + _DELETE_CHUNK]
            bodies = column(
                conn,
                f"SELECT body FROM memory_fts WHERE rowid IN ({placeholders(len(chunk))})",
                chunk,
            )
            removed_words += sum(body_terms(body) for body in bodies)
        rows = [(message_id,) for message_id in message_ids]
        conn.executemany("DELETE FROM memory_fts WHERE rowid = ?", rows)
        conn.executemany(
            "DELETE FROM memory_embed_queue WHERE kind = 'message' AND item_id = ?", rows
        )
        self._vectors.delete(conn, "message", list(message_ids))
        conn.executemany(
            "DELETE FROM messages WHERE id = ? AND scope_id = ?",
            [(message_id, scope_id) for message_id in message_ids],
        )
        # A fact that outlived the message which ended it keeps its end, not the pointer.
        gone = set(message_ids)
        ended = conn.execute(
            "SELECT id, ended_by_message_id FROM memory_facts"
            " WHERE scope_id = ? AND ended_by_message_id IS NOT NULL",
            (scope_id,),
        ).fetchall()
        conn.executemany(
            "UPDATE memory_facts SET ended_by_message_id = NULL WHERE id = ?",
            [(row[0],) for row in ended if row[1] in gone],
        )
        conn.execute(
            "UPDATE memory_scopes SET docs = max(docs - ?, 0), terms = max(terms - ?, 0)"
            " WHERE scope_id = ?",
            (len(message_ids), removed_words, scope_id),
        )
        if reencode:
            self._writer.reencode_followers(conn, scope_id, message_ids)

    async def _after_delete(
        self, scope_id: int, *, messages: int, facts: int, summaries: bool = False
    ) -> None:
        """After the deleting transaction: drop cached words, then scrub the indexes that lost
        rows, so the deleted words leave their pages too."""
        self._writer.forget_recent(scope_id)  # before the write lock lets another write in
        if messages:
            await scrub_index(self._db, MESSAGE_TABLE)
        if facts:
            await scrub_index(self._db, FACT_TABLE)
        if summaries:
            await scrub_index(self._db, SUMMARY_TABLE)


def _move_index(conn: sqlite3.Connection, old_scope: int, new_scope: int) -> None:
    """Hand the old scope's index to the new one: re-point its key, or re-key its rows."""
    rows = {
        row[0]: row
        for row in conn.execute(
            "SELECT scope_id, key, docs, terms FROM memory_scopes WHERE scope_id IN (?, ?)",
            (old_scope, new_scope),
        )
    }
    if old_scope not in rows:
        return
    if new_scope not in rows:
        conn.execute(
            "UPDATE memory_scopes SET scope_id = ? WHERE scope_id = ?", (new_scope, old_scope)
        )
        return
    # Both scopes have rows (the supergroup spoke before the move): re-key the old rows.
    new_code = encode_key(rows[new_scope][1])
    for table, source in (
        ("memory_fts", "messages"),
        ("memory_fact_fts", "memory_facts"),
        ("memory_summary_fts", "memory_summaries"),
    ):
        bodies = conn.execute(
            f"SELECT f.rowid, f.body FROM {table} AS f JOIN {source} AS s ON s.id = f.rowid"
            " WHERE s.scope_id = ?",
            (old_scope,),
        ).fetchall()
        conn.executemany(f"DELETE FROM {table} WHERE rowid = ?", [(rowid,) for rowid, _ in bodies])
        conn.executemany(
            f"INSERT INTO {table} (rowid, body) VALUES (?, ?)",
            [(rowid, encode_body(new_code, *decode_body(body))) for rowid, body in bodies],
        )
    conn.execute(
        "UPDATE memory_scopes SET docs = docs + ?, terms = terms + ? WHERE scope_id = ?",
        (rows[old_scope][2], rows[old_scope][3], new_scope),
    )
    conn.execute("DELETE FROM memory_scopes WHERE scope_id = ?", (old_scope,))


def _facts_citing(conn: sqlite3.Connection, scope_id: int, message_ids: Sequence[int]) -> list[int]:
    """Facts drawn from any of these messages (they go with them)."""
    if not message_ids:
        return []
    wanted = set(message_ids)
    rows = conn.execute(
        "SELECT id, source_message_ids FROM memory_facts WHERE scope_id = ?", (scope_id,)
    )
    return [row[0] for row in rows if wanted.intersection(json.loads(row[1]))]


def _scoped_fact_ids(conn: sqlite3.Connection, scope_id: int, ids: Sequence[int]) -> list[int]:
    wanted = clean_ids(ids)
    if not wanted:
        return []
    return column(
        conn,
        f"SELECT id FROM memory_facts WHERE scope_id = ? AND id IN ({placeholders(len(wanted))})",
        (scope_id, *wanted),
    )


def _exported_message(row: Any) -> dict[str, Any]:
    return {
        "id": row["id"],
        "chat_id": row["chat_id"],
        "user_id": row["user_id"],
        "role": row["role"],
        "speaker": row["speaker"],
        "text": row["text"],
        "tg_message_id": row["tg_message_id"],
        "tg_message_ids": tg_message_ids(row["tg_message_id"], row["tg_part_ids"]),
        "reply_to_tg_id": row["reply_to_tg_id"],
        "thread": row["thread"],
        "at": from_db_time(row["at"]).isoformat(),
    }
