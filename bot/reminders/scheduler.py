"""The database-backed scheduler that sends due reminders.

There is no in-memory job list: the ``reminders`` table *is* the schedule. The scheduler sleeps
until the earliest ``fire_at`` (or until :meth:`Scheduler.wake` says a reminder was added or
changed, or at most ``max_idle`` seconds), then drains everything due.

Exactly-once, as far as Telegram allows
---------------------------------------
Each due reminder goes through three steps:

1. **Claim**: ``UPDATE reminders SET status='claimed', claim_token=<fresh uuid> WHERE id=? AND
   status='scheduled' AND fire_at<=now``. The statement is atomic, so of any number of claimers
   (the background loop, a test calling :meth:`Scheduler.run_due`, a user's button) exactly one
   changes the row; the others see ``rowcount == 0`` and leave it alone.
2. **Send** through the :class:`~bot.outbound.Delivery`, after checking that the
   claim still holds (the user may have deleted, paused or edited the reminder meanwhile).
3. **Finish**, only for the holder of the token (``... WHERE id=? AND claim_token=?``):
   delivered when Telegram accepted the message (a recurring reminder moves to its next
   occurrence, computed from its RRULE and local DTSTART), back to ``scheduled`` with a later
   ``fire_at`` after a passing failure (exponential backoff, Telegram's ``retry_after`` when it
   gives one), ``failed`` when the bot was blocked or removed, or after ``max_attempts``.

A crash between 1 and 2 leaves the row ``claimed``. The bot runs as one process per database
(long polling allows a single consumer per token), so at start no claim can belong to a live
sender: :meth:`Scheduler.start` hands every claim back to ``scheduled`` *before* sending
anything, with its time untouched. The reminder is then due, is claimed again under a new
token by exactly one worker and sent once, marked late if it is. Nothing is lost (the row was
never marked delivered) and nothing is sent twice (the old token can no longer finish anything
and the message was never sent). The one window no design can close without Telegram's help is
a crash after Telegram accepted the message but before step 3 was written: that reminder is
sent again at start, so delivery is at-least-once with a window of one database write.

A send that raises (a bug, a broken transport: anything but a Telegram refusal, which the
delivery maps to a status) takes the retry path like a passing failure: the claim is given
back with a later ``fire_at``. A database error while writing step 3 is retried a few times;
if it keeps failing the row stays claimed, so this process never sends it again, and the write
is retried at the start of every pass. The residual window is the same as above: a restart
before that write lands sends the reminder once more (logged as an error when it opens).

A chat that blocked the bot (403) fails its other due reminders at once. Recurring ones come
back when the chat writes to the bot again (:meth:`ReminderService.chat_reachable`).

Each claim counts an attempt, so a reminder that crashes the process every time it is sent
ends as ``failed`` after ``max_attempts`` starts instead of looping forever.

Late and overdue reminders
--------------------------
A reminder sent more than a minute after its time says "(late: due 14:00)". Reminders more than
``summary_after`` (a day) late, typically after a long outage, are not sent one by one: each
chat gets **one** message that lists them; recurring ones continue with their next future
occurrence (missed occurrences are not replayed).

Throughput
----------
Sends run in at most ``concurrency`` workers that pull ids from the database as they go (never
one task per reminder). Every send passes through the application's rate limiter (Telegram's
~30 messages/s overall, per-chat limits, 429 pauses); on top of that the scheduler spaces its
own sends evenly at ``max_per_second`` (by default a share of the overall budget), so that a
wave of 10,000 due reminders neither bursts past Telegram's limit nor starves the answers to
people who are chatting meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.clock import Clock
from bot.outbound import Delivery, SendResult, SendStatus, run_follow_up
from bot.reminders.background import (
    ErrorLog,
    PassLoop,
    backoff,
    gather_bounded,
    retry_delay,
    seconds_until,
)
from bot.reminders.messages import due_message, summary_message
from bot.reminders.model import Reminder
from bot.reminders.recurrence import next_occurrence
from bot.reminders.repository import BLOCKED_MARK, ReminderRepository
from bot.timeparse.rules import counts_elapsed_time
from bot.timeparse.rules import next_occurrence as rules_next_occurrence

__all__ = ["RunReport", "Scheduler", "SchedulerOptions"]

logger = logging.getLogger(__name__)

_RECORD_RETRIES = (0.0, 0.05, 0.25)  # seconds before each attempt to write a send's outcome
_REST_BASE = timedelta(seconds=30)  # first rest of a reminder whose handling raised


@dataclass(frozen=True, slots=True)
class SchedulerOptions:
    """Tuning knobs; the defaults suit a personal bot and survive 10,000 reminders at once."""

    concurrency: int = 32
    batch: int = 256
    max_attempts: int = 8
    backoff_base: timedelta = timedelta(seconds=15)
    backoff_cap: timedelta = timedelta(hours=1)
    summary_after: timedelta = timedelta(days=1)
    max_idle: float = 60.0
    stop_timeout: float = 10.0
    max_per_second: float | None = 24.0  # even spacing of the scheduler's sends; None: off
    #: Replicas on one PostgreSQL: a claim older than this is taken to be a dead replica's and
    #: handed back. Far longer than a claim lives (claim, one send, record).
    claim_lease: timedelta = timedelta(minutes=2)


@dataclass(slots=True)
class RunReport:
    """What one drain did."""

    sent: int = 0
    summarized: int = 0
    retried: int = 0
    failed: int = 0
    skipped: int = 0
    summaries: int = 0
    errors: list[str] = field(default_factory=list)


class Scheduler:
    """Sends due reminders from the database; see the module docstring for the guarantees."""

    def __init__(
        self,
        repository: ReminderRepository,
        clock: Clock,
        options: SchedulerOptions | None = None,
        *,
        monotonic: Callable[[], float] | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._repo = repository
        #: The pacing's clock and sleep (the event loop's by default; a test's own to check
        #: the spacing without depending on the machine's load).
        self._monotonic = monotonic
        self._sleep = sleep
        self._clock = clock
        self.options = options or SchedulerOptions()
        self._delivery: Delivery | None = None
        self._run_lock = asyncio.Lock()
        self._feed_lock = asyncio.Lock()
        self._buffer: deque[int] = deque()
        self._inflight: set[int] = set()
        #: Reminders whose handling raised (not a Telegram refusal: the database or a bug):
        #: id -> (resting until, failures in a row).
        self._resting: dict[int, tuple[datetime, int]] = {}
        self._errors = ErrorLog(logger)
        self._passes = PassLoop(
            "reminder-scheduler", self._pass, what="scheduler", error_delay=5.0, log=logger
        )
        self._pace_lock = asyncio.Lock()
        self._next_slot = 0.0
        self._unrecorded: dict[int, Callable[[], Awaitable[object]]] = {}
        #: Claims this process holds (reminder id -> token): their leases are renewed.
        self._held: dict[int, str] = {}
        #: Chats whose recurring reminders stopped because the bot was blocked there.
        self.blocked_chats: set[int] = set()

    @property
    def running(self) -> bool:
        return self._passes.running

    async def start(self, delivery: Delivery, *, background: bool = True) -> int:
        """Recover stale claims, then (by default) run the loop; return the claims recovered."""
        self._delivery = delivery
        now = self._clock.now()
        recovered = await self._recover_claims(now)
        if recovered:
            logger.warning("recovered %d reminder(s) claimed before a crash", recovered)
        await self._repo.drafts.purge(now)
        self.blocked_chats = await self._repo.blocked_chats()
        self._passes.start(background=background)
        return recovered

    async def stop(self) -> None:
        """Finish the sends in progress (up to ``stop_timeout``), then stop."""
        if not await self._passes.stop(self.options.stop_timeout):
            logger.warning("scheduler did not stop in time; unsent claims recover at start")

    def wake(self) -> None:
        """Re-read the schedule now (a reminder was added, changed or snoozed)."""
        self._passes.wake()

    async def run_due(self) -> RunReport:
        """Send everything due at the clock's current time; return what happened."""
        if self._delivery is None:
            raise RuntimeError("the scheduler has no delivery; call start() first")
        async with self._run_lock:
            report = RunReport()
            if self._repo.shared:
                await self._recover_claims(self._clock.now())
            await self._flush_unrecorded()
            await self._summarize_overdue(report)
            workers = [
                asyncio.create_task(self._worker(report))
                for _ in range(max(1, self.options.concurrency))
            ]
            await asyncio.gather(*workers)
            self._buffer.clear()
            return report

    async def _recover_claims(self, now: datetime) -> int:
        """Claims left by a crash: all of them for a single process; with replicas, only those
        whose lease expired (the others belong to replicas at work)."""
        if not self._repo.shared:
            return await self._repo.recover_claims(now)
        # Ours are alive, even one waiting to be recorded for longer than a lease.
        await self._repo.renew_claims(list(self._held.values()), now)
        recovered = await self._repo.recover_claims(now, older_than=now - self.options.claim_lease)
        if recovered:
            logger.warning("took back %d reminder claim(s) whose lease expired", recovered)
        return recovered

    # -- the loop ------------------------------------------------------------------------------

    async def _pass(self) -> float:
        """One round of the loop: send what is due; return the seconds to the next.

        Reminders whose handling raised rest (see :meth:`_rest`), so the next round is due at
        the next reminder that is not resting or at the end of the first rest, whichever comes
        first: a failing disk neither spins the loop nor holds back the reminders that work.
        """
        await self.run_due()
        now = self._clock.now()
        resting = self._still_resting(now)
        next_at = await self._repo.next_fire_time(exclude=resting)
        if resting:
            rest_ends = min(self._resting[reminder_id][0] for reminder_id in resting)
            next_at = rest_ends if next_at is None else min(next_at, rest_ends)
        if self._repo.shared:
            # Also wake when another replica's claim would expire (it may have died).
            oldest = await self._repo.oldest_claim()
            expires = oldest + self.options.claim_lease if oldest is not None else None
            if expires is not None and (next_at is None or expires < next_at):
                next_at = expires
        return seconds_until(next_at, now, idle=self.options.max_idle, least=0.005)

    def _still_resting(self, now: datetime) -> set[int]:
        """Ids that failed lately and wait out their rest; the others may be tried again."""
        return {reminder_id for reminder_id, (until, _) in self._resting.items() if until > now}

    def _rest(self, reminder_id: int) -> None:
        """Let a reminder whose handling raised rest: 30 s, doubling up to ``backoff_cap``."""
        _, failures = self._resting.get(reminder_id, (self._clock.now(), 0))
        pause = backoff(failures + 1, _REST_BASE, self.options.backoff_cap)
        self._resting[reminder_id] = (self._clock.now() + pause, failures + 1)

    # -- one reminder at a time ----------------------------------------------------------------

    async def _worker(self, report: RunReport) -> None:
        while (reminder_id := await self._take()) is not None:
            try:
                await self._deliver(reminder_id, report)
                self._resting.pop(reminder_id, None)
            except Exception as error:
                self._errors.exception(error, "delivering reminder %s failed", reminder_id)
                report.errors.append(f"{reminder_id}: {error!r}")
                self._rest(reminder_id)
            finally:
                self._inflight.discard(reminder_id)

    async def _take(self) -> int | None:
        """The next due id not already being handled; None when nothing is due (or stopping)."""
        async with self._feed_lock:
            if self._passes.stopping:
                return None
            if not self._buffer:
                now = self._clock.now()
                ids = await self._repo.due_ids(
                    now,
                    limit=self.options.batch,
                    exclude=self._inflight | self._still_resting(now),
                )
                self._buffer.extend(ids)
            if not self._buffer:
                return None
            reminder_id = self._buffer.popleft()
            self._inflight.add(reminder_id)
            return reminder_id

    async def _deliver(self, reminder_id: int, report: RunReport) -> None:
        assert self._delivery is not None
        now = self._clock.now()
        reminder = await self._repo.claim(reminder_id, now)
        if reminder is None:
            report.skipped += 1
            return
        if reminder.claim_token:
            self._held[reminder.id] = reminder.claim_token
        try:
            await self._deliver_claimed(reminder, now, report)
        finally:
            if reminder.id not in self._unrecorded:
                self._held.pop(reminder.id, None)

    async def _deliver_claimed(self, reminder: Reminder, now: datetime, report: RunReport) -> None:
        assert self._delivery is not None
        try:
            if not await self._repo.still_claimed(reminder):
                report.skipped += 1
                return
            await self._pace()
            result = await self._delivery.send(due_message(reminder, now))
        except Exception as error:  # not a Telegram refusal: a bug or a broken transport
            logger.exception("sending reminder %s raised; retrying later", reminder.id)
            result = SendResult(SendStatus.RETRY, error=f"unexpected: {error!r}")
        await self._finish(reminder, result, report)

    async def _finish(self, reminder: Reminder, result: SendResult, report: RunReport) -> None:
        now = self._clock.now()
        if result.sent:
            upcoming = self._next_due(reminder, now)

            async def delivered() -> object:
                return await self._repo.delivered(
                    reminder, now=now, message_id=result.message_id, next_due=upcoming
                )

            await self._record(reminder, delivered, sent=True)
            report.sent += 1
            await run_follow_up(result)  # only now: nothing before `delivered` but the send
        elif result.status == SendStatus.MIGRATED and result.new_chat_id is not None:
            await self._repo.migrate_chat(reminder.chat_id, result.new_chat_id)
            await self._repo.release(reminder, now=now)
        elif result.status == SendStatus.BLOCKED:
            await self._blocked(reminder, result, now, report)
        else:
            await self._retry_or_fail(reminder, result, now, report)

    async def _blocked(
        self, reminder: Reminder, result: SendResult, now: datetime, report: RunReport
    ) -> None:
        """The chat blocked the bot (or is gone): this reminder and the chat's other due ones
        fail now instead of each trying in turn.  Recurring ones come back with
        :meth:`chat_reachable` when the chat writes again."""
        error = BLOCKED_MARK + result.error
        logger.info(
            "chat %s unreachable, reminder %s failed: %s",
            reminder.chat_id,
            reminder.id,
            result.error,
        )
        await self._repo.failed(reminder, now=now, error=error)
        others = await self._repo.fail_chat(reminder.chat_id, now=now, error=error, due_by=now)
        report.failed += 1 + others
        self.blocked_chats.add(reminder.chat_id)

    async def _record(
        self, reminder: Reminder, write: Callable[[], Awaitable[object]], *, sent: bool
    ) -> bool:
        """Write the outcome of a send, trying a few times.  If the database keeps failing, the
        row stays claimed (so this process never sends it again) and the write is retried at
        the start of every pass; only a restart before it lands re-sends the reminder."""
        error: Exception | None = None
        for delay in _RECORD_RETRIES:
            if delay:
                await asyncio.sleep(delay)
            try:
                await write()
                return True
            except Exception as failure:  # the database, not Telegram
                error = failure
        if sent:
            logger.error(
                "reminder %s WAS SENT but recording it failed (%r): it stays claimed and is not "
                "sent again by this process; the write is retried each pass (a restart before "
                "it succeeds would send it once more)",
                reminder.id,
                error,
            )
        else:
            logger.error("reminder %s: recording the send outcome failed (%r)", reminder.id, error)
        self._unrecorded[reminder.id] = write
        return False

    async def _flush_unrecorded(self) -> None:
        for reminder_id, write in list(self._unrecorded.items()):
            try:
                await write()
            except Exception:
                logger.exception("reminder %s: recording still fails", reminder_id)
                continue
            self._unrecorded.pop(reminder_id, None)
            self._held.pop(reminder_id, None)

    @property
    def unrecorded(self) -> int:
        """Sends whose outcome is not written yet (their rows stay claimed meanwhile)."""
        return len(self._unrecorded)

    async def _retry_or_fail(
        self, reminder: Reminder, result: SendResult, now: datetime, report: RunReport
    ) -> None:
        if reminder.attempts >= self.options.max_attempts:
            logger.warning("reminder %s gave up after %d attempts", reminder.id, reminder.attempts)
            await self._repo.failed(reminder, now=now, error=result.error)
            report.failed += 1
            return
        delay = retry_delay(self.backoff(reminder.attempts), result)
        logger.info("reminder %s: %s; retrying in %s", reminder.id, result.error, delay)

        async def later() -> object:
            return await self._repo.retry_later(
                reminder, now=now, fire_at=now + delay, error=result.error
            )

        await self._record(reminder, later, sent=False)
        report.retried += 1

    async def _pace(self) -> None:
        """Wait for this send's slot: sends leave at most ``max_per_second``, evenly spaced."""
        rate = self.options.max_per_second
        if not rate:
            return
        now = self._monotonic or asyncio.get_running_loop().time
        async with self._pace_lock:
            wait = self._next_slot - now()
            if wait > 0:
                await self._sleep(wait)
            self._next_slot = max(now(), self._next_slot) + 1.0 / rate

    def backoff(self, attempts: int) -> timedelta:
        """How long to wait after the ``attempts``-th failed send: base · 2^(n-1), capped."""
        return backoff(attempts, self.options.backoff_base, self.options.backoff_cap)

    @staticmethod
    def _next_due(reminder: Reminder, now: datetime) -> datetime | None:
        """The next occurrence of a recurring reminder after both its time and now."""
        if reminder.rrule is None or reminder.dtstart is None:
            return None
        after = max(now, reminder.due_at)
        if counts_elapsed_time(reminder.rrule) and "COUNT=" not in reminder.rrule.upper():
            # "every 3 hours" steps on from the occurrence just sent: its instant is exact,
            # while the stored wall-time DTSTART cannot tell the two 02:30s of a fall-back.
            anchor = reminder.due_at.astimezone(reminder.zone)
            return rules_next_occurrence(reminder.rrule, anchor, after)
        return next_occurrence(reminder.rrule, reminder.dtstart, reminder.timezone, after)

    # -- long overdue: one summary per chat ----------------------------------------------------

    async def _summarize_overdue(self, report: RunReport) -> None:
        now = self._clock.now()
        cutoff = now - self.options.summary_after
        by_chat: dict[int, list[Reminder]] = defaultdict(list)
        while ids := await self._repo.due_ids(now, limit=1000, due_before=cutoff):
            claimed = 0
            for reminder_id in ids:
                reminder = await self._repo.claim(reminder_id, now)
                if reminder is not None:
                    by_chat[reminder.chat_id].append(reminder)
                    claimed += 1
            if not claimed:
                break
        if not by_chat:
            return
        await gather_bounded(
            self.options.concurrency,
            (self._send_summary(chat, items, report) for chat, items in by_chat.items()),
        )

    async def _send_summary(
        self, chat_id: int, reminders: list[Reminder], report: RunReport
    ) -> None:
        assert self._delivery is not None
        now = self._clock.now()
        reminders.sort(key=lambda item: (item.due_at, item.id))
        upcoming = {item.id: self._next_due(item, now) for item in reminders}
        try:
            await self._pace()
            result = await self._delivery.send(summary_message(chat_id, reminders, upcoming, now))
        except Exception as error:
            logger.exception("sending the summary to chat %s raised; retrying later", chat_id)
            result = SendResult(SendStatus.RETRY, error=f"unexpected: {error!r}")
        if result.sent:
            for item in reminders:

                async def delivered(item: Reminder = item) -> object:
                    return await self._repo.delivered(
                        item, now=now, message_id=result.message_id, next_due=upcoming[item.id]
                    )

                await self._record(item, delivered, sent=True)
            await run_follow_up(result)
            report.summarized += len(reminders)
            report.summaries += 1
            return
        for item in reminders:
            await self._finish(item, result, report)
