"""Index words and per-scope term spelling."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.memory.index import decode_body, encode_body, encode_key, index_word, scoped_term
from bot.memory.ingest import message_words
from bot.memory.text import distinct_terms, tokenize, unique_terms


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


_PIECES = st.sampled_from(
    [
        "Caroline's",
        "DON'T",
        "don’t",
        "felt",
        "ﬁne",
        "ＡＢＣ",
        "café",
        "I",
        "a",
        "5",
        "x²",
        "rock'n'roll",
        "'quoted'",
        "test_case",
        "e.g.",
        "Straße",
        "İstanbul",
        "\u00a0",
        "\n",
        "我最近一直在想",
        "去学吉他",
        "挺酷的",
        "乌龙茶",
        "中华人民共和国",
        "的",
        "你好！",
        "hiking吧",
        "日本語テキスト",
        "한국어",
        "㐀㐁",
        "豈",
        "①",
        "-",
        "…",
    ]
)


@given(st.lists(_PIECES, max_size=30), st.sampled_from([" ", ""]))
def test_distinct_terms_are_the_tokens_without_repeats(pieces: list[str], glue: str) -> None:
    text = glue.join(pieces)
    assert distinct_terms(text) == unique_terms(tokenize(text))
    # Cached per token: the same text gives the same terms again.
    assert tokenize(text) == tokenize(text)


@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=60))
def test_ascii_text_is_split_as_any_text(text: str) -> None:
    # ASCII text takes a faster pattern; a non-ASCII word sends it through the general one.
    words = tokenize(text, keep_stop_words=True)
    assert tokenize(text + " é", keep_stop_words=True) == [*words, "é"]
