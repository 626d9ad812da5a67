"""Shared documents stored in memory part by part, in the background, and never lost to a crash.

A document's text is cut into parts (``[name, part N] ...``, see :meth:`MediaService.read`) that
are stored as messages of thread 0, where search and recall find them. A 4,000-page book has
16,000 parts and takes seconds to store: far too long to keep the answer waiting, and long
enough for a crash (SIGKILL, a power cut) to cut it off. So:

1. **Before the answer.** Every part still to be stored goes into a ``document_backlog`` row
   (the next part number and the file's ids) and its pieces (``document_backlog_pieces``:
   :data:`PIECE_PARTS` parts each, zlib-compressed), in the same transaction as the message
   that shared the document: a few megabytes for a 4,000-page book, written in pieces so that
   no copy of the whole is made on the way. The row is claimed at once by this process (a token
   and a lease), which stores it now.
2. **Storing.** :data:`DOCUMENT_BATCH` parts per transaction; that same transaction adds the
   parts' media rows and moves the row on (``next_part``, dropping the pieces wholly stored),
   or deletes it after the last batch, only if the row is still there, still this claim's, at
   the expected part and in the same chat. Otherwise the batch is rolled back and storing
   stops (:class:`DocumentGone`): a part is never stored twice, nor skipped, and a document
   forgotten meanwhile never comes back.
3. **Resuming.** :meth:`DocumentBacklog.start` (at start-up, composed in :mod:`bot.app`) claims
   every row left unfinished and stores the rest: on SQLite (one process) every row at start;
   with replicas on PostgreSQL, rows nobody claimed or whose lease expired (a dead replica's),
   ``FOR UPDATE SKIP LOCKED``, so each is resumed by one replica only. Each batch renews the
   lease.

The row points at the message that shared the document (``ON DELETE CASCADE``): forgetting that
message (a topic naming the document, ``/forget all``) takes the unstored rest along. The
backlog is a data owner too (see :mod:`bot.account`): export lists pending documents, a
forget-all deletes them, a forgotten topic that their unstored parts mention drops their rest,
a group's move to a supergroup takes them along.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import uuid
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from bot.chats import ChatKind
from bot.clock import Clock
from bot.conversation.types import Attachment, Incoming
from bot.memory import MediaRecord, MemoryStore, NewMessage
from bot.memory.ingest import AlsoWrite
from bot.memory.media import insert_media
from bot.storage import Database, Migration, from_db_time, to_db_time

if TYPE_CHECKING:  # bot.account imports the conversation (through reminders): no cycle at run time
    from bot.account import TopicMatches

__all__ = [
    "DOCUMENT_BATCH",
    "DOCUMENT_MIGRATIONS",
    "DocumentBacklog",
    "DocumentGone",
    "PendingDocument",
]

logger = logging.getLogger(__name__)

#: Parts of a shared document stored per transaction.
DOCUMENT_BATCH = 512
#: Parts per backlog piece (about 300 KB of text, 60-80 KB compressed).
PIECE_PARTS = 256
#: A piece's parts are kept NUL-separated (document text never holds a NUL: readers drop them).
_SEPARATOR = "\x00"

DOCUMENT_MIGRATIONS: list[Migration] = [
    Migration(
        1,
        """
        -- Shared documents whose parts are not all stored in memory yet (one row per document).
        CREATE TABLE document_backlog (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            -- The message that shared it: forgetting that message drops the rest.
            message_id INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
            user_id INTEGER NOT NULL,               -- who shared it
            chat_id INTEGER NOT NULL,               -- where (a group's parts go to its memory)
            speaker TEXT,
            at TEXT NOT NULL,                       -- UTC, the message's time (the parts')
            kind TEXT NOT NULL,
            file_id TEXT NOT NULL,
            file_unique_id TEXT,
            file_name TEXT,
            mime_type TEXT,
            total_parts INTEGER NOT NULL,
            next_part INTEGER NOT NULL,             -- the first part not stored yet (1-based)
            claim_token TEXT,                       -- the process storing it now
            claimed_at TEXT                         -- UTC; renewed by every batch
        );
        CREATE INDEX document_backlog_message ON document_backlog (message_id);
        CREATE INDEX document_backlog_chat ON document_backlog (chat_id);
        CREATE INDEX document_backlog_user ON document_backlog (user_id);
        -- The parts not stored yet: piece N holds parts N * PIECE_PARTS + 1 on, NUL-separated,
        -- zlib-compressed; pieces wholly stored are dropped as storing moves on.
        CREATE TABLE document_backlog_pieces (
            backlog_id INTEGER NOT NULL REFERENCES document_backlog (id) ON DELETE CASCADE,
            piece INTEGER NOT NULL,
            parts BLOB NOT NULL,
            PRIMARY KEY (backlog_id, piece)
        );
        """,
    )
]


class DocumentGone(Exception):
    """The backlog row was forgotten, moved to another chat, or claimed by another replica:
    the batch is rolled back and this storing stops."""


@dataclass(slots=True)
class PendingDocument:
    """A document whose parts this process is storing, under its claim ``token``: ``parts``
    are its parts from number ``offset + 1`` on (a resumed one holds only what is left)."""

    user_id: int
    chat_id: int
    speaker: str | None
    at: datetime
    attachment: Attachment
    parts: tuple[str, ...]
    next_part: int
    token: str
    id: int = 0  # the backlog row's, once written
    offset: int = 0

    @property
    def total(self) -> int:
        return self.offset + len(self.parts)

    def media(self, message_id: int, part: int) -> MediaRecord:
        return MediaRecord(
            message_id=message_id,
            kind=self.attachment.kind,
            file_id=self.attachment.file_id,
            file_unique_id=self.attachment.file_unique_id,
            file_name=self.attachment.file_name,
            mime_type=self.attachment.mime_type,
            part=part,
        )


class DocumentBacklog:
    """The ``document_backlog`` rows, and the storing of their parts (see the module
    docstring)."""

    def __init__(
        self,
        db: Database,
        memory: MemoryStore,
        clock: Clock,
        *,
        lease: timedelta = timedelta(minutes=2),
    ) -> None:
        self._db = db
        self._memory = memory
        self._clock = clock
        self._lease = lease
        self._loop_task: asyncio.Task[None] | None = None
        self._storing: set[asyncio.Task[None]] = set()
        # Set when a claim was given back (a chat moved): the loop resumes it without a poll.
        self._wake = asyncio.Event()

    @classmethod
    async def open(
        cls,
        db: Database,
        memory: MemoryStore,
        clock: Clock,
        *,
        lease: timedelta = timedelta(minutes=2),
    ) -> DocumentBacklog:
        await db.migrate("document_backlog", DOCUMENT_MIGRATIONS)
        return cls(db, memory, clock, lease=lease)

    # -- a document arrives ------------------------------------------------------------------

    def pending(self, incoming: Incoming) -> list[PendingDocument]:
        """The documents of a message whose parts are to be stored (none: an empty list)."""
        token = uuid.uuid4().hex
        return [
            PendingDocument(
                user_id=incoming.user_id,
                chat_id=incoming.chat_id,
                speaker=incoming.first_name,
                at=incoming.at,
                attachment=attachment,
                parts=_without_separator(attachment.chunks),
                next_part=1,
                token=token,
            )
            for attachment in incoming.attachments
            if attachment.chunks
        ]

    async def writer(self, documents: Sequence[PendingDocument]) -> AlsoWrite:
        """What writes the documents' backlog rows in the transaction of the message that
        shared them (compressed first, off the event loop)."""
        pieces = await asyncio.to_thread(lambda: [_pack(document.parts) for document in documents])
        claimed_at = to_db_time(self._clock.now())

        def write(conn: sqlite3.Connection, message_ids: list[int]) -> None:
            for document, packed in zip(documents, pieces, strict=True):
                attachment = document.attachment
                cursor = conn.execute(
                    "INSERT INTO document_backlog (message_id, user_id, chat_id, speaker, at,"
                    " kind, file_id, file_unique_id, file_name, mime_type, total_parts,"
                    " next_part, claim_token, claimed_at)"
                    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (
                        message_ids[0],
                        document.user_id,
                        document.chat_id,
                        document.speaker,
                        to_db_time(document.at),
                        attachment.kind,
                        attachment.file_id,
                        attachment.file_unique_id,
                        attachment.file_name,
                        attachment.mime_type,
                        document.total,
                        document.next_part,
                        document.token,
                        claimed_at,
                    ),
                )
                document.id = int(cursor.lastrowid or 0)
                conn.executemany(
                    "INSERT INTO document_backlog_pieces (backlog_id, piece, parts)"
                    " VALUES (?, ?, ?)",
                    [(document.id, piece, blob) for piece, blob in enumerate(packed)],
                )

        return write

    def store_soon(self, document: PendingDocument) -> None:
        """Store the document's parts in the background (its row is written and claimed)."""
        task = asyncio.create_task(self._store_logged(document))
        self._storing.add(task)
        task.add_done_callback(self._storing.discard)

    # -- storing -------------------------------------------------------------------------------

    async def store(self, document: PendingDocument) -> bool:
        """Store the parts from ``next_part`` on, :data:`DOCUMENT_BATCH` per transaction, the
        next batch's words found while the previous one is written. True once every part is
        stored; False when the row went meanwhile (:class:`DocumentGone`)."""
        tasks: list[asyncio.Task[None]] = []
        try:
            for start in range(document.next_part - 1, document.total, DOCUMENT_BATCH):
                tasks.append(asyncio.create_task(self._store_batch(document, start)))
                # Let this batch find its words and hand them to the writer, whose commit then
                # starts before the next batch is created: created at once, the next batch found
                # its words first and the two were committed together, nothing overlapping.
                await asyncio.sleep(0)
                if len(tasks) > 1:
                    await tasks[-2]
            if tasks:
                await tasks[-1]
        except DocumentGone:
            logger.info("stopped storing document %s: forgotten, moved or taken", document.id)
            await self._release(document)
            return False
        finally:  # a failed batch: the one in flight still finishes (or fails) on its own
            await asyncio.gather(*(t for t in tasks if not t.done()), return_exceptions=True)
        return True

    async def _store_batch(self, document: PendingDocument, start: int) -> None:
        """Parts ``start + 1 ...`` with their media rows, moving the backlog on (or deleting it
        after the last part) in the same transaction."""
        batch = document.parts[start - document.offset : start - document.offset + DOCUMENT_BATCH]
        end = start + len(batch)
        renewed = to_db_time(self._clock.now())

        def also(conn: sqlite3.Connection, message_ids: list[int]) -> None:
            insert_media(
                conn,
                [
                    document.media(message_id, part)
                    for part, message_id in enumerate(message_ids, start=start + 1)
                ],
            )
            where = " WHERE id = ? AND claim_token = ? AND next_part = ? AND chat_id = ?"
            claim = (document.id, document.token, start + 1, document.chat_id)
            if end >= document.total:  # its pieces go with it
                cursor = conn.execute("DELETE FROM document_backlog" + where, claim)
            else:
                cursor = conn.execute(
                    "UPDATE document_backlog SET next_part = ?, claimed_at = ?" + where,
                    (end + 1, renewed, *claim),
                )
            if cursor.rowcount != 1:
                raise DocumentGone(document.id)
            if end // PIECE_PARTS > start // PIECE_PARTS:  # pieces wholly stored now
                conn.execute(
                    "DELETE FROM document_backlog_pieces WHERE backlog_id = ? AND piece < ?",
                    (document.id, end // PIECE_PARTS),
                )

        await self._memory.add_messages(
            (
                NewMessage(
                    user_id=document.user_id,
                    chat_id=document.chat_id,
                    role="user",
                    text=part,
                    at=document.at,
                    speaker=document.speaker,
                    sender_id=document.user_id,
                    thread=0,
                )
                for part in batch
            ),
            also=also,
        )
        document.next_part = end + 1

    async def _store_logged(self, document: PendingDocument) -> None:
        try:
            await self.store(document)
        except Exception:
            # The database failed: the row stays, and is resumed once its lease expires.
            logger.exception("storing a document failed; its backlog is resumed later")

    async def _release(self, document: PendingDocument) -> None:
        """Give the claim back, if the row is still ours (moved to a new chat id: resumed
        there); a forgotten row is gone, another replica's is left alone."""
        released = await self._db.execute_rowcount(
            "UPDATE document_backlog SET claim_token = NULL, claimed_at = NULL"
            " WHERE id = ? AND claim_token = ?",
            (document.id, document.token),
        )
        if released:
            self._wake.set()

    # -- resuming ------------------------------------------------------------------------------

    def start(self, *, poll_seconds: float = 30.0) -> None:
        """Resume what a crash left (at start-up), then keep resuming what a dead replica left."""
        if self._loop_task is None:
            self._loop_task = asyncio.create_task(self._resume_loop(poll_seconds))

    async def stop(self) -> None:
        """Stop resuming, and wait for the documents being stored (at shutdown)."""
        if self._loop_task is not None:
            self._loop_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop_task
            self._loop_task = None
        while self._storing:
            await asyncio.gather(*list(self._storing), return_exceptions=True)

    async def _resume_loop(self, poll_seconds: float) -> None:
        # One process on SQLite: every claim at start is a dead process's.
        everything = self._db.dialect != "postgresql"
        while True:
            self._wake.clear()
            try:
                resumed = await self.resume(everything=everything)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # the database is unreachable: try again later
                logger.warning("resuming stored documents failed (%s); retrying", error)
                resumed = 0
            everything = False
            if not resumed:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(poll_seconds):
                        await self._wake.wait()

    async def resume(self, *, everything: bool = False, limit: int = 4) -> int:
        """Claim up to ``limit`` unfinished documents (nobody's, or a claim older than the
        lease; ``everything``: any claim) and store their rest; return how many were claimed."""
        documents = await self.claim(everything=everything, limit=limit)
        for document in documents:
            logger.info(
                "resuming document %s at part %d of %d",
                document.id,
                document.next_part,
                document.total,
            )
            await self.store(document)
        return len(documents)

    async def claim(self, *, everything: bool = False, limit: int = 4) -> list[PendingDocument]:
        """Unfinished documents claimed by this process, their parts unpacked."""
        token = uuid.uuid4().hex
        now = self._clock.now()
        expired = "" if everything else " WHERE claim_token IS NULL OR claimed_at <= ?"
        lock = " FOR UPDATE SKIP LOCKED" if self._db.dialect == "postgresql" else ""
        sql = (
            "UPDATE document_backlog SET claim_token = ?, claimed_at = ? WHERE id IN"
            f" (SELECT id FROM document_backlog{expired} ORDER BY id LIMIT ?{lock})"
            " RETURNING id"
        )
        params: tuple[Any, ...] = (token, to_db_time(now))
        if not everything:
            params += (to_db_time(now - self._lease),)
        params += (limit,)

        def claim(conn: sqlite3.Connection) -> list[tuple[Any, list[bytes]]]:
            ids = [row[0] for row in conn.execute(sql, params).fetchall()]
            if not ids:
                return []
            marks = ",".join("?" * len(ids))
            rows = conn.execute(
                "SELECT id, user_id, chat_id, speaker, at, kind, file_id, file_unique_id,"
                " file_name, mime_type, total_parts, next_part FROM document_backlog"
                f" WHERE id IN ({marks}) ORDER BY id",
                ids,
            ).fetchall()
            return [(row, _pieces_left(conn, row["id"], row["next_part"])) for row in rows]

        claimed = await self._db.run_write(claim)
        return await asyncio.to_thread(
            lambda: [_pending(row, pieces, token) for row, pieces in claimed]
        )

    # -- a data owner (bot.account) -----------------------------------------------------------

    async def export(self, *, user_id: int, chat_id: int) -> list[dict[str, Any]]:
        """The scope's documents not yet wholly stored in memory (a private export: the ones
        the user shared anywhere)."""
        group = ChatKind.of_scope(user_id=user_id, chat_id=chat_id).is_group
        rows = await self._db.fetchall(
            "SELECT message_id, chat_id, kind, file_id, file_name, mime_type, total_parts,"
            " next_part, at FROM document_backlog WHERE "
            + ("chat_id = ?" if group else "user_id = ?")
            + " ORDER BY id",
            (chat_id if group else user_id,),
        )
        return [
            {
                "message_id": row["message_id"],
                "chat_id": row["chat_id"],
                "kind": row["kind"],
                "file_id": row["file_id"],
                "file_name": row["file_name"],
                "mime_type": row["mime_type"],
                "parts": row["total_parts"],
                "parts_stored": row["next_part"] - 1,
                "at": from_db_time(row["at"]).isoformat(),
            }
            for row in rows
        ]

    async def preview_topic(
        self, *, user_id: int, chat_id: int, topic: str, now: datetime
    ) -> TopicMatches:
        """The scope's pending documents whose parts not yet stored mention the topic: their
        rest goes (what was stored already is memory's to match)."""
        from bot.account import TopicExample, TopicMatcher, TopicMatches  # see TYPE_CHECKING

        matcher = TopicMatcher(topic)
        if not matcher:
            return TopicMatches()
        rows = await self._db.fetchall(
            "SELECT id, next_part FROM document_backlog WHERE chat_id = ? ORDER BY id",
            (chat_id,),
        )

        def mentions(pieces: list[bytes], next_part: int) -> str | None:
            _, rest = _unpack(pieces, next_part)
            return next((part for part in rest if matcher.matches(part)), None)

        found = []
        for row in rows:
            backlog_id, next_part = int(row["id"]), int(row["next_part"])
            pieces = await self._db.run(
                partial(_pieces_left, backlog_id=backlog_id, next_part=next_part)
            )
            part = await asyncio.to_thread(mentions, pieces, next_part)  # thousands of parts
            if part is not None:
                found.append((backlog_id, part))
        return TopicMatches(
            items={"pending_documents": tuple(backlog_id for backlog_id, _ in found)},
            examples={"pending_documents": tuple(TopicExample(part) for _, part in found[:2])},
        )

    async def forget_topic_items(
        self, *, user_id: int, chat_id: int, items: Mapping[str, Sequence[int]]
    ) -> dict[str, int]:
        ids = [int(backlog_id) for backlog_id in items.get("pending_documents", ())]
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        count = await self._db.execute_rowcount(
            f"DELETE FROM document_backlog WHERE chat_id = ? AND id IN ({marks})",
            (chat_id, *ids),
        )
        return {"pending_documents": count}

    async def forget_all(self, *, user_id: int, chat_id: int) -> int:
        """A group's pending documents; a user's own, wherever they shared them."""
        if ChatKind.of_scope(user_id=user_id, chat_id=chat_id).is_group:
            return await self._db.execute_rowcount(
                "DELETE FROM document_backlog WHERE chat_id = ?", (chat_id,)
            )
        return await self._db.execute_rowcount(
            "DELETE FROM document_backlog WHERE user_id = ? OR chat_id = ?", (user_id, user_id)
        )

    async def migrate_chat(self, old_chat_id: int, new_chat_id: int) -> int:
        """A group became a supergroup: its pending documents go on there (a batch being
        stored for the old id fails and gives its claim back)."""
        return await self._db.execute_rowcount(
            "UPDATE document_backlog SET chat_id = ? WHERE chat_id = ?",
            (new_chat_id, old_chat_id),
        )


def _without_separator(parts: tuple[str, ...]) -> tuple[str, ...]:
    """The parts, a NUL (in a file name, say) made visible: the separator must stay one."""
    if not any(_SEPARATOR in part for part in parts):
        return parts
    return tuple(part.replace(_SEPARATOR, "\ufffd") for part in parts)


def _pack(parts: Sequence[str]) -> list[bytes]:
    """The parts in compressed pieces of :data:`PIECE_PARTS` (zlib level 1: ~0.1 s of CPU for
    a 19 MB book)."""
    return [
        zlib.compress(
            _SEPARATOR.join(parts[start : start + PIECE_PARTS]).encode("utf-8", "surrogatepass"), 1
        )
        for start in range(0, len(parts), PIECE_PARTS)
    ]


def _pieces_left(conn: sqlite3.Connection, backlog_id: int, next_part: int) -> list[bytes]:
    """The pieces holding part ``next_part`` and those after it, in order."""
    rows = conn.execute(
        "SELECT parts FROM document_backlog_pieces WHERE backlog_id = ? AND piece >= ?"
        " ORDER BY piece",
        (backlog_id, (next_part - 1) // PIECE_PARTS),
    ).fetchall()
    return [bytes(row[0]) for row in rows]


def _unpack(pieces: Sequence[bytes], next_part: int) -> tuple[int, tuple[str, ...]]:
    """(offset, parts) of what :func:`_pieces_left` read: the parts from the first piece's
    first one on, and how many come before it."""
    parts: list[str] = []
    for blob in pieces:
        parts += zlib.decompress(blob).decode("utf-8", "surrogatepass").split(_SEPARATOR)
    return (next_part - 1) // PIECE_PARTS * PIECE_PARTS, tuple(parts)


def _pending(row: Any, pieces: Sequence[bytes], token: str) -> PendingDocument:
    next_part = int(row["next_part"])
    offset, parts = _unpack(pieces, next_part)
    if offset + len(parts) != int(row["total_parts"]):
        raise ValueError(f"document backlog {row['id']}: its pieces do not add up")
    return PendingDocument(
        id=int(row["id"]),
        user_id=int(row["user_id"]),
        chat_id=int(row["chat_id"]),
        speaker=row["speaker"],
        at=from_db_time(row["at"]),
        attachment=Attachment(
            kind=row["kind"],
            file_id=row["file_id"],
            file_unique_id=row["file_unique_id"],
            file_name=row["file_name"],
            mime_type=row["mime_type"],
        ),
        parts=parts,
        next_part=next_part,
        token=token,
        offset=offset,
    )
