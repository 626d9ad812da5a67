"""Index words and per-scope term spelling."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.memory.index import decode_body, encode_body, encode_key, index_word, scoped_term
from bot.memory.ingest import message_words
from bot.memory.text import tokenize


def test_english_words_are_folded_and_filtered() -> None:
    assert tokenize("What did Caroline's sister FEEL when she met Jean?") == [
        "caroline",
        "sister",
        "feel",
        "meet",
        "jean",
    ]
    assert tokenize("Don't   forget: café") == ["dont", "forget", "café"]


def test_chinese_is_segmented_and_function_characters_split() -> None:
    words = tokenize("我最近一直在想，也许应该去学吉他，觉得挺酷的")
    assert "吉他" in words and "学" in words and "的" not in words
    indexed = message_words("我喜欢喝乌龙茶")
    assert {"乌龙茶", "茶", "喝"} <= set(indexed)


def test_mixed_text_and_speaker_are_indexed() -> None:
    words = message_words("周末去 hiking 吧", speaker="Anna")
    assert words[:2] == ["anna", "周末"] and "hiking" in words and "吧" not in words


@given(st.integers(min_value=1, max_value=10**12))
def test_keys_have_no_vowels_or_marks(key: int) -> None:
    code = encode_key(key)
    assert not set(code) & set("aeiouyxz")


@given(st.integers(1, 10**6), st.integers(1, 10**6), st.text(min_size=1, max_size=8))
def test_scoped_terms_never_collide_across_scopes(first: int, second: int, word: str) -> None:
    word = index_word(word.lower()) or "w"
    if first != second:
        assert scoped_term(encode_key(first), word) != scoped_term(encode_key(second), word)


def test_body_round_trip() -> None:
    body = encode_body("bc", ["吉他", "guitar"], ["lesson"])
    assert decode_body(body) == (["吉他", "guitar"], ["lesson"])
