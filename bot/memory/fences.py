"""Forgetting stops fact learning under way, in every process on the database.

A fact learning pass reads its scope's fence (a random token in ``memory_learning_fences``,
made when missing) before it reads the messages it learns from. Every forget removes the
scope's fence as the first statement of its transaction; every write the pass makes (a fact
added, replaced or retracted, a summary) first checks, in its own transaction, that the fence
it read is still there, with an ``UPDATE`` that locks the row. So whichever comes first waits
for the other: a forget that committed first makes the write store nothing; a write that
committed first is seen (and taken along) by the forget's deletions that follow. A new pass
after a forget makes a new token, so an old pass can never find its token again.

One SQLite process has a single writer, so there it is simply one small row per scope read and
touched in the background learning path; with replicas on PostgreSQL it is what makes a
``/forget`` on one replica stop a pass running on another (the process-local fence of
:class:`~bot.memory.FactExtractor` only cancels its own model calls early).
"""

from __future__ import annotations

import sqlite3
import uuid

from bot.storage import Migration

__all__ = ["FENCE_MIGRATIONS", "hold_fence", "open_fence", "remove_fence"]

FENCE_MIGRATIONS: list[Migration] = [
    Migration(
        1,
        """
        -- A scope's fact learning fence: a token passes read and check; a forget removes it.
        CREATE TABLE memory_learning_fences (
            scope_id INTEGER PRIMARY KEY,
            token TEXT NOT NULL
        );
        """,
    )
]


def open_fence(conn: sqlite3.Connection, scope_id: int) -> str:
    """The scope's fence token, made when missing (before a pass reads its messages)."""
    conn.execute(
        "INSERT OR IGNORE INTO memory_learning_fences (scope_id, token) VALUES (?, ?)",
        (scope_id, uuid.uuid4().hex),
    )
    row = conn.execute(
        "SELECT token FROM memory_learning_fences WHERE scope_id = ?", (scope_id,)
    ).fetchone()
    assert row is not None
    return str(row[0])


def hold_fence(conn: sqlite3.Connection, scope_id: int, token: str) -> bool:
    """Whether nothing of the scope was forgotten since ``token`` was read; locks the fence
    until the caller's transaction ends (run it first in the transaction that writes)."""
    cursor = conn.execute(
        "UPDATE memory_learning_fences SET token = token WHERE scope_id = ? AND token = ?",
        (scope_id, token),
    )
    return cursor.rowcount > 0


def remove_fence(conn: sqlite3.Connection, scope_id: int) -> None:
    """Passes under way for the scope store nothing more (first in a forget's transaction)."""
    conn.execute("DELETE FROM memory_learning_fences WHERE scope_id = ?", (scope_id,))
