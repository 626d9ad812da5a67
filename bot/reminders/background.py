"""The machinery shared by the background senders (:mod:`bot.reminders.scheduler` and
:mod:`bot.people.runner`): the loop that runs their passes, retry delays, bounded concurrency.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import KW_ONLY, dataclass, field
from datetime import datetime, timedelta

from bot.outbound import SendResult

__all__ = ["PassLoop", "backoff", "gather_bounded", "retry_delay", "seconds_until"]

logger = logging.getLogger(__name__)


@dataclass(eq=False)
class PassLoop:
    """Runs ``one_pass`` over and over in a background task until stopped.

    Each pass returns how many seconds to sleep before the next one; :meth:`wake` cuts the sleep
    short. A pass that raises is logged and the next one comes after ``error_delay`` seconds.
    ``stopping`` is set by :meth:`stop` (and cleared by :meth:`start`) so that a pass in
    progress can end early.
    """

    name: str
    one_pass: Callable[[], Awaitable[float]]
    _: KW_ONLY
    what: str
    error_delay: float
    log: logging.Logger = logger
    stopping: bool = field(default=False, init=False)
    _wake: asyncio.Event = field(default_factory=asyncio.Event, init=False, repr=False)
    _task: asyncio.Task[None] | None = field(default=None, init=False, repr=False)

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self, *, background: bool = True) -> None:
        """Clear ``stopping``; with ``background``, start the loop."""
        self.stopping = False
        if background:
            self._task = asyncio.create_task(self._run(), name=self.name)

    def wake(self) -> None:
        self._wake.set()

    async def stop(self, timeout: float) -> bool:
        """Let the pass in progress finish (up to ``timeout`` seconds, then cancel it); return
        False when it had to be cancelled."""
        self.stopping = True
        self._wake.set()
        task, self._task = self._task, None
        if task is None:
            return True
        try:
            await asyncio.wait_for(asyncio.shield(task), timeout)
        except TimeoutError:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            return False
        return True

    async def _run(self) -> None:
        while not self.stopping:
            self._wake.clear()
            try:
                delay = await self.one_pass()
            except Exception:
                self.log.exception("%s round failed; trying again shortly", self.what)
                delay = self.error_delay
            if self.stopping:
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), delay)


def seconds_until(at: datetime | None, now: datetime, *, idle: float, least: float) -> float:
    """How long to sleep until ``at``: at least ``least``, at most ``idle`` (also when there is
    nothing scheduled)."""
    if at is None:
        return idle
    return min(max((at - now).total_seconds(), least), idle)


def backoff(attempts: int, base: timedelta, cap: timedelta) -> timedelta:
    """How long to wait after the ``attempts``-th failed send: base · 2^(n-1), capped."""
    factor: int = 2 ** max(0, min(attempts - 1, 20))
    return min(base * factor, cap)


def retry_delay(backoff_delay: timedelta, result: SendResult) -> timedelta:
    """The wait before sending again: the backoff, or longer if Telegram said so."""
    if result.retry_after:
        return max(backoff_delay, timedelta(seconds=result.retry_after))
    return backoff_delay


async def gather_bounded(limit: int, jobs: Iterable[Awaitable[None]]) -> None:
    """Await the jobs, at most ``limit`` (at least one) at a time."""
    semaphore = asyncio.Semaphore(max(1, limit))

    async def one(job: Awaitable[None]) -> None:
        async with semaphore:
            await job

    await asyncio.gather(*(one(job) for job in jobs))
