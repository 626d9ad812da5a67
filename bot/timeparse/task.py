"""The reminder's task: the message minus its time expressions and filler.

"remind me to call mom tomorrow at 3pm" -> "call mom"; "明天下午三点提醒我给妈妈打电话" ->
"给妈妈打电话".  Connectors glued to a time expression ("at", "on", "for", "在", "从…开始")
go with it.
"""

from __future__ import annotations

import itertools
import re

__all__ = ["extract_task"]

_CJK = r"\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_LEFT_GLUE = re.compile(
    r"(?:(?<![A-Za-z])(?:at|on|by|from|starting|beginning|around|for|until|till|before|due)"
    r"\s*|[在于从自]\s*)$",
    re.IGNORECASE,
)
_RIGHT_GLUE = re.compile(
    r"^\s*(?:开始|起(?=$|[\s,，。!！])|之前|以前|前|的时候|时|左右|的(?=[" + _CJK + r"]))"
)
_EN_PREFIX = re.compile(
    r"^(?:(?:hey|hi|ok|okay|yo)(?![a-z])[\s,]*|dazi(?![a-z])[\s,]*|(?:please|pls|plz|kindly)\s+"
    r"|(?:can|could|would|will)\s+you\s+|(?:set|create|add|make)\s+(?:me\s+)?(?:a|an)?\s*"
    r"reminders?(?:\s+(?:to|for|about|that))?(?![a-z])|remind\s+(?:me|us)(?:\s+(?:to|that"
    r"|about|of))?(?![a-z])|reminders?(?:\s+(?:to|for|about))?\s*[:\-]?|don'?t\s+(?:let\s+me\s+)?"
    r"forget(?:\s+(?:to|about))?(?![a-z])|i\s+(?:need|have|want)\s+to\s+remember\s+to(?![a-z])"
    r"|(?:to|that|and|then|about)(?![a-z]))[\s,:]*",
    re.IGNORECASE,
)
_EN_SUFFIX = re.compile(
    r"[\s,]*(?<![a-z])(?:please|pls|plz|thanks|thank\s+you|ok\??|okay\??|remind\s+me"
    r"|and|then)$",
    re.IGNORECASE,
)
_ZH_PREFIX = re.compile(
    r"^(?:请|麻烦|帮我|帮忙|你)?(?:再)?(?:提醒我一下|提醒一下我|提醒一下|提醒我|提醒|记得要?|记住|别忘了|别忘记"
    r"|不要忘记|不要忘了|叫我|喊我|通知我|设(?:置)?一?个提醒|到时候?)(?:一下)?[，,：:\s]*"
    r"|^(?:再|就|要|得|请|然后)(?=[" + _CJK + r"]{2})"
)
_ZH_SUFFIX = re.compile(r"(?:提醒我(?:一下)?|提醒一下|提醒|叫我|喊我|吧|哦|哈|啊|呀|一下吧)$")
_JOINER = re.compile(r"\s*(?:和|与|及|跟|或|、|,|，|and|&|or)\s*", re.IGNORECASE)
_TRIM = " \t\r\n,.;:!?，。；：！？、·-—~～…\"'“”‘’()（）[]【】"


def _blank(chars: list[str], start: int, end: int) -> None:
    for i in range(start, end):
        chars[i] = " "


def _blank_spans(text: str, spans: list[tuple[int, int]]) -> str:
    """Replace the spans, and connectors glued to them, by spaces (offsets are kept)."""
    chars = list(text)
    for start, end in spans:
        _blank(chars, start, end)
    ordered = sorted(spans)
    for (_, left_end), (right_start, _) in itertools.pairwise(ordered):
        if _JOINER.fullmatch(text[left_end:right_start]):
            _blank(chars, left_end, right_start)  # "9点和5点", "Monday and Friday"
    blanked = "".join(chars)
    for start, end in spans:
        glue = _LEFT_GLUE.search(blanked[:start])
        if glue:
            _blank(chars, glue.start(), start)
        right = _RIGHT_GLUE.match(blanked[end:])
        if right:
            _blank(chars, end, end + right.end())
    return "".join(chars)


def _strip_fillers(task: str) -> str:
    previous = None
    while previous != task:
        previous = task
        task = task.strip(_TRIM)
        task = _EN_PREFIX.sub("", task, count=1)
        task = _ZH_PREFIX.sub("", task, count=1)
        task = _EN_SUFFIX.sub("", task)
        task = _ZH_SUFFIX.sub("", task)
    return task


def extract_task(text: str, spans: list[tuple[int, int]]) -> str | None:
    """The text without the time-expression ``spans`` and filler, or None if nothing is left."""
    task = _blank_spans(text, spans)
    task = re.sub(r"(?:^|(?<=\s))的(?=\s|$)", " ", task)
    task = re.sub(rf"(?<=[{_CJK}])\s+|\s+(?=[{_CJK}])", "", task)
    task = re.sub(r"\s+", " ", task)
    task = re.sub(r"\s+([,.;:!?，。；：！？])", r"\1", task)
    task = re.sub(r"([,，、])(?:\s*[,，、])+", r"\1", task)
    task = _strip_fillers(task)
    return task or None
