"""The fake Bot API (``FakeBotAPI``) served over real HTTP on loopback, for a bot running as its
own process (``python -m bot``): same answers, same call records."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes.telegram import FakeBotAPI

__all__ = ["HttpBotAPI"]

#: Form-encoded parameters arrive as text; these are numbers in the Bot API.
_INTEGER_FIELDS = {
    "chat_id",
    "message_id",
    "user_id",
    "offset",
    "limit",
    "timeout",
    "message_thread_id",
}


@dataclass
class _Parameters:
    """What ``FakeBotAPI.do_request`` reads of PTB's ``RequestData``."""

    parameters: dict[str, Any]
    contains_files: bool = False


@dataclass
class HttpBotAPI:
    """Serves ``api`` at ``base_url`` (``http://127.0.0.1:PORT/bot``, as TELEGRAM_API_BASE_URL)."""

    api: FakeBotAPI = field(default_factory=FakeBotAPI)
    base_url: str = ""
    _runner: web.AppRunner | None = None

    async def start(self) -> str:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._call)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{port}/bot"
        return self.base_url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _call(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.content_type == "application/json":
            parameters = dict(await request.json())
        else:
            form = await request.post()
            parameters = {key: _value(key, value) for key, value in form.items()}
        status, body = await self.api.do_request(
            f"{self.base_url}/{method}",
            "POST",
            _Parameters(parameters),  # type: ignore[arg-type]
        )
        return web.Response(status=status, body=body, content_type="application/json")


def _value(key: str, value: Any) -> Any:
    if key in _INTEGER_FIELDS and isinstance(value, str) and re.fullmatch(r"-?\d+", value):
        return int(value)
    return value
