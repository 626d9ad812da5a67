"""Fetching updates so that one update the library cannot parse never stalls the bot.

python-telegram-bot parses a whole ``getUpdates`` batch at once: a single update it cannot read
(a field Telegram added, a type of a newer Bot API version) fails the batch, the offset never
moves past it, and the poller fetches the same batch again and again, logging every update's
content each time. :class:`TolerantBot` parses each update on its own, logs the unreadable one
once (its id and top-level type, never its content), skips it and confirms it to Telegram with
the next fetch, so the rest of the batch and everything after it is handled as usual.

The fetch is split in two steps so that other transports can build on it: ``fetch_raw_updates``
returns the JSON as Telegram sent it, ``parse_updates`` turns it into ``Update`` objects.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta
from typing import Any, cast

from telegram import Bot, Update
from telegram._utils.defaultvalue import DEFAULT_NONE, DefaultValue
from telegram._utils.types import JSONDict, ODVInput
from telegram.ext import ExtBot

__all__ = ["TolerantBot", "parse_update", "update_kind"]

logger = logging.getLogger(__name__)


class TolerantBot(ExtBot[None]):
    """An ``ExtBot`` whose ``get_updates`` skips (and confirms) updates it cannot parse."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: The highest update id skipped as unparseable: the next fetch confirms it.
        self._skipped_through = 0

    async def get_updates(
        self,
        offset: int | None = None,
        limit: int | None = None,
        timeout: int | timedelta | None = None,
        allowed_updates: Sequence[str] | None = None,
        *,
        read_timeout: ODVInput[float] = DEFAULT_NONE,
        write_timeout: ODVInput[float] = DEFAULT_NONE,
        connect_timeout: ODVInput[float] = DEFAULT_NONE,
        pool_timeout: ODVInput[float] = DEFAULT_NONE,
        api_kwargs: JSONDict | None = None,
    ) -> tuple[Update, ...]:
        raw = await self.fetch_raw_updates(
            offset=self.offset_after_skipped(offset),
            limit=limit,
            timeout=timeout,
            allowed_updates=allowed_updates,
            read_timeout=read_timeout,
            write_timeout=write_timeout,
            connect_timeout=connect_timeout,
            pool_timeout=pool_timeout,
            api_kwargs=api_kwargs,
        )
        return self.parse_updates(raw)

    def offset_after_skipped(self, offset: int | None) -> int | None:
        """The offset to send: past every skipped update, which the caller (PTB's Updater,
        which only counts updates it received) does not know about."""
        if self._skipped_through and (offset is None or 0 <= offset <= self._skipped_through):
            return self._skipped_through + 1
        return offset

    async def fetch_raw_updates(
        self,
        *,
        offset: int | None,
        limit: int | None,
        timeout: int | timedelta | None,
        allowed_updates: Sequence[str] | None,
        read_timeout: ODVInput[float],
        write_timeout: ODVInput[float],
        connect_timeout: ODVInput[float],
        pool_timeout: ODVInput[float],
        api_kwargs: JSONDict | None,
    ) -> list[JSONDict]:
        """``getUpdates`` as Telegram answers it: a list of JSON objects, unparsed."""
        data: JSONDict = {
            "timeout": timeout,
            "offset": offset,
            "limit": limit,
            "allowed_updates": allowed_updates,
        }
        # A long poll may take ``timeout`` seconds on top of the usual read timeout (as in PTB).
        if isinstance(read_timeout, DefaultValue):
            base_read_timeout = self._request[0].read_timeout or 0
        else:
            base_read_timeout = read_timeout or 0
        if isinstance(timeout, timedelta):
            total_read_timeout = base_read_timeout + timeout.total_seconds()
        else:
            total_read_timeout = base_read_timeout + (timeout or 0)
        result = await self._post(
            "getUpdates",
            data,
            read_timeout=total_read_timeout,
            write_timeout=write_timeout,
            connect_timeout=connect_timeout,
            pool_timeout=pool_timeout,
            api_kwargs=api_kwargs,
        )
        return cast("list[JSONDict]", result)

    def parse_updates(self, raw: Sequence[JSONDict]) -> tuple[Update, ...]:
        """Each update parsed on its own; one that cannot be is logged once and skipped."""
        updates: list[Update] = []
        for data in raw:
            update = parse_update(data, self)
            if update is None:
                update_id = data.get("update_id")
                if isinstance(update_id, int):
                    self._skipped_through = max(self._skipped_through, update_id)
                continue
            self.insert_callback_data(update)
            updates.append(update)
        return tuple(updates)


def parse_update(data: JSONDict, bot: Bot) -> Update | None:
    """One update as Telegram sent it, parsed; None (and one log line with its id and type,
    never its content: that is the users') when python-telegram-bot cannot parse it."""
    try:
        return Update.de_json(data, bot)
    except Exception as error:
        logger.warning(
            "skipped update %s (%s): python-telegram-bot could not parse it (%s)",
            data.get("update_id"),
            update_kind(data),
            type(error).__name__,
        )
        return None


def update_kind(data: JSONDict) -> str:
    """The top-level type of a raw update ("message", "poll"...), for logs."""
    kinds = [key for key in data if key != "update_id"]
    return ", ".join(kinds) if kinds else "empty"
