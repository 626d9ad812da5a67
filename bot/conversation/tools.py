"""Tools the model may call during a conversation; features register theirs here.

A tool declares its arguments once, as a pydantic model (a :class:`ToolArguments` subclass):
the JSON schema the model is offered is generated from it, and every call's arguments are
validated against it before the tool runs. A call that does not fit (a list where a string
belongs, a missing field, an unknown one) never reaches the tool: the model gets a short error
saying what to fix.

    class SearchArguments(ToolArguments):
        query: str = Field(min_length=1, max_length=300, description="What to look for.")

    class SearchMemoryTool(Tool[SearchArguments]):
        name = "search_memory"
        description = "Search what the user said before."
        arguments = SearchArguments

        async def run(self, context: ToolContext, arguments: SearchArguments) -> ToolOutcome:
            ...  # arguments.query is a string of 1 to 300 characters here
"""

from __future__ import annotations

import functools
import json
import logging
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from bot.conversation.types import Incoming, Notice
from bot.llm.types import ToolCall, ToolSpec
from bot.storage import ChatRecord, UserRecord

__all__ = [
    "NoArguments",
    "Tool",
    "ToolArguments",
    "ToolContext",
    "ToolOutcome",
    "ToolRegistry",
    "TurnTools",
    "arguments_error",
    "function_spec",
    "shown_to_user",
]

logger = logging.getLogger(__name__)


class ToolArguments(BaseModel):
    """The arguments of one tool: validated strictly enough that only what the schema promises
    reaches a tool (no list or number where a string belongs), leniently about ``null`` for an
    optional field, which small models send for "not given"."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _null_means_not_given(cls, data: Any) -> Any:
        if isinstance(data, Mapping):
            return {key: value for key, value in data.items() if value is not None}
        return data

    @classmethod
    def json_schema(cls) -> dict[str, Any]:
        """The JSON schema of the tool's ``parameters`` (pydantic's, without its titles)."""
        return _json_schema(cls)


class NoArguments(ToolArguments):
    """For a tool that takes nothing."""


@functools.cache
def _json_schema(arguments: type[ToolArguments]) -> dict[str, Any]:
    """Generated once per class: every answer offers the tools, and pydantic's schema
    generation cost more CPU per message than the rest of the answer."""
    schema: dict[str, Any] = _without_titles(arguments.model_json_schema())
    return schema


def _without_titles(schema: Any) -> Any:
    """Drop pydantic's generated ``title`` keywords (noise in the prompt), keep everything else.
    A property *named* "title" has a schema (a dict) as its value, so it is kept."""
    if isinstance(schema, dict):
        return {
            key: _without_titles(value)
            for key, value in schema.items()
            if not (key == "title" and isinstance(value, str))
        }
    if isinstance(schema, list):
        return [_without_titles(item) for item in schema]
    return schema


def function_spec(name: str, description: str, arguments: type[ToolArguments]) -> ToolSpec:
    """The OpenAI definition of a function tool whose parameters are ``arguments``."""
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": description,
            "parameters": arguments.json_schema(),
        },
    }


def arguments_error(tool: str, error: ValidationError) -> str:
    """A short message telling the model what was wrong with its arguments (never their values,
    which may be long)."""
    problems = []
    for item in error.errors(include_url=False, include_input=False)[:4]:
        where = ".".join(str(part) for part in item["loc"]) or "arguments"
        problems.append(f"{where}: {item['msg']}")
    return (
        f"error: the arguments do not match the {tool} schema ({'; '.join(problems)}). "
        "Nothing was done. Call it again with arguments as described, or answer without it."
    )


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


Arguments = TypeVar("Arguments", bound=ToolArguments)


def shown_to_user(notice: Notice | None) -> str:
    """Exactly what the user was shown beside the answer, for the model: the message and its
    buttons (or that it had none), so the model never speaks of buttons the user did not see."""
    if notice is None:
        return "The user was shown nothing about it."
    text = " ".join(notice.text.split())
    if len(text) > 400:
        text = text[:399] + "…"
    labels = [button.label for row in notice.buttons for button in row]
    if not labels:
        return f'The user was shown this message, without any buttons: "{text}"'
    shown = ", ".join(f"[{label}]" for label in labels)
    return f'The user was shown this message with the buttons {shown}: "{text}"'


class Tool(ABC, Generic[Arguments]):
    """A function the model can call: a name, a description and a :class:`ToolArguments`
    model, from which the definition offered to the model is generated.

    ``available(context)`` returning False (say, a private-only tool in a group chat) keeps
    the tool from being offered there at all."""

    name: ClassVar[str]
    description: ClassVar[str]
    arguments: type[Arguments]

    @property
    def spec(self) -> ToolSpec:
        return function_spec(self.name, self.description, self.arguments)

    def available(self, context: ToolContext) -> bool:
        return True

    async def call(self, context: ToolContext, raw: Mapping[str, Any]) -> ToolOutcome:
        """Validate the model's arguments and run the tool; a mismatch is told to the model."""
        try:
            arguments = self.arguments.model_validate(dict(raw))
        except ValidationError as error:
            logger.info("tool %s called with arguments that do not fit its schema", self.name)
            return ToolOutcome(result=arguments_error(self.name, error))
        return await self.run(context, arguments)

    @abstractmethod
    async def run(self, context: ToolContext, arguments: Arguments) -> ToolOutcome:
        """Do what the tool does, with arguments that match its schema."""


class ToolRegistry:
    """The tools on offer; a failing tool is reported to the model, never raised to the user."""

    def __init__(self) -> None:
        self._tools: dict[str, Tool[Any]] = {}

    def register(self, tool: Tool[Any]) -> None:
        self._tools[tool.name] = tool

    def specs(self, context: ToolContext | None = None) -> list[ToolSpec]:
        """The tools to offer; with a context, only those available there."""
        return [
            tool.spec for tool in self._tools.values() if context is None or tool.available(context)
        ]

    def __bool__(self) -> bool:
        return bool(self._tools)

    def __iter__(self) -> Iterator[Tool[Any]]:
        return iter(list(self._tools.values()))

    def for_turn(self, context: ToolContext) -> TurnTools:
        """The tools as one answer uses them (see :class:`TurnTools`)."""
        return TurnTools(self, context)

    async def run(self, context: ToolContext, call: ToolCall) -> ToolOutcome:
        tool = self._tools.get(call.name)
        if tool is None:
            return ToolOutcome(result=f"error: there is no tool named {call.name}")
        try:
            return await tool.call(context, call.arguments)
        except Exception:
            logger.exception("tool %s failed", call.name)
            return ToolOutcome(result="error: the tool failed; tell the user it did not work")


class TurnTools:
    """The tools during one answer. A call repeated with the same arguments (small models
    re-send theirs after each result) is answered from its first result and never run twice:
    no second reminder, no second confirmation."""

    def __init__(self, registry: ToolRegistry, context: ToolContext) -> None:
        self._registry = registry
        self._context = context
        self._results: dict[tuple[str, str], str] = {}

    async def run(self, call: ToolCall) -> ToolOutcome:
        key = (call.name, json.dumps(call.arguments, sort_keys=True, default=str))
        earlier = self._results.get(key)
        if earlier is not None:
            return ToolOutcome(
                result="already done in this answer with the same arguments; not done again. "
                f"Its result was: {earlier}"
            )
        outcome = await self._registry.run(self._context, call)
        self._results[key] = outcome.result
        return outcome
