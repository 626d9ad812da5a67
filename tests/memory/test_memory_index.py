"""The per-scope index terms: a stored body's length for BM25."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.memory.index import body_terms, decode_body, encode_body, encode_key

_WORDS = st.lists(
    st.text(alphabet="abcxyzqrs吉他01", min_size=0, max_size=6), min_size=0, max_size=12
)


@given(key=st.integers(min_value=1, max_value=10**6), own=_WORDS, context=_WORDS)
def test_a_body_counts_its_own_words_and_not_its_neighbours(
    key: int, own: list[str], context: list[str]
) -> None:
    body = encode_body(encode_key(key), own, context)
    assert body_terms(body) == len(decode_body(body)[0]) == len(own)


def test_counting_is_exact_when_words_hold_the_mark_letters() -> None:
    # "x" and "z" inside a word, a word that repeats the key: only the term's first mark counts.
    body = encode_body("cf", ["xbox", "cfxcf", "zz"], ["xray", "cfz"])
    assert body_terms(body) == 3
