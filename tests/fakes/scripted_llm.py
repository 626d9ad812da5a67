"""A chat model for unit tests that answers from a script, in process (no server)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field

from bot.llm.client import LLMUnavailable
from bot.llm.types import ChatMessage, Completion, StreamEvent, ToolSpec

__all__ = ["Reply", "ScriptedLLM"]

#: A scripted answer: a completion, a plain text answer, or an exception to raise.
Reply = Completion | str | BaseException


@dataclass
class ScriptedLLM:
    """Answers ``complete`` with ``replies`` in order, then with ``default``; keeps the requests.
    It does not stream."""

    replies: list[Reply] = field(default_factory=list)
    requests: list[list[ChatMessage]] = field(default_factory=list)
    default: Completion | str = ""

    async def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        tools: Sequence[ToolSpec] | None = None,
        temperature: float | None = None,
        max_tokens: int | None = None,
    ) -> Completion:
        self.requests.append(list(messages))
        reply = self.replies.pop(0) if self.replies else self.default
        if isinstance(reply, BaseException):
            raise reply
        return Completion(text=reply) if isinstance(reply, str) else reply

    async def stream(
        self,
        messages: Sequence[ChatMessage],
        *,
        tools: Sequence[ToolSpec] | None = None,
        max_tokens: int | None = None,
    ) -> AsyncIterator[StreamEvent]:  # pragma: no cover - not scripted
        raise LLMUnavailable("no streaming here")
        yield StreamEvent()

    @property
    def last_prompt(self) -> str:
        return "\n".join(str(message["content"]) for message in self.requests[-1])
