"""The OpenAI-compatible client: streamed text and tool calls, reasoning, broken streams."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import pytest
from aiohttp import web

from bot.llm.client import LLMUnavailable, OpenAIChat, strip_reasoning


@asynccontextmanager
async def _serving(
    handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
    *,
    path: str = "/v1/chat/completions",
) -> AsyncIterator[str]:
    """``handler`` answering ``path`` on a loopback port while the block runs; the server's
    root URL."""
    app = web.Application()
    app.router.add_route("*", path, handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


def _event(delta: dict) -> str:
    return "data: " + json.dumps({"choices": [{"index": 0, "delta": delta}]}) + "\n\n"


@pytest.fixture
async def sse_server() -> AsyncIterator[tuple[list[str], str]]:
    """A server that answers every chat request with the raw SSE text the test puts in."""
    script: list[str] = []

    async def chat(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        await response.write(script.pop(0).encode())
        await response.write_eof()
        return response

    async with _serving(chat) as url:
        yield script, f"{url}/v1"


async def _collect(chat: OpenAIChat) -> tuple[list[str], object]:
    deltas, completion = [], None
    try:
        async for event in chat.stream([{"role": "user", "content": "hi"}]):
            if event.completion is not None:
                completion = event.completion
            else:
                deltas.append(event.delta)
    finally:
        await chat.close()
    return deltas, completion


async def test_stream_glues_tool_call_pieces_and_text(sse_server) -> None:
    script, url = sse_server
    script.append(
        _event({"content": "Sure, "})
        + _event({"content": "done."})
        + _event({"tool_calls": [{"index": 0, "id": "c1", "function": {"name": "set_"}}]})
        + _event({"tool_calls": [{"index": 0, "function": {"name": "reminder", "arguments": "{"}}]})
        + _event({"tool_calls": [{"index": 0, "function": {"arguments": '"task": "call mom"}'}}]})
        + "data: [DONE]\n\n"
    )
    deltas, completion = await _collect(OpenAIChat(api_key="", base_url=url, model="m"))
    assert "".join(deltas) == "Sure, done."
    assert completion.text == "Sure, done."
    [call] = completion.tool_calls
    assert (call.id, call.name, call.arguments) == ("c1", "set_reminder", {"task": "call mom"})


async def test_reasoning_is_dropped_from_the_answer(sse_server) -> None:
    script, url = sse_server
    script.append(_event({"content": "<think>hmm</think>\n"}) + _event({"content": "Hello!"}))
    _, completion = await _collect(OpenAIChat(api_key="", base_url=url, model="m"))
    assert completion.text == "Hello!"
    assert strip_reasoning("<think>unfinished") == ""


@pytest.mark.parametrize(
    "broken",
    [
        _event({"content": "Hal"}) + "data: {not json\n\n",
        _event({"content": "Hal"}) + 'data: {"error": {"message": "overloaded"}}\n\n',
    ],
)
async def test_a_broken_stream_is_reported_as_unavailable(sse_server, broken: str) -> None:
    script, url = sse_server
    script.append(broken)
    with pytest.raises(LLMUnavailable):
        await _collect(OpenAIChat(api_key="", base_url=url, model="m"))


async def test_bad_tool_arguments_become_empty_arguments(sse_server) -> None:
    script, url = sse_server
    call = {"index": 0, "id": "c", "function": {"name": "lookup_person", "arguments": "{oops"}}
    script.append(_event({"tool_calls": [call]}))
    _, completion = await _collect(OpenAIChat(api_key="", base_url=url, model="m"))
    assert completion.tool_calls[0].arguments == {}


async def test_answers_reuse_one_connection_to_the_model() -> None:
    """A finished stream hands its connection back: no new (TLS) connection per answer."""
    from tests.fakes.llm import FakeLLM

    server = FakeLLM()
    url = await server.start()
    chat = OpenAIChat(api_key="", base_url=url, model="m")
    try:
        for _ in range(5):
            events = [event async for event in chat.stream([{"role": "user", "content": "hi"}])]
            assert events[-1].completion is not None
            assert events[-1].completion.text == "You said: hi"
        await chat.complete([{"role": "user", "content": "hi"}])
    finally:
        await chat.close()
        await server.stop()
    assert len(server.requests) == 6
    assert len(server.peers) == 1


@pytest.mark.parametrize("answer", [{"choices": []}, {"choices": [{}]}, {"oops": 1}, [1, 2]])
async def test_an_unreadable_answer_is_reported_as_unavailable(answer: object) -> None:
    async def chat(request: web.Request) -> web.Response:
        return web.json_response(answer)

    async with _serving(chat) as url:
        chat_model = OpenAIChat(api_key="", base_url=f"{url}/v1", model="m")
        with pytest.raises(LLMUnavailable):
            await chat_model.complete([{"role": "user", "content": "hi"}])
        await chat_model.close()


async def test_a_connection_cut_mid_stream_is_reported_as_unavailable() -> None:
    async def chat(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        await response.write(_event({"content": "Hal"}).encode())
        assert request.transport is not None
        request.transport.close()  # the model's server dies mid-answer
        return response

    async with _serving(chat) as url:
        chat_model = OpenAIChat(api_key="", base_url=f"{url}/v1", model="m", max_retries=0)
        with pytest.raises(LLMUnavailable):
            await _collect(chat_model)


def _finish(reason: str) -> str:
    return "data: " + json.dumps({"choices": [{"index": 0, "delta": {}, "finish_reason": reason}]})


async def _events(chat: OpenAIChat) -> list[tuple[str, bool]]:
    try:
        return [
            (event.delta, event.ends_answer)
            async for event in chat.stream([{"role": "user", "content": "hi"}])
            if event.completion is None
        ]
    finally:
        await chat.close()


async def test_an_answer_that_arrives_whole_is_known_to_be_whole(sse_server) -> None:
    script, url = sse_server
    script.append(_event({"content": "All "}) + _event({"content": "done."}) + _finish("stop"))
    script[-1] += "\n\ndata: [DONE]\n\n"
    assert await _events(OpenAIChat(api_key="", base_url=url, model="m")) == [("All done.", True)]


async def test_a_tool_round_never_ends_the_answer(sse_server) -> None:
    script, url = sse_server
    call = {"index": 0, "id": "c", "function": {"name": "list_reminders", "arguments": "{}"}}
    script.append(
        _event({"content": "Let me look."}) + _event({"tool_calls": [call]}) + _finish("tool_calls")
    )
    script[-1] += "\n\n"
    assert await _events(OpenAIChat(api_key="", base_url=url, model="m")) == [
        ("Let me look.", False)
    ]


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@pytest.fixture
async def status_server() -> AsyncIterator[tuple[list[Handler], list[dict], str]]:
    """A server that answers chat requests with the handlers the test queues, in order, and
    records each request's headers; past the queue it streams 'ok.'."""
    answers: list[Handler] = []
    seen: list[dict] = []

    async def chat(request: web.Request) -> web.StreamResponse:
        seen.append(dict(request.headers))
        await request.read()
        if answers:
            return await answers.pop(0)(request)
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        await response.write((_event({"content": "ok."}) + "data: [DONE]\n\n").encode())
        await response.write_eof()
        return response

    async with _serving(chat) as url:
        yield answers, seen, f"{url}/v1"


