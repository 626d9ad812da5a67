"""Throughput, CPU, latency and memory of Dazi beside a bare python-telegram-bot + openai bot.

Both bots run the real PTB Application against the in-memory fake Bot API, each in its own
process, and talk to the same fake OpenAI-compatible server (answering at once) in a third
process. For each bot it prints:

- messages handled per second when 1,000 users write at once (no Telegram rate limits applied:
  this measures the bot, not Telegram's ~30/s cap);
- the bot's CPU milliseconds per message (user + system time of its process, fake API included);
- latency from update to reply at a steady 30 messages/s (p50/p99), loopback LLM included;
- peak memory (max RSS of the process).

The bare bot runs twice: with the openai SDK's defaults (httpx), the baseline the targets are
set against, and on the SDK's aiohttp transport that Dazi uses ("bare+aio"), so the cost of
Dazi's own work (storage, memory, streaming, learning) is visible apart from the transport.

Run: ``python benchmarks/throughput.py`` (``--users 1000 --per-user 3 --rate 30 --seconds 10``).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import multiprocessing as mp
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from telegram import Update
from telegram.ext import Application, ApplicationBuilder, ContextTypes, MessageHandler, filters

TOKEN = "123456789:BENCH-token-abcdefghijklmnopqrstuvwxyz"
#: The bare bot again, on the SDK's aiohttp transport (Dazi's): what is left is Dazi's own work.
BARE_AIOHTTP = "bare+aio"
VARIANTS = ("bare", BARE_AIOHTTP, "dazi")


def serve_llm(port_queue: Any) -> None:
    """The fake LLM, in its own process so its CPU is not billed to the bots."""
    from tests.fakes.llm import FakeLLM

    async def main() -> None:
        server = FakeLLM(chunk_size=10_000)
        port_queue.put(await server.start())
        await asyncio.Event().wait()

    asyncio.run(main())


async def build_dazi(base_url: str, api: Any, workdir: str) -> tuple[Application, Any, Any]:
    from bot.app import build_services, close_services
    from bot.config import load_settings
    from bot.telegram import build_application
    from bot.telegram.ratelimit import ChatRateLimiter

    settings = load_settings(
        _env_file=None,
        telegram_bot_token=TOKEN,
        openai_api_key="sk-bench",
        openai_base_url=base_url,
        database_path=Path(workdir) / "bench.sqlite3",
        log_level="WARNING",
    )
    services = await build_services(settings)
    unlimited = ChatRateLimiter(
        overall_per_second=1e6, private_per_second=1e6, group_per_minute=1e8
    )
    app = build_application(settings, services, request=api, rate_limiter=unlimited)
    return app, services.conversation.drain, lambda: close_services(services)


async def build_bare(
    base_url: str, api: Any, workdir: str, *, aiohttp: bool = False
) -> tuple[Application, Any, Any]:
    from openai import AsyncOpenAI, DefaultAioHttpClient

    transport = DefaultAioHttpClient() if aiohttp else None
    client = AsyncOpenAI(api_key="sk-bench", base_url=base_url, http_client=transport)

    async def reply(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        response = await client.chat.completions.create(
            model="fake", messages=[{"role": "user", "content": update.message.text or ""}]
        )
        await update.message.reply_text(response.choices[0].message.content or "")

    app = (
        ApplicationBuilder()
        .token(TOKEN)
        .request(api)
        .get_updates_request(api)
        .concurrent_updates(512)
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT, reply))
    return app, _nothing, client.close


async def _nothing() -> None:
    """The bare bot has no background work."""


def measure(variant: str, base_url: str, args: argparse.Namespace, results: Any) -> None:
    """Run one bot in this (child) process and report its figures."""
    logging.basicConfig(level=logging.WARNING)
    results.put((variant, asyncio.run(_measure(variant, base_url, args))))


async def _measure(variant: str, base_url: str, args: argparse.Namespace) -> dict[str, float]:
    from tests.fakes.telegram import FakeBotAPI, FakeUser

    api = FakeBotAPI(keep_calls=False)
    with tempfile.TemporaryDirectory() as workdir:
        if variant == "dazi":
            app, drain, close = await build_dazi(base_url, api, workdir)
        else:
            app, drain, close = await build_bare(
                base_url, api, workdir, aiohttp=variant == BARE_AIOHTTP
            )
        async with app:
            await app.start()
            assert app.updater is not None
            await app.updater.start_polling(poll_interval=0)
            users = [FakeUser(10_000 + i, f"user{i}") for i in range(args.users)]

            await _burst(api, users[:50], 1)  # warm up connections and caches
            sent_before = api.sent_count
            cpu0, wall0 = _cpu(), time.perf_counter()
            await _burst(api, users, args.per_user, already=sent_before)
            wall, cpu = time.perf_counter() - wall0, _cpu() - cpu0
            handled = args.users * args.per_user
            await drain()  # background work: Dazi learns facts from the burst's exchanges
            cpu_with_background = _cpu() - cpu0

            latencies = await _steady(api, args.rate, args.seconds)
            await app.updater.stop()
            await app.stop()
        await close()
    return {
        "msgs_per_s": handled / wall,
        "cpu_ms_per_msg": cpu * 1000 / handled,
        "cpu_ms_per_msg_all": cpu_with_background * 1000 / handled,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": statistics.quantiles(latencies, n=100)[98] * 1000,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


async def _burst(api: Any, users: list[Any], per_user: int, already: int = 0) -> None:
    """Every user writes ``per_user`` messages at once; wait for every reply."""
    for round_ in range(per_user):
        for user in users:
            api.push_text(user, f"message {round_} from {user.first_name}: how was your day?")
    expected = already + len(users) * per_user
    await api.wait_for(lambda: api.sent_count >= expected, timeout=600)


async def _steady(api: Any, rate: float, seconds: float) -> list[float]:
    """Send ``rate`` messages per second from fresh users; return update-to-reply latencies."""
    from tests.fakes.telegram import FakeUser

    loop = asyncio.get_running_loop()
    pushed: dict[int, float] = {}
    start = loop.time()
    count = int(rate * seconds)
    expected = api.sent_count + count
    for index in range(count):
        await asyncio.sleep(max(0.0, start + index / rate - loop.time()))
        user = FakeUser(900_000 + index, f"steady{index}")
        pushed[user.id] = loop.time()
        api.push_text(user, "tell me something nice")
    await api.wait_for(lambda: api.sent_count >= expected, timeout=120)
    replied = {chat: at for chat, at in api.sent_log if chat in pushed}
    return [replied[chat] - pushed[chat] for chat in pushed]


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--per-user", type=int, default=3)
    parser.add_argument("--rate", type=float, default=30.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()

    context = mp.get_context("spawn")
    ports = context.Queue()
    server = context.Process(target=serve_llm, args=(ports,), daemon=True)
    server.start()
    base_url = ports.get(timeout=60)
    figures: dict[str, dict[str, float]] = {}
    try:
        for variant in VARIANTS:
            results = context.Queue()
            child = context.Process(target=measure, args=(variant, base_url, args, results))
            child.start()
            name, figures[name] = results.get(timeout=900)
            child.join()
    finally:
        server.terminate()
    _print(figures, args)


def _print(figures: dict[str, dict[str, float]], args: argparse.Namespace) -> None:
    print(f"{args.users} users x {args.per_user} messages; latency at {args.rate:g} msg/s")
    print(
        f"{'':8}{'msgs/s':>10}{'CPU ms/msg':>12}{'+learning':>11}"
        f"{'p50 ms':>9}{'p99 ms':>9}{'peak RSS MB':>13}"
    )
    for name in VARIANTS:
        f = figures[name]
        print(
            f"{name:8}{f['msgs_per_s']:>10.0f}{f['cpu_ms_per_msg']:>12.2f}"
            f"{f['cpu_ms_per_msg_all']:>11.2f}"
            f"{f['p50_ms']:>9.1f}{f['p99_ms']:>9.1f}{f['peak_rss_mb']:>13.0f}"
        )
    dazi = figures["dazi"]
    for base in ("bare", BARE_AIOHTTP):
        reference = figures[base]["cpu_ms_per_msg"]
        print(
            f"CPU per message, dazi / {base}: {dazi['cpu_ms_per_msg'] / reference:.2f}"
            f" (with fact learning: {dazi['cpu_ms_per_msg_all'] / reference:.2f})"
        )


if __name__ == "__main__":
    main()
