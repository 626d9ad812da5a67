"""Tools the model may call during a conversation; features register theirs here."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from bot.conversation.types import Incoming, Notice
from bot.llm.types import ToolCall, ToolSpec
from bot.storage import ChatRecord, UserRecord

__all__ = ["Tool", "ToolContext", "ToolOutcome", "ToolRegistry", "function_spec"]

logger = logging.getLogger(__name__)


def function_spec(
    name: str,
    description: str,
    properties: dict[str, Any] | None = None,
    required: list[str] | None = None,
) -> ToolSpec:
    """The OpenAI definition of a function tool taking an object with these ``properties``
    (JSON schemas by name), of which ``required`` must be given."""
    parameters: dict[str, Any] = {"type": "object", "properties": dict(properties or {})}
    if required is not None:
        parameters["required"] = required
    return {
        "type": "function",
        "function": {"name": name, "description": description, "parameters": parameters},
    }


@dataclass(frozen=True, slots=True)
class ToolContext:
    """Who is talking, where and when: everything a tool needs to act for the user."""

    user: UserRecord
    chat: ChatRecord
    incoming: Incoming
    now: datetime
    language: str
    timezone: str
    #: Calls per tool name in this turn, for tools that bound themselves (a few searches).
    turn_calls: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ToolOutcome:
    """What the model is told about the call, and what (if anything) the user is shown."""

    result: str
    notice: Notice | None = None


class Tool(Protocol):
    """A function the model can call. ``spec`` is the OpenAI tool definition.

    A tool may also define ``available(context) -> bool``: when it returns False (say, a
    private-only tool in a group chat) the model is not offered the tool there at all."""

    @property
    def spec(self) -> ToolSpec: ...

    async def run(self, context: ToolContext, arguments: dict[str, Any]) -> ToolOutcome: ...


class ToolRegistry:
    """The tools on offer; a failing tool is reported to the model, never raised to the user."""

    def __init__(self) -> None:
        self._tools: dict[str, Tool] = {}

    def register(self, tool: Tool) -> None:
        self._tools[tool.spec["function"]["name"]] = tool

    def specs(self, context: ToolContext | None = None) -> list[ToolSpec]:
        """The tools to offer; with a context, only those available there."""
        return [
            tool.spec
            for tool in self._tools.values()
            if context is None or _available(tool, context)
        ]

    def __bool__(self) -> bool:
        return bool(self._tools)

    async def run(self, context: ToolContext, call: ToolCall) -> ToolOutcome:
        tool = self._tools.get(call.name)
        if tool is None:
            return ToolOutcome(result=f"error: there is no tool named {call.name}")
        try:
            return await tool.run(context, call.arguments)
        except Exception:
            logger.exception("tool %s failed", call.name)
            return ToolOutcome(result="error: the tool failed; tell the user it did not work")


def _available(tool: Tool, context: ToolContext) -> bool:
    """Whether a tool is on offer in this context (tools without ``available`` always are)."""
    check = getattr(tool, "available", None)
    return True if check is None else bool(check(context))
