"""Handling updates as one of several replicas: a chat at a time per replica, in order.

In webhook mode behind a load balancer any replica may receive any update. Each one is kept in
the shared inbox before Telegram hears "ok", then the replica that received it *wakes* the
chat: it tries to take the chat's lease (:class:`~bot.storage.replicas.ChatLeases`) and, if it
gets it, handles the chat's waiting updates one after the other in ``update_id`` order until
none is left, then lets go. If another replica holds the chat, that one finds the new update
with its next claim. Nothing is lost in between: the holder looks once more after letting go.

A sweep (every :attr:`ReplicaOptions.sweep_seconds`) picks up chats nobody holds: a dead
replica's after its lease expired, and this replica's own after a restart. A heartbeat renews
the leases of chats whose update runs long (a model answer). :meth:`ChatDispatcher.stop`
(SIGTERM) starts nothing new, lets running updates finish within a grace period, and lets go
of every chat so that the others carry on at once.

Different chats run concurrently, at most :attr:`ReplicaOptions.slots` updates at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from telegram import Update
from telegram.ext import Application

from bot.storage.inbox import InboxItem
from bot.telegram.inbox import say_lost

if TYPE_CHECKING:
    from bot.storage.replicas import ChatLeases

__all__ = ["ChatDispatcher", "ReplicaOptions"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class ReplicaOptions:
    """How often a replica looks for chats nobody holds, and how many updates it runs."""

    sweep_seconds: float = 1.0
    slots: int = 256


class ChatDispatcher:
    """Runs the updates of the chats this replica holds, each chat's strictly in order."""

    def __init__(
        self,
        app: Application[Any, Any, Any, Any, Any, Any],
        leases: ChatLeases,
        options: ReplicaOptions | None = None,
    ) -> None:
        self._app = app
        self._leases = leases
        self._options = options or ReplicaOptions()
        self._slots = asyncio.Semaphore(self._options.slots)
        self._drivers: dict[int, asyncio.Task[None]] = {}
        self._handling: set[asyncio.Task[Any]] = set()
        self._loops: list[asyncio.Task[None]] = []
        self._stopping = False
        #: Updates this replica finished (for logs and benchmarks).
        self.handled = 0

    def start(self) -> None:
        """Sweep for chats nobody holds (first: this replica's own, before a restart) and
        keep the held leases alive."""
        self._stopping = False
        self._loops = [
            asyncio.create_task(self._sweep_loop(), name="replica-sweep"),
            asyncio.create_task(self._heartbeat_loop(), name="replica-heartbeat"),
        ]

    def wake(self, chat_id: int) -> None:
        """An update of ``chat_id`` was kept in the inbox: handle the chat unless this
        replica already does (its loop will find the update) or it is stopping."""
        if self._stopping or chat_id in self._drivers:
            return
        task = asyncio.create_task(self._drive(chat_id), name=f"chat-{chat_id}")
        self._drivers[chat_id] = task
        task.add_done_callback(lambda _: self._drivers.pop(chat_id, None))

    async def stop(self, grace: float) -> int:
        """Start nothing more; give running updates ``grace`` seconds, then cancel them; let
        go of every chat. Returns how many updates were cancelled (the next holder tells
        their users the answer was lost)."""
        self._stopping = True
        for loop in self._loops:
            loop.cancel()
        for loop in self._loops:
            with contextlib.suppress(asyncio.CancelledError):
                await loop
        drivers = list(self._drivers.values())
        cancelled = 0
        if drivers:
            _, late = await asyncio.wait(drivers, timeout=grace)
            cancelled = len(self._handling)
            for task in late:
                task.cancel()
            for task in late:
                with contextlib.suppress(BaseException):
                    await task
            if late:
                logger.warning("stopped %d update(s) still running after %.0f s", cancelled, grace)
        logger.info("replica %s handled %d update(s)", self._leases.holder, self.handled)
        return cancelled

    async def _drive(self, chat_id: int) -> None:
        """Hold the chat and handle its waiting updates in order, then let go."""
        try:
            while not self._stopping and await self._leases.acquire(chat_id):
                try:
                    for lost in await self._leases.cut_off(chat_id):
                        await say_lost(self._app, lost)
                    while not self._stopping:
                        item = await self._leases.claim_next(chat_id)
                        if item is None:
                            break
                        await self._handle(item)
                finally:
                    # Shielded: a cancelled driver (shutdown) still lets go of the chat.
                    await asyncio.shield(self._leases.release(chat_id))
                # An update kept after the last claim found nothing, while this replica still
                # held the chat (its receiver saw it held): look once more.
                if not await self._leases.waiting(chat_id):
                    return
        except asyncio.CancelledError:
            raise
        except Exception as error:
            # The database is unreachable: the sweep tries the chat again later.
            logger.warning("chat %s: could not take its updates (%s)", chat_id, error)

    async def _handle(self, item: InboxItem) -> None:
        try:
            update = Update.de_json(item.body, self._app.bot)
        except Exception as error:
            logger.warning("inbox update %s unreadable (%s)", item.update_id, type(error).__name__)
            update = None
        if update is not None:
            async with self._slots:
                task = asyncio.ensure_future(self._app.process_update(update))
                self._handling.add(task)
                try:
                    await task  # PTB reports a handler's error to the error handlers
                finally:
                    self._handling.discard(task)
        # Not when cancelled at shutdown: the row stays claimed, the next holder says so.
        await self._leases.done(item.update_id)
        self.handled += 1

    async def _sweep_loop(self) -> None:
        while True:
            try:
                for chat_id in await self._leases.orphaned():
                    self.wake(chat_id)
            except Exception as error:
                logger.warning("replica sweep failed (%s); retrying", error)
            await asyncio.sleep(self._options.sweep_seconds)

    async def _heartbeat_loop(self) -> None:
        period = self._leases.lease.total_seconds() / 3
        while True:
            await asyncio.sleep(period)
            try:
                await self._leases.renew(list(self._drivers))
            except Exception as error:
                logger.warning("could not renew chat leases (%s)", error)
