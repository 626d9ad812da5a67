"""Turning Telegram updates into service calls: per-chat ordering and plain message views."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from datetime import UTC, datetime
from typing import Any

from telegram import Message, Update
from telegram.ext import BaseUpdateProcessor

from bot.conversation import Incoming

__all__ = ["PerChatUpdateProcessor", "incoming_from"]


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Handle different chats concurrently but each chat's updates strictly in arrival order."""

    def __init__(self, max_concurrent_updates: int = 256) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        self._waiting: dict[int, int] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = _chat_key(update)
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._waiting[key] = self._waiting.get(key, 0) + 1
        try:
            async with lock:
                await coroutine
        finally:
            self._waiting[key] -= 1
            if not self._waiting[key]:
                del self._waiting[key]
                del self._locks[key]

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""


def _chat_key(update: object) -> int:
    if isinstance(update, Update) and update.effective_chat is not None:
        return update.effective_chat.id
    return 0


def incoming_from(message: Message, *, text: str | None = None) -> Incoming:
    """The service-side view of a Telegram message."""
    user = message.from_user
    chat = message.chat
    at = message.date if message.date.tzinfo else message.date.replace(tzinfo=UTC)
    return Incoming(
        chat_id=chat.id,
        chat_type=chat.type,
        chat_title=chat.title,
        user_id=user.id if user else chat.id,
        first_name=(user.first_name if user else chat.title) or "",
        username=user.username if user else None,
        language_code=user.language_code if user else None,
        text=text if text is not None else (message.text or message.caption or ""),
        at=at.astimezone(UTC) if isinstance(at, datetime) else at,
        tg_message_id=message.message_id,
        reply_to_tg_id=message.reply_to_message.message_id if message.reply_to_message else None,
    )
