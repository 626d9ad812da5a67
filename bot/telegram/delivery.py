"""Reminder delivery through python-telegram-bot, for :class:`bot.reminders.Scheduler`.

Telegram's answers are mapped to what the scheduler needs to decide:

* accepted -> ``sent`` with the message id (only then is a reminder marked delivered);
* ``Forbidden`` (blocked, kicked, deactivated) or a chat that no longer exists -> ``blocked``,
  so the reminder is marked failed and never tried again;
* ``ChatMigrated`` -> ``migrated`` with the supergroup's id, so the reminders follow it;
* ``RetryAfter``, timeouts, network and server errors, other refusals -> ``retry`` (the
  scheduler backs off exponentially and gives up after its maximum of attempts).

Markup Telegram refuses is resent as plain text by :func:`send_rendered`, and every request
passes through the application's rate limiter.
"""

from __future__ import annotations

import logging
import warnings
from datetime import timedelta

from telegram import Bot
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    RetryAfter,
    TelegramError,
)

from bot.outbound import Notice, Outgoing, SendResult, SendStatus
from bot.telegram.streaming import keyboard, send_rendered

__all__ = ["TelegramDelivery"]

logger = logging.getLogger(__name__)

_GONE = ("chat not found", "user is deactivated", "bot was kicked", "chat_write_forbidden")
_NO_THREAD = "message thread not found"


class TelegramDelivery:
    """Sends reminders with the application's bot (and so through its rate limiter)."""

    def __init__(self, bot: Bot) -> None:
        self._bot = bot

    async def send(self, message: Outgoing) -> SendResult:
        try:
            return await self._send(message, message.thread_id)
        except BadRequest as error:
            if _NO_THREAD in error.message.lower() and message.thread_id is not None:
                try:
                    return await self._send(message, None)
                except TelegramError as again:
                    return _failure(again)
            return _failure(error)
        except TelegramError as error:
            return _failure(error)

    async def _send(self, message: Outgoing, thread_id: int | None) -> SendResult:
        sent = await send_rendered(
            self._bot,
            message.chat_id,
            message.text,
            reply_to=message.reply_to,
            reply_markup=keyboard(Notice(message.text, message.buttons)),
            message_thread_id=thread_id,
        )
        return SendResult(SendStatus.SENT, message_id=sent[-1] if sent else None)


def _failure(error: TelegramError) -> SendResult:
    """What a refusal means for the reminder."""
    text = str(error)
    if isinstance(error, Forbidden):
        return SendResult(SendStatus.BLOCKED, error=text)
    if isinstance(error, ChatMigrated):
        return SendResult(SendStatus.MIGRATED, new_chat_id=error.new_chat_id, error=text)
    if isinstance(error, RetryAfter):
        with warnings.catch_warnings():  # PTB 22 warns that the type will become timedelta
            warnings.simplefilter("ignore")
            delay = error.retry_after
        seconds = delay.total_seconds() if isinstance(delay, timedelta) else float(delay)
        return SendResult(SendStatus.RETRY, retry_after=seconds, error=text)
    if isinstance(error, BadRequest) and any(gone in text.lower() for gone in _GONE):
        return SendResult(SendStatus.BLOCKED, error=text)
    logger.info("reminder send failed, will retry: %s", text)
    return SendResult(SendStatus.RETRY, error=text)
