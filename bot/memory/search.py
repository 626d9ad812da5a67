"""Searching one scope's messages and facts (the SQL side of :mod:`bot.memory.ranking`).

A search reads, in one statement, the posting list of every query term within the scope (own
words and context words, newest first, capped), scores the rows (summed in numpy), rescores the best
few hundred with their lengths, neighbours and dates, and, with an embedder, fuses them with the
cosine similarities of the lexical candidates and of the nearest vectors (see :meth:`_fuse`).
Last, messages that ask rather than tell are discounted (:func:`ranking.question_factor`).

Apart from :meth:`Searcher.embed_query`, the searcher is synchronous: it reads through a
``sqlite3.Connection`` in the database thread, so a caller runs a whole search, or a recall's
fact and message searches together, in one :meth:`Database.run` round trip. Which rows hold a
word comes from the engine's :class:`~bot.memory.backends.MemoryBackend` (FTS5 or ``tsvector``);
the ranking above it is the same on both.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from bot.memory.backends import MemoryBackend, SqliteMemory
from bot.memory.common import column, placeholders
from bot.memory.embeddings import Embedder, VectorIndex
from bot.memory.index import (
    CONTEXT_MARK,
    OWN_MARK,
    ScopeKeys,
    body_terms,
    index_word,
    scoped_term,
)
from bot.memory.ranking import (
    QueryPlan,
    RankingConfig,
    RowScores,
    TermPostings,
    fuse_reciprocal_rank,
    id_array,
    idf,
    length_norm,
    plan_query,
    question_factor,
    raw_scores,
    recency_factor,
    speaker_factor,
    term_weights,
    top_candidates,
)
from bot.memory.summaries import SUMMARY_TABLE, summaries_by_ids
from bot.memory.timehints import TimeWindow
from bot.memory.types import Fact, MemoryHit
from bot.storage import from_db_time, to_db_time

__all__ = ["Candidate", "SearchFilter", "Searcher", "fact_from_row"]

logger = logging.getLogger(__name__)

MESSAGE_TABLE = "memory_fts"
FACT_TABLE = "memory_fact_fts"
#: A forget-by-topic match must hold this share of the topic's total term weight.
_TOPIC_MATCH_SHARE = 0.5
_TOPIC_MATCH_LIMIT = 5_000
#: Score of a message inside the query's time window that shares no word with the query.
_WINDOW_FLOOR = 0.01


@dataclass(frozen=True, slots=True)
class SearchFilter:
    """Hard limits on what a search may return (the model's ``search_memory`` tool sets them).

    ``since``/``until`` bound the message time (``until`` exclusive) and become the query's time
    window; ``person`` keeps messages said by or mentioning someone (a case-insensitive match on
    the speaker and the text).
    """

    since: datetime | None = None
    until: datetime | None = None
    person: str | None = None
    #: Only messages written before this moment (e.g. not the question being answered), without
    #: making it a time window of the query.
    written_before: datetime | None = None

    @property
    def window(self) -> TimeWindow | None:
        """The time range as a window (open ends reach far into the past or future)."""
        if self.since is None and self.until is None:
            return None
        start = self.since or datetime(1970, 1, 1, tzinfo=UTC)
        end = self.until or datetime(9999, 1, 1, tzinfo=UTC)
        return TimeWindow(start, end, "")

    def keeps(self, candidate: Candidate) -> bool:
        if self.since is not None and candidate.at < self.since:
            return False
        if self.until is not None and candidate.at >= self.until:
            return False
        if self.written_before is not None and candidate.at >= self.written_before:
            return False
        if self.person:
            name = self.person.casefold()
            said = (candidate.speaker or "").casefold()
            return name in said or name in candidate.text.casefold()
        return True


@dataclass(slots=True)
class Candidate:
    """A message being ranked."""

    id: int
    chat_id: int
    role: str
    speaker: str | None
    text: str
    at: datetime
    length: int
    prev_id: int | None
    next_id: int | None
    score: float = 0.0

    def hit(self) -> MemoryHit:
        return MemoryHit(
            message_id=self.id,
            text=self.text,
            at=self.at,
            score=self.score,
            role=self.role,
            speaker=self.speaker,
            chat_id=self.chat_id,
        )


class Searcher:
    """Ranks a scope's messages and facts for a natural question (see the module docstring)."""

    def __init__(
        self,
        keys: ScopeKeys,
        config: RankingConfig,
        vectors: VectorIndex,
        embedder: Embedder | None,
        *,
        query_embed_timeout: float,
        backend: MemoryBackend | None = None,
    ) -> None:
        self._keys = keys
        self._backend: MemoryBackend = backend or SqliteMemory()
        self._config = config
        self._vectors = vectors
        self._embedder = embedder
        self._embed_timeout = query_embed_timeout

    def plan(self, query: str, now: datetime) -> QueryPlan:
        """The query plan of a question, shared by the message and the fact search."""
        return plan_query(query, now, config=self._config)

    # --- messages -----------------------------------------------------------------------------

    def messages(
        self,
        conn: sqlite3.Connection,
        scope_id: int,
        plan: QueryPlan,
        now: datetime,
        *,
        k: int,
        before_id: int | None = None,
        exclude: frozenset[int] = frozenset(),
        query_vector: list[float] | None = None,
        where: SearchFilter | None = None,
    ) -> list[Candidate]:
        """The k best messages of the scope for the query, best first (only those ``where``
        keeps, if given)."""
        code = self._keys.code(conn, scope_id)
        if code is None or k <= 0 or (exclude and _all_excluded(conn, scope_id, exclude)):
            return []
        ids: tuple[int, int] | None = None
        if where is not None and where.window is not None:
            # A time range is also a plan window: its messages join the pool and get the boost.
            plan = replace(plan, window=where.window)
            ids = self._id_range(conn, scope_id, where.window)
            if ids is None:
                return []
        ranked, weights = self._lexical(conn, scope_id, code, plan, now, before_id, ids)
        if self._config.fact_key_weight > 0:
            ranked = self._through_facts(
                conn, scope_id, code, plan, now, ranked, weights, before_id, ids
            )
        if self._config.summary_weight > 0:
            ranked = self._through_summaries(conn, scope_id, code, plan, ranked)
        if query_vector is not None:
            dense = self._nearest(conn, "message", scope_id, query_vector, before_id, ids)
            if dense:
                ranked = self._fuse(conn, scope_id, plan, ranked, dense, query_vector, before_id)
        ranked = [candidate for candidate in ranked if candidate.id not in exclude]
        if where is not None:
            ranked = [candidate for candidate in ranked if where.keeps(candidate)]
        # After fusion and the neighbour shares: a question still lends its words to its answer.
        asked, speakers = plan.own_words, dict[str, bool]()
        for candidate in ranked:
            candidate.score *= question_factor(candidate.text, self._config) * speaker_factor(
                candidate.speaker, asked, self._config, cache=speakers
            )
        ranked.sort(key=lambda c: (c.score, c.id), reverse=True)
        return ranked[:k]

    def _lexical(
        self,
        conn: sqlite3.Connection,
        scope_id: int,
        code: str,
        plan: QueryPlan,
        now: datetime,
        before_id: int | None,
        ids: tuple[int, int] | None = None,
    ) -> tuple[list[Candidate], dict[str, float]]:
        """The candidates, best first, and each query term's weight among the messages (its
        query weight times its idf; terms no message holds at the highest idf)."""
        config = self._config
        documents, average_length = self._keys.stats(conn, scope_id)
        postings = self._postings(conn, MESSAGE_TABLE, code, plan, before_id)
        scores = raw_scores(postings, documents, config)
        weights = {term.word: term.weight * idf(0, documents) for term in plan.terms}
        weights.update((p.term.word, weight) for p, weight in term_weights(postings, documents))
        if ids is not None:  # a hard time range: rank only the messages that may be returned
            scores = scores.within(*ids)
        pool = top_candidates(scores, config.pool_size)
        if plan.window is not None:
            pool.extend(self._window_ids(conn, scope_id, plan, before_id, exclude=set(pool)))
        candidates = self.load(conn, scope_id, pool)
        # The scores of the candidates and their neighbours, looked up together.
        known = scores.lookup(
            [c.id for c in candidates]
            + [i for c in candidates for i in (c.prev_id, c.next_id) if i is not None]
        )
        for candidate in candidates:
            own = known.get(candidate.id, 0.0)
            before, after = candidate.prev_id, candidate.next_id
            neighbour = max(
                0.0 if before is None else known.get(before, 0.0),
                0.0 if after is None else known.get(after, 0.0),
            )
            score = own * length_norm(candidate.length, average_length, config)
            score += config.neighbour_weight * neighbour
            # A message of the asked-about time matches even without shared words ("what did
            # we talk about yesterday?"), below every message that shares some.
            score = max(
                score, _WINDOW_FLOOR if plan.window and plan.window.contains(candidate.at) else 0.0
            )
            candidate.score = score * self._time_factor(plan, candidate.at, now)
        candidates = [candidate for candidate in candidates if candidate.score > 0]
        candidates.sort(key=lambda c: (c.score, c.id), reverse=True)
        return candidates, weights

    def _through_facts(
        self,
        conn: sqlite3.Connection,
        scope_id: int,
        code: str,
        plan: QueryPlan,
        now: datetime,
        ranked: list[Candidate],
        weights: Mapping[str, float],
        before_id: int | None,
        ids: tuple[int, int] | None,
    ) -> list[Candidate]:
        """Lift the turns that facts matching the query came from (see ``fact_key_weight``):
        a cited turn scores at least as a message holding the fact's query words would,
        times the weight."""
        config = self._config
        count = _fact_count(conn, scope_id)
        if not count or not plan.terms:
            return ranked
        postings = self._postings(conn, FACT_TABLE, code, plan, None, with_context=False)
        scores = raw_scores(postings, count, config)
        if not scores:
            return ranked
        # A fact's share of the query: the weight of the query's terms it holds (a handful of
        # facts make idf meaningless), out of them all; its score: those terms' message weights.
        total = sum(term.weight for term in plan.terms) or 1.0
        held: dict[int, float] = {}
        as_message: dict[int, float] = {}
        for posting in postings:
            for row in posting.own.tolist():
                held[row] = held.get(row, 0.0) + posting.term.weight
                as_message[row] = as_message.get(row, 0.0) + weights.get(posting.term.word, 0.0)
        lift: dict[int, float] = {}
        top = top_candidates(scores, config.fact_keys)
        for fact in self.facts_by_ids(conn, scope_id, top):
            if held.get(fact.id, 0.0) / total < config.fact_key_min_share:
                continue
            score = config.fact_key_weight * as_message.get(fact.id, 0.0)
            for message_id in fact.source_message_ids:
                if before_id is not None and message_id >= before_id:
                    continue
                if ids is not None and not ids[0] <= message_id <= ids[1]:
                    continue
                lift[message_id] = max(lift.get(message_id, 0.0), score)
        if not lift:
            return ranked
        by_id = {candidate.id: candidate for candidate in ranked}
        fresh = self.load(conn, scope_id, [i for i in lift if i not in by_id])
        for candidate in fresh:
            by_id[candidate.id] = candidate
        for message_id, score in lift.items():
            cited = by_id.get(message_id)
            if cited is not None:
                floor = score * self._time_factor(plan, cited.at, now)
                cited.score = max(cited.score, floor)
        result = list(by_id.values())
        result.sort(key=lambda c: (c.score, c.id), reverse=True)
        return result

    def _through_summaries(
        self,
        conn: sqlite3.Connection,
        scope_id: int,
        code: str,
        plan: QueryPlan,
        ranked: list[Candidate],
    ) -> list[Candidate]:
        """Lift the candidates inside the stretch of a summary that matches the query."""
        config = self._config
        if not ranked or not plan.terms or not _has_summaries(conn, scope_id):
            return ranked
        postings = self._postings(conn, SUMMARY_TABLE, code, plan, None, with_context=False)
        if not postings:
            return ranked
        total = sum(term.weight for term in plan.terms) or 1.0
        held: dict[int, float] = {}
        for posting in postings:
            for row in posting.own.tolist():
                held[row] = held.get(row, 0.0) + posting.term.weight
        scores = raw_scores(postings, max(len(held), 1), config)
        stretches = [
            (summary.first_message_id, summary.last_message_id, held[summary.id] / total)
            for summary in summaries_by_ids(
                conn, scope_id, top_candidates(scores, config.summary_keys)
            )
            if held[summary.id] / total >= config.summary_min_share
        ]
        if not stretches:
            return ranked
        for candidate in ranked:
            share = max(
                (share for first, last, share in stretches if first <= candidate.id <= last),
                default=0.0,
            )
            candidate.score *= 1.0 + config.summary_weight * share
        ranked.sort(key=lambda c: (c.score, c.id), reverse=True)
        return ranked

    @staticmethod
    def _id_range(
        conn: sqlite3.Connection, scope_id: int, window: TimeWindow
    ) -> tuple[int, int] | None:
        """The lowest and highest id of the scope's messages inside the window (None if none)."""
        row = conn.execute(
            "SELECT min(id), max(id) FROM messages WHERE scope_id = ? AND at >= ? AND at < ?",
            (scope_id, to_db_time(window.start), to_db_time(window.end)),
        ).fetchone()
        return None if row is None or row[0] is None else (int(row[0]), int(row[1]))

    def _time_factor(self, plan: QueryPlan, at: datetime, now: datetime) -> float:
        factor = recency_factor((now - at).total_seconds() / 86400.0, self._config)
        return factor * self._window_factor(plan, at)

    def _window_factor(self, plan: QueryPlan, at: datetime) -> float:
        if plan.window is not None and plan.window.contains(at):
            return 1.0 + self._config.window_boost
        return 1.0

    def _window_ids(
        self,
        conn: sqlite3.Connection,
        scope_id: int,
        plan: QueryPlan,
        before_id: int | None,
        exclude: set[int],
    ) -> list[int]:
        """Messages written inside the query's time window, newest first."""
        assert plan.window is not None
        ids = column(
            conn,
            "SELECT id FROM messages WHERE scope_id = ? AND at >= ? AND at < ? AND id < ?"
            " ORDER BY at DESC LIMIT ?",
            (
                scope_id,
                to_db_time(plan.window.start),
                to_db_time(plan.window.end),
                before_id if before_id is not None else 1 << 62,
                self._config.pool_size,
            ),
        )
        return [message_id for message_id in ids if message_id not in exclude]

    @staticmethod
    def load(conn: sqlite3.Connection, scope_id: int, ids: Sequence[int]) -> list[Candidate]:
        """The scope's messages with these ids, with index lengths and neighbour ids."""
        if not ids:
            return []
        rows = conn.execute(
            "SELECT m.id, m.chat_id, m.role, m.speaker, m.text, m.at, f.body,"
            " (SELECT max(p.id) FROM messages AS p WHERE p.scope_id = m.scope_id AND p.id < m.id),"
            " (SELECT min(n.id) FROM messages AS n WHERE n.scope_id = m.scope_id AND n.id > m.id)"
            " FROM messages AS m LEFT JOIN memory_fts AS f ON f.rowid = m.id"
            f" WHERE m.scope_id = ? AND m.id IN ({placeholders(len(ids))})",
            (scope_id, *ids),
        )
        return [
            Candidate(
                id=row[0],
                chat_id=row[1],
                role=row[2],
                speaker=row[3],
                text=row[4],
                at=from_db_time(row[5]),
                length=body_terms(row[6]) if row[6] else 1,
                prev_id=row[7],
                next_id=row[8],
            )
            for row in rows
        ]

    def _fuse(
        self,
        conn: sqlite3.Connection,
        scope_id: int,
        plan: QueryPlan,
        lexical: list[Candidate],
        dense: list[tuple[int, float]],
        vector: list[float],
        before_id: int | None,
    ) -> list[Candidate]:
        """Weighted fusion of normalised lexical and dense scores.

        The candidates are the lexical ones and the nearest vectors. A lexical score counts as its
        share of the best one; a similarity counts by how far it rises above the candidates'
        average towards their best (cosines of one model crowd into a narrow band, so their raw
        values mean little), after mixing in the best neighbour's similarity, as the lexical
        score does. Ranks alone (reciprocal rank fusion) would throw away how far apart the
        candidates are, which measured clearly worse on LoCoMo.
        """
        config = self._config
        by_id = {candidate.id: candidate for candidate in lexical}
        for candidate in self.load(conn, scope_id, [i for i, _ in dense if i not in by_id]):
            by_id[candidate.id] = candidate
        similarity = dict(dense)
        wanted = set(by_id)
        if config.dense_neighbour_weight:
            for candidate in by_id.values():
                wanted.update(
                    i
                    for i in (candidate.prev_id, candidate.next_id)
                    if i is not None and (before_id is None or i < before_id)
                )
        missing = [i for i in wanted if i not in similarity]
        similarity.update(self._vectors.similarities(conn, "message", scope_id, vector, missing))
        own = [similarity[i] for i in by_id if i in similarity]
        if not own:
            return lexical
        floor = sum(own) / len(own)
        span = (max(own) - floor) or 1.0
        best_lexical = max((candidate.score for candidate in lexical), default=0.0) or 1.0
        in_window = 1.0 + config.window_boost
        result = []
        for item, candidate in by_id.items():
            cosine = similarity.get(item, floor)
            if config.dense_neighbour_weight:
                neighbour = max(
                    similarity.get(candidate.prev_id or 0, floor),
                    similarity.get(candidate.next_id or 0, floor),
                )
                cosine = (cosine + config.dense_neighbour_weight * neighbour) / (
                    1.0 + config.dense_neighbour_weight
                )
            dense_score = max(0.0, (cosine - floor) / span)
            if plan.window is not None:  # the lexical share holds the window already
                dense_score *= self._window_factor(plan, candidate.at) / in_window
            lexical_score = candidate.score / best_lexical  # 0 for dense-only candidates
            weight = config.dense_weight
            candidate.score = (1.0 - weight) * lexical_score + weight * dense_score
            result.append(candidate)
        result.sort(key=lambda c: (c.score, c.id), reverse=True)
        return result

    # --- facts --------------------------------------------------------------------------------

    def facts(
        self,
        conn: sqlite3.Connection,
        scope_id: int,
        plan: QueryPlan,
        *,
        k: int,
        include_superseded: bool = False,
        query_vector: list[float] | None = None,
    ) -> list[Fact]:
        """The k facts of the scope most relevant to the query, best first."""
        code = self._keys.code(conn, scope_id)
        # No facts yet (a new user's memory): no full-text lookups for nothing.
        if code is None or k <= 0 or not (count := _fact_count(conn, scope_id)):
            return []
        postings = self._postings(conn, FACT_TABLE, code, plan, None)
        scores: RowScores | dict[int, float] = raw_scores(postings, count, self._config)
        if query_vector is not None:
            dense = self._nearest(conn, "fact", scope_id, query_vector, None)
            if dense:
                lexical = top_candidates(scores, self._config.pool_size)
                scores = fuse_reciprocal_rank(
                    [lexical, [item for item, _ in dense]],
                    k=self._config.rrf_k,
                    weights=(1.0, self._config.dense_weight),
                )
        facts = self.facts_by_ids(conn, scope_id, top_candidates(scores, max(4 * k, 20)))
        if not include_superseded:
            facts = [fact for fact in facts if fact.is_active]
        facts.sort(key=lambda fact: scores.get(fact.id, 0.0), reverse=True)
        return [replace(fact, score=scores.get(fact.id, 0.0)) for fact in facts[:k]]

    @staticmethod
    def facts_by_ids(conn: sqlite3.Connection, scope_id: int, ids: Sequence[int]) -> list[Fact]:
        """The scope's facts with these ids (in no particular order)."""
        if not ids:
            return []
        rows = conn.execute(
            f"SELECT * FROM memory_facts WHERE scope_id = ? AND id IN ({placeholders(len(ids))})",
            (scope_id, *ids),
        )
        return [fact_from_row(row) for row in rows]

    # --- topic matching (forget) --------------------------------------------------------------

    def topic_matches(
        self, conn: sqlite3.Connection, scope_id: int, topic: str, now: datetime
    ) -> tuple[list[int], list[int]]:
        """Message and fact ids that hold enough of a topic's words, best first.

        A row must hold at least half of the topic's weight (words weighted by rarity), so the
        specific words count: "my trip to Japan" takes every message naming Japan, not every
        message about some trip. No expansions, no time window: forgetting must be literal.
        """
        code = self._keys.code(conn, scope_id)
        if code is None:
            return [], []
        plan = plan_query(topic, now, config=self._config, expand=False)
        plan = QueryPlan(terms=plan.terms)
        documents, _ = self._keys.stats(conn, scope_id)
        messages = self._matching(conn, MESSAGE_TABLE, code, plan, documents)
        facts = self._matching(conn, FACT_TABLE, code, plan, _fact_count(conn, scope_id))
        return messages, facts

    def topic_summaries(
        self, conn: sqlite3.Connection, scope_id: int, topic: str, now: datetime
    ) -> list[int]:
        """Summary ids that hold enough of a topic's words (as :meth:`topic_matches`)."""
        code = self._keys.code(conn, scope_id)
        if code is None or not _has_summaries(conn, scope_id):
            return []
        plan = QueryPlan(terms=plan_query(topic, now, config=self._config, expand=False).terms)
        count = conn.execute(
            "SELECT count(*) FROM memory_summaries WHERE scope_id = ?", (scope_id,)
        ).fetchone()
        return self._matching(conn, SUMMARY_TABLE, code, plan, count[0] if count else 0)

    def _matching(
        self, conn: sqlite3.Connection, table: str, code: str, plan: QueryPlan, documents: int
    ) -> list[int]:
        if not plan.terms:
            return []
        postings = self._postings(conn, table, code, plan, None, with_context=False)
        config = replace(self._config, context_weight=0.0)
        scores = raw_scores(postings, documents, config)
        weights = raw_scores(
            [
                TermPostings(p.term, id_array([0]), id_array([]), p.document_frequency)
                for p in postings
            ],
            documents,
            config,
        )
        threshold = _TOPIC_MATCH_SHARE * weights.get(0, 0.0) - 1e-9
        return top_candidates(scores.at_least(threshold), _TOPIC_MATCH_LIMIT)

    # --- postings and vectors -----------------------------------------------------------------

    def _postings(
        self,
        conn: sqlite3.Connection,
        table: str,
        code: str,
        plan: QueryPlan,
        before_id: int | None,
        *,
        with_context: bool = True,
    ) -> list[TermPostings]:
        """Which rows of the scope hold each query term, as own words and as context words."""
        if not plan.terms:
            return []
        cap = self._config.postings_cap
        marks = [OWN_MARK]
        if with_context and table == MESSAGE_TABLE:
            marks.append(CONTEXT_MARK)
        probes = [(position, mark) for position in range(len(plan.terms)) for mark in marks]
        found = self._backend.postings(
            conn,
            table,
            [
                scoped_term(code, index_word(plan.terms[position].word), mark)
                for position, mark in probes
            ],
            before_id,
            cap,
        )
        postings = [TermPostings(term=term) for term in plan.terms]
        for (position, mark), ids in zip(probes, found, strict=True):
            if mark == OWN_MARK:
                postings[position].own = ids
                postings[position].document_frequency = len(ids)
            else:
                postings[position].context = ids
        for posting in postings:
            if len(posting.own) >= cap:  # capped: count the true document frequency
                posting.document_frequency = self._backend.count(
                    conn, table, scoped_term(code, index_word(posting.term.word), OWN_MARK)
                )
        return [posting for posting in postings if len(posting.own) or len(posting.context)]

    async def embed_query(self, query: str) -> list[float] | None:
        """The query's vector, or None without an embedder, stored vectors, or on failure.

        The one coroutine of the searcher: call it before the database round trip.
        """
        if self._embedder is None or self._vectors.backend is None or not query.strip():
            return None
        try:
            vectors = await asyncio.wait_for(
                self._embedder.embed([query], query=True), self._embed_timeout
            )
            return list(vectors[0])
        except Exception as error:  # the lexical ranking still answers
            logger.warning("query embedding failed (%s); searching lexically only", error)
            return None

    def _nearest(
        self,
        conn: sqlite3.Connection,
        kind: str,
        scope_id: int,
        vector: list[float],
        before_id: int | None,
        ids: tuple[int, int] | None = None,
    ) -> list[tuple[int, float]]:
        """The scope's nearest items: (id, cosine similarity), best first (within ``ids``)."""
        nearest = self._vectors.nearest(conn, kind, scope_id, vector, self._config.pool_size)
        return [
            (item, cosine)
            for item, cosine in nearest
            if (before_id is None or item < before_id) and (ids is None or ids[0] <= item <= ids[1])
        ]


def _has_summaries(conn: sqlite3.Connection, scope_id: int) -> bool:
    return (
        conn.execute(
            "SELECT 1 FROM memory_summaries WHERE scope_id = ? LIMIT 1", (scope_id,)
        ).fetchone()
        is not None
    )


def _all_excluded(conn: sqlite3.Connection, scope_id: int, exclude: frozenset[int]) -> bool:
    """Whether every message of the scope is excluded (a new chat's whole history is in the
    prompt already): nothing is left to find, so no full-text lookups are made."""
    row = conn.execute(
        f"SELECT 1 FROM messages WHERE scope_id = ? AND id NOT IN ({placeholders(len(exclude))})"
        " LIMIT 1",
        (scope_id, *exclude),
    ).fetchone()
    return row is None


def _fact_count(conn: sqlite3.Connection, scope_id: int) -> int:
    row = conn.execute(
        "SELECT count(*) FROM memory_facts WHERE scope_id = ?", (scope_id,)
    ).fetchone()
    return row[0] if row else 0


def fact_from_row(row: Mapping[str, Any] | Any) -> Fact:
    """A Fact from a ``memory_facts`` row."""
    try:
        sources = tuple(int(i) for i in json.loads(row["source_message_ids"]))
    except (TypeError, ValueError):
        sources = ()
    return Fact(
        id=row["id"],
        scope_id=row["scope_id"],
        text=row["text"],
        subject=row["subject"],
        kind=row["kind"],
        status=row["status"],
        superseded_by=row["superseded_by"],
        source_message_ids=sources,
        created_at=from_db_time(row["created_at"]),
        updated_at=from_db_time(row["updated_at"]),
        valid_until=from_db_time(row["valid_until"]) if row["valid_until"] else None,
        ended_by_message_id=row["ended_by_message_id"],
    )
