"""What memory hands the conversation prompt: relevant facts and past messages, within a budget.

Facts come first (they are dense), then messages by relevance until the token budget is spent.
The rendering is compact and dated in the user's local time, oldest first, so the model reads a
short timeline::

    Known facts:
    - Anna is learning the guitar.
    Earlier messages:
    [2026-03-14 Sat] Anna: I think I'll take guitar lessons
    [2026-03-14 Sat] Dazi: Great idea!
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from bot.llm.tokens import estimate_tokens
from bot.memory.types import Fact, MemoryHit

__all__ = ["Recall", "asks_about_the_past", "select_for_budget"]

#: A message longer than this is cut in the prompt (the whole text stays in memory).
_MAX_MESSAGE_CHARS = 400
#: Share of the budget facts may take when messages compete for it.
_FACT_SHARE = 0.4
#: Tokens of the "[2026-03-14 Sat] Name: " prefix and of the section headers.
_LINE_OVERHEAD = 12
_HEADER_COST = 8

#: Words of a question about what used to be true: then history facts are recalled too.
_PAST_RE = re.compile(
    r"\b(?:before|used to|previous(?:ly)?|former(?:ly)?|earlier|old|ex|anymore|any more|"
    r"no longer|originally|at first|back then|past)\b"
    r"|以前|之前|原来|原先|过去|曾经|从前|先前|上一[个份任]|前任|旧的|不再",
    re.IGNORECASE,
)

_HEADERS = {
    "en": ("Known facts:", "Earlier messages:"),
    "zh": ("已知信息：", "相关的历史消息："),
}
_WEEKDAYS = {
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
    "zh": ("周一", "周二", "周三", "周四", "周五", "周六", "周日"),
}
_DEFAULT_SPEAKERS = {
    "en": {"user": "User", "assistant": "You", "system": "Note"},
    "zh": {"user": "用户", "assistant": "你", "system": "备注"},
}


@dataclass(frozen=True, slots=True)
class Recall:
    """Facts and messages chosen for a prompt (messages oldest first)."""

    facts: tuple[Fact, ...] = ()
    messages: tuple[MemoryHit, ...] = ()
    #: The estimated prompt cost of what was chosen.
    tokens: int = 0
    message_ids: frozenset[int] = field(default_factory=frozenset)

    @property
    def is_empty(self) -> bool:
        return not self.facts and not self.messages

    def as_prompt(self, tz: ZoneInfo, lang: str) -> str:
        """The recalled memory as prompt text, dated in the user's time zone ('' if empty)."""
        language = lang if lang in _HEADERS else "en"
        facts_header, messages_header = _HEADERS[language]
        lines: list[str] = []
        if self.facts:
            lines.append(facts_header)
            lines.extend(f"- {_fact_text(fact, tz, language)}" for fact in self.facts)
        if self.messages:
            lines.append(messages_header)
            lines.extend(_message_line(hit, tz, language) for hit in self.messages)
        return "\n".join(lines)


def asks_about_the_past(query: str) -> bool:
    """Whether a question asks what used to be true ("where did I live before?", "我以前住哪")."""
    return _PAST_RE.search(query) is not None


def _fact_text(fact: Fact, tz: ZoneInfo, language: str) -> str:
    """A fact, marked with the day it stopped being true if it did (history, not the truth)."""
    if fact.is_active:
        return fact.text
    ended = (fact.valid_until or fact.updated_at).astimezone(tz)
    if language == "zh":
        return f"{fact.text}（{ended:%Y-%m-%d} 起已不再成立）"
    return f"{fact.text} (no longer true since {ended:%Y-%m-%d})"


def _message_line(hit: MemoryHit, tz: ZoneInfo, language: str) -> str:
    local = hit.at.astimezone(tz)
    day = f"{local:%Y-%m-%d} {_WEEKDAYS[language][local.weekday()]}"
    speaker = hit.speaker or _DEFAULT_SPEAKERS[language].get(hit.role, hit.role)
    return f"[{day}] {speaker}: {_clip(hit.text)}"


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MAX_MESSAGE_CHARS else text[: _MAX_MESSAGE_CHARS - 1] + "…"


def _fact_cost(fact: Fact) -> int:
    return estimate_tokens(fact.text) + 2


def _message_cost(hit: MemoryHit) -> int:
    return estimate_tokens(_clip(hit.text)) + estimate_tokens(hit.speaker or "") + _LINE_OVERHEAD


def select_for_budget(
    facts: Sequence[Fact], messages: Sequence[MemoryHit], budget_tokens: int
) -> Recall:
    """Take facts (best first) and messages (best first) while they fit the budget."""
    if budget_tokens <= _HEADER_COST:
        return Recall()
    spent = 0
    chosen_facts: list[Fact] = []
    fact_budget = budget_tokens if not messages else int(budget_tokens * _FACT_SHARE)
    for fact in facts:
        cost = _fact_cost(fact) + (_HEADER_COST if not chosen_facts else 0)
        if spent + cost <= fact_budget:
            chosen_facts.append(fact)
            spent += cost
    chosen_messages: list[MemoryHit] = []
    for hit in messages:
        cost = _message_cost(hit) + (_HEADER_COST if not chosen_messages else 0)
        if spent + cost <= budget_tokens:
            chosen_messages.append(hit)
            spent += cost
    chosen_messages.sort(key=lambda hit: (hit.at, hit.message_id))
    return Recall(
        facts=tuple(chosen_facts),
        messages=tuple(chosen_messages),
        tokens=spent,
        message_ids=frozenset(hit.message_id for hit in chosen_messages),
    )
