"""Fault test with real processes: two scheduler replicas on one PostgreSQL deliver a wave of
due reminders; one is killed with SIGKILL in the middle; the other takes its claims over once
their lease expires. Counted deliveries: none lost, none doubled beyond the documented window
(a message Telegram accepted whose delivery the killed replica had not recorded yet)."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from collections import Counter
from datetime import timedelta
from pathlib import Path

from bot.clock import SystemClock
from bot.reminders import ReminderService
from bot.reminders.repository import NewReminder
from bot.storage import CORE_MIGRATIONS, UserRepository
from tests.fakes.postgres import fresh_schema, open_postgres

ROOT = Path(__file__).resolve().parents[2]
COUNT = 150
#: Each replica sends at most this many at once (tests/fakes/reminder_replica.py).
CONCURRENCY = 4


async def _replica(schema: str, log: Path) -> asyncio.subprocess.Process:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.fakes.reminder_replica",
        schema,
        str(log),
        "0.5",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    line = await asyncio.wait_for(process.stdout.readline(), 60)
    assert line.strip() == b"ready", line
    return process


def _deliveries(log: Path) -> list[tuple[int, int]]:
    """(process id, reminder number) per accepted message."""
    found = []
    for line in log.read_text(encoding="utf-8").splitlines():
        match = re.match(r"(\d+) .*?item (\d+)\b", line)
        assert match, line
        found.append((int(match[1]), int(match[2])))
    return found


async def test_a_replica_killed_mid_wave_loses_nothing(tmp_path: Path) -> None:
    log = tmp_path / "telegram.log"
    log.touch()
    async with fresh_schema() as schema:
        db = await open_postgres(schema)
        try:
            await db.migrate("core", CORE_MIGRATIONS)
            clock = SystemClock()
            service = await ReminderService.open(
                db, UserRepository(db), clock, default_timezone="UTC"
            )
            doomed = await _replica(schema, log)
            survivor = await _replica(schema, log)
            due = clock.now() - timedelta(seconds=1)
            await service.repo.add_many(
                (
                    NewReminder(
                        user_id=101 + n % 7,
                        chat_id=101 + n % 7,
                        text=f"item {n}",
                        language="en",
                        timezone="UTC",
                        due_at=due,
                    )
                    for n in range(COUNT)
                ),
                now=clock.now(),
            )
            try:
                async with asyncio.timeout(60):
                    while (
                        len({pid for pid, _ in _deliveries(log)}) < 2 or len(_deliveries(log)) < 30
                    ):
                        await asyncio.sleep(0.02)
                doomed.send_signal(signal.SIGKILL)  # mid-wave: it holds claims
                await doomed.wait()
                async with asyncio.timeout(60):
                    while (await service.repo.count_by_status()).get("delivered", 0) < COUNT:
                        await asyncio.sleep(0.05)
                survivor.send_signal(signal.SIGTERM)
                assert await asyncio.wait_for(survivor.wait(), 30) == 0
            finally:
                for process in (doomed, survivor):
                    if process.returncode is None:
                        process.kill()
                        await process.wait()
            sent = _deliveries(log)
            counts = Counter(number for _, number in sent)
            assert set(counts) == set(range(COUNT)), "a reminder was lost"
            doubled = [number for number, times in counts.items() if times > 1]
            assert all(counts[number] == 2 for number in doubled)
            # Only what the killed replica had sent but not yet recorded can go out twice.
            assert len(doubled) <= CONCURRENCY
            first_sender = {number: pid for pid, number in reversed(sent)}
            assert all(first_sender[number] == doomed.pid for number in doubled)
            assert {pid for pid, _ in sent} == {doomed.pid, survivor.pid}
            statuses = await service.repo.count_by_status()
            assert statuses == {"delivered": COUNT}
        finally:
            await db.close()
