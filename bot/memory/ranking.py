"""Ranking memories for a natural question: query plan, BM25-style scoring, and fusion.

The question becomes a weighted bag of terms (:func:`plan_query`): its content words, a few
category expansions at a lower weight, and the words of any time hint at a low weight; the hint
itself becomes a time window. Matching is OR, never AND: a message needs only some of the words.

Scores are computed from per-scope posting lists (which rows hold each term; summed and ranked
in numpy, see :class:`RowScores`), not by FTS5's ``bm25()``, because the inverse document
frequency must be counted within the user's own history, and because the final score mixes in
signals FTS5 cannot see:

* BM25 with binary term frequency (chat messages are short; a repeated word adds little);
* the neighbouring turns: a question's answer often spans adjacent messages ("What did you
  buy?" / "Guitar strings!"), so a message inherits part of its neighbours' score;
* the time window of a hint, and a mild preference for recent messages;
* with an embedder, the normalised cosine similarities, fused by weight (see ``search.py``);
* a lift for messages said by someone the question names ("what did Anna say about the
  trip?"; :func:`speaker_factor`): the name is indexed as one word among many, and a common
  one, so it weighs little in BM25 and in the vectors;
* last, a discount for the share of a message that asks rather than tells
  (:func:`asking_share`): a past question ("What's your best camping memory?") echoes the
  words of a question about the same thing, but the answer is what follows it, which inherits
  the question's words through the neighbour share and so takes its place.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeAlias

import numpy as np
import numpy.typing as npt

from bot.memory.lexicon import STOP_WORDS, expansions_of
from bot.memory.text import han_characters, tokenize, unique_terms
from bot.memory.timehints import TimeWindow, parse_time_window

__all__ = [
    "IdArray",
    "QueryPlan",
    "QueryTerm",
    "RankingConfig",
    "RowScores",
    "TermPostings",
    "asking_share",
    "fuse_reciprocal_rank",
    "id_array",
    "idf",
    "length_norm",
    "plan_query",
    "question_factor",
    "raw_scores",
    "recency_factor",
    "speaker_factor",
    "term_weights",
    "top_candidates",
]

#: Row ids as the ranker reads them (posting lists, candidate ids).
IdArray: TypeAlias = npt.NDArray[np.int64]
_Floats: TypeAlias = npt.NDArray[np.float64]
#: Scores are summed into one slot per id between the lowest and highest id touched while that
#: span is at most this many slots per posting (plus a fixed allowance); a wider span (a user
#: among many, whose ids are far apart) is first made compact by sorting the ids.
_DENSE_SLOTS_PER_POSTING = 4
_DENSE_SLOTS_ALLOWANCE = 1 << 16


def id_array(ids: Iterable[int]) -> IdArray:
    """Row ids as an array (an empty one for none)."""
    return np.fromiter(ids, dtype=np.int64)


def _no_ids() -> IdArray:
    return np.empty(0, dtype=np.int64)


@dataclass(frozen=True, slots=True)
class RankingConfig:
    """Knobs of the ranker.

    Defaults are conventional BM25 values, except ``b`` (chat messages are short, so length
    matters less) and the neighbour/context weights, which were chosen on LoCoMo's dialogues
    among a few round values; none of them is tied to particular questions.
    """

    #: BM25 length normalisation (0 = none, 1 = full) and saturation.
    k1: float = 1.2
    b: float = 0.5
    #: Weight of a query's category expansions and of the words of its time hint.
    expansion_weight: float = 0.45
    time_word_weight: float = 0.3
    #: Weight of a single Han character taken from a Chinese word of the query.
    character_weight: float = 0.3
    #: Share of the best neighbour's score a message inherits.
    neighbour_weight: float = 0.3
    #: Weight of a word indexed from a neighbouring message rather than the message itself.
    context_weight: float = 0.35
    #: Score multiplier for messages written inside the query's time window.
    window_boost: float = 1.0
    #: Multiplier 1 + recency_boost * exp(-age / recency_days) for recent messages.
    recency_boost: float = 0.05
    recency_days: float = 120.0
    #: The most terms a query keeps (the highest weighted, earliest first): long messages make
    #: long queries, and each term costs a posting-list read.
    max_terms: int = 32
    #: How many lexical candidates are rescored, and how many postings a term reads at most.
    pool_size: int = 120
    postings_cap: int = 4000
    #: With an embedder: the dense share of a message's fused score (the lexical one gets the
    #: rest), and the weight of its best neighbour's similarity against its own (1.0). The
    #: plateau on LoCoMo with multilingual-e5-small was wide (weights 0.4-0.6, neighbour 0.3-1.0;
    #: recall@10 0.83-0.84); check another model with ``benchmarks/memory_recall.py
    #: --embeddings --dense-weight W --dense-neighbour-weight N``.
    dense_weight: float = 0.5
    dense_neighbour_weight: float = 0.5
    #: How much of its score a message loses for being a question: its final score is
    #: multiplied by 1 - question_discount * (share of its text in questions). Not 1.0: a
    #: question is sometimes the only trace of a topic ("Should I take the job in Berlin?").
    #: On LoCoMo a quarter of the turns but a ninth of the evidence end in "?"; 0.5-0.8 raised
    #: recall@10 alike (with e5-small 0.836 -> 0.851-0.853, without embeddings 0.784 ->
    #: 0.801-0.807); 1.0 does as well with embeddings but worse without (0.794). 0.8: chosen
    #: in each of the three held-out folds of ``memory_recall.py --held-out`` (tuned on the
    #: two other conversations; 0.3/0.5/0.8 tried).
    question_discount: float = 0.8
    #: How much more a message counts when the question names its speaker ("what did Anna
    #: say about the trip?"): its final score is multiplied by 1 + speaker_boost. Chosen on
    #: LoCoMo by ``memory_recall.py --held-out`` (tuned on two conversations, measured on the
    #: third; 0/0.1/0.2/0.4 tried).
    speaker_boost: float = 0.2
    #: Reciprocal rank fusion constant (facts fuse their dense ranking by rank; their scores
    #: come from a handful of short texts).
    rrf_k: int = 60
    #: Facts as keys to the turns they came from: a message cited by one of the fact_keys best
    #: facts scores at least fact_key_weight x what a message holding the fact's query words
    #: would (facts with less than fact_key_min_share of the query's weight lead nowhere).
    #: A fact says in a few words what its turns say in many ("Anna moved to Berlin" from
    #: "signed the lease for the flat on Kastanienallee!"), so its words find those turns.
    fact_key_weight: float = 0.6
    fact_key_min_share: float = 0.3
    fact_keys: int = 5
    #: Summaries as keys to their stretch: a message inside the stretch of one of the
    #: summary_keys best summaries has its score multiplied by 1 + summary_weight x the share
    #: of the query's weight the summary holds (under summary_min_share: no lift).
    summary_weight: float = 0.5
    summary_min_share: float = 0.3
    summary_keys: int = 3


@dataclass(frozen=True, slots=True)
class QueryTerm:
    word: str
    weight: float


@dataclass(frozen=True, slots=True)
class QueryPlan:
    """What a question asks for: weighted terms and an optional time window."""

    terms: tuple[QueryTerm, ...]
    window: TimeWindow | None = None

    @property
    def is_empty(self) -> bool:
        return not self.terms and self.window is None

    @property
    def own_words(self) -> frozenset[str]:
        """The question's own words (full weight), without expansions, characters or the
        words of its time hint."""
        return frozenset(term.word for term in self.terms if term.weight >= 1.0)


@dataclass(slots=True)
class TermPostings:
    """The rows of one scope holding a term, as its own word and as a neighbour's word."""

    term: QueryTerm
    own: IdArray = field(default_factory=_no_ids)
    context: IdArray = field(default_factory=_no_ids)
    #: Documents holding the term as their own word (may exceed len(own) when capped).
    document_frequency: int = 0


