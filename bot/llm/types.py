"""Plain types passed between the LLM client and the services that use it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

__all__ = ["LLM", "ChatMessage", "Completion", "StreamEvent", "ToolCall", "ToolSpec"]

#: One OpenAI chat message: {"role": "system" | "user" | "assistant" | "tool", "content": ...}
ChatMessage = dict[str, Any]

#: One OpenAI tool definition: {"type": "function", "function": {"name", "description", ...}}
ToolSpec = dict[str, Any]


@dataclass(frozen=True, slots=True)
class ToolCall:
    """A function call the model asked for, with its arguments already parsed from JSON."""

    id: str
    name: str
    arguments: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Completion:
    """A finished answer: its text and any tool calls."""

    text: str
    tool_calls: list[ToolCall] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class StreamEvent:
    """A piece of a streamed answer: more text, or (at the end) the finished completion."""

    delta: str = ""
    completion: Completion | None = None
    #: This text is the answer's last: the finished completion follows at once, no tool call.
    ends_answer: bool = False


class LLM(Protocol):
    """What the services need from a chat model; tests pass fakes with the same shape."""

    async def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        tools: Sequence[ToolSpec] | None = None,
        temperature: float | None = None,
        max_tokens: int | None = None,
    ) -> Completion: ...

    def stream(
        self,
        messages: Sequence[ChatMessage],
        *,
        tools: Sequence[ToolSpec] | None = None,
        max_tokens: int | None = None,
    ) -> AsyncIterator[StreamEvent]: ...
