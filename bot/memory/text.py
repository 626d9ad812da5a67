"""Turning text into index terms: Unicode folding, English words, and Chinese segmentation.

SQLite's FTS5 tokenizers do not split Chinese (a run of Han characters becomes one token), so
Han runs are segmented with jieba (rjieba: the jieba-rs port, same dictionary and results, a
third of the memory and far faster) in search mode, which also emits the shorter dictionary words
inside long ones ("中华人民共和国" → 中华, 人民, 共和国, ...). Documents and queries go through the
same function, so they always agree on word boundaries. Segmentation still differs between
phrasings ("爱喝…茶" against "喝乌龙茶"), so the single characters of Chinese words are indexed
as well (:func:`han_characters`); the ranker weighs a character match well below a word match.

English words are left for FTS5's Porter stemmer (it runs at index and query time); here they are
only case-folded, stripped of possessives and apostrophes, folded from irregular verb forms the
stemmer cannot handle ("felt" → "feel"), and filtered of stop words.

What a token (a Han run or a word) becomes depends on the token alone, so it is worked out once
per distinct token and cached (:func:`_token_words`): a long document repeats most of its words,
and indexing an 18 MB book then costs a regex pass and a cache look-up per word instead of the
Python work of folding and segmenting each occurrence again.
"""

from __future__ import annotations

import re
import sys
import threading
import unicodedata
from collections.abc import Iterable, Iterator
from functools import lru_cache
from itertools import chain
from types import ModuleType

from bot.memory.lexicon import IRREGULAR_FORMS, STOP_WORDS

__all__ = ["distinct_terms", "han_characters", "is_cjk", "tokenize", "unique_terms", "warm_up"]

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# A Han run, or a word of other letters/digits (with inner apostrophes, as in "don't").
_TOKEN_RE = re.compile(rf"[{_HAN}]+|[^\W_{_HAN}]+(?:['’][^\W_{_HAN}]+)*")
# The same on ASCII text (once case-folded), which the regex engine scans several times faster.
_ASCII_TOKEN_RE = re.compile(r"[a-z0-9]+(?:'[a-z0-9]+)*")
# Every ASCII byte but a letter or digit made a space (case-folded text has no capitals).
_ASCII_SEPARATORS = bytes(
    byte if chr(byte).isascii() and chr(byte).isalnum() else 0x20 for byte in range(256)
)
_POSSESSIVE_RE = re.compile(r"['’]s$")

# One-character prefixes (adverbs, modals) and suffixes (aspect particles) that jieba often
# glues to a monosyllabic verb or adjective: "去学", "想学", "挺酷", "学了". The bare character is
# indexed too, so "学" in a question meets "去学" in a message.
_LEADING_FUNCTION_CHARS = frozenset("去想要会能在很挺太好再也都还就才刚已没不别")
_TRAILING_FUNCTION_CHARS = frozenset("了着过的得地吗呢吧啊")

_jieba_lock = threading.Lock()
_jieba_ready = False


def is_cjk(char: str) -> bool:
    """Whether a character is a Han ideograph (segmented with jieba rather than by spaces)."""
    return "\u3400" <= char <= "\u9fff" or "\uf900" <= char <= "\ufaff"


def _segmenter() -> ModuleType:
    """The rjieba module, imported on first use: importing it loads its dictionary."""
    global _jieba_ready
    if not _jieba_ready:
        with _jieba_lock:
            import rjieba  # noqa: F401  (loads the dictionary once, under the lock)

            _jieba_ready = True
    return sys.modules["rjieba"]


def warm_up() -> None:
    """Load the segmenter's dictionary now. Otherwise the first Chinese text loads it (about
    0.1 s, once): a bot that never sees Chinese never spends the dictionary's ~30 MB."""
    _segmenter()