def plan_query(
    query: str, now: datetime, *, config: RankingConfig | None = None, expand: bool = True
) -> QueryPlan:
    """Turn a natural question into weighted terms and a time window."""
    config = config or RankingConfig()
    window = parse_time_window(query, now)
    weights: dict[str, float] = {}

    def offer(word: str, weight: float) -> None:
        if weight > weights.get(word, 0.0):
            weights[word] = weight

    time_words = set(tokenize(window.phrase)) if window else set()
    words = unique_terms(tokenize(query))
    for word in words:
        offer(word, config.time_word_weight if word in time_words else 1.0)
    for char in han_characters(words):
        offer(char, config.character_weight)
    if expand:
        for word in unique_terms(tokenize(query, keep_stop_words=True)):
            for member in expansions_of(word):
                if member not in STOP_WORDS:
                    offer(member, config.expansion_weight)
    ranked = sorted(weights.items(), key=lambda item: -item[1])[: config.max_terms]
    terms = tuple(QueryTerm(word, weight) for word, weight in ranked)
    return QueryPlan(terms=terms, window=window)


#: A sentence or clause with its closing punctuation, if any.
_SENTENCE_RE = re.compile(r"[^.!?。！？…\n]+[.!?。！？…]*")
#: How a question ends: a question mark, or (Chinese typed without one) the particle 吗.
_ASKING_MARKS = ("?", "？", "吗")
_QUESTION_END_RE = re.compile(r"(?:[?？]|吗)[\s\"'”’)）]*$")


