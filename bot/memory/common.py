"""Small helpers shared by the memory modules."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

import aiosqlite

__all__ = ["aware", "clean_ids", "fetch_all", "placeholders"]


def aware(moment: datetime) -> datetime:
    """The moment with a time zone (naive values are taken as UTC)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def clean_ids(values: Iterable[Any]) -> list[int]:
    """Distinct integer ids, sorted; anything else (bools, strings, None) is dropped."""
    return sorted({v for v in values if isinstance(v, int) and not isinstance(v, bool)})


def placeholders(count: int) -> str:
    """ "?,?,?" for an SQL IN list of ``count`` values."""
    return ",".join("?" * count)


async def fetch_all(
    conn: aiosqlite.Connection, sql: str, params: Sequence[Any] = ()
) -> list[aiosqlite.Row]:
    """All rows of a query on a connection (inside a transaction)."""
    async with conn.execute(sql, params) as cursor:
        return list(await cursor.fetchall())
