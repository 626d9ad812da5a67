"""People digests at scale: 1,000 users with 200 people each, one daily digest pass for all.

Builds a temporary SQLite database with the real schema: 1,000 users in eight time zones,
200 people each (about 70% with a birthday, a third of those lunar, some in leap months, some
without a year; 40% with a stay-in-touch cadence; up to five logged contacts each, plus notes),
then makes every user's digest due at once and runs the real :class:`DigestRunner` pass:
claim, compose (who needs a digest and what it says, with gift ideas), render, "send" through a
counting delivery, and finish (mark dates announced, people nudged, schedules moved on).

    .venv/bin/python benchmarks/people_scale.py                 # 1,000 x 200
    .venv/bin/python benchmarks/people_scale.py --users 100     # a quick run

Prints the pass time and exits non-zero when it takes 2 s or more, or when a second pass at
the same moment sends anything (exactly once).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.outbound import Outgoing, SendResult, SendStatus
from bot.people import PEOPLE_MIGRATIONS, DigestRunner
from bot.people.calendar import GREGORIAN, LUNAR, next_occurrence, valid_date
from bot.people.digest import DigestUser, digest_settings
from bot.people.views import digest_message
from bot.storage import CORE_MIGRATIONS, Database, to_db_time

ZONES = (
    "UTC",
    "Europe/Berlin",
    "Europe/London",
    "Asia/Shanghai",
    "Asia/Tokyo",
    "America/New_York",
    "America/Los_Angeles",
    "Australia/Sydney",
)
RELATIONS = ("sister", "brother", "friend", "colleague", "妈妈", "爸爸", "朋友", "同事", None)
NOTES = ("loves orchids", "likes jazz", "new job at Siemens", "喜欢兰花", "moved to Lyon")
LIMIT_SECONDS = 2.0


class CountingDelivery:
    """Accepts every message at once, like Telegram on a good day."""

    def __init__(self) -> None:
        self.sent: list[Outgoing] = []

    async def send(self, message: Outgoing) -> SendResult:
        self.sent.append(message)
        return SendResult(SendStatus.SENT, message_id=len(self.sent))


class FixedClock:
    def __init__(self, now: datetime) -> None:
        self._now = now

    def now(self) -> datetime:
        return self._now


def _random_date(rng: random.Random) -> tuple[str, int, int, int | None, bool]:
    lunar = rng.random() < 0.33
    calendar = LUNAR if lunar else GREGORIAN
    while True:
        month, day = rng.randint(1, 12), rng.randint(1, 30 if lunar else 31)
        leap = lunar and rng.random() < 0.05
        year = rng.randint(1940, 2015) if rng.random() < 0.6 else None
        if valid_date(calendar, month, day, year):
            return calendar, month, day, year, leap


def _rows(users: int, per_user: int, now: datetime, seed: int) -> dict[str, list[tuple]]:
    """Every row to insert, generated in memory."""
    rng = random.Random(seed)
    stamp = to_db_time(now)
    rows: dict[str, list[tuple]] = {
        "users": [],
        "people": [],
        "dates": [],
        "notes": [],
        "contacts": [],
    }
    person_id = 0
    for user_id in range(1, users + 1):
        zone = ZONES[user_id % len(ZONES)]
        today = now.astimezone(ZoneInfo(zone)).date()
        settings = json.dumps({"people_lead_days": rng.choice((1, 3, 3, 7))})
        rows["users"].append((user_id, f"user{user_id}", "zh" if user_id % 3 == 0 else "en",
                              zone, settings, stamp, stamp))  # fmt: skip
        for _ in range(per_user):
            person_id += 1
            _person(rows, rng, person_id, user_id, now, today)
    return rows


def _person(
    rows: dict[str, list[tuple]],
    rng: random.Random,
    person_id: int,
    user_id: int,
    now: datetime,
    today: date,
) -> None:
    stamp = to_db_time(now)
    contacts = sorted(
        now - timedelta(days=rng.uniform(0, 120)) for _ in range(rng.choice((0, 0, 1, 2, 5)))
    )
    for at in contacts:
        rows["contacts"].append((person_id, user_id, to_db_time(at), "coffee", "command"))
    last = contacts[-1] if contacts else None
    cadence = rng.choice((7, 14, 30, 60, 90)) if rng.random() < 0.4 else None
    since = now - timedelta(days=rng.uniform(0, 90)) if cadence else None
    anchor = last or since
    due = anchor + timedelta(days=cadence) if cadence and anchor else None
    relation = rng.choice(RELATIONS)
    rows["people"].append(
        (person_id, user_id, f"Person {person_id}", relation, relation, "[]", cadence,
         to_db_time(since) if since else None, to_db_time(last) if last else None,
         to_db_time(due) if due else None, stamp, stamp)
    )  # fmt: skip
    if rng.random() < 0.7:
        calendar, month, day, year, leap = _random_date(rng)
        found = next_occurrence(calendar, month, day, leap, today)
        if found is not None:
            rows["dates"].append(
                (person_id, user_id, "birthday", month, day, year, calendar, int(leap),
                 found[0].isoformat(), stamp)
            )  # fmt: skip
    if rng.random() < 0.3:
        rows["notes"].append((person_id, user_id, rng.choice(NOTES), stamp))


async def _load(db: Database, rows: dict[str, list[tuple]], now: datetime) -> None:
    async with db.transaction() as conn:
        await conn.executemany(
            "INSERT INTO users (id, first_name, language, timezone, settings, created_at,"
            " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            rows["users"],
        )
        await conn.executemany(
            "INSERT INTO people (id, user_id, name, relation, relation_key, aliases,"
            " cadence_days, cadence_since, last_contact_at, contact_due_at, created_at,"
            " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows["people"],
        )
        await conn.executemany(
            "INSERT INTO person_dates (person_id, user_id, kind, month, day, year, calendar,"
            " is_leap_month, next_on, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows["dates"],
        )
        await conn.executemany(
            "INSERT INTO person_notes (person_id, user_id, text, at) VALUES (?, ?, ?, ?)",
            rows["notes"],
        )
        await conn.executemany(
            "INSERT INTO person_interactions (person_id, user_id, at, note, source)"
            " VALUES (?, ?, ?, ?, ?)",
            rows["contacts"],
        )
        due = to_db_time(now - timedelta(seconds=1))
        await conn.executemany(
            "INSERT INTO people_digests (user_id, next_at, timezone, status, updated_at)"
            " VALUES (?, ?, ?, 'scheduled', ?)",
            [(row[0], due, row[3], due) for row in rows["users"]],
        )
    await db.execute("ANALYZE")


async def main(users: int, per_user: int, seed: int) -> int:
    now = datetime(2026, 9, 20, 12, 0, tzinfo=UTC)  # a week before the Mid-Autumn Festival
    with tempfile.TemporaryDirectory() as folder:
        db = await Database.open(Path(folder) / "people.sqlite3")
        await db.migrate("core", CORE_MIGRATIONS)
        await db.migrate("people", PEOPLE_MIGRATIONS)
        started = time.perf_counter()
        rows = _rows(users, per_user, now, seed)
        await _load(db, rows, now)
        print(
            f"built {users:,} users x {per_user} people: {len(rows['people']):,} people, "
            f"{len(rows['dates']):,} dates, {len(rows['contacts']):,} contacts, "
            f"{len(rows['notes']):,} notes in {time.perf_counter() - started:.1f} s"
        )
        clock = FixedClock(now)
        runner = DigestRunner(db, clock, digest_message)
        delivery = CountingDelivery()
        await runner.start(delivery, background=False)

        compose_users = [
            DigestUser(user_id, "en", digest_settings({}, ZONES[user_id % len(ZONES)]))
            for user_id in range(1, users + 1)
        ]
        started = time.perf_counter()
        digests = await runner.composer.compose(compose_users, now)
        compose_seconds = time.perf_counter() - started
        with_news = sum(1 for digest in digests.values() if digest.has_news)

        started = time.perf_counter()
        report = await runner.run_due()
        pass_seconds = time.perf_counter() - started
        again = await runner.run_due()
        await db.close()
    items = sum(message.text.count("\n• ") for message in delivery.sent)
    print(f"compose only (all users, read-only): {compose_seconds:.3f} s, {with_news} with news")
    print(
        f"digest pass for all {users:,} users: {pass_seconds:.3f} s "
        f"(claimed {report.claimed}, sent {report.sent}, quiet {report.quiet}, "
        f"{items} items listed, errors {len(report.errors)})"
    )
    failures = []
    if pass_seconds >= LIMIT_SECONDS:
        failures.append(f"the pass took {pass_seconds:.3f} s (limit {LIMIT_SECONDS} s)")
    if again.sent or again.claimed:
        failures.append(f"a second pass sent {again.sent} (must be 0)")
    if report.claimed != users or report.errors:
        failures.append(f"claimed {report.claimed} of {users}, errors {report.errors[:3]}")
    for failure in failures:
        print("FAIL:", failure)
    return 1 if failures else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    raise SystemExit(asyncio.run(main(args.users, args.people, args.seed)))
