"""The daily digest: what to tell each user about their people, and when.

Composing (:class:`DigestComposer`) reads, for a batch of users at once, only the rows that can
matter today: dates whose next occurrence falls within the user's look-ahead (one indexed range
read on ``person_dates (user_id, next_on)``), and people whose stay-in-touch date has come
(``people (user_id, contact_due_at)``). A digest has news when

* a date is **today** and was not announced today yet;
* a date enters the **look-ahead** window (default 3 days, a per-user setting) and this
  occurrence was not announced ahead yet (so a missed day or a changed setting never loses it);
* a date **just passed** (within a week) without being announced on the day (after downtime);
* someone became **overdue** (their cadence came round since the last nudge), or was last
  nudged a week ago and is still overdue and not snoozed.

When there is news, the digest also lists everything else in the window and everyone overdue
(the most overdue first), so one message says it all. Nothing to say: nothing is sent.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.people.calendar import LUNAR, age_on, lunar_year_of, next_occurrence
from bot.people.model import DigestSettings
from bot.storage import Database, from_db_time, to_db_time

__all__ = [
    "MISSED_WINDOW",
    "RENUDGE_AFTER",
    "DateItem",
    "Digest",
    "DigestComposer",
    "DigestUser",
    "OverdueItem",
    "digest_settings",
    "next_digest_at",
]

#: A date that passed unannounced (downtime) is still mentioned within this many days.
MISSED_WINDOW = 7
#: Someone still overdue is mentioned again after this long (unless snoozed).
RENUDGE_AFTER = timedelta(days=7)
_MAX_LEAD = 30
_GIFT_WORDS = (
    "love", "like", "enjoy", "want", "wish", "into ", "fan of", "favorite", "favourite",
    "collect", "hobby", "dream", "喜欢", "爱", "想要", "想买", "收集", "爱好", "最爱", "迷",
)  # fmt: skip


def digest_settings(settings: dict[str, Any], timezone: str) -> DigestSettings:
    """A user's digest preferences from their stored settings, defaults filled in."""
    at = time(9, 0)
    raw = str(settings.get("people_digest_time") or "")
    if len(raw) == 5 and raw[2] == ":" and raw.replace(":", "").isdigit():
        hour, minute = int(raw[:2]), int(raw[3:])
        if hour < 24 and minute < 60:
            at = time(hour, minute)
    lead = settings.get("people_lead_days", 3)
    lead = lead if isinstance(lead, int) and 0 <= lead <= _MAX_LEAD else 3
    return DigestSettings(
        timezone=timezone,
        at=at,
        lead_days=lead,
        enabled=bool(settings.get("people_digest", True)),
    )


def next_digest_at(
    now: datetime, timezone: str, at: time, *, handled: date | None = None
) -> datetime:
    """The next moment the local clock shows ``at`` after ``now``, on a day after ``handled``
    (the local day whose digest was already dealt with). Local wall time, so 09:00 stays
    09:00 across daylight-saving changes; a time skipped by a change falls an hour later."""
    zone = ZoneInfo(timezone)
    day = now.astimezone(zone).date()
    if handled is not None and handled >= day:
        day = handled + timedelta(days=1)
    while True:
        moment = datetime.combine(day, at, tzinfo=zone).astimezone(UTC)
        if moment > now:
            return moment
        day += timedelta(days=1)


@dataclass(frozen=True, slots=True)
class DigestUser:
    """Whose digest is composed, in which language and calendar."""

    user_id: int
    language: str
    settings: DigestSettings

    def today(self, now: datetime) -> date:
        return now.astimezone(ZoneInfo(self.settings.timezone)).date()


@dataclass(slots=True)
class DateItem:
    """A date to mention: today, coming up, or just missed."""

    date_id: int
    person_id: int
    name: str
    relation: str | None
    kind: str
    label: str | None
    occurs_on: date
    days: int  # from today; negative when missed
    age: int | None
    lunar: bool
    last_contact_at: datetime | None
    news: bool
    gifts: tuple[str, ...] = ()


