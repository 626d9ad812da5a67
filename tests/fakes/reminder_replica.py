"""One replica of the reminder scheduler as its own process, for the SIGKILL fault tests.

``python -m tests.fakes.reminder_replica SCHEMA LOG LEASE_SECONDS`` runs the scheduler on the
wall clock against a schema of the real PostgreSQL server; its delivery appends one line per
accepted message (``reminder text``) to LOG and flushes it, as Telegram accepting the message.
It prints ``ready`` once started and runs until SIGTERM (drains) or SIGKILL (dies).
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from datetime import timedelta
from pathlib import Path

from bot.clock import SystemClock
from bot.outbound import Outgoing, SendResult, SendStatus
from bot.reminders import ReminderService, SchedulerOptions
from bot.storage import CORE_MIGRATIONS, UserRepository
from tests.fakes.postgres import open_postgres


class FileDelivery:
    """Telegram, as far as the fault tests care: every accepted message is a line in a file."""

    def __init__(self, log: Path) -> None:
        self._log = open(log, "a", encoding="utf-8")  # noqa: SIM115 (open while running)
        self._sent = 0

    async def send(self, message: Outgoing) -> SendResult:
        await asyncio.sleep(0.02)  # the round trip to Telegram
        self._log.write(f"{os.getpid()} {message.text}\n")
        self._log.flush()
        self._sent += 1
        return SendResult(SendStatus.SENT, message_id=self._sent)


async def main(schema: str, log: Path, lease: float) -> None:
    db = await open_postgres(schema)
    await db.migrate("core", CORE_MIGRATIONS)
    clock = SystemClock()
    service = await ReminderService.open(
        db,
        UserRepository(db),
        clock,
        default_timezone="UTC",
        scheduler_options=SchedulerOptions(
            max_per_second=None,
            concurrency=4,
            claim_lease=timedelta(seconds=lease),
            max_idle=0.1,  # reminders are added by the test, not through this process
        ),
    )
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await service.start(FileDelivery(log))
    print("ready", flush=True)
    await stop.wait()
    await service.stop()
    await db.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], Path(sys.argv[2]), float(sys.argv[3])))
