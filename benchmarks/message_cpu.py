"""Dazi's own CPU per answered message, measured inside the bot's process.

The fake Bot API and the fake streaming model of ``throughput.py`` run as their own processes on
loopback (same pace, same answers); Dazi runs in this process on its production path (the
services and ``serve_until`` of ``bot.app``: long polling over HTTP, streamed answers
with drafts, the rate limits of the chosen phase). The figure is this process's CPU time (every
thread: the event loop and the database's; the event loop's alone is printed too) from the first
message pushed to the last final message, divided by the messages; with ``--background`` it runs
on until the model server is idle (fact learning included).

CPU time, unlike wall-clock time, is little affected by other work on the machine, so two
versions of the code can be compared on a shared, loaded machine (interleave the runs and read
the load average beside the figures). ``--profile out.html`` records the phase with pyinstrument
(``pip install pyinstrument``; not a dependency of the project), ``--profile out.prof`` with
cProfile on the event loop thread's CPU clock (what each function costs in CPU, whatever the
machine's load); their own overhead inflates the figure: for finding hot spots only.

Run: ``python benchmarks/message_cpu.py [--phase paced|burst] [--rounds 3] [--seeded 8]``.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import itertools
import os
import re
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

# The fake servers and schedules of the wire benchmark.
import throughput as wire

_LITERALS = re.compile(r"'(?:[^']|'')*'(?=[,)\s]|$)|\b\d+(?:\.\d+)?\b")
SEED_CACHE = Path(tempfile.gettempdir()) / "dazi_message_cpu_seed"


async def seeded_database(users: int) -> Path | None:
    """A database where ``users`` users have 1,000-5,000 stored messages (kept between runs)."""
    if users == 0:
        return None
    path = SEED_CACHE / f"seeded-{users}.sqlite3"
    if not path.exists():
        SEED_CACHE.mkdir(exist_ok=True)
        partial = path.with_suffix(".partial")
        started = time.monotonic()
        stored = await wire.seed_database(partial, wire.load_corpus())
        for suffix in ("", "-wal", "-shm"):
            source = Path(f"{partial}{suffix}")
            if source.exists():
                source.rename(f"{path}{suffix}")
        print(f"seeded {stored:,} messages in {time.monotonic() - started:.0f} s", flush=True)
    return path


async def run_round(args: argparse.Namespace, seeded: Path | None, round_: int) -> dict[str, Any]:
    """One fresh bot in this process: warm-up, then the measured phase."""
    import aiohttp

    from bot.app import build_services, close_services, serve_until, tune_garbage_collector
    from bot.config import load_settings

    corpus = wire.load_corpus()
    qids = itertools.count(1 + round_ * 100_000)
    warmup = wire.warmup_schedule(corpus, qids)
    if args.phase == "paced":
        schedule = wire.latency_schedule(args, corpus, qids)
    else:
        schedule = wire.capacity_schedule(args, corpus, qids)
    telegram, llm = wire.Server("telegram"), wire.Server("llm")
    with tempfile.TemporaryDirectory() as tmp:
        database = Path(tmp) / "dazi.sqlite3"
        if seeded is not None:
            for suffix in ("", "-wal", "-shm"):
                if Path(f"{seeded}{suffix}").exists():
                    shutil.copy(f"{seeded}{suffix}", f"{database}{suffix}")
        limits: dict[str, Any] = {}
        if args.phase == "burst":
            limits = {
                "rate_overall_per_second": 1e6,
                "rate_private_chat_per_second": 1e6,
                "rate_group_per_minute": 1e8,
            }
        settings = load_settings(
            _env_file=None,
            telegram_bot_token=wire.TOKEN,
            telegram_api_base_url=f"{telegram.url}/bot",
            openai_api_key="sk-bench",
            openai_base_url=f"{llm.url}/v1",
            llm_model="fake",
            database_path=database,
            log_level="WARNING",
            **limits,
        )
        services = await build_services(settings)
        tune_garbage_collector()
        stop = asyncio.Event()
        try:
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=900)) as http:
                ready = asyncio.ensure_future(http.post(f"{telegram.url}/control/ready"))
                await asyncio.sleep(0.1)
                bot = asyncio.create_task(serve_until(stop, settings, services))
                (await ready).release()
                await wire._phase(http, telegram, warmup)
                await wire._model_idle(http, llm)
                profiler = _profiler(args.profile)
                statements = await _count_statements(services.db) if args.sql else None
                cpu0, main0 = time.process_time(), time.thread_time()
                result = await wire._phase(http, telegram, schedule)
                cpu1, main1 = time.process_time(), time.thread_time()
                if statements is not None:
                    await services.db.run(lambda connection: connection.set_trace_callback(None))
                    _print_statements(statements, result["messages"])
                if args.background:
                    await wire._model_idle(http, llm)
                cpu2 = time.process_time()
                if profiler is not None:
                    profiler.stop()
                    _write_profile(profiler, args.profile, round_)
                stop.set()
                await bot
        finally:
            await close_services(services)
            telegram.stop()
            llm.stop()
    result["cpu_ms"] = (cpu1 - cpu0) * 1000 / result["messages"]
    result["cpu_ms_bg"] = (cpu2 - cpu0) * 1000 / result["messages"]
    result["main_ms"] = (main1 - main0) * 1000 / result["messages"]
    result["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


async def _count_statements(db: Any) -> collections.Counter[str]:
    """Count the SQL statements the database thread runs from now on (SQLite only)."""
    seen: collections.Counter[str] = collections.Counter()

    def trace(statement: str) -> None:
        # The trace shows literals expanded: fold them so that one statement is one line.
        seen[_LITERALS.sub("?", " ".join(statement.split()))[:100]] += 1

    await db.run(lambda connection: connection.set_trace_callback(trace))
    return seen


def _print_statements(seen: collections.Counter[str], messages: int) -> None:
    """Statements and write transactions per message, the most frequent first."""
    total = sum(seen.values())
    writes = sum(count for statement, count in seen.items() if statement.startswith("BEGIN"))
    print(
        f"SQL per message: {total / messages:.1f} statements, {writes / messages:.2f} write"
        " transactions (FTS5's own statements included)"
    )
    for statement, count in seen.most_common(40):
        print(f"  {count / messages:6.2f}  {statement}")


def _profiler(path: str | None) -> Any:
    if not path:
        return None
    if path.endswith(".prof"):  # cProfile on the event loop thread's CPU clock
        import cProfile

        profile = cProfile.Profile(time.thread_time)
        profile.enable()
        profile.stop = profile.disable  # type: ignore[attr-defined]
        return profile
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.0005, async_mode="disabled")
    profiler.start()
    return profiler


def _write_profile(profiler: Any, path: str, round_: int) -> None:
    target = Path(path)
    if round_:
        target = target.with_stem(f"{target.stem}-{round_ + 1}")
    if target.suffix == ".prof":
        profiler.dump_stats(target)
    elif target.suffix == ".html":
        target.write_text(profiler.output_html())
    else:
        target.write_text(profiler.output_text(unicode=False, show_all=False))
    print(f"profile written to {target}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--phase", choices=("paced", "burst"), default="paced")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--rate", type=float, default=20.0, help="paced: messages per second")
    parser.add_argument("--seconds", type=float, default=15.0, help="paced: for how long")
    parser.add_argument("--users", type=int, default=300, help="burst: users at once")
    parser.add_argument("--per-user", type=int, default=2, help="burst: messages per user")
    parser.add_argument(
        "--seeded", type=int, default=8, help="users with 1,000-5,000 stored messages"
    )
    parser.add_argument("--background", action="store_true", help="count fact learning too")
    parser.add_argument("--profile", help="pyinstrument output (.html or text)")
    parser.add_argument(
        "--sql", action="store_true", help="count SQL statements per message (SQLite)"
    )
    args = parser.parse_args()
    from bot.app import run_loop

    wire.SEEDED_USERS = args.seeded
    os.environ.setdefault("PTB_TIMEDELTA", "1")
    seeded = asyncio.run(seeded_database(args.seeded))
    cpu: list[float] = []
    for round_ in range(args.rounds):
        load = os.getloadavg()[0]
        result = run_loop(run_round(args, seeded, round_))  # the event loop of python -m bot
        cpu.append(result["cpu_ms"])
        calls = ", ".join(
            f"{method} {count / result['messages']:.2f}"
            for method, count in sorted(result["calls"].items())
            if method in wire.VISIBLE
        )
        print(
            f"round {round_ + 1} {args.phase}: answered {result['answered']}/{result['messages']}"
            f"  CPU {result['cpu_ms']:.2f} ms/msg (event loop {result['main_ms']:.2f};"
            f" +bg {result['cpu_ms_bg']:.2f})"
            f"  peak RSS {result['rss_mb']:.0f} MB  load {load:.1f}->{os.getloadavg()[0]:.1f}"
            f"  calls/msg: {calls}",
            flush=True,
        )
    if len(cpu) > 1:
        low, high = min(cpu), max(cpu)
        print(f"CPU ms/msg median {statistics.median(cpu):.2f} (range {low:.2f}-{high:.2f})")


if __name__ == "__main__":
    main()
