"""Turning Telegram updates into service calls: fair per-chat turns and plain message views."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
from collections.abc import Awaitable
from datetime import UTC, datetime
from typing import Any

from telegram import Message, Update
from telegram.ext import Application, BaseUpdateProcessor

from bot.conversation import Incoming
from bot.storage.inbox import Inbox
from bot.telegram.chats import chat_kind

__all__ = ["PerChatUpdateProcessor", "incoming_from", "park_updates"]

logger = logging.getLogger(__name__)

#: PTB's semaphore size: large enough that it never makes an update wait (see __init__).
_UNBOUNDED = 1_000_000_000


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Handle different chats concurrently but each chat's updates strictly in arrival order.

    Each chat waits for its own turn first and only then takes one of the shared slots, so a
    chat with a backlog of a thousand messages holds one slot, never all of them: the other
    chats' messages are answered as if it were quiet. :meth:`park` ends the work at shutdown
    within a bound: updates still waiting for their turn are not started.
    """

    def __init__(self, max_concurrent_updates: int = 256, *, inbox: Inbox | None = None) -> None:
        # PTB's own semaphore is taken before do_process_update, i.e. before the chat's turn
        # (and process_update is final): it is made wide enough never to bind, and the real
        # limit is ours, taken once the chat's turn has come.
        super().__init__(_UNBOUNDED)
        self._slots = asyncio.Semaphore(max_concurrent_updates)
        self._limit = max_concurrent_updates
        self._locks: dict[int, asyncio.Lock] = {}
        self._waiting: dict[int, int] = {}
        self._running: set[asyncio.Task[Any]] = set()
        self._parked = False
        self._inbox = inbox

    @property
    def slots(self) -> int:
        """How many updates may run at once, across chats."""
        return self._limit

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = _chat_key(update)
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._waiting[key] = self._waiting.get(key, 0) + 1
        try:
            async with lock:
                if self._parked:
                    _discard(coroutine)
                    return
                async with self._slots:
                    if self._parked:
                        _discard(coroutine)
                        return
                    await self._run(update, coroutine)
        finally:
            self._waiting[key] -= 1
            if not self._waiting[key]:
                del self._waiting[key]
                del self._locks[key]

    async def _run(self, update: object, coroutine: Awaitable[Any]) -> None:
        update_id = update.update_id if isinstance(update, Update) else None
        if self._inbox is not None and update_id is not None:
            # Claimed before any work: after a crash, a claimed update is not done twice.
            await self._inbox.claim(update_id)
        task = asyncio.ensure_future(coroutine)
        self._running.add(task)
        try:
            await task
        finally:
            self._running.discard(task)
        # Not when cancelled at shutdown (the next start tells the user the answer was lost).
        if self._inbox is not None and update_id is not None:
            await self._inbox.done(update_id)

    async def park(self, grace: float) -> int:
        """Start nothing more; give running updates ``grace`` seconds, then cancel them.

        Returns how many were cancelled. Updates that never started are left to the caller
        (the inbox keeps them for the next start).
        """
        self._parked = True
        running = list(self._running)
        if not running:
            return 0
        _, late = await asyncio.wait(running, timeout=grace)
        for task in late:
            task.cancel()
        for task in late:
            with contextlib.suppress(BaseException):
                await task
        if late:
            logger.warning("stopped %d update(s) still running after %.0f s", len(late), grace)
        return len(late)

    async def initialize(self) -> None:
        """Nothing to set up."""
        self._parked = False

    async def shutdown(self) -> None:
        """Nothing to tear down."""


async def park_updates(app: Application[Any, Any, Any, Any, Any, Any], grace: float) -> None:
    """At shutdown: finish (or after ``grace`` seconds stop) what runs, start nothing more."""
    processor = app.update_processor
    if isinstance(processor, PerChatUpdateProcessor):
        await processor.park(grace)


def _discard(coroutine: Awaitable[Any]) -> None:
    """Drop an update's handler that will not run (no 'never awaited' warning)."""
    if inspect.iscoroutine(coroutine):
        coroutine.close()


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
        kind=chat_kind(chat.type),
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
