"""The chat model behind any OpenAI-compatible endpoint (OpenAI, DeepSeek, Qwen, Ollama, vLLM...).

Chat completions are posted on an aiohttp session of the client's own, and streamed answers are
read as raw server-sent events: the openai SDK, used here only as an HTTP client before, cost
~1.1 s and ~24 MB at import and a layer of request objects per answer (its httpx-style client
over aiohttp). Its retry rules are kept: timeouts, broken connections, 408, 409, 429 and 5xx
answers are tried again with exponential backoff (0.5 s doubling up to 8 s, less up to a
quarter at random), honouring ``retry-after-ms``/``retry-after`` up to two minutes and an
``x-should-retry`` header; once the retries are spent the caller gets :class:`LLMUnavailable`.
A stream that has started is never retried (its words may be on the screen already).
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import json
import logging
import math
import random
import re
import time
import urllib.request
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from email.utils import mktime_tz, parsedate_tz
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from bot import wirejson
from bot.llm.types import ChatMessage, Completion, StreamEvent, ToolCall, ToolSpec

__all__ = ["LLMUnavailable", "OpenAIChat", "strip_reasoning"]

logger = logging.getLogger(__name__)

_DEFAULT_BASE_URL = "https://api.openai.com/v1"
_CHAT_PATH = "/chat/completions"
_THINK_BLOCK = re.compile(r"<think>.*?(</think>\s*|$)", re.DOTALL)
#: The openai SDK's backoff: the first pause, the longest, and the longest server-asked pause.
_FIRST_PAUSE, _LONGEST_PAUSE, _LONGEST_ASKED_PAUSE = 0.5, 8.0, 120.0
_RETRIED_STATUSES = frozenset({408, 409, 429})
#: Connections to the model at once (the SDK's limit): answers beyond wait for a free one.
_CONNECTIONS = 1000
#: A streamed answer is read at most this often (seconds). Models send a few tokens every
#: 20-50 ms, and each read wakes the whole path (parse, conversation, preview check) for a
#: few words: ~0.3 ms of CPU per read on a busy machine, more than everything else a streamed
#: answer costs. Nobody sees text move in steps of 0.1 s (previews change at most once a
#: second); the answer's end is never held back (no pause once the model says it is done).
READ_INTERVAL_SECONDS = 0.1


class LLMUnavailable(Exception):
    """The model could not answer, even after retries."""


class _Retryable(Exception):
    """A try that failed in a way worth another try after ``pause`` seconds (None: backoff)."""

    def __init__(self, reason: str, pause: float | None = None) -> None:
        super().__init__(reason)
        self.pause = pause


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
        read_interval: float = READ_INTERVAL_SECONDS,
    ) -> None:
        self._url = (base_url or _DEFAULT_BASE_URL).rstrip("/") + _CHAT_PATH
        self._headers = {
            # Local servers (Ollama, vLLM) need no key; send a placeholder as the SDK did.
            "Authorization": f"Bearer {api_key or 'not-needed'}",
            "Content-Type": "application/json",
            "Accept": "application/json",
        }
        # As the SDK's timeout: for connecting, and for each read (a silent stream times out).
        self._timeout = aiohttp.ClientTimeout(
            total=None, connect=timeout, sock_connect=timeout, sock_read=timeout
        )
        self._max_retries = max_retries
        # HTTP(S)_PROXY and NO_PROXY are honoured, as the SDK's client did; read once here
        # (aiohttp's trust_env reads them and ~/.netrc, in a worker thread, on every request).
        self._proxy = _proxy_for(self._url)
        self._read_interval = read_interval
        self._session: aiohttp.ClientSession | None = None
        self.model = model
        self._temperature = temperature

    async def close(self) -> None:
        """Close the connections to the endpoint."""
        if self._session is not None:
            await self._session.close()
            self._session = None

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
        async with self._post(body) as response:
            try:
                raw = await response.read()
            except (aiohttp.ClientError, TimeoutError) as error:
                raise LLMUnavailable(f"answer interrupted ({type(error).__name__})") from error
        try:
            message = wirejson.loads(raw)["choices"][0]["message"]
            calls = [
                _tool_call(
                    call.get("id"), call["function"]["name"], call["function"].get("arguments")
                )
                for call in message.get("tool_calls") or ()
                if call.get("function")
            ]
            text = message.get("content") or ""
        except (ValueError, KeyError, IndexError, TypeError, AttributeError) as error:
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
            async with self._post(body) as response:
                async for deltas, ended in _delta_batches(_decoded(response.content)):
                    piece: list[str] = []
                    for delta in deltas:
                        if delta.get("content"):
                            piece.append(delta["content"])
                        for part in delta.get("tool_calls") or ():
                            _merge_tool_call_part(calls, part)
                    if piece:
                        text.append("".join(piece))
                        yield StreamEvent(delta=text[-1], ends_answer=ended and not calls)
                    if not ended and self._read_interval > 0:
                        await _let_tokens_gather(response, self._read_interval)
        except (aiohttp.ClientError, TimeoutError) as error:  # the connection broke mid-stream
            raise LLMUnavailable(f"stream interrupted ({type(error).__name__})") from error
        except (ValueError, TypeError, AttributeError) as error:  # a malformed event stream
            raise LLMUnavailable(f"unreadable stream ({type(error).__name__})") from error
        tool_calls = [
            _tool_call(call["id"], call["name"], call["arguments"])
            for _, call in sorted(calls.items())
            if call["name"]
        ]
        yield StreamEvent(
            completion=Completion(text=strip_reasoning("".join(text)), tool_calls=tool_calls)
        )

    @asynccontextmanager
    async def _post(self, body: dict[str, Any]) -> AsyncIterator[aiohttp.ClientResponse]:
        """The endpoint's successful answer to ``body`` (its body still unread), after the
        retries the failures allow; LLMUnavailable when there is none."""
        data = wirejson.dumps(body)
        for attempt in range(self._max_retries + 1):
            try:
                response = await self._send(data)
            except _Retryable as failure:
                if attempt == self._max_retries:
                    raise LLMUnavailable(str(failure)) from None
                await asyncio.sleep(_pause(failure.pause, attempt))
                continue
            try:
                yield response
            finally:
                # An answer read to its end hands its connection back for the next request.
                response.release()
            return

    async def _send(self, data: bytes) -> aiohttp.ClientResponse:
        """One try: the response when the endpoint accepted the request; _Retryable or
        LLMUnavailable when it did not."""
        session = self._session
        if session is None or session.closed:
            session = self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=_CONNECTIONS, limit_per_host=0),
                timeout=self._timeout,
                cookie_jar=aiohttp.DummyCookieJar(),
            )
        try:
            response = await session.post(
                self._url, data=data, headers=self._headers, proxy=self._proxy
            )
        except TimeoutError:
            raise _Retryable("timed out") from None
        except aiohttp.ClientError as error:
            raise _Retryable(f"connection failed ({type(error).__name__})") from None
        if response.status < 400:
            return response
        headers = response.headers
        with contextlib.suppress(aiohttp.ClientError, TimeoutError):
            await response.read()  # read to its end, the connection serves the next try
        response.release()
        reason = f"HTTP {response.status}"
        asked = _asked_pause(headers)
        if asked is not None and asked > _LONGEST_ASKED_PAUSE:
            raise LLMUnavailable(f"{reason}, retry after {asked:.0f} s")
        retry = headers.get("x-should-retry")
        if retry == "true" or (
            retry != "false" and (response.status in _RETRIED_STATUSES or response.status >= 500)
        ):
            raise _Retryable(reason, asked)
        raise LLMUnavailable(reason)

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
    data: list[str] = []
    done = False
    for line in lines:
        if not line.startswith("data:"):
            continue
        payload = line[5:].strip()
        if payload == "[DONE]":
            done = True
            break
        data.append(payload)
    if not data:
        return [], done, done
    # The events of a network read parsed as one JSON array: one parse per read, not per token.
    events = wirejson.loads(f"[{','.join(data)}]") if len(data) > 1 else [wirejson.loads(data[0])]
    if len(events) != len(data):  # pieces of broken events that happened to join up
        raise ValueError("malformed events")
    deltas: list[dict[str, Any]] = []
    ended = done
    for event in events:
        if event.get("error"):
            raise LLMUnavailable("the model reported an error mid-stream")
        for choice in event.get("choices") or ():
            if choice.get("delta"):
                deltas.append(choice["delta"])
            if choice.get("finish_reason"):
                ended = True
    return deltas, ended, done


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


def _proxy_for(url: str) -> str | None:
    """The proxy the environment names for ``url`` (HTTP_PROXY, HTTPS_PROXY, NO_PROXY...)."""
    proxies = urllib.request.getproxies()
    host = urlsplit(url).hostname or ""
    if not proxies or urllib.request.proxy_bypass(host):
        return None
    return proxies.get(urlsplit(url).scheme) or proxies.get("all")


async def _decoded(content: aiohttp.StreamReader) -> AsyncIterator[str]:
    """The body as text, a network read at a time (a character split between reads kept)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    async for chunk in content.iter_any():
        text = decoder.decode(chunk)
        if text:
            yield text
    rest = decoder.decode(b"", final=True)
    if rest:
        yield rest