def _failure(status: int, **headers: str) -> Handler:
    async def fail(request: web.Request) -> web.StreamResponse:
        return web.json_response({"error": {"message": "no"}}, status=status, headers=headers)

    return fail


@pytest.mark.parametrize("status", [408, 409, 429, 500, 503])
async def test_passing_failures_are_tried_again_as_the_server_asks(status_server, status) -> None:
    answers, seen, url = status_server
    answers.extend([_failure(status, **{"retry-after-ms": "10"})] * 2)
    deltas, _ = await _collect(OpenAIChat(api_key="sk-x", base_url=url, model="m"))
    assert "".join(deltas) == "ok." and len(seen) == 3
    assert all(headers["Authorization"] == "Bearer sk-x" for headers in seen)


@pytest.mark.parametrize(
    "failure",
    [
        _failure(400),
        _failure(401),
        _failure(404),
        _failure(500, **{"x-should-retry": "false"}),
        _failure(429, **{"retry-after": "600"}),  # longer than anyone should wait
    ],
)
async def test_lasting_failures_are_not_tried_again(status_server, failure) -> None:
    answers, seen, url = status_server
    answers.append(failure)
    with pytest.raises(LLMUnavailable):
        await _collect(OpenAIChat(api_key="", base_url=url, model="m"))
    assert len(seen) == 1


