"""Several replicas on one PostgreSQL: chat throughput and CPU per replica, and a wave of
10,000 due reminders sent exactly once at the allowed rate.

Every replica is its own process; they talk HTTP over loopback to a fake Bot API and a fake
streaming model, both served by this script's process (aiohttp), and SQL to the machine's
real PostgreSQL (127.0.0.1:5432, database ``test``; one fresh schema per run, dropped after).

**Chat** (1, 2 and 3 replicas): each replica is ``tests/fakes/replica_process.py``: the real
``serve`` of ``python -m bot`` in webhook mode with the whole bot on PostgreSQL (``DATABASE_URL``
on the run's schema: inbox, per-chat leases, conversations, memory, everything), the whole
message path (conversation, memory, streaming to Telegram). ``--users`` chats each send
``--per-user`` messages at once, posted round-robin to the replicas as a load balancer would; a
chat's messages are answered one after the other, so the load offered is ``--users`` answers at
a time: 400 by default, enough that a replica's CPU, not the wait for each chat's previous
answer (~1 s), is the bound (120 chats x 4 messages were not: a run then took about four answer
times whatever the replicas). Telegram's rate limits are lifted (capacity, not pacing, is
measured). The model streams each answer: first words after 200 ms, then ~16 characters every
25 ms, ~300 characters. The same load and settings for every replica count. Printed:
messages/s (first post to last final answer), CPU ms per message over all replicas; per
replica its CPU seconds, its share of one core over the run and how long its event loop was
ready to run but waited for a core (the kernel's run-queue time: a starved replica shows it);
the CPU of PostgreSQL's processes serving the replicas' connections and of this script's
process (the fakes); and how busy the machine's cores were (every process, others' too). On a
machine whose cores are already busy, replicas share the same cores: throughput then cannot
grow with replicas, which the run-queue wait and the busy share show.

**Reminders** (1, 2 and 3 replicas): ``--reminders`` one-off reminders due at once, in one
schema; each replica runs the real reminder scheduler on PostgreSQL (claims ``FOR UPDATE SKIP
LOCKED`` with a lease) and sends through python-telegram-bot to the fake Bot API, over 500
private chats. Every replica gets ``--rate`` as its RATE_OVERALL_PER_SECOND, shared by all
through PostgreSQL (``bot.storage.sendrate``) as ``python -m bot`` composes it on PostgreSQL,
and the scheduler's waves at 80% of it. Printed: the time to send
all, the achieved rate, the highest count in any one-second window at the fake Bot API (must
stay within ``--rate``), reminders lost and sent twice, CPU per reminder.

    python benchmarks/replicas.py [--replicas 1 2 3] [--users 400] [--per-user 2]
                                  [--reminders 10000] [--rate 500]

The machine's load (``uptime``) is printed beside the figures: other work on it distorts
throughput; the CPU per message is the steadier figure. Everything of a run (the replicas,
PostgreSQL, the fakes) shares the machine's cores: x1.7 from 1 to 2 replicas needs a core per
replica free beside what PostgreSQL and the fakes use (on this project's 2-core machine it
cannot be shown, see the README).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import signal
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import psutil  # noqa: E402

from tests.fakes.llm import FakeLLM, LLMReply  # noqa: E402
from tests.fakes.postgres import POSTGRES_URL, fresh_schema, open_postgres  # noqa: E402
from tests.fakes.replica_cluster import ReplicaCluster, private_text  # noqa: E402
from tests.fakes.telegram_http import HttpBotAPI  # noqa: E402

FILLER = (
    "That sounds like a good plan; let me think about it with you for a moment, "
    "because the details matter here and I remember what you told me last week. "
)
_HANDLED = re.compile(r"replica (\S+) handled (\d+) update")
_TASK = re.compile(r"task-(\d{5})")
#: Reminders are spread over this many private chats (Telegram allows ~1 message/s per chat).
CHATS = 500


def _answer(body: dict[str, Any]) -> LLMReply | None:
    last = next((m for m in reversed(body["messages"]) if m["role"] == "user"), None)
    text = last["content"] if last and isinstance(last["content"], str) else ""
    found = re.search(r"q\d+-\d+", text)
    return LLMReply(f"ANSWER {found.group(0) if found else '?'}: {FILLER * 2}")


def _cpu(pid: int) -> float:
    times = psutil.Process(pid).cpu_times()
    return float(times.user + times.system)


def _waited(pid: int) -> float:
    """Seconds the process's event loop (its main thread) was ready to run but waited for a
    core (the kernel's run-queue time in /proc/PID/task/PID/schedstat): starvation shows here."""
    return int(Path(f"/proc/{pid}/task/{pid}/schedstat").read_text().split()[1]) / 1e9


async def _backends(pids: list[int]) -> dict[int, float]:
    """The CPU seconds so far of each PostgreSQL server process serving these processes'
    connections (matched by the client's port in pg_stat_activity)."""
    ports = [
        connection.laddr.port
        for pid in pids
        for connection in psutil.Process(pid).net_connections(kind="tcp")
        if connection.raddr and connection.raddr.port == 5432
    ]
    import asyncpg

    conn = await asyncpg.connect(POSTGRES_URL)
    try:
        rows = await conn.fetch(
            "SELECT pid FROM pg_stat_activity WHERE client_port = ANY($1::int[])", ports
        )
    finally:
        await conn.close()
    seconds = {}
    for row in rows:
        with contextlib.suppress(psutil.Error):
            seconds[int(row["pid"])] = _cpu(int(row["pid"]))
    return seconds


def _busy() -> float:
    """CPU seconds used on the whole machine so far (every process, every core)."""
    times = psutil.cpu_times()
    return float(sum(times) - times.idle - times.iowait)


async def chat_run(replicas: int, users: int, per_user: int) -> dict[str, Any]:
    api, llm = HttpBotAPI(), FakeLLM(responder=_answer, chunk_size=16, chunk_delay=0.025)
    llm.response_delay = 0.2
    await api.start()
    await llm.start()
    with tempfile.TemporaryDirectory() as workdir:
        async with fresh_schema() as schema:
            cluster = ReplicaCluster(
                Path(workdir),
                schema,
                api,
                llm.base_url,
                env={
                    "RATE_OVERALL_PER_SECOND": "100000",
                    "RATE_PRIVATE_CHAT_PER_SECOND": "1000",
                    "LOG_LEVEL": "INFO",
                },
            )
            try:
                nodes = [cluster.add(f"r{index}") for index in range(replicas)]
                await asyncio.gather(*(cluster.start(node) for node in nodes))
                answered = 0
                read = 0

                def answers() -> int:
                    # Counted as calls come in: re-reading every call at every call would
                    # cost this process (which also serves the fakes) quadratic time.
                    nonlocal answered, read
                    calls = api.api.calls
                    for call in calls[read:]:
                        if call.method == "sendMessage" and str(
                            call.params.get("text", "")
                        ).startswith("ANSWER"):
                            answered += 1
                    read = len(calls)
                    return answered

                for index in range(10):  # warm-up
                    await cluster.post(private_text(index + 1, 777_000 + index, "q0-0"), index)
                await api.api.wait_for(lambda: answers() >= 10, timeout=120)
                pids = [node.process.pid for node in nodes if node.process]
                cpu_before = [_cpu(pid) for pid in pids]
                waited_before = [_waited(pid) for pid in pids]
                fakes_before = _cpu(os.getpid())
                backends_before = await _backends(pids)
                busy_before = _busy()
                started = time.perf_counter()

                async def user(number: int) -> None:
                    for message in range(per_user):
                        update_id = 10_000 + number * per_user + message
                        text = f"q{number}-{message} how was your day?"
                        await cluster.post(private_text(update_id, 800_000 + number, text), number)

                await asyncio.gather(*(user(number) for number in range(users)))
                total = users * per_user + 10
                await api.api.wait_for(lambda: answers() >= total, timeout=900)
                elapsed = time.perf_counter() - started
                cpu = [_cpu(pid) - before for pid, before in zip(pids, cpu_before, strict=True)]
                waited = [
                    _waited(pid) - before for pid, before in zip(pids, waited_before, strict=True)
                ]
                fakes = _cpu(os.getpid()) - fakes_before
                busy = _busy() - busy_before
                database = sum(
                    seconds - backends_before.get(pid, 0.0)
                    for pid, seconds in (await _backends(pids)).items()
                )
                for node in nodes:
                    await cluster.terminate(node)
                handled = {
                    name: int(count)
                    for node in nodes
                    for name, count in _HANDLED.findall(
                        (Path(workdir) / f"{node.name}.log").read_text(errors="replace")
                    )
                }
            finally:
                await cluster.close()
    await api.stop()
    await llm.stop()
    messages = users * per_user
    return {
        "replicas": replicas,
        "messages": messages,
        "seconds": elapsed,
        "per_second": messages / elapsed,
        "cpu_ms_per_message": sum(cpu) * 1000 / messages,
        "cpu": cpu,
        "waited": waited,
        "fakes_cpu": fakes,
        "database_cpu": database,
        "machine_busy": busy / elapsed / (os.cpu_count() or 1),
        "handled": handled,
    }


async def seed_reminders(schema: str, count: int) -> None:
    from bot.clock import SystemClock
    from bot.reminders import ReminderService
    from bot.reminders.repository import NewReminder
    from bot.storage import CORE_MIGRATIONS, UserRepository

    db = await open_postgres(schema)
    try:
        await db.migrate("core", CORE_MIGRATIONS)
        now = datetime.now(UTC)
        users = UserRepository(db)
        for user in range(CHATS):
            await users.upsert(
                user_id=5000 + user, first_name=f"U{user}", username=None, language="en", now=now
            )
        # Opened (its migrations run), never started: the replicas send.
        repo = (await ReminderService.open(db, users, SystemClock(), default_timezone="UTC")).repo

        async def add(number: int) -> None:
            chat = 5000 + number % CHATS
            await repo.add(
                NewReminder(
                    user_id=chat,
                    chat_id=chat,
                    text=f"task-{number:05d}",
                    language="en",
                    timezone="UTC",
                    due_at=now - timedelta(seconds=1),
                ),
                now=now - timedelta(minutes=1),
            )

        for start in range(0, count, 200):
            await asyncio.gather(*(add(n) for n in range(start, min(count, start + 200))))
    finally:
        await db.close()


async def reminder_replica(schema: str, api_url: str, rate: float) -> None:
    """One replica's reminder scheduler on PostgreSQL, sending through PTB to ``api_url``."""
    from telegram.ext import ExtBot

    from bot.clock import SystemClock
    from bot.reminders import ReminderService, SchedulerOptions
    from bot.storage import UserRepository
    from bot.storage.sendrate import SharedSendRate
    from bot.telegram.delivery import TelegramDelivery
    from bot.telegram.ratelimit import ChatRateLimiter
    from bot.telegram.transport import telegram_requests

    db = await open_postgres(schema)
    service = await ReminderService.open(
        db,
        UserRepository(db),
        SystemClock(),
        default_timezone="UTC",
        # As bot.app sets it: the scheduler's waves use 80% of the replica's budget.
        scheduler_options=SchedulerOptions(max_per_second=rate * 0.8, max_idle=0.5),
    )
    calls, _ = telegram_requests()  # the bot's own transport (a pool, not PTB's one connection)
    bot: ExtBot[None] = ExtBot(
        "123456789:REPLICA-token-abcdefghijklmnopqrstuvwxyz",
        base_url=api_url,
        request=calls,
        # As bot.telegram.application builds it on PostgreSQL: the rate shared by all replicas.
        rate_limiter=ChatRateLimiter(overall=await SharedSendRate.open(db, per_second=rate)),
    )
    await bot.initialize()
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await service.start(TelegramDelivery(bot))
    print("ready", flush=True)
    await stop.wait()
    await service.stop()
    await bot.shutdown()
    await db.close()


async def reminders_run(replicas: int, count: int, rate: float) -> dict[str, Any]:
    api = HttpBotAPI()
    await api.start()
    async with fresh_schema() as schema:
        await seed_reminders(schema, count)
        env = {**os.environ, "PYTHONPATH": str(ROOT), "PTB_TIMEDELTA": "1"}
        processes = [
            await asyncio.create_subprocess_exec(
                sys.executable,
                __file__,
                "--role",
                "reminder-replica",
                schema,
                api.base_url,
                str(rate),
                env=env,
                stdout=asyncio.subprocess.PIPE,
            )
            for _ in range(replicas)
        ]
        try:
            for process in processes:
                assert process.stdout is not None
                await process.stdout.readline()  # ready
            cpu_before = [_cpu(process.pid) for process in processes]
            started = time.perf_counter()
            moments: list[float] = []
            seen: Counter[int] = Counter()
            read = 0

            def progress() -> bool:
                nonlocal read
                calls = api.api.calls
                for call in calls[read:]:
                    if call.method == "sendMessage":
                        moments.append(time.perf_counter())
                        found = _TASK.search(str(call.params.get("text", "")))
                        if found:
                            seen[int(found.group(1))] += 1
                read = len(calls)
                return len(seen) >= count

            await api.api.wait_for(progress, timeout=count / rate * 3 + 120)
            elapsed = max(moments) - started
            cpu = [
                _cpu(process.pid) - before
                for process, before in zip(processes, cpu_before, strict=True)
            ]
            await asyncio.sleep(2)  # a reminder sent twice would show by now
            progress()
        finally:
            for process in processes:
                if process.returncode is None:
                    process.send_signal(signal.SIGTERM)
            for process in processes:
                await process.wait()
    await api.stop()
    window = 0
    ordered = sorted(moments)
    left = 0
    for right, moment in enumerate(ordered):
        while moment - ordered[left] >= 1.0:
            left += 1
        window = max(window, right - left + 1)
    return {
        "replicas": replicas,
        "seconds": elapsed,
        "per_second": count / elapsed,
        "peak_window": window,
        "lost": count - len(seen),
        "twice": sum(1 for times in seen.values() if times > 1),
        "cpu": cpu,
    }


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.1f} / {five:.1f} / {fifteen:.1f} on {os.cpu_count()} cores"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--replicas", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--users", type=int, default=400)
    parser.add_argument("--per-user", type=int, default=2)
    parser.add_argument("--reminders", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=500.0, help="allowed sends/s, overall")
    parser.add_argument("--skip-chat", action="store_true")
    parser.add_argument("--skip-reminders", action="store_true")
    options = parser.parse_args()
    print(f"PostgreSQL at {POSTGRES_URL}; {_load()}")
    if not options.skip_chat:
        print(f"chat: {options.users} users x {options.per_user} messages, rate limits lifted")
        base = None
        for count in options.replicas:
            result = await chat_run(count, options.users, options.per_user)
            base = base or result["per_second"]
            seconds = result["seconds"]
            used = ", ".join(
                f"{cpu:.1f} s ({cpu / seconds:.0%} of a core; loop waited {waited:.1f} s)"
                for cpu, waited in zip(result["cpu"], result["waited"], strict=True)
            )
            print(
                f"  {count} replica(s): {result['per_second']:.1f} messages/s"
                f" (x{result['per_second'] / base:.2f}), {seconds:.1f} s;"
                f" CPU {result['cpu_ms_per_message']:.1f} ms/message over all replicas;"
                f" per replica CPU [{used}]; handled {result['handled']};"
                f" PostgreSQL's processes serving them {result['database_cpu']:.1f} CPU s;"
                f" the fakes' process {result['fakes_cpu']:.1f} CPU s; the machine's cores"
                f" {result['machine_busy']:.0%} busy; {_load()}"
            )
    if not options.skip_reminders:
        print(f"reminders: {options.reminders} due at once, allowed {options.rate:g}/s overall")
        for count in options.replicas:
            result = await reminders_run(count, options.reminders, options.rate)
            print(
                f"  {count} replica(s) sharing {options.rate:g}/s: all sent in"
                f" {result['seconds']:.1f} s ({result['per_second']:.0f}/s), busiest second"
                f" {result['peak_window']} sends; lost {result['lost']}, sent twice"
                f" {result['twice']}; CPU {sum(result['cpu']) * 1000 / options.reminders:.2f}"
                f" ms/reminder, s per replica [{', '.join(f'{c:.1f}' for c in result['cpu'])}];"
                f" {_load()}"
            )


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--role" and sys.argv[2] == "reminder-replica":
        os.environ.setdefault("PTB_TIMEDELTA", "1")
        asyncio.run(reminder_replica(sys.argv[3], sys.argv[4], float(sys.argv[5])))
    else:
        asyncio.run(main())
