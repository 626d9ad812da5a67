"""Running the bot with long polling: start-up checks, background delivery, clean shutdown."""

from __future__ import annotations

import asyncio
import logging

from telegram import Bot, Update
from telegram.error import InvalidToken, NetworkError, TelegramError

from bot.config import ConfigError, Settings
from bot.conversation.delivery import RememberedDelivery
from bot.groups import ActiveChatDelivery
from bot.services import Services
from bot.telegram.application import announce_commands, build_application
from bot.telegram.delivery import TelegramDelivery
from bot.telegram.updates import park_updates

__all__ = ["StartupError", "reminder_delivery", "serve"]

logger = logging.getLogger(__name__)


class StartupError(Exception):
    """Telegram could not be reached at start; the message says what to check."""


def reminder_delivery(bot: Bot, services: Services) -> RememberedDelivery:
    """How reminders and digests reach Telegram: never to a chat Dazi was removed from, and
    kept in the chat's history once sent."""
    return RememberedDelivery(
        ActiveChatDelivery(TelegramDelivery(bot), services.groups), services.conversation
    )


async def serve(settings: Settings, services: Services, stop: asyncio.Event) -> None:
    """Poll Telegram and deliver reminders until ``stop`` is set.

    Raises ConfigError when Telegram rejects the token and StartupError when it cannot be
    reached, so that ``python -m bot`` can say so in one line.
    """
    app = build_application(settings, services)
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
        assert app.updater is not None
        await app.updater.start_polling(allowed_updates=Update.ALL_TYPES)
        delivery = reminder_delivery(app.bot, services)
        await services.reminders.start(delivery)
        await services.people.start(delivery)
        logger.info("Dazi is running as @%s", app.bot.username)
        await stop.wait()
        logger.info("stopping")
        await app.updater.stop()  # fetch nothing more
        await park_updates(app, settings.shutdown_grace_seconds)
        await services.reminders.stop()
        await services.people.stop()
        await app.stop()
    finally:
        try:
            await app.shutdown()
        except TelegramError as error:
            logger.warning("shutdown was not clean: %s", error)