@dataclass(slots=True)
class OverdueItem:
    """Someone whose stay-in-touch cadence has come round."""

    person_id: int
    name: str
    relation: str | None
    cadence_days: int
    last_contact_at: datetime | None
    due_at: datetime
    overdue_days: int
    news: bool


@dataclass(slots=True)
class Digest:
    """One user's digest for one local day."""

    user: DigestUser
    today: date
    now: datetime
    dates: list[DateItem] = field(default_factory=list)
    overdue: list[OverdueItem] = field(default_factory=list)
    #: Dates whose occurrence passed and that move on to the next one whatever happens.
    refresh: list[tuple[int, date]] = field(default_factory=list)
    #: Missed dates: moved on only once the digest that mentions them was sent.
    refresh_after_send: list[tuple[int, date]] = field(default_factory=list)

    @property
    def has_news(self) -> bool:
        return any(item.news for item in self.dates) or any(item.news for item in self.overdue)

    @property
    def today_items(self) -> list[DateItem]:
        return [item for item in self.dates if item.days == 0]

    @property
    def ahead_items(self) -> list[DateItem]:
        return [item for item in self.dates if item.days > 0]

    @property
    def missed_items(self) -> list[DateItem]:
        return [item for item in self.dates if item.days < 0]


def _ids(values: Iterable[int]) -> str:
    return json.dumps(sorted(set(values)))


