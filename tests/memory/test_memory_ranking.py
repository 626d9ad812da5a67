"""Scores summed and ranked in numpy are exactly those of a running sum in Python."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.memory.ranking import (
    QueryTerm,
    RankingConfig,
    TermPostings,
    id_array,
    idf,
    raw_scores,
    top_candidates,
)

CONFIG = RankingConfig()

# Ids close together (one user's history) and far apart (a user among millions of messages):
# the two ways raw_scores sums.
ids = st.one_of(
    st.integers(min_value=1, max_value=300),
    st.integers(min_value=1, max_value=1 << 40),
)
postings = st.lists(
    st.tuples(
        st.sampled_from([1.0, 0.45, 0.3]),
        st.lists(ids, max_size=40, unique=True),
        st.lists(ids, max_size=40, unique=True),
        st.integers(min_value=0, max_value=5_000),
    ),
    max_size=8,
)


def running_sum(lists: list[TermPostings], documents: int) -> dict[int, float]:
    """The scores as the ranker computed them row by row before numpy."""
    scores: dict[int, float] = {}
    for posting in lists:
        weight = posting.term.weight * idf(posting.document_frequency, documents)
        for row in posting.own.tolist():
            scores[row] = scores.get(row, 0.0) + weight
        for row in posting.context.tolist():
            scores[row] = scores.get(row, 0.0) + weight * CONFIG.context_weight
    return scores


def as_postings(drawn: list[tuple[float, list[int], list[int], int]]) -> list[TermPostings]:
    return [
        TermPostings(
            QueryTerm(f"w{i}", weight),
            id_array(sorted(own, reverse=True)),
            id_array(sorted(context, reverse=True)),
            max(frequency, len(own)),
        )
        for i, (weight, own, context, frequency) in enumerate(drawn)
    ]


@given(postings, st.integers(min_value=1, max_value=10))
def test_scores_and_order_are_those_of_a_running_sum(drawn, limit: int) -> None:
    lists = as_postings(drawn)
    expected = running_sum(lists, 10_000)
    scores = raw_scores(lists, 10_000, CONFIG)
    # Bit for bit: a different order of additions would reorder tied messages.
    assert dict(zip(scores.rows.tolist(), scores.scores.tolist(), strict=True)) == expected
    best = sorted(expected, key=lambda row: (expected[row], row), reverse=True)[:limit]
    assert top_candidates(scores, limit) == best
    assert top_candidates(expected, limit) == best
    probe = [*expected, -1]
    assert scores.lookup(probe) == expected
    assert all(scores.get(row) == score for row, score in expected.items())
    if expected:
        low, high = min(expected), max(expected)
        middle = (low + high) // 2
        kept = scores.within(low, middle)
        assert kept.rows.tolist() == sorted(row for row in expected if row <= middle)
