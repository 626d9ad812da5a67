"""Telegram's overall message rate shared by every replica on one PostgreSQL.

Telegram limits a bot (about 30 messages/s overall), not a process. The replicas share one
row, ``send_budget``: the time of the next free send slot on the database's clock. Reserving
``k`` slots is one statement (``UPDATE ... SET next_at = GREATEST(next_at, now) + k x interval
RETURNING ...``, the row lock orders replicas asking together), which answers how long until
the first of them; the slots follow one interval apart. So every send of every replica gets its
own slot on one evenly spaced line (a virtual scheduling clock, as GCRA), replicas are served in
the order they asked (nobody starves), and no burst builds up while idle. Only the delays cross
the wire, so replicas' clocks need not agree with the database's.

Round trips stay low: a replica reserves for all its sends under way at once (up to ``batch``):
those asking and those already waiting for a slot. An idle replica so reserves one slot per send
(nothing wasted); a busy one, whose sends queue for their slots, reserves a few ahead, used by
the sends that come while the queue drains. A reserved slot that went by unused is dropped
rather than used late (which could crowd the next replica's slot): the budget lost that way is
at most ``batch`` - 1 slots when a busy spell ends, never a message over the rate. A
flood-control answer (429) from Telegram pushes the shared next slot back by ``retry_after``,
so every replica pauses, not only the one that was told.

PostgreSQL-only on purpose: one SQLite process paces itself in memory
(:class:`~bot.telegram.ratelimit.ChatRateLimiter`), which is composed with this only on
PostgreSQL (``bot.app``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import TYPE_CHECKING

from bot.storage.database import Migration

if TYPE_CHECKING:  # asyncpg is an optional extra
    from bot.storage.postgres import PostgresDatabase

__all__ = ["SEND_BUDGET_MIGRATIONS", "SharedSendRate"]

logger = logging.getLogger(__name__)

SEND_BUDGET_MIGRATIONS: list[Migration] = [
    Migration(
        1,
        """
        -- The next free slot for a message to Telegram, shared by every replica (one row).
        CREATE TABLE send_budget (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            next_at TIMESTAMPTZ NOT NULL            -- the database's clock
        );
        INSERT INTO send_budget (id, next_at) VALUES (1, 'epoch');
        """,
    )
]

#: A reserved slot whose time passed by more than this share of an interval is dropped.
_LATE_SHARE = 0.5


class SharedSendRate:
    """Paces one replica's messages on the slots shared by all (an async context manager:
    ``async with rate:`` waits for this send's slot)."""

    def __init__(
        self,
        db: PostgresDatabase,
        *,
        per_second: float,
        batch: int = 8,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._pool = db.pool
        self.interval = 1.0 / per_second
        self._batch = max(1, batch)
        self._sleep = sleep
        self._monotonic = monotonic
        self._slots: deque[float] = deque()  # this replica's reserved slots, monotonic times
        self._turn = asyncio.Lock()  # FIFO: sends take slots in the order they asked
        self._under_way = 0  # sends asking for a slot or waiting for theirs
        #: Statements run to reserve slots (how many round trips the pacing costs).
        self.reservations = 0

    @classmethod
    async def open(
        cls, db: PostgresDatabase, *, per_second: float, batch: int = 8
    ) -> SharedSendRate:
        await db.migrate("send_budget", SEND_BUDGET_MIGRATIONS)
        return cls(db, per_second=per_second, batch=batch)

    async def __aenter__(self) -> None:
        await self.acquire()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """A slot is spent whether the send succeeded or not (Telegram counted it)."""

    async def acquire(self) -> None:
        """Wait until this replica's next shared slot."""
        self._under_way += 1
        try:
            async with self._turn:
                at = await self._next_slot()
            delay = at - self._monotonic()
            if delay > 0:
                await self._sleep(delay)
        finally:
            self._under_way -= 1

    async def _next_slot(self) -> float:
        late = self._monotonic() - self.interval * _LATE_SHARE
        while self._slots and self._slots[0] < late:
            self._slots.popleft()
        if not self._slots:
            # As many as the sends under way (this one included): one statement for a few.
            await self._reserve(min(self._under_way, self._batch))
        return self._slots.popleft()

    async def _reserve(self, count: int) -> None:
        span = count * self.interval
        first: float = await self._pool.fetchval(
            "UPDATE send_budget SET next_at = GREATEST(next_at, clock_timestamp())"
            " + make_interval(secs => $1) WHERE id = 1"
            " RETURNING EXTRACT(EPOCH FROM next_at - clock_timestamp())::float8 - $1",
            span,
        )
        self.reservations += 1
        start = self._monotonic() + max(first, 0.0)
        self._slots.extend(start + index * self.interval for index in range(count))

    async def hold(self, seconds: float) -> None:
        """Telegram asked to wait (flood control): no replica gets a slot before then."""
        await self._pool.execute(
            "UPDATE send_budget SET next_at = GREATEST(next_at,"
            " clock_timestamp() + make_interval(secs => $1)) WHERE id = 1",
            seconds,
        )
        self._slots.clear()
