"""The machinery shared by the background senders (:mod:`bot.reminders.scheduler` and
:mod:`bot.people.runner`): the loop that runs their passes, retry delays, bounded concurrency.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import KW_ONLY, dataclass, field
from datetime import datetime, timedelta

from bot.outbound import SendResult

__all__ = ["ErrorLog", "PassLoop", "backoff", "gather_bounded", "retry_delay", "seconds_until"]

logger = logging.getLogger(__name__)


_MAX_ERROR_DELAY = 300.0
_LOG_EVERY = 60.0
_DISTINCT_ERRORS = 1000  # remembered by an ErrorLog before it starts afresh


@dataclass(eq=False)
class ErrorLog:
    """Logs each distinct error (type and text) at most once a minute, with its traceback.

    A failing database (a full or read-only disk) fails every round alike; its tracebacks must
    neither flood the log nor feed the full disk.
    """

    log: logging.Logger
    every: float = _LOG_EVERY
    _last: dict[str, float] = field(default_factory=dict, init=False, repr=False)

    def exception(self, error: BaseException, message: str, *args: object) -> None:
        key = f"{type(error).__name__}: {error}"
        now = time.monotonic()
        if now - self._last.get(key, float("-inf")) < self.every:
            return
        if len(self._last) >= _DISTINCT_ERRORS:
            self._last.clear()
        self._last[key] = now
        self.log.error(message, *args, exc_info=error)


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
        failures = 0
        errors = ErrorLog(self.log)
        while not self.stopping:
            self._wake.clear()
            try:
                delay = await self.one_pass()
                failures = 0
            except Exception as error:
                # A failing database (full or read-only disk) fails every pass alike: back off
                # (doubling up to 5 minutes) and log each distinct error at most once a minute,
                # so the loop neither burns a core nor fills the disk with tracebacks.
                failures += 1
                delay = min(self.error_delay * 2 ** (failures - 1), _MAX_ERROR_DELAY)
                errors.exception(
                    error,
                    "%s round failed (%d in a row); next try in %.0f s",
                    self.what,
                    failures,
                    delay,
                )
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