class DigestComposer:
    """Builds digests for many users with a handful of queries (see the module docstring)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def compose(self, users: Sequence[DigestUser], now: datetime) -> dict[int, Digest]:
        """Every user's digest at ``now``, keyed by user id (with or without news)."""
        digests = {user.user_id: Digest(user, user.today(now), now) for user in users}
        if not digests:
            return {}
        await self._dates(digests, now)
        await self._overdue(digests, now)
        await self._gifts(digests)
        return digests

    async def _dates(self, digests: dict[int, Digest], now: datetime) -> None:
        horizon = max(d.today + timedelta(days=d.user.settings.lead_days) for d in digests.values())
        rows = await self._db.fetchall(
            "SELECT d.id, d.person_id, d.user_id, d.kind, d.label, d.month, d.day, d.year,"
            " d.calendar, d.is_leap_month, d.next_on, d.notified_ahead, d.notified_day,"
            " p.name, p.relation, p.last_contact_at FROM person_dates d"
            " JOIN people p ON p.id = d.person_id"
            " WHERE d.user_id IN (SELECT value FROM json_each(?)) AND d.next_on <= ?",
            (_ids(digests), horizon.isoformat()),
        )
        for row in rows:
            self._date_row(digests[row["user_id"]], row)

    def _date_row(self, digest: Digest, row: Any) -> None:
        today, lead = digest.today, digest.user.settings.lead_days
        occurs = date.fromisoformat(row["next_on"])
        lunar = row["calendar"] == LUNAR
        if occurs < today:
            upcoming = next_occurrence(
                row["calendar"], row["month"], row["day"], bool(row["is_leap_month"]), today
            )
            missed = (today - occurs).days <= MISSED_WINDOW and row["notified_day"] != row[
                "next_on"
            ]
            if upcoming is not None:
                target = digest.refresh_after_send if missed else digest.refresh
                target.append((row["id"], upcoming[0]))
            if missed:
                digest.dates.append(self._item(row, occurs, today, news=True))
            if upcoming is None or upcoming[0] > today + timedelta(days=lead):
                return
            occurs = upcoming[0]
        days = (occurs - today).days
        if days > lead:
            return
        marker = row["notified_day"] if days == 0 else row["notified_ahead"]
        news = marker != occurs.isoformat()
        digest.dates.append(self._item(row, occurs, today, news=news, lunar=lunar))

    @staticmethod
    def _item(
        row: Any, occurs: date, today: date, *, news: bool, lunar: bool | None = None
    ) -> DateItem:
        lunar = row["calendar"] == LUNAR if lunar is None else lunar
        year = lunar_year_of(occurs) if lunar else occurs.year
        return DateItem(
            date_id=row["id"],
            person_id=row["person_id"],
            name=row["name"],
            relation=row["relation"],
            kind=row["kind"],
            label=row["label"],
            occurs_on=occurs,
            days=(occurs - today).days,
            age=age_on(row["year"], year) if row["kind"] == "birthday" else None,
            lunar=lunar,
            last_contact_at=from_db_time(row["last_contact_at"])
            if row["last_contact_at"]
            else None,
            news=news,
        )

    async def _overdue(self, digests: dict[int, Digest], now: datetime) -> None:
        ends = {
            uid: to_db_time(_end_of_day(d.today, d.user.settings.timezone))
            for uid, d in digests.items()
        }
        rows = await self._db.fetchall(
            "SELECT id, user_id, name, relation, cadence_days, last_contact_at, contact_due_at,"
            " snoozed_until, nudged_at FROM people"
            " WHERE user_id IN (SELECT value FROM json_each(?))"
            " AND contact_due_at IS NOT NULL AND contact_due_at < ?",
            (_ids(digests), max(ends.values())),
        )
        stamp_now = to_db_time(now)
        renudge = to_db_time(now - RENUDGE_AFTER)
        for row in rows:
            digest = digests[row["user_id"]]
            due_text = row["contact_due_at"]
            if due_text >= ends[row["user_id"]]:
                continue
            if row["snoozed_until"] and row["snoozed_until"] > stamp_now:
                continue
            due = from_db_time(due_text)
            # A nudge before the latest contact (the cycle's anchor) was for an earlier cycle.
            anchor = to_db_time(due - timedelta(days=row["cadence_days"]))
            nudged = row["nudged_at"]
            news = nudged is None or nudged < anchor or nudged <= renudge
            zone = ZoneInfo(digest.user.settings.timezone)
            digest.overdue.append(
                OverdueItem(
                    person_id=row["id"],
                    name=row["name"],
                    relation=row["relation"],
                    cadence_days=row["cadence_days"],
                    last_contact_at=from_db_time(row["last_contact_at"])
                    if row["last_contact_at"]
                    else None,
                    due_at=due,
                    overdue_days=(digest.today - due.astimezone(zone).date()).days,
                    news=news,
                )
            )
        for digest in digests.values():
            digest.overdue.sort(key=lambda item: (-item.overdue_days, item.name.casefold()))
            digest.dates.sort(key=lambda item: (item.days, item.name.casefold()))

    async def _gifts(self, digests: dict[int, Digest]) -> None:
        """Gift ideas for birthdays and anniversaries, from the notes (only with news)."""
        wanted = {
            item.person_id
            for digest in digests.values()
            if digest.has_news
            for item in digest.dates
            if item.days >= 0 and item.kind in ("birthday", "anniversary")
        }
        if not wanted:
            return
        rows = await self._db.fetchall(
            "SELECT person_id, text FROM person_notes"
            " WHERE person_id IN (SELECT value FROM json_each(?)) ORDER BY at DESC, id DESC",
            (_ids(wanted),),
        )
        notes: dict[int, list[str]] = defaultdict(list)
        for row in rows:
            notes[row["person_id"]].append(row["text"])
        for digest in digests.values():
            for item in digest.dates:
                if item.person_id in notes and item.days >= 0:
                    item.gifts = gift_ideas(notes[item.person_id])


def gift_ideas(notes: Sequence[str], limit: int = 3) -> tuple[str, ...]:
    """Notes that hint at what someone would enjoy (likes, wishes, hobbies), newest first."""
    hits = [note for note in notes if any(word in note.casefold() for word in _GIFT_WORDS)]
    return tuple(hits[:limit])


def _end_of_day(day: date, timezone: str) -> datetime:
    """The first instant of the next local day, in UTC."""
    zone = ZoneInfo(timezone)
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
