"""The durable inbox on the Telegram side: keep each fetched update before confirming it, and
at start pick up what a stop or a crash left unhandled.

PTB's Updater confirms a batch to Telegram with the offset of its next ``getUpdates``; the
batch is written to the inbox inside the fetch, before that next call can happen. Handling then
claims and clears each update (see :class:`~bot.telegram.updates.PerChatUpdateProcessor`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from telegram import Update
from telegram._utils.defaultvalue import DEFAULT_NONE
from telegram._utils.types import JSONDict, ODVInput
from telegram.error import TelegramError
from telegram.ext import Application

from bot.i18n import Catalog, pick_language
from bot.storage.inbox import Inbox, InboxItem
from bot.telegram.polling import TolerantBot

__all__ = ["InboxBot", "resume_inbox", "say_lost"]

logger = logging.getLogger(__name__)

TEXTS = Catalog(
    {
        "lost": {
            "en": "Sorry, I was restarted while answering your message “{quote}”, and the "
            "answer was lost. Could you send it again?",
            "zh": "抱歉，我在回答你的消息“{quote}”时重启了，回答没能发出。能再发一次吗？",
        },
    }
)

_QUOTE_CHARS = 80


class InboxBot(TolerantBot):
    """A bot whose fetched updates are in the inbox before anything can confirm them."""

    def __init__(
        self, *args: Any, inbox: Inbox, now: Callable[[], datetime], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self._inbox = inbox
        self._now = now

    async def fetch_raw_updates(
        self,
        *,
        offset: int | None,
        limit: int | None,
        timeout: int | timedelta | None,
        allowed_updates: Sequence[str] | None,
        read_timeout: ODVInput[float] = DEFAULT_NONE,
        write_timeout: ODVInput[float] = DEFAULT_NONE,
        connect_timeout: ODVInput[float] = DEFAULT_NONE,
        pool_timeout: ODVInput[float] = DEFAULT_NONE,
        api_kwargs: JSONDict | None = None,
    ) -> list[JSONDict]:
        raw = await super().fetch_raw_updates(
            offset=offset,
            limit=limit,
            timeout=timeout,
            allowed_updates=allowed_updates,
            read_timeout=read_timeout,
            write_timeout=write_timeout,
            connect_timeout=connect_timeout,
            pool_timeout=pool_timeout,
            api_kwargs=api_kwargs,
        )
        if raw:
            # If this write fails the fetch fails: the offset does not move, and Telegram keeps
            # the updates for the next try.
            await self._inbox.append(raw, self._now())
        return raw


async def resume_inbox(app: Application[Any, Any, Any, Any, Any, Any], inbox: Inbox) -> int:
    """Queue what the last run left unhandled, in Telegram's order, before polling starts.

    An update whose handling had started (its answer may be half sent) is not done again: the
    user is told, once, that the answer was lost. Returns how many updates were queued again.
    """
    queued = 0
    for item in await inbox.unfinished():
        if item.claimed:
            await inbox.done(item.update_id)  # first: the apology is said at most once
            await say_lost(app, item)
            continue
        try:
            update = Update.de_json(item.body, app.bot)
        except Exception as error:
            logger.warning("inbox update %s unreadable (%s)", item.update_id, type(error).__name__)
            await inbox.done(item.update_id)
            continue
        await app.update_queue.put(update)
        queued += 1
    if queued:
        logger.info("resuming %d update(s) received before the last stop", queued)
    return queued


async def say_lost(app: Application[Any, Any, Any, Any, Any, Any], item: InboxItem) -> None:
    """Tell the chat, once, that the answer to this message was lost (a text message only)."""
    message = item.body.get("message")
    if not isinstance(message, dict) or not item.chat_id:
        return
    text = message.get("text") or message.get("caption")
    if not isinstance(text, str) or not text.strip() or text.startswith("/"):
        return
    sender = message.get("from")
    language = pick_language(sender.get("language_code") if isinstance(sender, dict) else None)
    quote = " ".join(text.split())
    if len(quote) > _QUOTE_CHARS:
        quote = quote[: _QUOTE_CHARS - 1] + "…"
    try:
        await app.bot.send_message(item.chat_id, TEXTS("lost", language, quote=quote))
    except TelegramError as error:
        logger.warning("could not tell chat %s about a lost answer: %s", item.chat_id, error)