def asking_share(text: str) -> float:
    """The share of a message's characters (0-1) in sentences that ask.

    "Wow! What did you paint?" is mostly a question; "I painted a sunset. Like it?" mostly
    tells. Questions are recognised by their mark ("?", "？") or by 吗 closing a Chinese clause.
    """
    if not any(mark in text for mark in _ASKING_MARKS):  # most messages: no sentence split
        return 0.0
    total = asking = 0
    for match in _SENTENCE_RE.finditer(text):
        sentence = match.group().strip()
        total += len(sentence)
        if _QUESTION_END_RE.search(sentence):
            asking += len(sentence)
    return asking / total if total else 0.0


def question_factor(text: str, config: RankingConfig) -> float:
    """The multiplier of a message's final score for how much of it asks (see the config)."""
    if not config.question_discount:
        return 1.0
    return 1.0 - config.question_discount * asking_share(text)


def speaker_factor(
    speaker: str | None, asked: frozenset[str], config: RankingConfig, *, cache: dict[str, bool]
) -> float:
    """The multiplier of a message's final score for being said by someone the question
    names: ``asked`` holds the question's own words (not its expansions); a speaker is named
    when a word of their name is one of them. ``cache`` remembers each speaker's answer
    within one search (a history has few speakers)."""
    if not config.speaker_boost or not speaker or not asked:
        return 1.0
    named = cache.get(speaker)
    if named is None:
        named = cache[speaker] = any(word in asked for word in tokenize(speaker))
    return 1.0 + config.speaker_boost if named else 1.0


def idf(document_frequency: int, documents: int) -> float:
    """BM25's inverse document frequency, kept positive for very common terms."""
    documents = max(documents, document_frequency)
    return math.log(1.0 + (documents - document_frequency + 0.5) / (document_frequency + 0.5))


def term_weights(
    postings: Sequence[TermPostings], documents: int
) -> list[tuple[TermPostings, float]]:
    """Each term with its query weight times its rarity in the scope."""
    return [(p, p.term.weight * idf(p.document_frequency, documents)) for p in postings]


class RowScores:
    """The raw scores of the rows a search touched: ids ascending, with their scores.

    Two arrays rather than a dict: a search over a long history scores tens of thousands of
    rows, and summing, filtering and ranking them in numpy costs a fraction of doing it row by
    row in Python (which was a third of a search's CPU time at 100,000 messages).
    """

    __slots__ = ("rows", "scores")

    def __init__(self, rows: IdArray, scores: _Floats) -> None:
        self.rows = rows
        self.scores = scores

    def __len__(self) -> int:
        return len(self.rows)

    def get(self, row: int, default: float = 0.0) -> float:
        """A row's score, or ``default`` for a row no posting list holds."""
        return self.lookup([row]).get(row, default)

    def lookup(self, rows: Iterable[int]) -> dict[int, float]:
        """The scores of those of these rows that have one."""
        wanted = id_array(rows)
        if not len(self.rows) or not len(wanted):
            return {}
        at = np.minimum(np.searchsorted(self.rows, wanted), len(self.rows) - 1)
        found = self.rows[at] == wanted
        return dict(zip(wanted[found].tolist(), self.scores[at[found]].tolist(), strict=True))

    def within(self, low: int, high: int) -> RowScores:
        """Only the rows with ids from ``low`` to ``high``."""
        start = int(np.searchsorted(self.rows, low, side="left"))
        stop = int(np.searchsorted(self.rows, high, side="right"))
        return RowScores(self.rows[start:stop], self.scores[start:stop])

    def at_least(self, floor: float) -> RowScores:
        """Only the rows scoring ``floor`` or more."""
        keep = self.scores >= floor
        return RowScores(self.rows[keep], self.scores[keep])

    def top(self, limit: int) -> list[int]:
        """The ids of the ``limit`` best rows, best first (ties: newer first)."""
        if limit <= 0 or not len(self.rows):
            return []
        rows, scores = self.rows, self.scores
        if len(rows) > limit:  # the limit-th best score, then only the rows reaching it
            floor = np.partition(scores, len(scores) - limit)[len(scores) - limit]
            keep = scores >= floor
            rows, scores = rows[keep], scores[keep]
        order = np.lexsort((rows, scores))[::-1][:limit]
        return [int(row) for row in rows[order].tolist()]


