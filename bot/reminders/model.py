"""What a reminder is: the stored row as a dataclass, its states and its drafts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.chats import ChatKind
from bot.storage import from_db_time

__all__ = ["ACTIVE", "Reminder", "Status"]


class Status:
    """The states of a reminder row.

    ``scheduled`` waits for ``fire_at``; ``claimed`` is being sent by the scheduler;
    ``delivered`` is a one-off that arrived and waits for Done; ``done`` was acknowledged;
    ``paused`` is kept but not sent; ``failed`` could not be delivered (bot blocked, chat gone,
    or too many failed attempts).
    """

    SCHEDULED = "scheduled"
    CLAIMED = "claimed"
    DELIVERED = "delivered"
    DONE = "done"
    PAUSED = "paused"
    FAILED = "failed"


#: The states listed under "upcoming" in /reminders.
ACTIVE = (Status.SCHEDULED, Status.CLAIMED, Status.PAUSED)


@dataclass(slots=True)
class Reminder:
    """One reminder, as stored."""

    id: int
    user_id: int
    chat_id: int
    text: str
    language: str
    timezone: str
    due_at: datetime
    fire_at: datetime
    status: str
    thread_id: int | None = None
    rrule: str | None = None
    dtstart: datetime | None = None  # naive local wall time in ``timezone``
    attempts: int = 0
    claim_token: str | None = None
    parent_id: int | None = None
    origin: str = "command"
    source_message_id: int | None = None
    delivered_message_id: int | None = None
    delivered_at: datetime | None = None
    last_error: str | None = None
    created_at: datetime | None = None
    creator_name: str | None = None
    floating: bool = False  # wall time read in the fallback zone, before the user set theirs

    @property
    def is_recurring(self) -> bool:
        return self.rrule is not None

    @property
    def kind(self) -> ChatKind:
        """Set in the creator's private chat, or in a group (delivered there)."""
        return ChatKind.of_scope(user_id=self.user_id, chat_id=self.chat_id)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def local_due(self) -> datetime:
        """The occurrence waited for, in the reminder's own zone."""
        return self.due_at.astimezone(self.zone)

    @classmethod
    def from_row(cls, row: Any) -> Reminder:
        keys = row.keys()
        return cls(
            id=row["id"],
            user_id=row["user_id"],
            chat_id=row["chat_id"],
            text=row["text"],
            language=row["language"],
            timezone=row["timezone"],
            due_at=from_db_time(row["due_at"]),
            fire_at=from_db_time(row["fire_at"]),
            status=row["status"],
            thread_id=row["thread_id"],
            rrule=row["rrule"],
            dtstart=datetime.fromisoformat(row["dtstart"]) if row["dtstart"] else None,
            attempts=row["attempts"],
            claim_token=row["claim_token"],
            parent_id=row["parent_id"],
            origin=row["origin"],
            source_message_id=row["source_message_id"],
            delivered_message_id=row["delivered_message_id"],
            delivered_at=from_db_time(row["delivered_at"]) if row["delivered_at"] else None,
            last_error=row["last_error"],
            created_at=from_db_time(row["created_at"]),
            creator_name=row["creator_name"] if "creator_name" in keys else None,
            floating=bool(row["floating"]) if "floating" in keys else False,
        )
