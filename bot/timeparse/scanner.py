"""The scanning engine: ordered grammar rules fill a ``Frame`` and mask what they consume.

Each rule is a compiled pattern plus a handler.  Rules run in order over the text; a match
that the handler accepts is masked (replaced by NUL characters) so later rules cannot reuse
it, and its span is recorded for the task text.  Handlers may look at the neighbourhood of a
match (``Scan.touches_mask``) to accept risky tokens ("sat", "一点") only next to other time
expressions.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from bot.timeparse.model import Frame

__all__ = ["MASK", "Handler", "Rule", "Scan", "run_rules"]

MASK = "\x00"
_GLUE = " \t,，、的在于@"


class Scan:
    """Mutable state of one scan: the normalized text, its mask and the frame."""

    def __init__(self, text: str, *, month_first: bool = True) -> None:
        self.text = text
        self.month_first = month_first  # "3/12" is the 12th of March where the user lives
        self._chars = list(text)
        self.frame = Frame()
        self.kinds: list[tuple[int, int, str]] = []

    @property
    def masked(self) -> str:
        return "".join(self._chars)

    def take(self, start: int, end: int, kind: str = "") -> None:
        for i in range(start, end):
            self._chars[i] = MASK
        self.frame.spans.append((start, end))
        self.kinds.append((start, end, kind))

    def kind_before(self, pos: int) -> str:
        """The rule name of the expression that ends right before ``pos`` (glue skipped)."""
        i = pos
        while i > 0 and self._chars[i - 1] in _GLUE:
            i -= 1
        for start, end, kind in self.kinds:
            if end == i and start < end:
                return kind
        return ""

    def prev_char(self, pos: int, skip: str = _GLUE) -> str:
        """The nearest character before ``pos`` that is not glue ("" at the start)."""
        i = pos - 1
        while i >= 0 and self._chars[i] in skip:
            i -= 1
        return self._chars[i] if i >= 0 else ""

    def next_char(self, pos: int, skip: str = _GLUE) -> str:
        i = pos
        while i < len(self._chars) and self._chars[i] in skip:
            i += 1
        return self._chars[i] if i < len(self._chars) else ""

    def touches_mask(self, start: int, end: int) -> bool:
        """Whether an already recognized time expression sits right before or after."""
        return MASK in (self.prev_char(start), self.next_char(end))

    def kind_after(self, pos: int) -> str:
        """The rule name of the expression that starts right after ``pos`` (glue skipped)."""
        i = pos
        while i < len(self._chars) and self._chars[i] in _GLUE:
            i += 1
        for start, end, kind in self.kinds:
            if start == i and start < end:
                return kind
        return ""

    def after(self, pos: int, size: int = 12) -> str:
        return self.masked[pos : pos + size]

    def before(self, pos: int, size: int = 12) -> str:
        return self.masked[max(0, pos - size) : pos]


#: A handler fills frame slots from a match and returns True to consume the whole match,
#: an end offset to consume only its start, or False to leave the text alone.
Handler = Callable[[re.Match[str], Scan], bool | int]


@dataclass(frozen=True)
class Rule:
    """A grammar production: a pattern and the handler that fills frame slots from it."""

    name: str
    pattern: re.Pattern[str]
    handler: Handler


def run_rules(scan: Scan, rules: Iterable[Rule]) -> None:
    """Apply ``rules`` in order, masking every accepted match."""
    for rule in rules:
        for match in rule.pattern.finditer(scan.masked):
            if match.end() == match.start() or MASK in match.group(0):
                continue
            accepted = rule.handler(match, scan)
            if accepted is True:
                scan.take(match.start(), match.end(), rule.name)
            elif accepted and match.start() < accepted <= match.end():
                scan.take(match.start(), int(accepted), rule.name)
