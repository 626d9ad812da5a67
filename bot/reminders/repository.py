"""SQL for reminders and drafts. Every state change is one conditional statement, so two
actors (the scheduler and a user's button) can never both win the same row."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.outbound import Feature
from bot.reminders.model import ACTIVE, Reminder, Status
from bot.storage import Database, DraftRepository, delete_ids, from_db_time, to_db_time

__all__ = ["BLOCKED_MARK", "NewReminder", "ReminderRepository"]

#: Prefix of ``last_error`` for reminders stopped because the chat blocked the bot.
BLOCKED_MARK = "blocked: "

_SELECT = (
    "SELECT r.*, u.first_name AS creator_name FROM reminders r"
    " LEFT JOIN users u ON u.id = r.user_id"
)


@dataclass(slots=True)
class NewReminder:
    """The fields of a reminder about to be stored."""

    user_id: int
    chat_id: int
    text: str
    language: str
    timezone: str
    due_at: datetime
    thread_id: int | None = None
    rrule: str | None = None
    dtstart: datetime | None = None  # naive local wall time
    origin: str = "command"
    source_message_id: int | None = None
    parent_id: int | None = None
    floating: bool = False  # wall time read in the fallback zone (no zone set yet)


class ReminderRepository:
    """Reminders and drafts in SQLite or PostgreSQL (the same SQL)."""

    def __init__(self, db: Database) -> None:
        self._db = db
        #: The pending offers and questions behind buttons (the drafts every feature shares).
        self.drafts = DraftRepository(db, feature=Feature.REMINDERS.value)

    # -- creating and reading ------------------------------------------------------------------

    async def add(self, new: NewReminder, *, now: datetime) -> Reminder:
        stamp, due = to_db_time(now), to_db_time(new.due_at)
        reminder_id = await self._db.execute(
            "INSERT INTO reminders (user_id, chat_id, thread_id, text, language, timezone,"
            " rrule, dtstart, due_at, fire_at, status, origin, source_message_id, parent_id,"
            " created_at, updated_at, floating)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                new.user_id,
                new.chat_id,
                new.thread_id,
                new.text,
                new.language,
                new.timezone,
                new.rrule,
                _wall(new.dtstart),
                due,
                due,
                Status.SCHEDULED,
                new.origin,
                new.source_message_id,
                new.parent_id,
                stamp,
                stamp,
                int(new.floating),
            ),
        )
        reminder = await self.get(reminder_id)
        assert reminder is not None
        return reminder

    async def add_many(self, rows: Iterable[NewReminder], *, now: datetime) -> None:
        """Bulk insert (benchmarks, imports)."""
        stamp = to_db_time(now)
        await self._db.executemany(
            "INSERT INTO reminders (user_id, chat_id, thread_id, text, language, timezone,"
            " rrule, dtstart, due_at, fire_at, status, origin, source_message_id, created_at,"
            " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    new.user_id,
                    new.chat_id,
                    new.thread_id,
                    new.text,
                    new.language,
                    new.timezone,
                    new.rrule,
                    _wall(new.dtstart),
                    to_db_time(new.due_at),
                    to_db_time(new.due_at),
                    Status.SCHEDULED,
                    new.origin,
                    new.source_message_id,
                    stamp,
                    stamp,
                )
                for new in rows
            ],
        )

    async def get(self, reminder_id: int) -> Reminder | None:
        row = await self._db.fetchone(f"{_SELECT} WHERE r.id = ?", (reminder_id,))
        return Reminder.from_row(row) if row else None

    async def upcoming(self, *, chat_id: int, user_id: int | None = None) -> list[Reminder]:
        """Scheduled and paused reminders of a chat (of one user there, if given), soonest first."""
        marks = ", ".join("?" for _ in ACTIVE)
        sql = f"{_SELECT} WHERE r.chat_id = ? AND r.status IN ({marks})"
        params: list[Any] = [chat_id, *ACTIVE]
        if user_id is not None:
            sql += " AND r.user_id = ?"
            params.append(user_id)
        rows = await self._db.fetchall(sql + " ORDER BY r.due_at, r.id", params)
        return [Reminder.from_row(row) for row in rows]

    async def for_user(self, user_id: int) -> list[Reminder]:
        rows = await self._db.fetchall(f"{_SELECT} WHERE r.user_id = ? ORDER BY r.id", (user_id,))
        return [Reminder.from_row(row) for row in rows]

    async def for_chat(self, chat_id: int) -> list[Reminder]:
        rows = await self._db.fetchall(f"{_SELECT} WHERE r.chat_id = ? ORDER BY r.id", (chat_id,))
        return [Reminder.from_row(row) for row in rows]

    async def recurring_of(self, user_id: int) -> list[Reminder]:
        rows = await self._db.fetchall(
            f"{_SELECT} WHERE r.user_id = ? AND r.rrule IS NOT NULL AND r.status IN (?, ?)",
            (user_id, Status.SCHEDULED, Status.PAUSED),
        )
        return [Reminder.from_row(row) for row in rows]

    async def count_by_status(self) -> dict[str, int]:
        rows = await self._db.fetchall("SELECT status, COUNT(*) AS n FROM reminders GROUP BY 1")
        return {row["status"]: row["n"] for row in rows}

    # -- the scheduler -------------------------------------------------------------------------

    async def next_fire_time(self, *, exclude: Iterable[int] = ()) -> datetime | None:
        """The earliest ``fire_at`` of a scheduled reminder, leaving out ``exclude``."""
        sql = "SELECT MIN(fire_at) AS at FROM reminders WHERE status = ?"
        params: list[Any] = [Status.SCHEDULED]
        skip = list(exclude)
        if skip:
            sql += f" AND id NOT IN ({', '.join('?' for _ in skip)})"
            params.extend(skip)
        row = await self._db.fetchone(sql, params)
        return from_db_time(row["at"]) if row and row["at"] else None

    async def due_ids(
        self,
        now: datetime,
        *,
        limit: int,
        due_before: datetime | None = None,
        exclude: Iterable[int] = (),
    ) -> list[int]:
        """Ids of scheduled reminders whose time has come, oldest first."""
        sql = "SELECT id FROM reminders WHERE status = ? AND fire_at <= ?"
        params: list[Any] = [Status.SCHEDULED, to_db_time(now)]
        if due_before is not None:
            sql += " AND due_at < ?"
            params.append(to_db_time(due_before))
        skip = list(exclude)
        if skip:
            sql += f" AND id NOT IN ({', '.join('?' for _ in skip)})"
            params.extend(skip)
        rows = await self._db.fetchall(sql + " ORDER BY fire_at, id LIMIT ?", [*params, limit])
        return [row["id"] for row in rows]

    async def claim(self, reminder_id: int, now: datetime) -> Reminder | None:
        """Take one due reminder for sending; None when someone else has it or it changed.

        The single conditional UPDATE is the lock: of any number of concurrent claimers
        exactly one sees a changed row. The row carries a fresh token from then on. On
        PostgreSQL (several replicas) the row is taken ``FOR UPDATE SKIP LOCKED``: a replica
        never waits for a row another one is claiming, it moves on.
        """
        token = uuid.uuid4().hex
        which = "id = ? AND status = ? AND fire_at <= ?"
        if self.shared:
            which = f"id = (SELECT id FROM reminders WHERE {which} FOR UPDATE SKIP LOCKED)"
        changed = await self._db.execute_rowcount(
            "UPDATE reminders SET status = ?, claim_token = ?, claimed_at = ?,"
            f" attempts = attempts + 1, updated_at = ? WHERE {which}",
            (
                Status.CLAIMED,
                token,
                to_db_time(now),
                to_db_time(now),
                reminder_id,
                Status.SCHEDULED,
                to_db_time(now),
            ),
        )
        if not changed:
            return None
        reminder = await self.get(reminder_id)
        if reminder is None or reminder.claim_token != token:
            return None
        return reminder

    async def still_claimed(self, reminder: Reminder) -> bool:
        """Whether the claim still holds (the user did not delete, pause or edit meanwhile)."""
        row = await self._db.fetchone(
            "SELECT 1 FROM reminders WHERE id = ? AND status = ? AND claim_token = ?",
            (reminder.id, Status.CLAIMED, reminder.claim_token),
        )
        return row is not None

    async def delivered(
        self,
        reminder: Reminder,
        *,
        now: datetime,
        message_id: int | None,
        next_due: datetime | None,
    ) -> bool:
        """Record an accepted send: a one-off waits for Done, a recurring one is rescheduled."""
        if next_due is not None:
            status, due, fire = Status.SCHEDULED, to_db_time(next_due), to_db_time(next_due)
        else:
            status, due, fire = Status.DELIVERED, to_db_time(reminder.due_at), to_db_time(now)
        return bool(
            await self._db.execute_rowcount(
                "UPDATE reminders SET status = ?, due_at = ?, fire_at = ?, attempts = 0,"
                " claim_token = NULL, claimed_at = NULL, delivered_message_id = ?,"
                " delivered_at = ?, last_error = NULL, updated_at = ?"
                " WHERE id = ? AND claim_token = ?",
                (
                    status,
                    due,
                    fire,
                    message_id,
                    to_db_time(now),
                    to_db_time(now),
                    reminder.id,
                    reminder.claim_token,
                ),
            )
        )

    async def retry_later(
        self, reminder: Reminder, *, now: datetime, fire_at: datetime, error: str
    ) -> bool:
        """Give the claim back with a later ``fire_at`` (the attempt stays counted)."""
        return bool(
            await self._db.execute_rowcount(
                "UPDATE reminders SET status = ?, fire_at = ?, claim_token = NULL,"
                " claimed_at = NULL, last_error = ?, updated_at = ?"
                " WHERE id = ? AND claim_token = ?",
                (
                    Status.SCHEDULED,
                    to_db_time(fire_at),
                    error[:500],
                    to_db_time(now),
                    reminder.id,
                    reminder.claim_token,
                ),
            )
        )

    async def release(self, reminder: Reminder, *, now: datetime) -> bool:
        """Give an unsent claim back untouched (shutdown), not counting the attempt."""
        return bool(
            await self._db.execute_rowcount(
                "UPDATE reminders SET status = ?, claim_token = NULL, claimed_at = NULL,"
                " attempts = MAX(attempts - 1, 0), updated_at = ?"
                " WHERE id = ? AND claim_token = ?",
                (Status.SCHEDULED, to_db_time(now), reminder.id, reminder.claim_token),
            )
        )

    async def failed(self, reminder: Reminder, *, now: datetime, error: str) -> bool:
        return bool(
            await self._db.execute_rowcount(
                "UPDATE reminders SET status = ?, claim_token = NULL, claimed_at = NULL,"
                " last_error = ?, updated_at = ? WHERE id = ? AND claim_token = ?",
                (Status.FAILED, error[:500], to_db_time(now), reminder.id, reminder.claim_token),
            )
        )

    @property
    def shared(self) -> bool:
        """Whether other processes (replicas) may hold claims in this database too."""
        return self._db.dialect != "sqlite"

    async def recover_claims(self, now: datetime, *, older_than: datetime | None = None) -> int:
        """Hand claims back to the schedule: every claim (one process: at its start they are
        all stale), or those taken before ``older_than`` (replicas: an expired lease means
        the replica that took it died)."""
        sql = (
            "UPDATE reminders SET status = ?, claim_token = NULL, claimed_at = NULL,"
            " updated_at = ? WHERE status = ?"
        )
        params: list[Any] = [Status.SCHEDULED, to_db_time(now), Status.CLAIMED]
        if older_than is not None:
            sql += " AND (claimed_at IS NULL OR claimed_at <= ?)"
            params.append(to_db_time(older_than))
        return await self._db.execute_rowcount(sql, params)

    async def oldest_claim(self) -> datetime | None:
        """When the oldest claim still held was taken."""
        row = await self._db.fetchone(
            "SELECT MIN(claimed_at) AS at FROM reminders WHERE status = ?", (Status.CLAIMED,)
        )
        return from_db_time(row["at"]) if row and row["at"] else None

    async def renew_claims(self, tokens: Sequence[str], now: datetime) -> int:
        """Restart the lease of claims a live process still holds."""
        renewed = 0
        for start in range(0, len(tokens), 500):
            chunk = tokens[start : start + 500]
            renewed += await self._db.execute_rowcount(
                "UPDATE reminders SET claimed_at = ? WHERE status = ?"
                f" AND claim_token IN ({', '.join('?' for _ in chunk)})",
                (to_db_time(now), Status.CLAIMED, *chunk),
            )
        return renewed

    async def fail_chat(
        self, chat_id: int, *, now: datetime, error: str, due_by: datetime | None = None
    ) -> int:
        """Stop the pending reminders of a chat that blocked the bot or disappeared: all of
        them, or only those due by ``due_by`` (later ones fail, or not, in their own time)."""
        sql = (
            "UPDATE reminders SET status = ?, claim_token = NULL, claimed_at = NULL,"
            " last_error = ?, updated_at = ? WHERE chat_id = ? AND status = ?"
        )
        params: list[Any] = [Status.FAILED, error[:500], to_db_time(now), chat_id, Status.SCHEDULED]
        if due_by is not None:
            sql += " AND fire_at <= ?"
            params.append(to_db_time(due_by))
        return await self._db.execute_rowcount(sql, params)

    async def blocked_chats(self) -> set[int]:
        """Chats with recurring reminders stopped because the bot was blocked there."""
        rows = await self._db.fetchall(
            "SELECT DISTINCT chat_id FROM reminders WHERE status = ? AND rrule IS NOT NULL"
            " AND last_error LIKE ?",
            (Status.FAILED, BLOCKED_MARK + "%"),
        )
        return {row["chat_id"] for row in rows}

    async def blocked_recurring(self, chat_id: int) -> list[Reminder]:
        rows = await self._db.fetchall(
            f"{_SELECT} WHERE r.chat_id = ? AND r.status = ? AND r.rrule IS NOT NULL"
            " AND r.last_error LIKE ? ORDER BY r.id",
            (chat_id, Status.FAILED, BLOCKED_MARK + "%"),
        )
        return [Reminder.from_row(row) for row in rows]

    async def reactivate(self, reminder_id: int, *, due_at: datetime, now: datetime) -> bool:
        """Put a failed reminder back on the schedule (the chat is reachable again)."""
        return bool(
            await self._db.execute_rowcount(
                "UPDATE reminders SET status = ?, due_at = ?, fire_at = ?, attempts = 0,"
                " claim_token = NULL, claimed_at = NULL, last_error = NULL, updated_at = ?"
                " WHERE id = ? AND status = ?",
                (
                    Status.SCHEDULED,
                    to_db_time(due_at),
                    to_db_time(due_at),
                    to_db_time(now),
                    reminder_id,
                    Status.FAILED,
                ),
            )
        )

    # -- changes by the user -------------------------------------------------------------------

    async def reschedule(
        self,
        reminder_id: int,
        *,
        due_at: datetime,
        now: datetime,
        text: str | None = None,
        rrule: str | None = None,
        dtstart: datetime | None = None,
        timezone: str | None = None,
        keep_rule: bool = True,
        floating: bool | None = None,
    ) -> bool:
        """Set a new time (and optionally text and rule); the reminder is scheduled again."""
        sets = [
            "status = ?",
            "due_at = ?",
            "fire_at = ?",
            "attempts = 0",
            "claim_token = NULL",
            "claimed_at = NULL",
            "last_error = NULL",
            "updated_at = ?",
        ]
        params: list[Any] = [Status.SCHEDULED, to_db_time(due_at), to_db_time(due_at)]
        params.append(to_db_time(now))
        if text is not None:
            sets.append("text = ?")
            params.append(text)
        if timezone is not None:
            sets.append("timezone = ?")
            params.append(timezone)
        if floating is not None:
            sets.append("floating = ?")
            params.append(int(floating))
        if not keep_rule:
            sets += ["rrule = ?", "dtstart = ?"]
            params += [rrule, _wall(dtstart)]
        return bool(
            await self._db.execute_rowcount(
                f"UPDATE reminders SET {', '.join(sets)} WHERE id = ?", [*params, reminder_id]
            )
        )

    async def rezone(
        self, reminder_id: int, timezone: str, *, due_at: datetime, now: datetime
    ) -> bool:
        """Re-anchor a scheduled or paused recurring reminder in another zone."""
        return bool(
            await self._db.execute_rowcount(
                "UPDATE reminders SET timezone = ?, due_at = ?, fire_at = ?, updated_at = ?"
                " WHERE id = ? AND status IN (?, ?)",
                (
                    timezone,
                    to_db_time(due_at),
                    to_db_time(due_at),
                    to_db_time(now),
                    reminder_id,
                    Status.SCHEDULED,
                    Status.PAUSED,
                ),
            )
        )

    async def rezone_one_offs(self, user_id: int, old: str, new: str, *, now: datetime) -> int:
        """Show a user's pending one-off reminders in a new zone (their instants stay)."""
        return await self._db.execute_rowcount(
            "UPDATE reminders SET timezone = ?, updated_at = ? WHERE user_id = ?"
            " AND timezone = ? AND rrule IS NULL AND status IN (?, ?, ?)",
            (new, to_db_time(now), user_id, old, Status.SCHEDULED, Status.PAUSED, Status.DELIVERED),
        )

    async def floating_of(self, user_id: int) -> list[Reminder]:
        """A user's pending one-offs whose wall time was read in the fallback zone."""
        rows = await self._db.fetchall(
            f"{_SELECT} WHERE r.user_id = ? AND r.floating = 1 AND r.rrule IS NULL"
            " AND r.status IN (?, ?)",
            (user_id, Status.SCHEDULED, Status.PAUSED),
        )
        return [Reminder.from_row(row) for row in rows]

    async def reanchor(
        self, reminder_id: int, timezone: str, *, due_at: datetime, now: datetime
    ) -> bool:
        """Move a pending one-off to the same wall time in another zone."""
        return bool(
            await self._db.execute_rowcount(
                "UPDATE reminders SET timezone = ?, due_at = ?, fire_at = ?, floating = 0,"
                " updated_at = ? WHERE id = ? AND status IN (?, ?)",
                (
                    timezone,
                    to_db_time(due_at),
                    to_db_time(due_at),
                    to_db_time(now),
                    reminder_id,
                    Status.SCHEDULED,
                    Status.PAUSED,
                ),
            )
        )

    async def clear_floating(self, user_id: int) -> int:
        return await self._db.execute_rowcount(
            "UPDATE reminders SET floating = 0 WHERE user_id = ? AND floating = 1", (user_id,)
        )

    async def finish_snoozes(self, parent_id: int, *, now: datetime) -> int:
        """Mark the pending snoozes of a recurring reminder's occurrence as done."""
        return await self._db.execute_rowcount(
            "UPDATE reminders SET status = ?, updated_at = ? WHERE parent_id = ? AND status = ?",
            (Status.DONE, to_db_time(now), parent_id, Status.SCHEDULED),
        )

    async def set_status(
        self, reminder_id: int, status: str, *, now: datetime, only_from: Sequence[str]
    ) -> bool:
        marks = ", ".join("?" for _ in only_from)
        return bool(
            await self._db.execute_rowcount(
                "UPDATE reminders SET status = ?, claim_token = NULL, claimed_at = NULL,"
                f" updated_at = ? WHERE id = ? AND status IN ({marks})",
                (status, to_db_time(now), reminder_id, *only_from),
            )
        )

    async def delete(self, reminder_id: int) -> bool:
        return bool(
            await self._db.execute_rowcount("DELETE FROM reminders WHERE id = ?", (reminder_id,))
        )

    async def delete_for_user(self, user_id: int) -> int:
        count = await self._db.execute_rowcount(
            "DELETE FROM reminders WHERE user_id = ?", (user_id,)
        )
        await self.drafts.delete_for_user(user_id)
        return count

    async def delete_for_chat(self, chat_id: int) -> int:
        count = await self._db.execute_rowcount(
            "DELETE FROM reminders WHERE chat_id = ?", (chat_id,)
        )
        await self.drafts.delete_in_chat(chat_id)
        return count

    async def delete_owned(
        self,
        *,
        owner_column: str,
        owner_id: int,
        reminder_ids: Sequence[int],
        draft_ids: Sequence[int],
    ) -> tuple[int, int]:
        """Delete these reminders and drafts if they belong to the owner (``user_id`` or
        ``chat_id`` column); return how many of each went."""
        if owner_column not in ("user_id", "chat_id"):
            raise ValueError(owner_column)
        count = await delete_ids(
            self._db, f"DELETE FROM reminders WHERE {owner_column} = ?", (owner_id,), reminder_ids
        )
        drafts = await self.drafts.delete_owned(
            column=owner_column, owner_id=owner_id, ids=draft_ids
        )
        return count, drafts

    async def migrate_chat(self, old_chat_id: int, new_chat_id: int) -> int:
        """Move a group's reminders to its new supergroup id (old message ids do not carry)."""
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE reminders SET chat_id = ?, source_message_id = NULL,"
                " delivered_message_id = NULL WHERE chat_id = ?",
                (new_chat_id, old_chat_id),
            )
            count = cursor.rowcount
        await self.drafts.migrate_chat(old_chat_id, new_chat_id)
        return count


def _wall(moment: datetime | None) -> str | None:
    """A naive local wall time as ISO text (seconds precision)."""
    if moment is None:
        return None
    return moment.replace(tzinfo=None, microsecond=0).isoformat()
