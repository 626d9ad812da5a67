"""Per-scope index terms: how a word of one memory scope is spelled inside the shared FTS tables.

Each scope (a user's private memory or a group's) gets a small integer key, written with the
consonants below, and every indexed word is stored as ``<key><mark><word>``: "bx吉他", "cfxguitar".
This partitions one FTS5 table into per-scope posting lists:

* isolation: a query built for one scope can only ever match that scope's rows;
* speed: a search reads its own scope's postings only, whatever the size of the table;
* statistics: a term's document frequency is counted within the scope, as BM25 wants.

The key alphabet has no vowels and no "y", so the prefix leaves the Porter stemmer's measure of
the word unchanged ("cfxrecommended" stems like "recommended"), and the mark letters never occur
in a key, so the first mark ends the key and no two (key, word) pairs spell the same term.
Keys are never reused: a scope that forgot everything loses its row and gets a fresh key later.

Deleting an FTS5 row only adds a deletion marker; the row's terms stay in the older index segments
until those are merged with the marker (SQLite before 3.42 has no ``secure-delete`` option).
:func:`scrub_index` merges every segment of a table into one, so forgotten words leave the index.
"""

from __future__ import annotations

import sqlite3
import unicodedata
from collections.abc import Iterable
from functools import partial
from typing import TYPE_CHECKING

from bot.memory.common import erasing

if TYPE_CHECKING:
    from bot.storage import Database

__all__ = [
    "CONTEXT_MARK",
    "OWN_MARK",
    "ScopeKeys",
    "body_terms",
    "decode_body",
    "encode_body",
    "encode_key",
    "fts_query",
    "index_word",
    "scoped_term",
    "scrub_index",
]

_KEY_ALPHABET = "bcdfghjklmnpqrstvw"
#: Marks a word of the document itself.
OWN_MARK = "x"
#: Marks a word borrowed from a neighbouring message (weaker evidence).
CONTEXT_MARK = "z"

#: Pages of merge work per transaction while scrubbing an index (milliseconds each, so other
#: writers get their turn between the steps).
_SCRUB_PAGES = 256

# unicode61 splits tokens at anything that is not a letter, a number or private use; the stored
# term must stay one token, or the prefix would fall off part of it.
_TOKEN_CATEGORIES = frozenset("LN")


def encode_key(key: int) -> str:
    """Spell a scope key (≥ 1) with the key alphabet."""
    if key < 1:
        raise ValueError("scope keys start at 1")
    base = len(_KEY_ALPHABET)
    digits = []
    while key:
        key, remainder = divmod(key, base)
        digits.append(_KEY_ALPHABET[remainder])
    return "".join(reversed(digits))


def index_word(word: str) -> str:
    """The word reduced to characters FTS5's unicode61 keeps inside one token."""
    if word.isalnum():  # letters and numbers only: already one token (the usual case)
        return word
    return "".join(
        char
        for char in word
        if unicodedata.category(char)[0] in _TOKEN_CATEGORIES or unicodedata.category(char) == "Co"
    )


def scoped_term(key_code: str, word: str, mark: str = OWN_MARK) -> str:
    """The stored spelling of a word in one scope."""
    return f"{key_code}{mark}{word}"


def encode_body(key_code: str, own: Iterable[str], context: Iterable[str] = ()) -> str:
    """The FTS body of a document: its own words, then words borrowed from its neighbours."""
    # Joined in C with the prefix as part of the separator: a book's 16,000 parts of ~140
    # words each cost 4x less than one scoped_term() per word, and the body is the same.
    parts = []
    for mark, words in ((OWN_MARK, own), (CONTEXT_MARK, context)):
        words = list(words)
        if words:
            prefix = key_code + mark
            parts.append(prefix + (" " + prefix).join(words))
    return " ".join(parts)


def decode_body(body: str) -> tuple[list[str], list[str]]:
    """Split a stored body back into its own and context words (without the scope prefix)."""
    own: list[str] = []
    context: list[str] = []
    for term in body.split():
        for position, char in enumerate(term):
            if char == OWN_MARK:
                own.append(term[position + 1 :])
                break
            if char == CONTEXT_MARK:
                context.append(term[position + 1 :])
                break
    return own, context


