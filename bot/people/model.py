"""What the people feature stores and passes around, as plain dataclasses."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from bot.chats import Actor
from bot.people.calendar import LUNAR
from bot.storage import from_db_time

__all__ = [
    "Actor",
    "DigestSettings",
    "ImportantDate",
    "Interaction",
    "Note",
    "Person",
    "PersonCard",
]


def _time(value: str | None) -> datetime | None:
    return from_db_time(value) if value else None


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


@dataclass(slots=True)
class Person:
    """Someone in the user's life."""

    id: int
    user_id: int
    name: str
    relation: str | None = None
    relation_key: str | None = None
    aliases: tuple[str, ...] = ()
    cadence_days: int | None = None
    cadence_since: datetime | None = None
    last_contact_at: datetime | None = None
    contact_due_at: datetime | None = None
    snoozed_until: datetime | None = None
    nudged_at: datetime | None = None
    created_at: datetime | None = None

    @classmethod
    def from_row(cls, row: Any) -> Person:
        return cls(
            id=row["id"],
            user_id=row["user_id"],
            name=row["name"],
            relation=row["relation"],
            relation_key=row["relation_key"],
            aliases=tuple(json.loads(row["aliases"])),
            cadence_days=row["cadence_days"],
            cadence_since=_time(row["cadence_since"]),
            last_contact_at=_time(row["last_contact_at"]),
            contact_due_at=_time(row["contact_due_at"]),
            snoozed_until=_time(row["snoozed_until"]),
            nudged_at=_time(row["nudged_at"]),
            created_at=_time(row["created_at"]),
        )


@dataclass(slots=True)
class ImportantDate:
    """A birthday, an anniversary or another date that comes round every year."""

    id: int
    person_id: int
    kind: str  # birthday, anniversary, other
    month: int
    day: int
    year: int | None = None
    calendar: str = "gregorian"
    is_leap_month: bool = False
    label: str | None = None
    next_on: date | None = None
    notified_ahead: date | None = None
    notified_day: date | None = None

    @property
    def is_lunar(self) -> bool:
        return self.calendar == LUNAR

    @classmethod
    def from_row(cls, row: Any) -> ImportantDate:
        return cls(
            id=row["id"],
            person_id=row["person_id"],
            kind=row["kind"],
            month=row["month"],
            day=row["day"],
            year=row["year"],
            calendar=row["calendar"],
            is_leap_month=bool(row["is_leap_month"]),
            label=row["label"],
            next_on=_day(row["next_on"]),
            notified_ahead=_day(row["notified_ahead"]),
            notified_day=_day(row["notified_day"]),
        )


@dataclass(frozen=True, slots=True)
class Note:
    id: int
    person_id: int
    text: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Interaction:
    id: int
    person_id: int
    at: datetime
    note: str | None
    source: str


@dataclass(slots=True)
class PersonCard:
    """A person with everything known about them (for /person, drafts and export)."""

    person: Person
    dates: list[ImportantDate] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)  # newest first
    interactions: list[Interaction] = field(default_factory=list)  # newest first


@dataclass(frozen=True, slots=True)
class DigestSettings:
    """A user's digest preferences, defaults filled in."""

    timezone: str
    at: time = time(9, 0)
    lead_days: int = 3
    enabled: bool = True
