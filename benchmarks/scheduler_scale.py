"""Reminder scheduler at scale: 10,000 reminders due at once, then single-reminder latency.

Runs the real scheduler, the real Telegram delivery adapter and the app's real rate limiter
(``ChatRateLimiter``, ~30 messages/s overall by default) against the in-memory fake Bot API,
on a temporary SQLite database, with the real clock. It checks that every reminder is
delivered exactly once and reports:

* achieved messages/s and the most messages in any 1-second window, which must stay within
  Telegram's limit (the scheduler spaces its sends at 80% of it, as the app configures it,
  leaving the rest to conversations);
* how long after its time a single reminder is sent (must be under 1 s).

    .venv/bin/python benchmarks/scheduler_scale.py               # 10,000 at 24/s (~7 min)
    .venv/bin/python benchmarks/scheduler_scale.py --count 600   # a quick run

Exits non-zero when a check fails.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
import tempfile
import time
from bisect import bisect_left
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from telegram.ext import ExtBot

from bot.clock import SystemClock
from bot.reminders import NewReminder, ReminderService, SchedulerOptions, Status
from bot.storage import CORE_MIGRATIONS, Database, UserRepository
from bot.telegram.delivery import TelegramDelivery
from bot.telegram.ratelimit import ChatRateLimiter
from tests.fakes.harness import TEST_TOKEN
from tests.fakes.telegram import FakeBotAPI

_ID = re.compile(r"#(\d+)")


async def _setup(
    path: Path, rate: float, share: float
) -> tuple[FakeBotAPI, ExtBot, Database, ReminderService]:
    api = FakeBotAPI()
    bot = ExtBot(
        TEST_TOKEN,
        request=api,
        get_updates_request=api,
        rate_limiter=ChatRateLimiter(overall_per_second=rate),
    )
    await bot.initialize()
    db = await Database.open(path)
    await db.migrate("core", CORE_MIGRATIONS)
    service = await ReminderService.open(
        db,
        UserRepository(db),
        SystemClock(),
        scheduler_options=SchedulerOptions(max_per_second=rate * share),
    )
    return api, bot, db, service


def _max_in_window(stamps: list[float], width: float = 1.0) -> int:
    """The most timestamps inside any window [t, t + width)."""
    best = 0
    for index, start in enumerate(stamps):
        best = max(best, bisect_left(stamps, start + width, lo=index) - index)
    return best


async def _wait(condition: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        await asyncio.sleep(0.05)
    return condition()


async def scale(count: int, rate: float, share: float, lead: float) -> bool:
    """``count`` reminders in as many chats, all due ``lead`` seconds from now."""
    with tempfile.TemporaryDirectory() as folder:
        api, bot, db, service = await _setup(Path(folder) / "scale.sqlite3", rate, share)
        clock = SystemClock()
        loop = asyncio.get_running_loop()
        due = clock.now() + timedelta(seconds=lead)
        due_loop = loop.time() + lead
        await service.repo.add_many(
            [
                NewReminder(
                    user_id=10_000 + index,
                    chat_id=10_000 + index,
                    text=f"reminder #{index}",
                    language="en",
                    timezone="UTC",
                    due_at=due,
                )
                for index in range(count)
            ],
            now=clock.now(),
        )
        await service.start(TelegramDelivery(bot))
        finished = await _wait(
            lambda: len(api.calls_of("sendMessage")) >= count, timeout=count / rate * 1.5 + 30
        )
        await asyncio.sleep(1.0)  # anything extra (a duplicate) would show up now
        calls = api.calls_of("sendMessage")
        statuses = await service.repo.count_by_status()
        await service.stop()
        await db.close()
        await bot.shutdown()
    ids = [int(match.group(1)) for call in calls if (match := _ID.search(call.params["text"]))]
    stamps = sorted(call.at for call in calls)
    unique = set(ids)
    span = stamps[-1] - stamps[0] if len(stamps) > 1 else 0.0
    achieved = (len(stamps) - 1) / span if span else float("inf")
    window = _max_in_window(stamps)
    steady = _max_in_window([s for s in stamps if s >= stamps[0] + 1.0]) if stamps else 0
    first = stamps[0] - due_loop if stamps else float("nan")
    print(f"reminders due at once      {count}")
    print(f"delivered (sendMessage)    {len(calls)}")
    print(f"distinct reminders         {len(unique)}  (lost {count - len(unique)})")
    print(f"duplicates                 {len(ids) - len(unique)}")
    print(f"rows by status             {statuses}")
    print(f"first send after due       {first:.3f} s")
    print(f"all sent within            {stamps[-1] - due_loop:.1f} s of the due time")
    print(
        f"achieved rate              {achieved:.2f} msgs/s "
        f"(Telegram limit {rate:g}/s, scheduler share {rate * share:g}/s)"
    )
    print(f"max in any 1-s window      {window} (after the first second: {steady})")
    return (
        finished
        and len(unique) == count
        and len(ids) == count
        and statuses == {Status.DELIVERED: count}
        and window <= rate
    )


async def latency(rounds: int) -> bool:
    """One reminder at a time on an idle scheduler: how late does it fire?"""
    with tempfile.TemporaryDirectory() as folder:
        api, bot, db, service = await _setup(Path(folder) / "latency.sqlite3", 30, 0.8)
        await service.start(TelegramDelivery(bot))
        clock = SystemClock()
        loop = asyncio.get_running_loop()
        delays: list[float] = []
        for index in range(rounds):
            lead = 1.5
            due_loop = loop.time() + lead
            await service.repo.add(
                NewReminder(
                    user_id=1,
                    chat_id=1,
                    text=f"single #{index}",
                    language="en",
                    timezone="UTC",
                    due_at=clock.now() + timedelta(seconds=lead),
                ),
                now=clock.now(),
            )
            service.scheduler.wake()
            await _wait(lambda i=index: len(api.calls_of("sendMessage")) > i, timeout=10)
            delays.append(api.calls_of("sendMessage")[index].at - due_loop)
        await service.stop()
        await db.close()
        await bot.shutdown()
    print(f"single reminder, {rounds} rounds: fired {min(delays):.3f}..{max(delays):.3f} s late")
    return max(delays) < 1.0 and min(delays) >= -0.01


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=30.0, help="overall messages per second")
    parser.add_argument(
        "--share", type=float, default=0.8, help="part of the rate reminders may use (as the app)"
    )
    parser.add_argument("--lead", type=float, default=2.0, help="seconds until they are due")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    ok_scale = asyncio.run(scale(args.count, args.rate, args.share, args.lead))
    ok_latency = asyncio.run(latency(args.rounds))
    print("OK" if ok_scale and ok_latency else "FAILED")
    raise SystemExit(0 if ok_scale and ok_latency else 1)


if __name__ == "__main__":
    main()
