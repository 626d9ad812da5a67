"""Summaries: short texts about stretches of a conversation, used as extra search keys.

The background learner (:mod:`bot.memory.extractor`) writes one for each batch of messages it
reads, in the same model call as the facts. A summary says in a sentence or two what many turns
say in passing ("Anna and Dazi planned her trip to Japan: Kyoto, then Osaka, in April"), so a
question that matches it finds the turns of its stretch (see ``RankingConfig.summary_weight``).
Each summary names the first and last message of its stretch; forgetting any of them, or the
summary's own topic, forgets the summary too.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime

from bot.memory.common import clean_ids, column, placeholders
from bot.memory.index import ScopeKeys, encode_body
from bot.memory.ingest import message_words
from bot.memory.types import Summary
from bot.storage import from_db_time, to_db_time

__all__ = [
    "SUMMARY_TABLE",
    "delete_summaries",
    "insert_summary",
    "summaries_by_ids",
    "summaries_covering",
]

SUMMARY_TABLE = "memory_summary_fts"


def insert_summary(
    conn: sqlite3.Connection,
    keys: ScopeKeys,
    scope_id: int,
    text: str,
    message_ids: Sequence[int],
    now: datetime,
) -> Summary | None:
    """Store a summary of the given messages of the scope; None without text, or unless every
    message is in the scope (one forgotten while the summary was written takes it along)."""
    text = " ".join(text.split())
    wanted = clean_ids(message_ids)
    if not text or not wanted:
        return None
    row = conn.execute(
        f"SELECT min(id), max(id), count(*) FROM messages WHERE scope_id = ?"
        f" AND id IN ({placeholders(len(wanted))})",
        (scope_id, *wanted),
    ).fetchone()
    if row is None or row[0] is None or row[2] != len(wanted):
        return None  # another scope's messages, or some were forgotten meanwhile
    cursor = conn.execute(
        "INSERT INTO memory_summaries (scope_id, text, first_message_id, last_message_id,"
        " created_at) VALUES (?, ?, ?, ?, ?)",
        (scope_id, text, row[0], row[1], to_db_time(now)),
    )
    summary_id = cursor.lastrowid
    assert summary_id is not None
    code = keys.ensure(conn, [scope_id])[scope_id]
    conn.execute(
        f"INSERT INTO {SUMMARY_TABLE} (rowid, body) VALUES (?, ?)",
        (summary_id, encode_body(code, message_words(text, None))),
    )
    return Summary(summary_id, scope_id, text, row[0], row[1], now)


def summaries_by_ids(conn: sqlite3.Connection, scope_id: int, ids: Sequence[int]) -> list[Summary]:
    """The scope's summaries with these ids, oldest first."""
    wanted = clean_ids(ids)
    if not wanted:
        return []
    rows = conn.execute(
        "SELECT id, scope_id, text, first_message_id, last_message_id, created_at"
        f" FROM memory_summaries WHERE scope_id = ? AND id IN ({placeholders(len(wanted))})"
        " ORDER BY id",
        (scope_id, *wanted),
    )
    return [Summary(row[0], row[1], row[2], row[3], row[4], from_db_time(row[5])) for row in rows]


def summaries_covering(
    conn: sqlite3.Connection, scope_id: int, message_ids: Sequence[int]
) -> list[int]:
    """Ids of the scope's summaries whose stretch holds any of these messages."""
    if not message_ids:
        return []
    rows = conn.execute(
        "SELECT id, first_message_id, last_message_id FROM memory_summaries WHERE scope_id = ?",
        (scope_id,),
    ).fetchall()
    ordered = sorted(set(message_ids))
    covering = []
    for summary_id, first, last in rows:
        # The first message id >= first: is it <= last?
        low, high = 0, len(ordered)
        while low < high:
            middle = (low + high) // 2
            if ordered[middle] < first:
                low = middle + 1
            else:
                high = middle
        if low < len(ordered) and ordered[low] <= last:
            covering.append(summary_id)
    return covering


def delete_summaries(conn: sqlite3.Connection, scope_id: int, summary_ids: Sequence[int]) -> int:
    """Erase summaries of the scope (ids of other scopes are ignored); return how many went."""
    wanted = clean_ids(summary_ids)
    if not wanted:
        return 0
    ids = column(
        conn,
        "SELECT id FROM memory_summaries WHERE scope_id = ?"
        f" AND id IN ({placeholders(len(wanted))})",
        (scope_id, *wanted),
    )
    rows = [(summary_id,) for summary_id in ids]
    conn.executemany(f"DELETE FROM {SUMMARY_TABLE} WHERE rowid = ?", rows)
    conn.executemany("DELETE FROM memory_summaries WHERE id = ?", rows)
    return len(ids)