def raw_scores(
    postings: Sequence[TermPostings], documents: int, config: RankingConfig
) -> RowScores:
    """Unnormalised scores: the weights of the terms each row holds (own words full weight).

    Each row's weights are added one at a time in the order of the posting lists, starting
    from zero (``np.bincount`` adds in input order), so a score is the same float, to the
    last bit, as a running sum over the lists in Python.
    """
    lists: list[IdArray] = []
    weights: list[_Floats] = []
    for posting, weight in term_weights(postings, documents):
        for ids, share in (
            (posting.own, weight),
            (posting.context, weight * config.context_weight),
        ):
            if len(ids):
                lists.append(ids)
                weights.append(np.full(len(ids), share))
    if not lists:
        return RowScores(_no_ids(), np.empty(0))
    ids, added = np.concatenate(lists), np.concatenate(weights)
    low, high = int(ids.min()), int(ids.max())
    if high - low < _DENSE_SLOTS_PER_POSTING * len(ids) + _DENSE_SLOTS_ALLOWANCE:
        slots = ids - low
        sums = np.asarray(np.bincount(slots, weights=added, minlength=high - low + 1), np.float64)
        held = np.zeros(high - low + 1, dtype=bool)
        held[slots] = True
        present = np.flatnonzero(held)
        return RowScores(present + low, sums[present])
    rows, slots = np.unique(ids, return_inverse=True)
    return RowScores(rows, np.asarray(np.bincount(slots, weights=added), np.float64))


def top_candidates(scores: Mapping[int, float] | RowScores, limit: int) -> list[int]:
    """The ids of the best-scoring rows (ties: newer first).

    Fused scores (a few hundred facts) come as a dict: the limit-th best score is found by
    sorting the bare floats (in C), and only the rows reaching it are ranked by (score, id).
    """
    if isinstance(scores, RowScores):
        return scores.top(limit)
    if limit <= 0:
        return []
    if len(scores) > limit:
        floor = sorted(scores.values(), reverse=True)[limit - 1]
        best = [(score, row) for row, score in scores.items() if score >= floor]
    else:
        best = [(score, row) for row, score in scores.items()]
    best.sort(reverse=True)
    return [row for _, row in best[:limit]]


def length_norm(length: int, average: float, config: RankingConfig) -> float:
    """BM25's factor for a term seen once in a document of ``length`` terms."""
    average = max(average, 1.0)
    return (config.k1 + 1.0) / (1.0 + config.k1 * (1.0 - config.b + config.b * length / average))


def recency_factor(age_days: float, config: RankingConfig) -> float:
    return 1.0 + config.recency_boost * math.exp(-max(age_days, 0.0) / config.recency_days)


def fuse_reciprocal_rank(
    rankings: Iterable[Sequence[int]], k: int = 60, weights: Sequence[float] | None = None
) -> dict[int, float]:
    """Weighted reciprocal rank fusion of several best-first rankings of ids."""
    fused: dict[int, float] = {}
    for index, ranking in enumerate(rankings):
        weight = weights[index] if weights is not None else 1.0
        for rank, row in enumerate(ranking):
            fused[row] = fused.get(row, 0.0) + weight / (k + rank + 1)
    return fused
