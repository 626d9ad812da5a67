"""What a message carried besides text: a voice note, a photo, a document (the bytes never).

One row per attachment in ``memory_media`` (see :mod:`bot.memory.schema`), tied to its message
with ``ON DELETE CASCADE``: forgetting a message, a topic or everything takes its media along.
The understood content (a transcript, a description, a document's text) is in the message text
itself, so search and recall find it like anything typed; the row keeps what Telegram needs to
show the file again (its file id) and what export lists.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["MediaRecord", "export_media", "insert_media"]


@dataclass(frozen=True, slots=True)
class MediaRecord:
    """One attachment of a stored message."""

    message_id: int
    kind: str  # voice, audio, video_note, photo, document
    file_id: str
    file_unique_id: str | None = None
    duration: float | None = None
    file_name: str | None = None
    mime_type: str | None = None
    #: A document's chunk number (1-based), for the messages that hold its text in parts.
    part: int | None = None
    #: What was understood when it differs from the message text (a transcript, a description);
    #: '' when the message text says it all (a document's chunk).
    content: str = ""


def insert_media(conn: sqlite3.Connection, records: Sequence[MediaRecord]) -> None:
    """Insert the rows (in the database thread, inside the caller's transaction)."""
    conn.executemany(
        "INSERT INTO memory_media (message_id, kind, file_id, file_unique_id, duration,"
        " file_name, mime_type, part, content) VALUES (?,?,?,?,?,?,?,?,?)",
        [
            (
                record.message_id,
                record.kind,
                record.file_id,
                record.file_unique_id,
                record.duration,
                record.file_name,
                record.mime_type,
                record.part,
                record.content,
            )
            for record in records
        ],
    )


def export_media(conn: sqlite3.Connection, scope_id: int) -> list[dict[str, Any]]:
    """Every attachment of the scope's messages, oldest first, JSON-serialisable."""
    rows = conn.execute(
        "SELECT m.message_id, m.kind, m.file_id, m.file_unique_id, m.duration, m.file_name,"
        " m.mime_type, m.part, COALESCE(NULLIF(m.content, ''), s.text) AS content"
        " FROM memory_media AS m"
        " JOIN messages AS s ON s.id = m.message_id WHERE s.scope_id = ? ORDER BY m.message_id",
        (scope_id,),
    ).fetchall()
    return [
        {key: value for key, value in dict(row).items() if value is not None and value != ""}
        for row in rows
    ]
