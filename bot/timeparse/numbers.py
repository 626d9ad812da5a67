"""Number tokens for the time grammar: digits, English number words and Chinese numerals.

The regular-expression fragments here are building blocks for the larger patterns in
``grammar_en`` and ``grammar_zh``; the ``*_value`` functions turn a matched fragment into an
``int`` (or ``float`` for "1.5"/"半").
"""

from __future__ import annotations

import re
import unicodedata

__all__ = [
    "CN_DIGITS",
    "CN_NUM",
    "EN_NUM",
    "EN_ORDINAL",
    "ZH_NUM",
    "cn_value",
    "en_value",
    "normalize",
    "ordinal_value",
]

_CN_DIGIT_VALUES = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "俩": 2,
    "三": 3,
    "仨": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}

CN_DIGITS = "".join(_CN_DIGIT_VALUES)
CN_NUM = f"[{CN_DIGITS}十百千]+"
ZH_NUM = rf"(?:\d+|{CN_NUM})"

_EN_UNITS = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_EN_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60}
_EN_WORDS = {word: i for i, word in enumerate(_EN_UNITS)}
_EN_WORDS.update(_EN_TENS)
_EN_WORDS.update({"a": 1, "an": 1, "a couple of": 2, "couple of": 2, "a dozen": 12, "dozen": 12})
# vague amounts, read as the usual small number: a couple = a pair = 2, a few = 3
_EN_WORDS.update({"a couple": 2, "couple": 2, "a pair of": 2, "pair of": 2, "a few": 3, "few": 3})

_TENS_RE = "|".join(_EN_TENS)
_UNITS_RE = "|".join(sorted(_EN_UNITS, key=len, reverse=True))
EN_NUM = (
    rf"(?:\d+(?:\.\d+)?|(?:{_TENS_RE})(?:[-\s](?:{_UNITS_RE}))?|{_UNITS_RE}"
    r"|a\s+couple(?:\s+of)?|couple(?:\s+of)?|a\s+pair\s+of|pair\s+of|a\s+few|few|a\s+dozen|an?)"
)

_ORDINAL_WORDS = [
    "first",
    "second",
    "third",
    "fourth",
    "fifth",
    "sixth",
    "seventh",
    "eighth",
    "ninth",
    "tenth",
    "eleventh",
    "twelfth",
    "thirteenth",
    "fourteenth",
    "fifteenth",
    "sixteenth",
    "seventeenth",
    "eighteenth",
    "nineteenth",
    "twentieth",
]
_ORDINALS = {word: i + 1 for i, word in enumerate(_ORDINAL_WORDS)}
for _i, _word in enumerate(_ORDINAL_WORDS[:9]):
    _ORDINALS[f"twenty-{_word}"] = 21 + _i
    _ORDINALS[f"twenty {_word}"] = 21 + _i
_ORDINALS.update({"thirtieth": 30, "thirty-first": 31, "thirty first": 31})
EN_ORDINAL = (
    r"(?:\d{1,2}(?:st|nd|rd|th)|"
    + "|".join(sorted((re.escape(w) for w in _ORDINALS), key=len, reverse=True))
    + ")"
)


#: Traditional characters of time words, folded one to one into the simplified ones the
#: grammar is written in (so "下個禮拜三", "兩個鐘頭後", "國慶節" read like "下个礼拜三"...).
_TRADITIONAL = str.maketrans(
    "個鐘鍾後點時禮週號兩慶聖誕節聽這國頭過間東紐約晝兒淩開歲農曆陰舊與黃裡幾學課飯覺樣為連續總從勞動師婦陽雙離鬧見約臺灣亞來電話",
    "个钟钟后点时礼周号两庆圣诞节听这国头过间东纽约昼儿凌开岁农历阴旧与黄里几学课饭觉样为连续总从劳动师妇阳双离闹见约台湾亚来电话",
)


def normalize(text: str) -> str:
    """Fold full-width forms to ASCII and traditional time characters to simplified ones,
    one character at a time, so offsets stay aligned with the original text."""
    out = []
    for ch in text:
        folded = unicodedata.normalize("NFKC", ch)
        out.append(folded if len(folded) == 1 else ch)
    return "".join(out).translate(_TRADITIONAL)


def cn_value(token: str) -> int | None:
    """Value of a digit string or Chinese numeral ("十二" -> 12, "二零二六" -> 2026)."""
    token = token.strip()
    if not token:
        return None
    if token.isdigit():
        return int(token)
    if all(ch in _CN_DIGIT_VALUES for ch in token):
        digits = "".join(str(_CN_DIGIT_VALUES[ch]) for ch in token)
        return int(digits)
    total, digit = 0, None
    for ch in token:
        if ch in _CN_DIGIT_VALUES:
            digit = _CN_DIGIT_VALUES[ch]
        elif ch in _CN_UNITS:
            total += (1 if digit is None else digit) * _CN_UNITS[ch]
            digit = None
        else:
            return None
    return total + (digit or 0)


def en_value(token: str) -> float | None:
    """Value of a digit string or English number word ("twenty-five" -> 25, "an" -> 1)."""
    token = re.sub(r"\s+", " ", token.strip().lower())
    if re.fullmatch(r"\d+(?:\.\d+)?", token):
        return float(token) if "." in token else int(token)
    if token in _EN_WORDS:
        return _EN_WORDS[token]
    parts = re.split(r"[-\s]", token)
    if len(parts) == 2 and parts[0] in _EN_TENS and parts[1] in _EN_WORDS:
        return _EN_TENS[parts[0]] + _EN_WORDS[parts[1]]
    return None


def ordinal_value(token: str) -> int | None:
    """Value of "15th", "first", "twenty-second"..."""
    token = re.sub(r"\s+", " ", token.strip().lower())
    match = re.fullmatch(r"(\d{1,2})(?:st|nd|rd|th)", token)
    if match:
        return int(match.group(1))
    return _ORDINALS.get(token)