async def test_a_failure_past_the_retries_is_unavailable(status_server) -> None:
    answers, seen, url = status_server
    answers.extend([_failure(503, **{"retry-after-ms": "1"})] * 3)
    chat = OpenAIChat(api_key="", base_url=url, model="m", max_retries=1)
    with pytest.raises(LLMUnavailable):
        await chat.complete([{"role": "user", "content": "hi"}])
    await chat.close()
    assert len(seen) == 2


async def test_a_character_split_between_network_reads_arrives_whole(status_server) -> None:
    answers, _, url = status_server
    event = {"choices": [{"index": 0, "delta": {"content": "周末爬山"}}]}
    text = ("data: " + json.dumps(event, ensure_ascii=False) + "\n\n").encode()
    cut = text.index("末".encode()) + 1  # inside the character's three bytes

    async def split(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        await response.write(text[:cut])
        await asyncio.sleep(0.05)
        await response.write(text[cut:] + b"data: [DONE]\n\n")
        await response.write_eof()
        return response

    answers.append(split)
    _, completion = await _collect(OpenAIChat(api_key="", base_url=url, model="m"))
    assert completion.text == "周末爬山"


async def test_a_server_that_never_answers_times_out(status_server) -> None:
    answers, seen, url = status_server
    # Released after the check, so the server's shutdown need not wait out a sleeping handler.
    released = asyncio.Event()

    async def silent(request: web.Request) -> web.StreamResponse:
        await released.wait()
        return web.json_response({})

    answers.extend([silent, silent])
    chat = OpenAIChat(api_key="", base_url=url, model="m", timeout=0.2, max_retries=1)
    try:
        with pytest.raises(LLMUnavailable):
            await _collect(chat)
        assert len(seen) == 2  # tried again once
    finally:
        released.set()


async def test_broken_events_that_would_join_into_one_are_still_broken(sse_server) -> None:
    script, url = sse_server
    script.append('data: {"choices": [{"index": 0, "delta": {"content": "a"}}\ndata: ]}\n\n')
    with pytest.raises(LLMUnavailable):
        await _collect(OpenAIChat(api_key="", base_url=url, model="m"))


async def test_tokens_that_arrive_in_quick_succession_are_read_together(status_server) -> None:
    """A stream is read at most every ``read_interval``: the words sent meanwhile come in one
    piece, and the connection still serves the next answer."""
    answers, seen, url = status_server
    peers: set[object] = set()

    async def trickle(request: web.Request) -> web.StreamResponse:
        if request.transport is not None:
            peers.add(request.transport.get_extra_info("peername"))
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        for word in ("One ", "two ", "three."):
            await response.write(_event({"content": word}).encode())
            await asyncio.sleep(0.1)
        await response.write((_finish("stop") + "\n\ndata: [DONE]\n\n").encode())
        await response.write_eof()
        return response

    answers.extend([trickle] * 3)
    chat = OpenAIChat(api_key="", base_url=url, model="m", read_interval=1.0)
    try:
        for _ in range(3):
            events = [event async for event in chat.stream([{"role": "user", "content": "hi"}])]
            deltas = [event.delta for event in events if event.completion is None]
            assert events[-1].completion is not None
            assert events[-1].completion.text == "One two three."
            assert deltas == ["One ", "two three."]
    finally:
        await chat.close()
    assert len(seen) == 3 and len(peers) == 1


async def test_the_proxy_in_the_environment_is_used(monkeypatch) -> None:
    """HTTP_PROXY is honoured (as the openai SDK did): the model is reached through it."""
    through_proxy: list[str] = []

    async def proxy(request: web.Request) -> web.StreamResponse:
        through_proxy.append(str(request.url))
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        await response.write((_event({"content": "via proxy"}) + "data: [DONE]\n\n").encode())
        await response.write_eof()
        return response

    for name in ("NO_PROXY", "no_proxy", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    async with _serving(proxy, path="/{tail:.*}") as url:
        monkeypatch.setenv("HTTP_PROXY", url)
        chat = OpenAIChat(api_key="", base_url="http://model.invalid/v1", model="m")
        _, completion = await _collect(chat)
    assert completion.text == "via proxy"
    assert through_proxy == ["http://model.invalid/v1/chat/completions"]
