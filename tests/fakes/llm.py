"""A fake OpenAI-compatible server on loopback: chat completions (plain and streamed, with tool
calls, with image parts), embeddings, transcriptions (multipart) and speech. Tests script its
answers and read the requests it received."""

from __future__ import annotations

import asyncio
import hashlib
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

__all__ = ["FAKE_OPUS", "FakeLLM", "LLMError", "LLMReply", "ToolCallReply", "Upload"]

#: What the fake speech endpoint answers: the start of an OGG/Opus stream, then filler.
FAKE_OPUS = b"OggS\x00\x02" + b"\x00" * 20 + b"OpusHead" + b"\x01" * 200


@dataclass
class LLMReply:
    """An answer with text."""

    text: str


@dataclass
class ToolCallReply:
    """An answer that calls tools: ``calls`` is a list of (name, arguments)."""

    calls: list[tuple[str, dict[str, Any]]]
    text: str = ""


@dataclass
class LLMError:
    """An HTTP error answer (429, 500, 503...)."""

    status: int = 500
    message: str = "upstream failure"


@dataclass
class Upload:
    """A file the bot posted to /audio/transcriptions, with the form's other fields."""

    file_name: str
    content_type: str
    data: bytes
    fields: dict[str, str]


Scripted = LLMReply | ToolCallReply | LLMError
Responder = Callable[[dict[str, Any]], Scripted | None]


