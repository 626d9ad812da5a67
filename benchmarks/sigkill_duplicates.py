"""How often a reminder is sent twice when the bot is SIGKILLed during a burst of due reminders.

The bot runs as its own process (``python -m bot``) on a SQLite file against a fake Bot API over
loopback HTTP (tests/fakes/bot_process.py). ``--reminders`` one-off reminders are due at once;
the bot is SIGKILLed ``--kills`` times at random moments of the burst (a random delay of up to
``--max-delay`` seconds after a random accepted send), restarted each time, and finally run until
every reminder was sent. Prints the reminders lost (must be 0), those sent twice, and how many of
the duplicates fell in the documented window (accepted by Telegram, not yet recorded).

    python benchmarks/sigkill_duplicates.py --reminders 500 --kills 10 --seed 1 [--rate 30]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.fakes.bot_process import Kill, crash_run


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reminders", type=int, default=500)
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--max-delay", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--rate", type=float, default=30.0, help="RATE_OVERALL_PER_SECOND (production: 30)"
    )
    options = parser.parse_args()
    chance = random.Random(options.seed)
    per_run = max(2, options.reminders // (options.kills + 1))
    kills = [
        Kill(chance.randint(1, per_run), after=True, delay=chance.uniform(0, options.max_delay))
        for _ in range(options.kills)
    ]
    with tempfile.TemporaryDirectory() as workdir:
        report = await crash_run(
            Path(workdir),
            count=options.reminders,
            kills=kills,
            timeout=300,
            rate_per_second=options.rate,
        )
    extra = sum(report.extra_deliveries.values())
    outside = report.extra_deliveries - report.in_window
    print(
        f"reminders: {options.reminders}, SIGKILLs: {options.kills} (seed {options.seed}), "
        f"rate limit {options.rate:g}/s"
    )
    print(f"lost: {len(report.lost)}")
    print(
        f"sent twice: {len(report.extra_deliveries)} reminders, {extra} extra sends "
        f"({extra / options.reminders:.2%} of reminders; {extra / options.kills:.2f} per kill)"
    )
    print(f"duplicates outside the window: {sum(outside.values())}")


if __name__ == "__main__":
    asyncio.run(main())
