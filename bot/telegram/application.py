"""The python-telegram-bot Application: handlers, the allowlist, errors, commands and limits."""

from __future__ import annotations

import errno
import logging
import sqlite3
from typing import Any

from telegram import BotCommand, Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import (
    ApplicationBuilder,
    ApplicationHandlerStop,
    BaseRateLimiter,
    ContextTypes,
    TypeHandler,
)
from telegram.request import BaseRequest

from bot.config import Settings
from bot.i18n import LANGUAGES, Catalog, pick_language
from bot.services import Services
from bot.telegram.handlers import FEATURES, basics
from bot.telegram.handlers.common import App
from bot.telegram.inbox import InboxBot
from bot.telegram.ratelimit import ChatRateLimiter, OverallRate
from bot.telegram.transport import telegram_requests
from bot.telegram.updates import PerChatUpdateProcessor

__all__ = ["announce_commands", "build_application"]

logger = logging.getLogger(__name__)

TEXTS = Catalog(
    {
        "not_allowed": {
            "en": "Sorry, this Dazi is private and only talks with the people its owner "
            "invited. You can run your own: it's open source.",
            "zh": "抱歉，这个搭子是私人的，只和主人邀请的人聊天。"
            "你也可以自己部署一个：它是开源的。",
        },
        "error": {
            "en": "Sorry, something went wrong on my side. Please try again.",
            "zh": "抱歉，我这边出了点问题，请再试一次。",
        },
        "storage_error": {
            "en": "Sorry, I could not save that: my storage is failing (the disk may be full). "
            "Nothing of this message was kept; please try again later.",
            "zh": "抱歉，我没能保存这条消息：存储出了问题（磁盘可能满了）。"
            "这条消息没有被保存，请稍后再试。",
        },
    }
)


def build_application(
    settings: Settings,
    services: Services,
    *,
    request: BaseRequest | None = None,
    rate_limiter: BaseRateLimiter[Any] | None = None,
    overall_rate: OverallRate | None = None,
) -> App:
    """Wire the handlers of every feature into an Application talking to Telegram.

    ``overall_rate``: the messages/s of all chats together, when shared with other replicas
    (otherwise this process paces itself at RATE_OVERALL_PER_SECOND)."""
    # aiohttp, like the model's transport: a pool for the handlers' calls, one connection for
    # getUpdates (see bot.telegram.transport for why not PTB's default httpx).
    calls, polling = (request, request) if request is not None else telegram_requests()
    bot = InboxBot(
        settings.telegram_bot_token.get_secret_value(),
        inbox=services.inbox,
        now=services.clock.now,
        base_url=settings.telegram_api_base_url,
        base_file_url=settings.telegram_file_base_url,
        request=calls,
        get_updates_request=polling,
        rate_limiter=rate_limiter
        or ChatRateLimiter(
            overall_per_second=settings.rate_overall_per_second,
            private_per_second=settings.rate_private_chat_per_second,
            group_per_minute=settings.rate_group_per_minute,
            overall=overall_rate,
        ),
    )
    processor = PerChatUpdateProcessor(inbox=services.inbox)
    app = ApplicationBuilder().bot(bot).concurrent_updates(processor).build()
    app.bot_data["services"] = services
    app.add_handler(TypeHandler(Update, ignore_edits), group=-2)
    if settings.allowed_user_ids:
        app.add_handler(TypeHandler(Update, allowlist_gate), group=-1)
    for feature in FEATURES:
        feature.register(app)
    basics.register_fallbacks(app)
    app.add_error_handler(on_error)
    return app


async def announce_commands(app: App) -> None:
    """Set the command menu in English (the default) and Chinese; a failure is only logged."""
    commands = basics.all_commands()
    for lang in LANGUAGES:
        menu = [BotCommand(command.name, command.description(lang)) for command in commands]
        try:
            await app.bot.set_my_commands(menu, language_code=None if lang == "en" else lang)
        except TelegramError as error:
            logger.warning("could not set the %s command menu: %s", lang, error)


async def ignore_edits(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """An edited message is not a new one: answering (or re-running a command) again would
    duplicate replies and reminders, so edits stop here."""
    if update.edited_message is not None or update.edited_channel_post is not None:
        raise ApplicationHandlerStop


async def allowlist_gate(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Refuse politely, and store nothing, for users outside ALLOWED_USER_IDS."""
    allowed = context.application.bot_data["services"].settings.allowed_user_ids
    user = update.effective_user
    if not allowed or user is None or user.id in allowed:
        return
    lang = pick_language(user.language_code)
    chat = update.effective_chat
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(TEXTS("not_allowed", lang), show_alert=True)
        elif chat is not None and chat.type == ChatType.PRIVATE and update.effective_message:
            await update.effective_message.reply_text(TEXTS("not_allowed", lang))
    finally:
        raise ApplicationHandlerStop


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log a handler failure with its context (never the message text or secrets) and say sorry."""
    chat_id = user_id = None
    if isinstance(update, Update):
        chat_id = update.effective_chat.id if update.effective_chat else None
        user_id = update.effective_user.id if update.effective_user else None
    logger.error(
        "handler failed on update %s (chat %s, user %s)",
        getattr(update, "update_id", None),
        chat_id,
        user_id,
        exc_info=context.error,
    )
    if not isinstance(update, Update) or update.effective_message is None:
        return
    user = update.effective_user
    try:
        key = "storage_error" if _is_storage_error(context.error) else "error"
        await update.effective_message.reply_text(
            TEXTS(key, pick_language(user.language_code if user else None))
        )
    except TelegramError:
        logger.warning("could not tell chat %s about the failure", chat_id)


def _is_storage_error(error: BaseException | None) -> bool:
    """A failed database write (full or read-only disk, I/O error): the user must not be told
    their message is safe."""
    while error is not None:
        if isinstance(error, sqlite3.Error):
            return True
        if isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EROFS, errno.EIO):
            return True
        error = error.__cause__ or error.__context__
    return False