@dataclass
class FakeLLM:
    """Answers from a script, then from ``responder``, else with an echo of the last message.

    Streamed requests (the conversation) take ``script``; plain ones (background work such as
    fact learning) take ``complete_script``, so background calls never eat a test's script.
    """

    script: list[Scripted] = field(default_factory=list)
    complete_script: list[Scripted] = field(default_factory=list)
    responder: Responder | None = None
    requests: list[dict[str, Any]] = field(default_factory=list)
    embedding_requests: list[dict[str, Any]] = field(default_factory=list)
    chunk_size: int = 12
    chunk_delay: float = 0.0
    response_delay: float = 0.0
    #: When set, plain (background) requests wait until it is set: "the model is thinking".
    hold_complete: asyncio.Event | None = None
    #: Streamed answers never end (a looping model): chunks every ``chunk_delay`` seconds.
    endless: bool = False
    #: When set, streamed (conversation) requests wait until it is set.
    hold_stream: asyncio.Event | None = None
    in_flight: int = 0
    max_in_flight: int = 0
    #: The client ends (host, port) requests came from: one per TCP connection the bot opened.
    peers: set[tuple[str, int]] = field(default_factory=set)
    #: Transcripts to answer, in order (an LLMError fails that request); then ``transcript``.
    transcripts: list[str | LLMError] = field(default_factory=list)
    transcript: str = ""
    uploads: list[Upload] = field(default_factory=list)
    #: Speech requests (their JSON bodies); ``speech_error`` fails every one while set.
    speech_requests: list[dict[str, Any]] = field(default_factory=list)
    speech_error: LLMError | None = None
    #: Answer chat requests that carry images with this error (a model without image input).
    image_error: LLMError | None = None
    _runner: web.AppRunner | None = None
    base_url: str = ""

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._chat)
        app.router.add_post("/v1/embeddings", self._embeddings)
        app.router.add_post("/v1/audio/transcriptions", self._transcription)
        app.router.add_post("/v1/audio/speech", self._speech)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base_url = f"http://127.0.0.1:{port}/v1"
        return self.base_url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def then(self, *answers: Scripted) -> FakeLLM:
        self.script.extend(answers)
        return self

    @property
    def chat_requests(self) -> list[dict[str, Any]]:
        """The conversation's (streamed) requests."""
        return [body for body in self.requests if body.get("stream")]

    def prompt_text(self, index: int = -1) -> str:
        """Every message of one conversation request, joined: handy for 'the prompt contains'."""
        return _joined(self.chat_requests[index])

    def all_prompt_text(self) -> str:
        """Every message of every request the server received, streamed or not."""
        return "\n".join(_joined(body) for body in self.requests)

    @property
    def image_requests(self) -> list[dict[str, Any]]:
        """Chat requests (streamed or not) with at least one image part."""
        return [body for body in self.requests if image_parts(body)]

    async def _transcription(self, request: web.Request) -> web.Response:
        form = await request.post()
        upload = form["file"]
        assert isinstance(upload, web.FileField), "the audio must come as a multipart file"
        fields = {key: str(value) for key, value in form.items() if key != "file"}
        self.uploads.append(
            Upload(upload.filename, upload.content_type, upload.file.read(), fields)
        )
        answer: str | LLMError = self.transcripts.pop(0) if self.transcripts else self.transcript
        if isinstance(answer, LLMError):
            return web.json_response(
                {"error": {"message": answer.message, "type": "server_error"}},
                status=answer.status,
                headers={"retry-after-ms": "10"},
            )
        return web.json_response({"text": answer})

    async def _speech(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.speech_requests.append(body)
        if self.speech_error is not None:
            return web.json_response(
                {"error": {"message": self.speech_error.message, "type": "server_error"}},
                status=self.speech_error.status,
                headers={"retry-after-ms": "10"},
            )
        return web.Response(body=FAKE_OPUS, content_type="audio/ogg")

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.requests.append(body)
        if self.image_error is not None and image_parts(body):
            error = self.image_error
            return web.json_response(
                {"error": {"message": error.message, "type": "invalid_request_error"}},
                status=error.status,
            )
        if request.transport is not None:
            self.peers.add(request.transport.get_extra_info("peername"))
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            return await self._answer(request, body)
        finally:
            self.in_flight -= 1

    async def _answer(self, request: web.Request, body: dict[str, Any]) -> web.StreamResponse:
        answer = self._next_answer(body)
        await asyncio.sleep(self.response_delay)
        if self.hold_complete is not None and not body.get("stream"):
            await self.hold_complete.wait()
        if self.hold_stream is not None and body.get("stream"):
            await self.hold_stream.wait()
        if isinstance(answer, LLMError):
            return web.json_response(
                {"error": {"message": answer.message, "type": "server_error"}},
                status=answer.status,
                headers={"retry-after-ms": "10"},
            )
        if body.get("stream"):
            return await self._stream(request, answer)
        return web.json_response(_completion(answer))

    def _next_answer(self, body: dict[str, Any]) -> Scripted:
        script = self.script if body.get("stream") else self.complete_script
        if script:
            return script.pop(0)
        if self.responder is not None:
            answer = self.responder(body)
            if answer is not None:
                return answer
        last_user = next(
            (m for m in reversed(body["messages"]) if m["role"] == "user"), {"content": ""}
        )
        return LLMReply(f"You said: {_text_of(last_user['content'])}")

    async def _stream(self, request: web.Request, answer: Scripted) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        if self.endless:
            while True:  # until the client goes away
                await _send_event(response, _chunk({"content": "and so on, "}))
                await asyncio.sleep(self.chunk_delay or 0.01)
        text = answer.text
        for start in range(0, len(text), self.chunk_size):
            piece = text[start : start + self.chunk_size]
            await _send_event(response, _chunk({"content": piece}))
            await asyncio.sleep(self.chunk_delay)
        if isinstance(answer, ToolCallReply):
            for index, (name, arguments) in enumerate(answer.calls):
                call = {
                    "index": index,
                    "id": f"call_{index}",
                    "type": "function",
                    "function": {"name": name, "arguments": json.dumps(arguments)},
                }
                await _send_event(response, _chunk({"tool_calls": [call]}))
        finish = "tool_calls" if isinstance(answer, ToolCallReply) else "stop"
        await _send_event(response, _chunk({}, finish=finish))
        await response.write(b"data: [DONE]\n\n")
        await response.write_eof()
        return response

    async def _embeddings(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.embedding_requests.append(body)
        inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
        data = [
            {"object": "embedding", "index": i, "embedding": hashed_embedding(text)}
            for i, text in enumerate(inputs)
        ]
        return web.json_response(
            {"object": "list", "data": data, "model": body.get("model", "fake"), "usage": _usage()}
        )


def hashed_embedding(text: str, dims: int = 64) -> list[float]:
    """A deterministic bag-of-words vector: texts sharing words point the same way."""
    vector = [0.0] * dims
    for word in re.findall(r"\w+", text.lower()):
        digest = hashlib.blake2b(word.encode(), digest_size=4).digest()
        vector[int.from_bytes(digest, "big") % dims] += 1.0
    norm = math.sqrt(sum(v * v for v in vector)) or 1.0
    return [v / norm for v in vector]


def image_parts(body: dict[str, Any]) -> list[str]:
    """The image URLs of a chat request's messages (OpenAI ``image_url`` content parts)."""
    return [
        part["image_url"]["url"]
        for message in body.get("messages", [])
        if isinstance(message.get("content"), list)
        for part in message["content"]
        if part.get("type") == "image_url"
    ]


def _text_of(content: Any) -> str:
    if isinstance(content, list):
        return "\n".join(part.get("text", "") for part in content if part.get("type") == "text")
    return str(content or "")


def _joined(body: dict[str, Any]) -> str:
    return "\n".join(_text_of(message.get("content")) for message in body["messages"])


async def _send_event(response: web.StreamResponse, payload: dict[str, Any]) -> None:
    await response.write(f"data: {json.dumps(payload)}\n\n".encode())


def _chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": "fake",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


def _completion(answer: Scripted) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": answer.text or None}
    if isinstance(answer, ToolCallReply):
        message["tool_calls"] = [
            {
                "id": f"call_{index}",
                "type": "function",
                "function": {"name": name, "arguments": json.dumps(arguments)},
            }
            for index, (name, arguments) in enumerate(answer.calls)
        ]
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 0,
        "model": "fake",
        "choices": [
            {
                "index": 0,
                "message": message,
                "finish_reason": "tool_calls" if isinstance(answer, ToolCallReply) else "stop",
            }
        ],
        "usage": _usage(),
    }


def _usage() -> dict[str, int]:
    return {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}
