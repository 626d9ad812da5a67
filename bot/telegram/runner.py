"""Running the bot: start-up checks, long polling or a webhook, background delivery, clean
shutdown. What runs (the application, the delivery, a replica's dispatcher) is composed in
:mod:`bot.app`, the one composition root, and given here as a :class:`Transport`."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from telegram import Update
from telegram.error import InvalidToken, NetworkError, TelegramError
from telegram.ext import Application

from bot.clock import utcnow
from bot.config import ConfigError, Settings
from bot.outbound import Delivery
from bot.services import Services
from bot.storage.inbox import Inbox, chat_of
from bot.telegram.application import announce_commands
from bot.telegram.handlers.common import App
from bot.telegram.inbox import resume_inbox
from bot.telegram.replicas import ChatDispatcher
from bot.telegram.updates import park_updates
from bot.telegram.webhook import WebhookServer

__all__ = ["StartupError", "Transport", "serve", "start_webhook"]

logger = logging.getLogger(__name__)


class StartupError(Exception):
    """Telegram could not be reached at start; the message says what to check."""


@dataclass(frozen=True, slots=True)
class Transport:
    """The Telegram side that :func:`serve` runs, as :mod:`bot.app` composed it."""

    #: The application with every feature's handlers (not initialized yet).
    app: App
    #: How reminders and digests reach a chat through ``app``'s bot.
    delivery: Delivery
    #: Replicas (webhook mode on PostgreSQL): the chats shared through per-chat leases;
    #: None for one process, whose updates are handled in memory.
    dispatcher: ChatDispatcher | None = None


async def serve(
    settings: Settings, services: Services, transport: Transport, stop: asyncio.Event
) -> None:
    """Receive updates (long polling, or a webhook when WEBHOOK_URL is set) and deliver
    reminders until ``stop`` is set; then drain: updates already received are handled first.

    Raises ConfigError when Telegram rejects the token and StartupError when it cannot be
    reached, so that ``python -m bot`` can say so in one line.
    """
    app, dispatcher = transport.app, transport.dispatcher
    try:
        await app.initialize()  # getMe: checks the token
    except InvalidToken:
        raise ConfigError(
            "TELEGRAM_BOT_TOKEN was rejected by Telegram: copy it again from @BotFather "
            "(/mybots > API Token) into .env"
        ) from None
    except NetworkError as error:
        raise StartupError(
            f"cannot reach the Bot API at {settings.telegram_api_base_url} "
            f"({type(error).__name__}); check the network or TELEGRAM_API_BASE_URL"
        ) from None
    try:
        await announce_commands(app)
        await app.start()
        if dispatcher is None:
            await resume_inbox(app, services.inbox)  # what the last run left, before anything
        else:
            dispatcher.start()  # first: this replica's own chats from before a restart
        webhook: WebhookServer | None = None
        if settings.webhook_url:
            webhook = await start_webhook(
                app, settings, inbox=services.inbox, now=services.clock.now, dispatcher=dispatcher
            )
        else:
            assert app.updater is not None
            await app.updater.start_polling(allowed_updates=Update.ALL_TYPES)
        await services.reminders.start(transport.delivery)
        await services.people.start(transport.delivery)
        services.conversation.start_learning()  # replicas: learning claimed across them
        logger.info("Dazi is running as @%s", app.bot.username)
        await stop.wait()
        logger.info("stopping")
        # Receive nothing more. A webhook request arriving from now on is refused, and Telegram
        # retries it (at another replica, if any).
        if webhook is not None:
            await webhook.stop()
        else:
            assert app.updater is not None
            await app.updater.stop()
        if dispatcher is not None:
            await dispatcher.stop(settings.shutdown_grace_seconds)
        await park_updates(app, settings.shutdown_grace_seconds)
        await services.reminders.stop()
        await services.people.stop()
        await app.stop()
    finally:
        try:
            if app.running:  # start-up failed half-way
                await app.stop()
            await app.shutdown()
        except TelegramError as error:
            logger.warning("shutdown was not clean: %s", error)


async def start_webhook(
    app: Application[Any, Any, Any, Any, Any, Any],
    settings: Settings,
    *,
    inbox: Inbox | None = None,
    now: Callable[[], datetime] = utcnow,
    dispatcher: ChatDispatcher | None = None,
) -> WebhookServer:
    """Listen for Telegram's posts, then tell Telegram where to post (with the secret).

    The webhook is set at every start (each replica sets the same one) and never deleted at
    stop: the other replicas keep receiving while this one restarts. With an ``inbox``, each
    update is kept there before Telegram hears "ok" (a failed write answers 500, and Telegram
    posts it again). With a ``dispatcher`` (replicas), the update then goes to whichever
    replica holds its chat instead of this one's queue.
    """
    assert settings.webhook_url is not None and settings.webhook_secret is not None
    secret = settings.webhook_secret.get_secret_value()
    accept: Callable[[Update], Awaitable[None]] = app.update_queue.put
    if inbox is not None:
        kept = inbox

        async def keep_then_queue(update: Update) -> None:
            body = update.to_dict()
            await kept.append([body], now())
            if dispatcher is not None:
                dispatcher.wake(chat_of(body))
            else:
                await app.update_queue.put(update)

        accept = keep_then_queue
    server = WebhookServer(
        app,
        secret=secret,
        path=settings.webhook_path,
        listen=settings.webhook_listen,
        port=settings.webhook_port,
        accept=accept,
    )
    try:
        await server.start()
    except OSError as error:
        raise StartupError(
            f"cannot listen on {settings.webhook_listen}:{settings.webhook_port} "
            f"({error.strerror}); choose a free WEBHOOK_PORT or another WEBHOOK_LISTEN address"
        ) from None
    try:
        await app.bot.set_webhook(
            settings.webhook_url, secret_token=secret, allowed_updates=Update.ALL_TYPES
        )
    except TelegramError as error:
        await server.stop()
        raise StartupError(
            f"Telegram refused WEBHOOK_URL {settings.webhook_url}: {error}"
        ) from None
    except BaseException:
        await server.stop()
        raise
    logger.info("receiving updates at %s", settings.webhook_url)
    return server