async def _let_tokens_gather(response: aiohttp.ClientResponse, seconds: float) -> None:
    """Leave the connection unread for ``seconds``: what the model sends meanwhile waits in the
    socket and is read at once (one wake-up instead of one per event)."""
    connection = response.connection
    transport = connection.transport if connection is not None else None
    if transport is None or transport.is_closing() or not transport.is_reading():
        return
    transport.pause_reading()
    try:
        await asyncio.sleep(seconds)
    finally:
        # Always resumed, even when the reader goes away meanwhile: a connection handed back
        # to the pool paused would never read its next answer.
        if not transport.is_closing():
            transport.resume_reading()


def _asked_pause(headers: Mapping[str, str]) -> float | None:
    """The pause the server asked for, in seconds: ``retry-after-ms``, then ``retry-after``
    (seconds or an HTTP date), as the openai SDK reads them; None when it asked for none."""
    for name, divisor in (("retry-after-ms", 1000), ("retry-after", 1)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            return float(value) / divisor
        except ValueError:
            continue
    try:
        date = parsedate_tz(headers.get("retry-after", ""))
        if date is None:
            return None
        return mktime_tz(date) - time.time()
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _pause(asked: float | None, attempt: int) -> float:
    """Seconds before try ``attempt + 2``: the server's wish when sensible, else backoff."""
    if asked is not None and math.isfinite(asked) and 0 < asked <= _LONGEST_ASKED_PAUSE:
        return asked
    backoff = min(_FIRST_PAUSE * 2.0**attempt, _LONGEST_PAUSE)
    return backoff * (1 - 0.25 * random.random())
