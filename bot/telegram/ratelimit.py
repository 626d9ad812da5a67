"""Keeping within Telegram's limits: about 30 messages/s overall, 1/s per private chat and
20/min per group, pausing every request when Telegram answers 429 with ``retry_after``.

The overall rate is an :class:`OverallRate`: this process's own leaky bucket by default, or
one shared by every replica (:class:`~bot.storage.sendrate.SharedSendRate`, composed in
``bot.app`` on PostgreSQL). Per-chat limits stay in memory: one replica at a time handles a chat.
"""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Coroutine
from contextlib import AsyncExitStack
from datetime import timedelta
from types import TracebackType
from typing import Any, Protocol

from aiolimiter import AsyncLimiter
from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

__all__ = ["ChatRateLimiter", "LocalRate", "OverallRate", "retry_after_seconds"]

logger = logging.getLogger(__name__)

# Requests that put a message in a chat, which Telegram's limits are about; typing actions and
# drafts are exempt so that streaming never eats the message budget.
_COUNTED = frozenset(
    {
        "sendMessage",
        "editMessageText",
        "editMessageReplyMarkup",
        "sendDocument",
        "sendPhoto",
        "copyMessage",
        "forwardMessage",
    }
)
_MAX_TRACKED_CHATS = 10_000
_GROUP_BURST = 3


def retry_after_seconds(flood: RetryAfter) -> float:
    """How long Telegram asked us to wait, whichever type this PTB version returns."""
    with warnings.catch_warnings():  # PTB 22 warns that the int will become a timedelta
        warnings.simplefilter("ignore")
        delay = flood.retry_after
    return delay.total_seconds() if isinstance(delay, timedelta) else float(delay)


class OverallRate(Protocol):
    """Messages of all chats together: ``async with rate:`` waits for a send's turn."""

    async def __aenter__(self) -> None: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None: ...

    async def hold(self, seconds: float) -> None:
        """Telegram asked every request of the bot to wait ``seconds`` (flood control)."""
        ...


class LocalRate(AsyncLimiter):
    """This process's own overall rate: evenly spaced sends, no burst."""

    def __init__(self, per_second: float) -> None:
        # Capacity 1: messages are spaced evenly, so no one-second window ever holds more than
        # the rate (a full bucket of 30 would let ~60 through in the first second).
        super().__init__(1, 1.0 / per_second)

    async def hold(self, seconds: float) -> None:
        """Nothing beyond the limiter's own pause: this process is the only sender."""


class ChatRateLimiter(BaseRateLimiter[int]):
    """Leaky buckets per chat and overall, plus a global pause on flood-control answers."""

    def __init__(
        self,
        *,
        overall_per_second: float = 30.0,
        private_per_second: float = 1.0,
        group_per_minute: float = 20.0,
        max_retries: int = 3,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        overall: OverallRate | None = None,
    ) -> None:
        """``overall`` replaces the process's own ``overall_per_second`` (replicas share one)."""
        self._overall: OverallRate = overall or LocalRate(overall_per_second)
        self._private_rate = private_per_second
        self._group_rate = group_per_minute
        self._chats: OrderedDict[int | str, AsyncLimiter] = OrderedDict()
        self._max_retries = max_retries
        self._sleep = sleep
        self._not_paused = asyncio.Event()
        self._not_paused.set()

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        retries = self._max_retries if rate_limit_args is None else rate_limit_args
        limiters = self._limiters_for(endpoint, data.get("chat_id"))
        for attempt in range(retries + 1):
            await self._not_paused.wait()
            try:
                async with AsyncExitStack() as stack:
                    for limiter in limiters:
                        await stack.enter_async_context(limiter)
                    return await callback(*args, **kwargs)
            except RetryAfter as flood:
                if attempt == retries:
                    raise
                await self._pause(flood)
        raise AssertionError("unreachable")

    async def _pause(self, flood: RetryAfter) -> None:
        """Hold back every request for as long as Telegram asked."""
        seconds = retry_after_seconds(flood)
        logger.warning("Telegram flood control: waiting %.1f s", seconds)
        self._not_paused.clear()
        try:
            try:
                await self._overall.hold(seconds)  # other replicas pause too, when shared
            except Exception as error:  # the shared store failed: this process still waits
                logger.warning("could not pause the other replicas: %s", error)
            await self._sleep(seconds)
        finally:
            self._not_paused.set()

    def _limiters_for(self, endpoint: str, chat_id: object) -> list[AsyncLimiter | OverallRate]:
        if chat_id is None or endpoint not in _COUNTED:
            return []
        key: int | str = chat_id if isinstance(chat_id, int | str) else str(chat_id)
        limiter = self._chats.get(key)
        if limiter is None:
            is_group = isinstance(key, str) or key < 0
            limiter = (
                # A small burst (a two-part answer and its buttons) then the steady rate: at
                # most 3 + rate messages in any minute, not twice the rate.
                AsyncLimiter(_GROUP_BURST, _GROUP_BURST * 60.0 / self._group_rate)
                if is_group
                else AsyncLimiter(1, 1.0 / self._private_rate)
            )
            self._chats[key] = limiter
            if len(self._chats) > _MAX_TRACKED_CHATS:
                self._chats.popitem(last=False)
        else:
            self._chats.move_to_end(key)
        return [limiter, self._overall]
