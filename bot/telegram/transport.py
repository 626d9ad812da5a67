"""The HTTP transport between python-telegram-bot and the Bot API: aiohttp, like the model's.

PTB's default transport (httpx) checks every pooled connection with system calls on each
request (``is_idle``, ``has_expired``, ``getpeername``), so its cost grows with the answers in
flight: on ``benchmarks/throughput.py`` it was about a third of the bot's CPU. aiohttp hands out
an idle connection without looking at the others.

Calls go out as JSON (Telegram takes it for every method; files still go as multipart): aiohttp
form-encodes a dict with urllib's per-character quoting, which cost more CPU than the rest of
a ``sendMessage`` of a few hundred characters.
"""

from __future__ import annotations

from typing import Any

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

from bot import wirejson

__all__ = ["AiohttpRequest", "telegram_requests"]

#: PTB's own defaults (HTTPXRequest), in seconds.
_READ, _CONNECT, _POOL = 5.0, 5.0, 1.0
_JSON = {"Content-Type": "application/json"}


class AiohttpRequest(BaseRequest):
    """A PTB ``BaseRequest`` on an aiohttp session with at most ``connections`` connections."""

    def __init__(
        self,
        *,
        connections: int = 256,
        read_timeout: float | None = _READ,
        connect_timeout: float | None = _CONNECT,
        pool_timeout: float | None = _POOL,
    ) -> None:
        self._connections = connections
        self._read = read_timeout
        self._connect = connect_timeout
        self._pool = pool_timeout
        self._session: aiohttp.ClientSession | None = None
        self._timeouts: dict[tuple[float | None, float | None], aiohttp.ClientTimeout] = {}

    @property
    def read_timeout(self) -> float | None:
        return self._read

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._connections, limit_per_host=0),
                headers={"User-Agent": self.USER_AGENT},
                # Telegram's answers are read as bytes; no cookies to keep between requests.
                cookie_jar=aiohttp.DummyCookieJar(),
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("AiohttpRequest is not initialized")
        # aiohttp has no per-request write timeout: the read timeout covers a stalled upload
        # too, since no answer comes before the body is sent.
        del write_timeout
        read = self._read if isinstance(read_timeout, DefaultValue) else read_timeout
        connect = self._connect if isinstance(connect_timeout, DefaultValue) else connect_timeout
        pool = self._pool if isinstance(pool_timeout, DefaultValue) else pool_timeout
        body: Any = None
        headers: dict[str, str] | None = None
        if request_data is not None and request_data.contains_files:
            body = _form(request_data)
        elif request_data is not None:
            body = wirejson.dumps(request_data.parameters)
            headers = _JSON
        try:
            async with self._session.request(
                method,
                url,
                data=body,
                headers=headers,
                timeout=self._timeout(read, _sum(connect, pool)),
            ) as response:
                return response.status, await response.read()
        except TimeoutError as error:
            raise TimedOut from error
        except aiohttp.ClientError as error:
            raise NetworkError(f"aiohttp.{type(error).__name__}: {error}") from error

    @staticmethod
    def parse_json_payload(payload: bytes) -> dict[str, Any]:
        """Telegram's answer, parsed by orjson (PTB's own parse where it fails, for its error)."""
        try:
            parsed: dict[str, Any] = wirejson.loads(payload)
        except ValueError:
            return BaseRequest.parse_json_payload(payload)  # raises PTB's TelegramError
        return parsed

    def _timeout(self, read: float | None, connect: float | None) -> aiohttp.ClientTimeout:
        """One timeout object per combination (there are only a few): building one per
        request is measurable at hundreds of requests a second."""
        key = (read, connect)
        timeout = self._timeouts.get(key)
        if timeout is None:
            # Waiting for a free connection and connecting share the connect budget.
            timeout = aiohttp.ClientTimeout(total=None, connect=connect, sock_read=read)
            self._timeouts[key] = timeout
        return timeout


def _sum(first: float | None, second: float | None) -> float | None:
    if first is None or second is None:
        return None
    return first + second


def _form(request_data: RequestData) -> aiohttp.FormData:
    """A multipart body with the parameters and the files to upload."""
    form = aiohttp.FormData(quote_fields=False)
    for name, value in request_data.json_parameters.items():
        form.add_field(name, value)
    for name, (filename, content, mimetype) in request_data.multipart_data.items():
        form.add_field(name, content, filename=filename, content_type=mimetype)
    return form


def telegram_requests() -> tuple[AiohttpRequest, AiohttpRequest]:
    """The transports of one bot: one for its calls, one for long polling ``getUpdates``."""
    return AiohttpRequest(), AiohttpRequest(connections=1)
