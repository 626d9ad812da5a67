"""The chat model behind any OpenAI-compatible endpoint (OpenAI, DeepSeek, Qwen, Ollama, vLLM...).

The openai SDK retries timeouts, 429 and 5xx answers with exponential backoff (and honours
``retry-after``); once those retries are spent the caller gets :class:`LLMUnavailable`.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import AsyncIterator, Sequence
from typing import Any

import httpx2  # the openai SDK's HTTP transport
import openai
from openai import AsyncOpenAI, DefaultAioHttpClient

from bot.llm.types import ChatMessage, Completion, StreamEvent, ToolCall, ToolSpec

__all__ = ["LLMUnavailable", "OpenAIChat", "http_transport", "strip_reasoning"]

logger = logging.getLogger(__name__)

_CHAT_PATH = "/chat/completions"
_THINK_BLOCK = re.compile(r"<think>.*?(</think>\s*|$)", re.DOTALL)


def http_transport() -> httpx2.AsyncClient:
    """The SDK's aiohttp transport: its connection pool stays cheap with many chats talking at
    once. The default (httpx) pool checks every idle connection with system calls on each
    request: ~0.7 ms of CPU per streamed request alone and ~1.6 ms with 200 in flight, against
    ~0.5 ms here at any load (measured against a local server)."""
    return DefaultAioHttpClient()


class LLMUnavailable(Exception):
    """The model could not answer, even after retries."""


def strip_reasoning(text: str) -> str:
    """Drop the ``<think>...</think>`` block that reasoning models put before their answer."""
    return _THINK_BLOCK.sub("", text) if "<think>" in text else text


class OpenAIChat:
    """Chat completions, plain and streamed, with tool calls."""

    def __init__(
        self,
        *,
        api_key: str,
        model: str,
        base_url: str | None = None,
        timeout: float = 60.0,
        max_retries: int = 3,
        temperature: float | None = None,
    ) -> None:
        self._client = AsyncOpenAI(
            # Local servers (Ollama, vLLM) need no key, but the SDK insists on one.
            api_key=api_key or "not-needed",
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            http_client=http_transport(),
        )
        self.model = model
        self._temperature = temperature

    @property
    def client(self) -> AsyncOpenAI:
        """The underlying SDK client (shared with the embeddings endpoint when it is the same)."""
        return self._client

    async def close(self) -> None:
        await self._client.close()

    async def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        tools: Sequence[ToolSpec] | None = None,
        temperature: float | None = None,
        max_tokens: int | None = None,
    ) -> Completion:
        """Ask for one whole answer."""
        body = self._body(messages, tools=tools, temperature=temperature, max_tokens=max_tokens)
        try:
            data: Any = await self._client.post(_CHAT_PATH, body=body, cast_to=object)
        except openai.OpenAIError as error:
            raise LLMUnavailable(_describe(error)) from error
        try:
            message = data["choices"][0]["message"]
            calls = [
                _tool_call(
                    call.get("id"), call["function"]["name"], call["function"].get("arguments")
                )
                for call in message.get("tool_calls") or ()
                if call.get("function")
            ]
            text = message.get("content") or ""
        except (KeyError, IndexError, TypeError, AttributeError) as error:
            raise LLMUnavailable(f"unreadable answer ({type(error).__name__})") from error
        return Completion(text=strip_reasoning(text), tool_calls=calls)

    async def stream(
        self,
        messages: Sequence[ChatMessage],
        *,
        tools: Sequence[ToolSpec] | None = None,
        max_tokens: int | None = None,
    ) -> AsyncIterator[StreamEvent]:
        """Yield the answer as it is written, then one event with the finished completion."""
        body = self._body(
            messages, tools=tools, temperature=None, max_tokens=max_tokens, stream=True
        )
        text: list[str] = []
        calls: dict[int, dict[str, str]] = {}
        try:
            # The raw event stream, read as JSON: building the SDK's typed chunk objects costs
            # about four times more CPU than everything else in a token-by-token answer.
            response = await self._client.post(
                _CHAT_PATH, body=body, cast_to=httpx2.Response, stream=True
            )
            try:
                async for deltas, ended in _delta_batches(response.aiter_text()):
                    piece: list[str] = []
                    for delta in deltas:
                        if delta.get("content"):
                            piece.append(delta["content"])
                        for part in delta.get("tool_calls") or ():
                            _merge_tool_call_part(calls, part)
                    if piece:
                        text.append("".join(piece))
                        yield StreamEvent(delta=text[-1], ends_answer=ended and not calls)
            finally:
                await response.aclose()
        except openai.OpenAIError as error:
            raise LLMUnavailable(_describe(error)) from error
        except httpx2.HTTPError as error:  # the connection broke mid-stream
            raise LLMUnavailable(f"stream interrupted ({type(error).__name__})") from error
        except (ValueError, TypeError) as error:  # a malformed event stream
            raise LLMUnavailable(f"unreadable stream ({type(error).__name__})") from error
        tool_calls = [
            _tool_call(call["id"], call["name"], call["arguments"])
            for _, call in sorted(calls.items())
            if call["name"]
        ]
        yield StreamEvent(
            completion=Completion(text=strip_reasoning("".join(text)), tool_calls=tool_calls)
        )

    def _body(
        self,
        messages: Sequence[ChatMessage],
        *,
        tools: Sequence[ToolSpec] | None,
        temperature: float | None,
        max_tokens: int | None,
        stream: bool = False,
    ) -> dict[str, Any]:
        """The request, already in wire format.

        It is posted as is rather than through ``chat.completions.create``: the SDK's typed
        transform of the request and its typed parse of the answer cost more CPU than everything
        else Dazi does per message, and our dicts need neither.
        """
        body: dict[str, Any] = {"model": self.model, "messages": list(messages)}
        if stream:
            body["stream"] = True
        if tools:
            body["tools"] = list(tools)
        chosen = temperature if temperature is not None else self._temperature
        if chosen is not None:
            body["temperature"] = chosen
        if max_tokens is not None:
            body["max_tokens"] = max_tokens
        return body


async def _delta_batches(
    chunks: AsyncIterator[str],
) -> AsyncIterator[tuple[list[dict[str, Any]], bool]]:
    """The ``delta`` of each server-sent event of a chat-completion stream, a network read at a
    time, with whether the answer ended in that read.

    Reading in batches means a slow reader handles a backlog of tokens at once, and an answer
    that arrives whole is known to be whole (so nobody shows a preview of it).
    """
    pending = ""
    done = False
    async for chunk in chunks:
        lines = (pending + chunk).split("\n")
        pending = lines.pop()
        # After [DONE], read on to the end: a response left unread makes the HTTP pool close
        # its connection, and every answer would pay for a new one (a TLS handshake, remotely).
        if not done:
            deltas, ended, done = _parse_events(lines)
            if deltas or ended:
                yield deltas, ended
    if pending and not done:  # a last line without its newline
        deltas, ended, _ = _parse_events([pending])
        if deltas or ended:
            yield deltas, ended


def _parse_events(lines: list[str]) -> tuple[list[dict[str, Any]], bool, bool]:
    """(deltas, whether a choice finished, whether [DONE] came) of some complete SSE lines."""
    deltas: list[dict[str, Any]] = []
    ended = False
    for line in lines:
        if not line.startswith("data:"):
            continue
        data = line[5:].strip()
        if data == "[DONE]":
            return deltas, True, True
        event = json.loads(data)
        if event.get("error"):
            raise LLMUnavailable("the model reported an error mid-stream")
        for choice in event.get("choices") or ():
            if choice.get("delta"):
                deltas.append(choice["delta"])
            if choice.get("finish_reason"):
                ended = True
    return deltas, ended, False


def _merge_tool_call_part(calls: dict[int, dict[str, str]], part: dict[str, Any]) -> None:
    """Streamed tool calls arrive in pieces keyed by index; glue them together."""
    call = calls.setdefault(part.get("index") or 0, {"id": "", "name": "", "arguments": ""})
    if part.get("id"):
        call["id"] = part["id"]
    function = part.get("function") or {}
    call["name"] += function.get("name") or ""
    call["arguments"] += function.get("arguments") or ""


def _tool_call(call_id: str | None, name: str, arguments: str | None) -> ToolCall:
    try:
        parsed = json.loads(arguments or "{}")
    except json.JSONDecodeError:
        logger.warning("tool call %s came with arguments that are not JSON", name)
        parsed = {}
    if not isinstance(parsed, dict):
        parsed = {}
    return ToolCall(id=call_id or f"call_{name}", name=name, arguments=parsed)


def _describe(error: openai.OpenAIError) -> str:
    """A log-safe summary: the class and status, never the request (it may carry the key)."""
    status = getattr(error, "status_code", None)
    return f"{type(error).__name__}" + (f" (HTTP {status})" if status else "")
