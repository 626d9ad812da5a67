"""Sending the daily digests, with the reminders scheduler's guarantees.

The digest is not a stored message but a pass over each user's people at their local hour, so
it has its own schedule table (``people_digests``, one row per user) and runs the same
**claim -> send -> finish** steps as :mod:`bot.reminders.scheduler`, through the same
:class:`~bot.outbound.Delivery` adapter:

1. **Claim**: one conditional ``UPDATE ... SET status='claimed', claim_token=<uuid> WHERE
   status='scheduled' AND next_at<=now`` over a batch of due users; of any number of runners
   exactly one wins each row.
2. **Compose** every claimed user's digest in a few queries (:class:`DigestComposer`) and
   **send** the ones with news (at most ``concurrency`` at once).
3. **Finish**, only for the holder of the token, in one transaction: the next ``next_at`` (the
   user's local hour on the next day), the dates and people marked as announced. Users with
   nothing to say are finished in one batch, without a message.

At start, claims left by a crash go back to ``scheduled`` before anything is sent (one process
per database, as for reminders), so a digest is never lost; the one window left is a crash
between Telegram accepting the message and step 3 (sent again at start). A passing failure
retries with exponential backoff up to ``max_attempts``; a blocked bot skips to the next day
(the items stay unannounced and come in the next digest).

After downtime, a user whose ``next_at`` is days in the past gets **one** digest at start (not
one per missed day): finishing always moves ``next_at`` past now. Dates that passed meanwhile
are mentioned as "just missed" (see :mod:`bot.people.digest`).
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.outbound import Delivery, Outgoing, SendResult, SendStatus, run_follow_up
from bot.people.digest import Digest, DigestComposer, DigestUser, digest_settings, next_digest_at
from bot.reminders.background import PassLoop, backoff, gather_bounded, retry_delay, seconds_until
from bot.storage import Database, from_db_time, to_db_time

__all__ = ["DigestReport", "DigestRunner", "RunnerOptions"]

logger = logging.getLogger(__name__)

#: Renders a digest with news as the message to send.
Renderer = Callable[[Digest], Outgoing]


@dataclass(frozen=True, slots=True)
class RunnerOptions:
    """Tuning knobs of the digest pass."""

    batch: int = 500
    concurrency: int = 16
    max_attempts: int = 6
    backoff_base: timedelta = timedelta(seconds=30)
    backoff_cap: timedelta = timedelta(hours=1)
    max_idle: float = 300.0
    stop_timeout: float = 10.0
    #: Replicas on one PostgreSQL: a claim older than this is a dead replica's and goes back.
    #: Far longer than a batch lives (claim, compose, send, finish).
    claim_lease: timedelta = timedelta(minutes=5)


@dataclass(slots=True)
class DigestReport:
    """What one pass did."""

    claimed: int = 0
    sent: int = 0
    quiet: int = 0
    retried: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass(slots=True)
class _Claim:
    user_id: int
    token: str
    attempts: int
    user: DigestUser
    timezone: str = ""  # the zone the row was scheduled in
    handled: date | None = None  # the local day last dealt with


class DigestRunner:
    """Claims due digest rows, composes, sends and finishes them (see the module docstring)."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        render: Renderer,
        *,
        default_timezone: str = "UTC",
        options: RunnerOptions | None = None,
    ) -> None:
        self._db = db
        self._clock = clock
        self._render = render
        self._default_timezone = default_timezone
        self.options = options or RunnerOptions()
        self.composer = DigestComposer(db)
        self._delivery: Delivery | None = None
        self._run_lock = asyncio.Lock()
        self._passes = PassLoop(
            "people-digests", self._pass, what="digest", error_delay=30.0, log=logger
        )

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self, delivery: Delivery, *, background: bool = True) -> int:
        """Hand back claims left by a crash, then (by default) run the loop; return how many
        claims were recovered."""
        self._delivery = delivery
        recovered = await self._recover_claims(self._clock.now())
        if recovered:
            logger.warning("recovered %d digest claim(s) left by a crash", recovered)
        self._passes.start(background=background)
        return recovered

    async def stop(self) -> None:
        await self._passes.stop(self.options.stop_timeout)

    @property
    def shared(self) -> bool:
        """Whether other processes (replicas) may hold claims in this database too."""
        return self._db.dialect != "sqlite"

    async def _recover_claims(self, now: datetime) -> int:
        """Claims left by a crash: every one for a single process (at its start none can be
        alive); with replicas only those whose lease expired."""
        sql = (
            "UPDATE people_digests SET status = 'scheduled', claim_token = NULL"
            " WHERE status = 'claimed'"
        )
        if not self.shared:
            return await self._db.execute_rowcount(sql)
        expired = to_db_time(now - self.options.claim_lease)
        return await self._db.execute_rowcount(
            sql + " AND (claimed_at IS NULL OR claimed_at <= ?)", (expired,)
        )

    def wake(self) -> None:
        """Re-read the schedule now (a user's digest time changed)."""
        self._passes.wake()

    async def _pass(self) -> float:
        """One round of the loop: send what is due; return the seconds to the next."""
        await self.run_due()
        row = await self._db.fetchone(
            "SELECT MIN(next_at) AS at FROM people_digests WHERE status = 'scheduled'"
        )
        at = from_db_time(row["at"]) if row is not None and row["at"] is not None else None
        if self.shared:
            # Also wake when another replica's claim would expire (it may have died).
            claimed = await self._db.fetchone(
                "SELECT MIN(claimed_at) AS at FROM people_digests WHERE status = 'claimed'"
            )
            if claimed is not None and claimed["at"] is not None:
                expires = from_db_time(claimed["at"]) + self.options.claim_lease
                at = expires if at is None else min(at, expires)
        return seconds_until(at, self._clock.now(), idle=self.options.max_idle, least=0.01)

    # -- scheduling rows -------------------------------------------------------------------

    async def ensure(self, user_id: int, timezone: str, at: Any, *, force: bool = False) -> None:
        """Create the user's schedule row, or move it when their zone (or, with ``force``,
        their digest time) changed; a day already handled is never handled again."""
        now = self._clock.now()
        row = await self._db.fetchone(
            "SELECT timezone, status, last_local_date FROM people_digests WHERE user_id = ?",
            (user_id,),
        )
        if row is None:
            await self._db.execute(
                "INSERT OR IGNORE INTO people_digests (user_id, next_at, timezone, status,"
                " updated_at) VALUES (?, ?, ?, 'scheduled', ?)",
                (user_id, to_db_time(next_digest_at(now, timezone, at)), timezone, to_db_time(now)),
            )
            self.wake()
            return
        if row["status"] != "scheduled" or (row["timezone"] == timezone and not force):
            return
        handled = date.fromisoformat(row["last_local_date"]) if row["last_local_date"] else None
        next_at = next_digest_at(now, timezone, at, handled=handled)
        await self._db.execute(
            "UPDATE people_digests SET next_at = ?, timezone = ?, updated_at = ?"
            " WHERE user_id = ? AND status = 'scheduled'",
            (to_db_time(next_at), timezone, to_db_time(now), user_id),
        )
        self.wake()

    async def next_at(self, user_id: int) -> datetime | None:
        row = await self._db.fetchone(
            "SELECT next_at FROM people_digests WHERE user_id = ?", (user_id,)
        )
        return from_db_time(row["next_at"]) if row else None

    # -- one pass --------------------------------------------------------------------------

    async def run_due(self) -> DigestReport:
        """Handle every digest due at the clock's time; return what happened."""
        if self._delivery is None:
            raise RuntimeError("the digest runner has no delivery; call start() first")
        async with self._run_lock:
            report = DigestReport()
            if self.shared and await self._recover_claims(self._clock.now()):
                logger.warning("took back digest claims whose lease expired")
            while not self._passes.stopping:
                claims = await self._claim_batch()
                if not claims:
                    break
                report.claimed += len(claims)
                await self._handle(claims, report)
            return report

    async def preview(self, user: DigestUser) -> Digest:
        """The user's digest right now, without sending or marking anything."""
        return (await self.composer.compose([user], self._clock.now()))[user.user_id]

    async def users(self, user_ids: list[int]) -> dict[int, DigestUser]:
        """Language and digest settings of users, from the core users table."""
        rows = await self._db.fetchall(
            "SELECT id, language, timezone, settings FROM users"
            " WHERE id IN (SELECT value FROM json_each(?))",
            (json.dumps(user_ids),),
        )
        found = {}
        for row in rows:
            zone = row["timezone"] or self._default_timezone
            settings = digest_settings(json.loads(row["settings"] or "{}"), zone)
            language = "zh" if row["language"] == "zh" else "en"
            found[row["id"]] = DigestUser(row["id"], language, settings)
        for user_id in user_ids:
            found.setdefault(
                user_id, DigestUser(user_id, "en", digest_settings({}, self._default_timezone))
            )
        return found

    async def _claim_batch(self) -> list[_Claim]:
        now = self._clock.now()
        stamp, token, limit = to_db_time(now), uuid.uuid4().hex, self.options.batch

        def claim(connection: sqlite3.Connection) -> list[tuple[int, int, str, str | None]]:
            connection.execute(
                "UPDATE people_digests SET status = 'claimed', claim_token = ?, claimed_at = ?,"
                " attempts = attempts + 1, updated_at = ? WHERE user_id IN (SELECT user_id"
                " FROM people_digests WHERE status = 'scheduled' AND next_at <= ?"
                " ORDER BY next_at LIMIT ?) AND status = 'scheduled' AND next_at <= ?",
                (token, stamp, stamp, stamp, limit, stamp),
            )
            return connection.execute(
                "SELECT user_id, attempts, timezone, last_local_date FROM people_digests"
                " WHERE claim_token = ?",
                (token,),
            ).fetchall()

        if self.shared:
            claimed = await self._claim_shared(token, stamp, limit)
        else:
            claimed = await self._db.run_write(claim)
        if not claimed:
            return []
        users = await self.users([row[0] for row in claimed])
        return [
            _Claim(
                user_id,
                token,
                attempts,
                users[user_id],
                zone,
                date.fromisoformat(handled) if handled else None,
            )
            for user_id, attempts, zone, handled in claimed
        ]

    async def _claim_shared(
        self, token: str, stamp: str, limit: int
    ) -> list[tuple[int, int, str, str | None]]:
        """The claim on PostgreSQL: rows another replica is claiming are skipped, not waited
        for, and the claimed rows come back in the same statement."""
        rows = await self._db.fetchall(
            "UPDATE people_digests SET status = 'claimed', claim_token = ?, claimed_at = ?,"
            " attempts = attempts + 1, updated_at = ? WHERE user_id IN (SELECT user_id"
            " FROM people_digests WHERE status = 'scheduled' AND next_at <= ?"
            " ORDER BY next_at LIMIT ? FOR UPDATE SKIP LOCKED)"
            " RETURNING user_id, attempts, timezone, last_local_date",
            (token, stamp, stamp, stamp, limit),
        )
        return [
            (row["user_id"], row["attempts"], row["timezone"], row["last_local_date"])
            for row in rows
        ]

    async def _follow_new_zones(self, claims: list[_Claim], now: datetime) -> list[_Claim]:
        """A user who moved to another zone gets the digest at the new local hour: when that
        is still ahead today, the claim goes back with the new time and nothing is sent."""
        keep = []
        for claim in claims:
            settings = claim.user.settings
            if claim.timezone == settings.timezone:
                keep.append(claim)
                continue
            later = next_digest_at(now, settings.timezone, settings.at, handled=claim.handled)
            if later.astimezone(ZoneInfo(settings.timezone)).date() != claim.user.today(now):
                keep.append(claim)  # today's new slot has passed: send now, once
                continue
            await self._db.execute(
                "UPDATE people_digests SET status = 'scheduled', claim_token = NULL,"
                " attempts = 0, next_at = ?, timezone = ?, updated_at = ?"
                " WHERE user_id = ? AND claim_token = ?",
                (to_db_time(later), settings.timezone, to_db_time(now), claim.user_id,
                 claim.token),
            )  # fmt: skip
        return keep

    async def _handle(self, claims: list[_Claim], report: DigestReport) -> None:
        now = self._clock.now()
        claims = await self._follow_new_zones(claims, now)
        active = [claim for claim in claims if claim.user.settings.enabled]
        digests = await self.composer.compose([claim.user for claim in active], now)
        quiet: list[tuple[_Claim, Digest | None]] = [
            (claim, None) for claim in claims if not claim.user.settings.enabled
        ]
        loud: list[tuple[_Claim, Digest]] = []
        for claim in active:
            digest = digests[claim.user_id]
            (loud if digest.has_news else quiet).append((claim, digest))
        await self._finish_quiet(quiet, now)
        report.quiet += len(quiet)
        await gather_bounded(
            self.options.concurrency,
            (self._send_or_release(claim, digest, report) for claim, digest in loud),
        )

    async def _send_or_release(self, claim: _Claim, digest: Digest, report: DigestReport) -> None:
        try:
            await self._send(claim, digest, report)
        except Exception as error:
            logger.exception("digest for user %s failed", claim.user_id)
            report.errors.append(f"{claim.user_id}: {error!r}")
            await self._release(claim, self._clock.now(), str(error))

    async def _send(self, claim: _Claim, digest: Digest, report: DigestReport) -> None:
        assert self._delivery is not None
        await self._refresh_passed(digest)
        result = await self._delivery.send(self._render(digest))
        now = self._clock.now()
        if result.sent:
            await self._finish_sent(claim, digest, result, now)
            await run_follow_up(result)  # after the digest is marked sent, never before
            report.sent += 1
        elif result.status == SendStatus.BLOCKED:
            await self._skip_day(claim, digest.today, now, result.error)
            report.skipped += 1
        elif claim.attempts >= self.options.max_attempts:
            logger.warning(
                "digest for user %s gave up after %d tries", claim.user_id, claim.attempts
            )
            await self._skip_day(claim, digest.today, now, result.error)
            report.skipped += 1
        else:
            await self._retry(claim, result, now)
            report.retried += 1

    async def _refresh_passed(self, digest: Digest) -> None:
        """Move passed dates on to their next occurrence (whatever the send does)."""
        if digest.refresh:
            await self._db.executemany(
                "UPDATE person_dates SET next_on = ? WHERE id = ?",
                [(day.isoformat(), date_id) for date_id, day in digest.refresh],
            )

    def backoff(self, attempts: int) -> timedelta:
        return backoff(attempts, self.options.backoff_base, self.options.backoff_cap)

    # -- finishing -------------------------------------------------------------------------

    def _next(self, claim: _Claim, handled: date, now: datetime) -> datetime:
        settings = claim.user.settings
        return next_digest_at(now, settings.timezone, settings.at, handled=handled)

    async def _finish_quiet(self, quiet: list[tuple[_Claim, Digest | None]], now: datetime) -> None:
        """Nothing to say: move every row on in one transaction (and passed dates too)."""
        if not quiet:
            return
        stamp = to_db_time(now)
        rows, refresh = [], []
        for claim, digest in quiet:
            today = digest.today if digest else claim.user.today(now)
            next_at = self._next(claim, today, now)
            rows.append(
                (to_db_time(next_at), claim.user.settings.timezone, today.isoformat(), stamp,
                 claim.user_id, claim.token)
            )  # fmt: skip
            if digest is not None:
                refresh += [(day.isoformat(), date_id) for date_id, day in digest.refresh]
        async with self._db.transaction() as conn:
            await conn.executemany(
                "UPDATE people_digests SET status = 'scheduled', claim_token = NULL,"
                " attempts = 0, next_at = ?, timezone = ?, last_local_date = ?, updated_at = ?"
                " WHERE user_id = ? AND claim_token = ?",
                rows,
            )
            if refresh:
                await conn.executemany("UPDATE person_dates SET next_on = ? WHERE id = ?", refresh)

    async def _finish_sent(
        self, claim: _Claim, digest: Digest, result: SendResult, now: datetime
    ) -> None:
        """Mark the digest delivered and its items announced, for the token holder only, in
        one transaction (one hop to the database thread)."""
        stamp = to_db_time(now)
        next_at = to_db_time(self._next(claim, digest.today, now))
        today = digest.today.isoformat()
        today_ids = json.dumps([item.date_id for item in digest.today_items])
        ahead = [(item.occurs_on.isoformat(), item.date_id) for item in digest.ahead_items]
        moved = [(day.isoformat(), date_id) for date_id, day in digest.refresh_after_send]
        nudged = json.dumps([item.person_id for item in digest.overdue])

        def finish(connection: sqlite3.Connection) -> bool:
            held = connection.execute(
                "UPDATE people_digests SET status = 'scheduled', claim_token = NULL,"
                " attempts = 0, next_at = ?, timezone = ?, last_local_date = ?, last_sent_at = ?,"
                " last_message_id = ?, last_error = NULL, updated_at = ?"
                " WHERE user_id = ? AND claim_token = ?",
                (next_at, claim.user.settings.timezone, today, stamp, result.message_id, stamp,
                 claim.user_id, claim.token),
            ).rowcount  # fmt: skip
            if held != 1:
                return False
            connection.execute(
                "UPDATE person_dates SET notified_day = ?"
                " WHERE id IN (SELECT value FROM json_each(?))",
                (today, today_ids),
            )
            connection.executemany("UPDATE person_dates SET notified_ahead = ? WHERE id = ?", ahead)
            connection.executemany("UPDATE person_dates SET next_on = ? WHERE id = ?", moved)
            connection.execute(
                "UPDATE people SET nudged_at = ? WHERE user_id = ?"
                " AND id IN (SELECT value FROM json_each(?))",
                (stamp, claim.user_id, nudged),
            )
            return True

        if self.shared:
            held = await self._finish_shared(
                claim, (next_at, today, stamp, result.message_id), today_ids, ahead, moved, nudged
            )
        else:
            held = await self._db.run_write(finish)
        if not held:
            logger.warning("digest claim of user %s was lost before finishing", claim.user_id)

    async def _finish_shared(
        self,
        claim: _Claim,
        sent: tuple[str, str, str, int | None],
        today_ids: str,
        ahead: list[tuple[str, int]],
        moved: list[tuple[str, int]],
        nudged: str,
    ) -> bool:
        """:meth:`_finish_sent`'s transaction through the portable API (PostgreSQL)."""
        next_at, today, stamp, message_id = sent
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE people_digests SET status = 'scheduled', claim_token = NULL,"
                " attempts = 0, next_at = ?, timezone = ?, last_local_date = ?, last_sent_at = ?,"
                " last_message_id = ?, last_error = NULL, updated_at = ?"
                " WHERE user_id = ? AND claim_token = ?",
                (next_at, claim.user.settings.timezone, today, stamp, message_id, stamp,
                 claim.user_id, claim.token),
            )  # fmt: skip
            if cursor.rowcount != 1:
                return False
            await conn.execute(
                "UPDATE person_dates SET notified_day = ?"
                " WHERE id IN (SELECT value FROM json_each(?))",
                (today, today_ids),
            )
            if ahead:
                await conn.executemany(
                    "UPDATE person_dates SET notified_ahead = ? WHERE id = ?", ahead
                )
            if moved:
                await conn.executemany("UPDATE person_dates SET next_on = ? WHERE id = ?", moved)
            await conn.execute(
                "UPDATE people SET nudged_at = ? WHERE user_id = ?"
                " AND id IN (SELECT value FROM json_each(?))",
                (stamp, claim.user_id, nudged),
            )
        return True

    async def _skip_day(self, claim: _Claim, today: date, now: datetime, error: str) -> None:
        await self._db.execute(
            "UPDATE people_digests SET status = 'scheduled', claim_token = NULL, attempts = 0,"
            " next_at = ?, last_local_date = ?, last_error = ?, updated_at = ?"
            " WHERE user_id = ? AND claim_token = ?",
            (to_db_time(self._next(claim, today, now)), today.isoformat(), error[:500],
             to_db_time(now), claim.user_id, claim.token),
        )  # fmt: skip

    async def _retry(self, claim: _Claim, result: SendResult, now: datetime) -> None:
        delay = retry_delay(self.backoff(claim.attempts), result)
        await self._db.execute(
            "UPDATE people_digests SET status = 'scheduled', claim_token = NULL, next_at = ?,"
            " last_error = ?, updated_at = ? WHERE user_id = ? AND claim_token = ?",
            (to_db_time(now + delay), result.error[:500], to_db_time(now), claim.user_id,
             claim.token),
        )  # fmt: skip

    async def _release(self, claim: _Claim, now: datetime, error: str) -> None:
        """An unexpected failure: try again after the backoff."""
        await self._retry(claim, SendResult(SendStatus.RETRY, error=error), now)