def _han_words(run: str) -> Iterator[str]:
    """Words of a run of Han characters, in jieba search mode, with function characters split."""
    for word in _segmenter().cut_for_search(run, hmm=True):
        yield word
        if len(word) == 2:
            if word[0] in _LEADING_FUNCTION_CHARS:
                yield word[1]
            elif word[1] in _TRAILING_FUNCTION_CHARS:
                yield word[0]


#: Distinct tokens whose words are cached (32k: about 10 MB at most; a book's vocabulary fits).
_TOKEN_CACHE = 1 << 15
#: Longer tokens (Han runs of a whole clause, mostly) are rarely repeated and would fill the
#: cache with large entries: they are segmented each time.
_CACHED_LENGTH = 24


def _folded_tokens(text: str) -> tuple[list[str], bool]:
    """The tokens of the text (Han runs and words), Unicode-folded and case-folded, in order,
    and whether the folded text is ASCII (no Han run, no token longer than the text)."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    if folded.isascii():
        if "'" in folded:
            return _ASCII_TOKEN_RE.findall(folded), True
        # No apostrophe: the words are the runs of letters and digits, split in C.
        return folded.encode().translate(_ASCII_SEPARATORS).decode().split(), True
    return _TOKEN_RE.findall(folded), False


def _token_words(token: str) -> tuple[str, ...]:
    """The words of one token, before stop-word filtering."""
    if is_cjk(token[0]):
        return tuple(_han_words(token))
    if "'" in token or "’" in token:
        token = _POSSESSIVE_RE.sub("", token).replace("'", "").replace("’", "")
    return (IRREGULAR_FORMS.get(token, token),)


def _token_terms(token: str) -> tuple[str, ...]:
    """The words of one token that are index terms (stop words dropped)."""
    return tuple(word for word in _token_words(token) if _is_term(word))


_cached_words = lru_cache(maxsize=_TOKEN_CACHE)(_token_words)
_cached_terms = lru_cache(maxsize=_TOKEN_CACHE)(_token_terms)


def _is_term(word: str) -> bool:
    if word in STOP_WORDS:
        return False
    # A lone Latin letter is noise; a lone Han character or digit can be a word (猫, 茶, 5).
    return len(word) > 1 or is_cjk(word) or word.isdigit()


def tokenize(text: str, *, keep_stop_words: bool = False) -> list[str]:
    """The terms of a text in order (repeats kept), stop words dropped unless asked otherwise."""
    cached, uncached = (
        (_cached_words, _token_words) if keep_stop_words else (_cached_terms, _token_terms)
    )
    tokens, _ = _folded_tokens(text)
    words: list[str] = []
    for token in tokens:
        words.extend(cached(token) if len(token) <= _CACHED_LENGTH else uncached(token))
    return words


def distinct_terms(text: str) -> list[str]:
    """``unique_terms(tokenize(text))``, faster: each distinct token is looked at once (a
    repeated token can only repeat words already taken)."""
    tokens, ascii_only = _folded_tokens(text)
    distinct = dict.fromkeys(tokens)
    if ascii_only:  # English words: small entries, cached whatever their length
        return list(dict.fromkeys(chain.from_iterable(map(_cached_terms, distinct))))
    words: list[str] = []
    for token in distinct:
        words.extend(_cached_terms(token) if len(token) <= _CACHED_LENGTH else _token_terms(token))
    return list(dict.fromkeys(words))


def unique_terms(words: Iterable[str]) -> list[str]:
    """The words without repeats, first occurrence first."""
    return list(dict.fromkeys(words))


def han_characters(words: Iterable[str]) -> list[str]:
    """The distinct single Han characters inside multi-character Chinese words, minus stop
    characters: a fallback for words segmented differently in a question and a message."""
    characters: dict[str, None] = {}
    for word in words:
        if len(word) > 1 and is_cjk(word[0]):
            for char in word:
                if is_cjk(char) and char not in STOP_WORDS:
                    characters[char] = None
    return list(characters)
