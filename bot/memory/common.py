"""Small helpers shared by the memory modules."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

__all__ = ["aware", "clean_ids", "column", "placeholders"]


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
