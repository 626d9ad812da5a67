"""Who is meant: names, aliases and relations ("mom" = "妈妈" = "my mother") in both languages.

A relation is stored as the user said it and as a canonical key (``mother``), so "mom",
"Mama", "妈妈", "老妈" and "my mother" all find the same person. Names and aliases are compared
case-folded, without "my"/"我的" and possessives.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

__all__ = [
    "RELATION_WORDS",
    "UNIQUE_RELATIONS",
    "Match",
    "canonical_relation",
    "match_people",
    "name_key",
]

_RELATIONS: dict[str, tuple[str, ...]] = {
    "mother": (
        "mom",
        "mum",
        "mother",
        "mommy",
        "mummy",
        "mama",
        "ma",
        "妈妈",
        "妈",
        "母亲",
        "老妈",
        "娘",
        "妈咪",
    ),
    "father": ("dad", "father", "daddy", "papa", "pa", "爸爸", "爸", "父亲", "老爸", "爹"),
    "sister": ("sister", "sis", "姐姐", "妹妹", "姐", "妹", "姊妹"),
    "brother": ("brother", "bro", "哥哥", "弟弟", "哥", "弟", "兄弟"),
    "wife": ("wife", "老婆", "妻子", "太太", "媳妇", "爱人"),
    "husband": ("husband", "老公", "丈夫", "先生"),
    "partner": (
        "partner",
        "girlfriend",
        "boyfriend",
        "gf",
        "bf",
        "女朋友",
        "男朋友",
        "对象",
        "伴侣",
    ),
    "son": ("son", "儿子"),
    "daughter": ("daughter", "女儿"),
    "grandmother": ("grandma", "grandmother", "granny", "nana", "奶奶", "外婆", "姥姥", "祖母"),
    "grandfather": ("grandpa", "grandfather", "granddad", "爷爷", "外公", "姥爷", "祖父"),
    "aunt": ("aunt", "auntie", "阿姨", "姑姑", "姨妈", "舅妈", "婶婶", "姨"),
    "uncle": ("uncle", "叔叔", "舅舅", "伯伯", "姑父", "姨父", "伯父"),
    "cousin": ("cousin", "表哥", "表姐", "表妹", "表弟", "堂哥", "堂姐", "堂妹", "堂弟"),
    "friend": ("friend", "best friend", "bestie", "朋友", "好朋友", "闺蜜", "哥们", "兄弟们"),
    "colleague": ("colleague", "coworker", "co-worker", "workmate", "同事"),
    "boss": ("boss", "manager", "老板", "领导", "上司"),
    "mentor": ("mentor", "teacher", "老师", "导师"),
    "neighbor": ("neighbor", "neighbour", "邻居"),
    "classmate": ("classmate", "同学", "室友", "roommate"),
}
#: Relations a person has only one of: a new name with one of them is the same person.
UNIQUE_RELATIONS = frozenset({"mother", "father", "wife", "husband"})
_LOOKUP = {word: key for key, words in _RELATIONS.items() for word in words}
#: Every word that names a relation, longest first (for splitting "妈妈喜欢兰花").
RELATION_WORDS: tuple[str, ...] = tuple(sorted(_LOOKUP, key=len, reverse=True))
_PREFIX = re.compile(r"^(?:my|our|the|我的|我们的|我家|我)\s*", re.IGNORECASE)
_SUFFIX = re.compile(r"(?:'s|’s)$")


def name_key(text: str) -> str:
    """A name or alias as compared: case-folded, single-spaced, without "my"/"我的"."""
    key = " ".join(text.casefold().split())
    key = _SUFFIX.sub("", key)
    stripped = _PREFIX.sub("", key)
    return stripped or key


def canonical_relation(text: str | None) -> str | None:
    """``"Mom"`` / ``"我妈妈"`` / ``"my older sister"`` -> ``"mother"`` / ``"sister"``; None when
    the words name no known relation (they are then kept as said, lower-cased)."""
    if not text:
        return None
    key = name_key(text)
    if key in _LOOKUP:
        return _LOOKUP[key]
    for word in key.replace("-", " ").split():
        if word in _LOOKUP and word not in ("ma", "pa"):
            return _LOOKUP[word]
    return key or None


@dataclass(frozen=True, slots=True)
class Match:
    """How well a person answers to a query: 3 name/alias, 2 relation, 1 first name."""

    person_id: int
    strength: int


class _Named(Protocol):
    """What matching reads of a person (see :class:`bot.people.model.Person`)."""

    @property
    def id(self) -> int: ...
    @property
    def name(self) -> str: ...
    @property
    def aliases(self) -> Sequence[str]: ...
    @property
    def relation_key(self) -> str | None: ...


def match_people(query: str, people: Iterable[_Named]) -> list[Match]:
    """The people a query may mean, strongest first; only the strongest kind is kept, so an
    exact name beats a relation and a relation beats a first name."""
    key = name_key(query)
    if not key:
        return []
    relation = _LOOKUP.get(key)
    found: list[Match] = []
    for person in people:
        keys = {name_key(person.name), *(name_key(alias) for alias in person.aliases)}
        if key in keys:
            found.append(Match(person.id, 3))
        elif relation is not None and person.relation_key == relation:
            found.append(Match(person.id, 2))
        elif any(candidate.split()[0] == key for candidate in keys if " " in candidate):
            found.append(Match(person.id, 1))
    if not found:
        return []
    best = max(match.strength for match in found)
    return [match for match in found if match.strength == best]
