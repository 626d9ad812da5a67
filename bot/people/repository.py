"""SQL for people, their dates, notes and interactions, and the buttons' pending payloads.

Every read and write names the ``user_id`` it acts for, so a forged button or a bug can never
reach another user's people.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Sequence
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from bot.outbound import Feature
from bot.people.model import ImportantDate, Interaction, Note, Person, PersonCard
from bot.people.parsing import DateWords
from bot.people.relations import canonical_relation
from bot.storage import Database, DraftRepository, from_db_time, to_db_time

__all__ = ["PeopleRepository"]

T = TypeVar("T")


def _stamp(moment: datetime | None) -> str | None:
    return to_db_time(moment) if moment else None


class PeopleRepository:
    """People and everything about them, in SQLite."""

    def __init__(self, db: Database) -> None:
        self._db = db
        #: The undo records, questions and offers behind buttons (the drafts every feature
        #: shares).
        self.drafts = DraftRepository(db, feature=Feature.PEOPLE.value)

    # -- people ----------------------------------------------------------------------------

    async def add(
        self,
        *,
        user_id: int,
        name: str,
        now: datetime,
        relation: str | None = None,
        aliases: Sequence[str] = (),
    ) -> Person:
        stamp = to_db_time(now)
        person_id = await self._db.execute(
            "INSERT INTO people (user_id, name, relation, relation_key, aliases, created_at,"
            " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                user_id,
                name,
                relation,
                canonical_relation(relation),
                json.dumps(list(aliases), ensure_ascii=False),
                stamp,
                stamp,
            ),
        )
        person = await self.get(user_id, person_id)
        assert person is not None
        return person

    async def get(self, user_id: int, person_id: int) -> Person | None:
        row = await self._db.fetchone(
            "SELECT * FROM people WHERE id = ? AND user_id = ?", (person_id, user_id)
        )
        return Person.from_row(row) if row else None

    async def for_user(self, user_id: int) -> list[Person]:
        rows = await self._db.fetchall(
            "SELECT * FROM people WHERE user_id = ? ORDER BY name COLLATE NOCASE, id", (user_id,)
        )
        return [Person.from_row(row) for row in rows]

    async def count(self, user_id: int) -> int:
        row = await self._db.fetchone(
            "SELECT COUNT(*) AS n FROM people WHERE user_id = ?", (user_id,)
        )
        return row["n"] if row else 0

    async def update(self, person: Person, *, now: datetime) -> None:
        """Store a person's name, relation and aliases as they are now on the object."""
        await self._db.execute(
            "UPDATE people SET name = ?, relation = ?, relation_key = ?, aliases = ?,"
            " updated_at = ? WHERE id = ? AND user_id = ?",
            (
                person.name,
                person.relation,
                canonical_relation(person.relation),
                json.dumps(list(person.aliases), ensure_ascii=False),
                to_db_time(now),
                person.id,
                person.user_id,
            ),
        )

    async def delete(self, user_id: int, person_id: int) -> bool:
        return bool(
            await self._db.execute_rowcount(
                "DELETE FROM people WHERE id = ? AND user_id = ?", (person_id, user_id)
            )
        )

    async def set_cadence(
        self, person: Person, days: int | None, *, now: datetime, since: datetime | None = None
    ) -> None:
        """Set (or clear, with None) how often to stay in touch; counts from the last contact,
        or from ``since`` (default now) when none was logged."""
        since = since or now
        await self._db.execute(
            "UPDATE people SET cadence_days = ?, cadence_since = ?, nudged_at = NULL,"
            " updated_at = ? WHERE id = ? AND user_id = ?",
            (days, to_db_time(since) if days else None, to_db_time(now), person.id, person.user_id),
        )
        await self.refresh_contact(person.user_id, person.id)

    async def snooze(self, user_id: int, person_id: int, until: datetime | None) -> bool:
        return bool(
            await self._db.execute_rowcount(
                "UPDATE people SET snoozed_until = ? WHERE id = ? AND user_id = ?",
                (_stamp(until), person_id, user_id),
            )
        )

    async def refresh_contact(self, user_id: int, person_id: int) -> None:
        """Recompute the last contact and when the cadence next comes round."""
        row = await self._db.fetchone(
            "SELECT p.cadence_days, p.cadence_since,"
            " (SELECT MAX(at) FROM person_interactions i WHERE i.person_id = p.id) AS last"
            " FROM people p WHERE p.id = ? AND p.user_id = ?",
            (person_id, user_id),
        )
        if row is None:
            return
        last = from_db_time(row["last"]) if row["last"] else None
        due = None
        if row["cadence_days"]:
            anchor = last or (from_db_time(row["cadence_since"]) if row["cadence_since"] else None)
            due = anchor + timedelta(days=row["cadence_days"]) if anchor else None
        await self._db.execute(
            "UPDATE people SET last_contact_at = ?, contact_due_at = ? WHERE id = ?",
            (_stamp(last), _stamp(due), person_id),
        )

    # -- dates -----------------------------------------------------------------------------

    async def add_date(
        self,
        person: Person,
        words: DateWords,
        *,
        kind: str,
        next_on: date,
        now: datetime,
        label: str | None = None,
    ) -> int:
        return await self._db.execute(
            "INSERT INTO person_dates (person_id, user_id, kind, label, month, day, year,"
            " calendar, is_leap_month, next_on, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?,"
            " ?, ?)",
            (
                person.id,
                person.user_id,
                kind,
                label,
                words.month,
                words.day,
                words.year,
                words.calendar,
                int(words.is_leap_month),
                next_on.isoformat(),
                to_db_time(now),
            ),
        )

    async def replace_date(self, user_id: int, date_id: int, fields: dict[str, Any]) -> None:
        """Overwrite a date's month/day/year/calendar/leap/next_on (and reset its notices)."""
        await self._db.execute(
            "UPDATE person_dates SET month = ?, day = ?, year = ?, calendar = ?,"
            " is_leap_month = ?, next_on = ?, notified_ahead = NULL, notified_day = NULL"
            " WHERE id = ? AND user_id = ?",
            (
                fields["month"],
                fields["day"],
                fields["year"],
                fields["calendar"],
                int(fields["is_leap_month"]),
                fields["next_on"],
                date_id,
                user_id,
            ),
        )

    async def dates_of(self, person_id: int) -> list[ImportantDate]:
        rows = await self._db.fetchall(
            "SELECT * FROM person_dates WHERE person_id = ? ORDER BY id", (person_id,)
        )
        return [ImportantDate.from_row(row) for row in rows]

    async def dates_for_user(self, user_id: int) -> list[ImportantDate]:
        rows = await self._db.fetchall(
            "SELECT * FROM person_dates WHERE user_id = ? ORDER BY id", (user_id,)
        )
        return [ImportantDate.from_row(row) for row in rows]

    async def get_date(self, user_id: int, date_id: int) -> ImportantDate | None:
        row = await self._db.fetchone(
            "SELECT * FROM person_dates WHERE id = ? AND user_id = ?", (date_id, user_id)
        )
        return ImportantDate.from_row(row) if row else None

    async def delete_date(self, user_id: int, date_id: int) -> bool:
        return bool(
            await self._db.execute_rowcount(
                "DELETE FROM person_dates WHERE id = ? AND user_id = ?", (date_id, user_id)
            )
        )

    # -- notes and interactions ------------------------------------------------------------

    async def add_note(self, person: Person, text: str, *, at: datetime) -> int:
        return await self._db.execute(
            "INSERT INTO person_notes (person_id, user_id, text, at) VALUES (?, ?, ?, ?)",
            (person.id, person.user_id, text, to_db_time(at)),
        )

    async def notes_of(self, person_id: int, limit: int = 50) -> list[Note]:
        """The person's notes, newest first (``limit`` -1: all of them)."""
        rows = await self._db.fetchall(
            "SELECT * FROM person_notes WHERE person_id = ? ORDER BY at DESC, id DESC LIMIT ?",
            (person_id, limit),
        )
        return [
            Note(row["id"], row["person_id"], row["text"], from_db_time(row["at"])) for row in rows
        ]

    async def delete_note(self, user_id: int, note_id: int) -> bool:
        return bool(
            await self._db.execute_rowcount(
                "DELETE FROM person_notes WHERE id = ? AND user_id = ?", (note_id, user_id)
            )
        )

    async def add_interaction(
        self, person: Person, *, at: datetime, note: str | None, source: str
    ) -> int:
        interaction_id = await self._db.execute(
            "INSERT INTO person_interactions (person_id, user_id, at, note, source)"
            " VALUES (?, ?, ?, ?, ?)",
            (person.id, person.user_id, to_db_time(at), note, source),
        )
        await self._db.execute("UPDATE people SET snoozed_until = NULL WHERE id = ?", (person.id,))
        await self.refresh_contact(person.user_id, person.id)
        return interaction_id

    async def interactions_of(self, person_id: int, limit: int = 50) -> list[Interaction]:
        rows = await self._db.fetchall(
            "SELECT * FROM person_interactions WHERE person_id = ? ORDER BY at DESC, id DESC"
            " LIMIT ?",
            (person_id, limit),
        )
        return [
            Interaction(
                row["id"], row["person_id"], from_db_time(row["at"]), row["note"], row["source"]
            )
            for row in rows
        ]

    async def delete_interaction(self, user_id: int, interaction_id: int) -> bool:
        row = await self._db.fetchone(
            "SELECT person_id FROM person_interactions WHERE id = ? AND user_id = ?",
            (interaction_id, user_id),
        )
        if row is None:
            return False
        await self._db.execute("DELETE FROM person_interactions WHERE id = ?", (interaction_id,))
        await self.refresh_contact(user_id, row["person_id"])
        return True

    async def card(self, person: Person, *, limit: int = 50) -> PersonCard:
        """The person with their dates, and their latest notes and contacts (``limit`` of
        each; -1 for all of them, as the export wants)."""
        return PersonCard(
            person=person,
            dates=await self.dates_of(person.id),
            notes=await self.notes_of(person.id, limit),
            interactions=await self.interactions_of(person.id, limit),
        )

    async def notes_for_user(self, user_id: int) -> list[tuple[Note, str]]:
        """Every note of the user's people, with the person's name, oldest first."""
        rows = await self._db.fetchall(
            "SELECT n.*, p.name FROM person_notes n JOIN people p ON p.id = n.person_id"
            " WHERE n.user_id = ? ORDER BY n.at, n.id",
            (user_id,),
        )
        return [
            (Note(row["id"], row["person_id"], row["text"], from_db_time(row["at"])), row["name"])
            for row in rows
        ]

    async def contact_notes_for_user(self, user_id: int) -> list[tuple[Interaction, str]]:
        """Every logged contact of the user's people that has a note, with the person's name."""
        rows = await self._db.fetchall(
            "SELECT i.*, p.name FROM person_interactions i JOIN people p ON p.id = i.person_id"
            " WHERE i.user_id = ? AND i.note IS NOT NULL ORDER BY i.at, i.id",
            (user_id,),
        )
        return [
            (
                Interaction(
                    row["id"], row["person_id"], from_db_time(row["at"]), row["note"], row["source"]
                ),
                row["name"],
            )
            for row in rows
        ]

    # -- export, forget, migrate -----------------------------------------------------------

    async def digest_schedule(self, user_id: int) -> dict[str, Any] | None:
        """The user's digest schedule row (when the next is due, the last one sent)."""
        row = await self._db.fetchone(
            "SELECT next_at, timezone, status, attempts, last_local_date, last_sent_at,"
            " last_error, updated_at FROM people_digests WHERE user_id = ?",
            (user_id,),
        )
        return dict(row) if row else None

    async def delete_user(self, user_id: int) -> int:
        """Erase everything about a user's people (zeroed in the file, as memory does); return
        how many people went."""
        return await self._erasing(self._delete_user(user_id))

    async def delete_pending_in_chat(self, chat_id: int) -> int:
        """Drop the pending buttons left in a chat (a group forgetting everything)."""
        return await self._erasing(self.drafts.delete_in_chat(chat_id))

    async def forget_items(
        self,
        user_id: int,
        *,
        note_ids: Sequence[int] = (),
        contact_note_ids: Sequence[int] = (),
        pending_ids: Sequence[int] = (),
        person_ids: Sequence[int] = (),
    ) -> dict[str, int]:
        """Delete these notes, pending payloads and people (with their dates, notes and
        contacts), and clear the notes of these contacts (the contact itself stays logged), all
        only if they are the user's; return how many of each went."""
        return await self._erasing(
            self._forget_items(user_id, note_ids, contact_note_ids, pending_ids, person_ids)
        )

    async def _forget_items(
        self,
        user_id: int,
        note_ids: Sequence[int],
        contact_note_ids: Sequence[int],
        pending_ids: Sequence[int],
        person_ids: Sequence[int],
    ) -> dict[str, int]:
        statements = (
            ("person_notes", "DELETE FROM person_notes", note_ids),
            ("contact_notes", "UPDATE person_interactions SET note = NULL", contact_note_ids),
            ("people", "DELETE FROM people", person_ids),
        )
        counts: dict[str, int] = {}
        async with self._db.transaction() as conn:
            for kind, statement, ids in statements:
                wanted = sorted({int(item) for item in ids})
                counts[kind] = 0
                for start in range(0, len(wanted), 500):
                    chunk = wanted[start : start + 500]
                    marks = ", ".join("?" for _ in chunk)
                    cursor = await conn.execute(
                        f"{statement} WHERE user_id = ? AND id IN ({marks})", (user_id, *chunk)
                    )
                    counts[kind] += cursor.rowcount
                    await cursor.close()
        counts["people_pending"] = await self.drafts.delete_owned(
            column="user_id", owner_id=user_id, ids=pending_ids
        )
        return counts

    async def _erasing(self, work: Awaitable[T]) -> T:
        """Run ``work`` with ``secure_delete`` on: deleted content is zeroed in the file.
        (PostgreSQL has no such switch: its deleted rows go when VACUUM reuses their space.)"""
        if self._db.dialect != "sqlite":
            return await work
        previous = await self._db.fetchone("PRAGMA secure_delete")
        await self._db.execute("PRAGMA secure_delete = ON")
        try:
            return await work
        finally:
            await self._db.execute(f"PRAGMA secure_delete = {int(previous[0]) if previous else 0}")

    async def _delete_user(self, user_id: int) -> int:
        async with self._db.transaction() as conn:
            cursor = await conn.execute("DELETE FROM people WHERE user_id = ?", (user_id,))
            count = cursor.rowcount
            await cursor.close()
            for table in ("person_dates", "person_notes", "person_interactions"):
                await conn.execute(f"DELETE FROM {table} WHERE user_id = ?", (user_id,))
            await conn.execute("DELETE FROM people_digests WHERE user_id = ?", (user_id,))
        await self.drafts.delete_for_user(user_id)
        return count

    async def migrate_chat(self, old_chat_id: int, new_chat_id: int) -> int:
        return await self.drafts.migrate_chat(old_chat_id, new_chat_id)
