"""Webhook mode: Telegram posts each update to our HTTPS address instead of being polled.

A small aiohttp server (aiohttp is already the transport of the model clients) rather than PTB's
tornado-based ``run_webhook``: it is one handler, and it leaves the moment an update counts as
received in our hands. TLS is terminated by the reverse proxy in front (see the README).

Only requests carrying the secret given to ``setWebhook`` in ``X-Telegram-Bot-Api-Secret-Token``
are accepted; anything else gets 403 and is not processed. Several replicas may serve the same
address behind a load balancer.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from telegram import Update
from telegram.ext import Application

from bot.telegram.polling import parse_update

__all__ = ["SECRET_HEADER", "WebhookServer"]

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"

#: Where an accepted update goes; by default the Application's update queue.
Accept = Callable[[Update], Awaitable[None]]


class WebhookServer:
    """Receives updates over HTTP and hands them to the Application.

    ``GET /healthz`` answers 200 while the server runs, for load balancers' health checks.
    """

    def __init__(
        self,
        app: Application[Any, Any, Any, Any, Any, Any],
        *,
        secret: str,
        path: str = "/",
        listen: str = "0.0.0.0",
        port: int = 8080,
        accept: Accept | None = None,
    ) -> None:
        self._app = app
        self._secret = secret.encode()
        self._path = path
        self._listen = listen
        self._port = port
        self._accept = accept or app.update_queue.put
        self._runner: web.AppRunner | None = None
        self.port: int | None = None  # the bound port once started (useful with port 0)

    async def start(self) -> None:
        server = web.Application(client_max_size=4 * 1024 * 1024)
        server.router.add_post(self._path, self._receive)
        server.router.add_get("/healthz", self._health)
        self._runner = web.AppRunner(server, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._listen, self._port)
        await site.start()
        bound = self._runner.addresses
        self.port = bound[0][1] if bound else self._port
        logger.info("webhook server listening on %s:%s%s", self._listen, self.port, self._path)

    async def stop(self) -> None:
        """Stop accepting; requests already inside finish first (their updates are queued)."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _receive(self, request: web.Request) -> web.Response:
        offered = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(offered, self._secret):
            logger.warning("webhook request without the right secret from %s", request.remote)
            return web.Response(status=403, text="forbidden")
        try:
            data = await request.json(loads=json.loads)
            if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
                raise ValueError("no update_id")
        except (ValueError, TypeError, KeyError, AttributeError):
            # Telegram never sends this; refusing it (rather than 500) stops pointless retries.
            logger.warning("webhook request with a body that is not an update")
            return web.Response(status=400, text="not an update")
        update = parse_update(data, self._app.bot)
        if update is None:
            # An update of a newer shape: logged once and taken, or Telegram would retry it.
            return web.Response(text="ok")
        await self._accept(update)
        return web.Response(text="ok")

    async def _health(self, request: web.Request) -> web.Response:
        return web.Response(text="ok")
