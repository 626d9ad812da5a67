"""The aiohttp transport between PTB and the Bot API, against a small Bot API server on loopback."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import BodyPartReader, web
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, NetworkError, RetryAfter, TimedOut

from bot.telegram.transport import AiohttpRequest, telegram_requests

TOKEN = "123456:TEST-token"
ME = {"id": 42, "is_bot": True, "first_name": "Dazi", "username": "dazi_bot"}


class BotAPI:
    """Answers like Telegram and keeps what it received."""

    def __init__(self) -> None:
        self.received: list[tuple[str, dict[str, Any]]] = []
        self.uploads: dict[str, tuple[str | None, bytes]] = {}
        self.peers: set[Any] = set()
        self.delay = 0.0

    async def handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.transport is not None:
            self.peers.add(request.transport.get_extra_info("peername"))
        fields: dict[str, Any] = {}
        if request.content_type.startswith("multipart/"):
            async for part in await request.multipart():
                assert isinstance(part, BodyPartReader)
                if part.filename:
                    self.uploads[part.name or ""] = (part.filename, await part.read())
                else:
                    fields[part.name or ""] = await part.text()
        elif request.content_type == "application/json":
            fields = dict(await request.json())
        else:
            fields = dict(await request.post())
        self.received.append((method, fields))
        await asyncio.sleep(self.delay)
        if method == "getMe":
            return _ok(ME)
        if method == "sendMessage" and fields.get("text") == "flood":
            return web.json_response(
                {
                    "ok": False,
                    "error_code": 429,
                    "description": "Too Many Requests: retry after 7",
                    "parameters": {"retry_after": 7},
                },
                status=429,
            )
        if method == "sendMessage" and not fields.get("text"):
            return web.json_response(
                {
                    "ok": False,
                    "error_code": 400,
                    "description": "Bad Request: message text is empty",
                },
                status=400,
            )
        if method in ("sendMessage", "sendDocument"):
            chat = {"id": int(fields["chat_id"]), "type": "private"}
            message = {"message_id": 7, "date": 0, "chat": chat, "from": ME}
            if "text" in fields:
                message["text"] = fields["text"]
            return _ok(message)
        if method == "getFile":
            return _ok({"file_id": "f", "file_unique_id": "u", "file_path": "docs/a.txt"})
        return _ok(True)

    async def file(self, request: web.Request) -> web.Response:
        return web.Response(body=b"file contents")


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


@pytest.fixture
async def api() -> AsyncIterator[tuple[BotAPI, str]]:
    server = BotAPI()
    app = web.Application()
    app.router.add_post("/bot{token}/{method}", server.handle)
    app.router.add_get("/file/bot{token}/{path:.*}", server.file)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield server, f"http://127.0.0.1:{port}"
    await runner.cleanup()


def _bot(url: str, request: AiohttpRequest | None = None) -> Bot:
    request = request or AiohttpRequest()
    return Bot(
        TOKEN,
        base_url=f"{url}/bot",
        base_file_url=f"{url}/file/bot",
        request=request,
        get_updates_request=AiohttpRequest(connections=1),
    )


async def test_calls_reach_the_bot_api_with_their_parameters(api: tuple[BotAPI, str]) -> None:
    server, url = api
    async with _bot(url) as bot:
        markup = InlineKeyboardMarkup([[InlineKeyboardButton("Done", callback_data="d:1")]])
        message = await bot.send_message(
            123, "héllo <b>you</b> & 1+1=2, 100%", parse_mode="HTML", reply_markup=markup
        )
    assert message.text == "héllo <b>you</b> & 1+1=2, 100%"
    assert bot.username == "dazi_bot"  # getMe at initialize
    method, fields = server.received[-1]
    assert method == "sendMessage"
    assert fields["chat_id"] == 123
    assert fields["parse_mode"] == "HTML"
    assert fields["reply_markup"] == {
        "inline_keyboard": [[{"text": "Done", "callback_data": "d:1"}]]
    }


async def test_documents_are_uploaded_as_multipart(api: tuple[BotAPI, str]) -> None:
    server, url = api
    async with _bot(url) as bot:
        await bot.send_document(
            123, b'{"export": true}', filename="dazi-export.json", caption="yours"
        )
    assert server.uploads["document"] == ("dazi-export.json", b'{"export": true}')
    assert server.received[-1][1]["caption"] == "yours"


async def test_files_are_downloaded(api: tuple[BotAPI, str]) -> None:
    _, url = api
    async with _bot(url) as bot:
        file = await bot.get_file("f")
        assert bytes(await file.download_as_bytearray()) == b"file contents"


async def test_telegram_errors_keep_their_meaning(api: tuple[BotAPI, str]) -> None:
    _, url = api
    async with _bot(url) as bot:
        with pytest.raises(RetryAfter) as flood:
            await bot.send_message(123, "flood")
        with pytest.raises(BadRequest, match="empty"):
            await bot.send_message(123, "")
    assert flood.value.retry_after.total_seconds() == 7  # type: ignore[union-attr]


async def test_a_slow_answer_is_a_timeout(api: tuple[BotAPI, str]) -> None:
    server, url = api
    async with _bot(url) as bot:
        server.delay = 0.5
        with pytest.raises(TimedOut):
            await bot.send_message(123, "hi", read_timeout=0.05)


async def test_an_unreachable_server_is_a_network_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens on it once closed
    request = AiohttpRequest()
    await request.initialize()
    try:
        with pytest.raises(NetworkError):
            await request.post(f"http://127.0.0.1:{port}/bot{TOKEN}/getMe")
    finally:
        await request.shutdown()


async def test_concurrent_calls_share_a_bounded_pool(api: tuple[BotAPI, str]) -> None:
    server, url = api
    async with _bot(url, AiohttpRequest(connections=4)) as bot:
        server.peers.clear()
        server.delay = 0.02
        await asyncio.gather(*(bot.send_message(123, f"m{i}") for i in range(40)))
        await asyncio.gather(*(bot.send_message(123, f"n{i}") for i in range(40)))
    # Four connections at most, kept alive across both waves.
    assert 1 <= len(server.peers) <= 4


async def test_the_default_transports_are_a_pool_and_one_polling_connection() -> None:
    calls, polling = telegram_requests()
    assert calls.read_timeout == polling.read_timeout == 5.0
    with pytest.raises(NetworkError, match="not initialized"):  # PTB initializes it first
        await calls.post("http://127.0.0.1:1/bot1/getMe")
