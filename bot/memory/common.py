"""Small helpers shared by the memory modules."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

__all__ = ["aware", "clean_ids", "column", "erasing", "placeholders"]

T = TypeVar("T")


def aware(moment: datetime) -> datetime:
    """The moment with a time zone (naive values are taken as UTC)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def clean_ids(values: Iterable[Any]) -> list[int]:
    """Distinct integer ids, sorted; anything else (bools, strings, None) is dropped."""
    return sorted({v for v in values if isinstance(v, int) and not isinstance(v, bool)})


def placeholders(count: int) -> str:
    """ "?,?,?" for an SQL IN list of ``count`` values."""
    return ",".join("?" * count)


def column(conn: sqlite3.Connection, sql: str, params: Sequence[Any] = ()) -> list[Any]:
    """The first column of every row of a query (ids, mostly)."""
    return [row[0] for row in conn.execute(sql, params)]


def erasing(work: Callable[[sqlite3.Connection], T]) -> Callable[[sqlite3.Connection], T]:
    """``work`` with ``secure_delete`` on, so deleted content is zeroed in the file, not just
    unlinked (the setting is put back afterwards). On PostgreSQL, ``work`` as it is: deleted
    rows stay in their pages until VACUUM reuses the space (autovacuum does that by itself)."""

    def erasing(conn: sqlite3.Connection) -> T:
        if not isinstance(conn, sqlite3.Connection):
            return work(conn)
        previous = conn.execute("PRAGMA secure_delete").fetchone()
        conn.execute("PRAGMA secure_delete = ON")
        try:
            return work(conn)
        finally:
            conn.execute(f"PRAGMA secure_delete = {int(previous[0]) if previous else 0}")

    return erasing