def body_terms(body: str) -> int:
    """How many own words a stored body holds (its length for BM25).

    Counted in C (``str.count``), not term by term: a search reads this for each of its
    candidates, and the Python loop was the database thread's largest cost per message. Every
    term of a body is ``<key><mark><word>`` with the same key, and the key holds no mark letter,
    so an own word is exactly a term that starts with ``<key>x`` (:func:`encode_body` joins the
    terms with single spaces).
    """
    first = body.partition(" ")[0]
    marks = [at for at in (first.find(OWN_MARK), first.find(CONTEXT_MARK)) if at >= 0]
    if not marks:
        return 0
    return f" {body}".count(f" {first[: min(marks)]}{OWN_MARK}")


def fts_query(term: str) -> str:
    """An FTS5 query string matching exactly one stored term."""
    return '"' + term.replace('"', '""') + '"'


class ScopeKeys:
    """Each scope's term prefix, created on first use and cached (scopes are never renumbered).

    The methods taking a connection run in the database thread (see :meth:`Database.run`).
    """

    def __init__(self) -> None:
        self._codes: dict[int, str] = {}

    def code(self, conn: sqlite3.Connection, scope_id: int) -> str | None:
        """The prefix of a scope's terms; None when nothing of the scope was ever indexed."""
        code = self._codes.get(scope_id)
        if code is None:
            row = conn.execute(
                "SELECT key FROM memory_scopes WHERE scope_id = ?", (scope_id,)
            ).fetchone()
            if row is None:
                return None
            code = self._codes[scope_id] = encode_key(row[0])
        return code

    def ensure(self, conn: sqlite3.Connection, scope_ids: Iterable[int]) -> dict[int, str]:
        """The prefixes of the scopes, creating missing ones (inside a write transaction).

        A key created here is cached only by the scope's next write transaction, once it is
        committed: were this one rolled back, AUTOINCREMENT would hand the key to another scope.
        (So call it once per transaction.)
        """
        codes: dict[int, str] = {}
        for scope_id in scope_ids:
            code = self._codes.get(scope_id)
            if code is None:
                # A new scope's key comes back from the insert itself (no row: it was there).
                created = conn.execute(
                    "INSERT INTO memory_scopes (scope_id) VALUES (?) ON CONFLICT DO NOTHING"
                    " RETURNING key",
                    (scope_id,),
                ).fetchone()
                if created is not None:
                    code = encode_key(created[0])
                else:
                    row = conn.execute(
                        "SELECT key FROM memory_scopes WHERE scope_id = ?", (scope_id,)
                    ).fetchone()
                    code = self._codes[scope_id] = encode_key(row[0])
            codes[scope_id] = code
        return codes

    def invalidate(self, *scope_ids: int) -> None:
        """Forget cached prefixes (after a scope was re-pointed by a chat migration, or lost
        its row by forgetting everything)."""
        for scope_id in scope_ids:
            self._codes.pop(scope_id, None)

    @staticmethod
    def stats(conn: sqlite3.Connection, scope_id: int) -> tuple[int, float]:
        """(messages indexed, average words per message) of a scope."""
        row = conn.execute(
            "SELECT docs, terms FROM memory_scopes WHERE scope_id = ?", (scope_id,)
        ).fetchone()
        if row is None or row[0] <= 0:
            return 0, 1.0
        return row[0], max(row[1] / row[0], 1.0)


def _merge_step(conn: sqlite3.Connection, table: str, *, first: bool) -> bool:
    """One bounded step of merging all of an FTS table's segments into one; False once there
    was nothing left to do. The first step puts every segment on one level (a negative merge)."""
    before = conn.total_changes
    pages = -_SCRUB_PAGES if first else _SCRUB_PAGES
    conn.execute(f"INSERT INTO {table} ({table}, rank) VALUES ('merge', ?)", (pages,))
    return conn.total_changes - before >= 2  # FTS5's documented "no more work" test


async def scrub_index(db: Database, table: str) -> int:
    """Merge every segment of an FTS table into one, so the terms of deleted rows are gone from
    the index pages too (and, with ``secure_delete``, the freed pages are zeroed).

    Runs as a series of short write transactions; returns how many did merge work. Nothing to
    do on PostgreSQL: a deleted row's ``tsvector`` goes with the row (its GIN entries are
    removed by VACUUM).
    """
    if db.dialect != "sqlite":
        return 0
    steps = 0
    while await db.run_write(erasing(partial(_merge_step, table=table, first=steps == 0))):
        steps += 1
    return steps
