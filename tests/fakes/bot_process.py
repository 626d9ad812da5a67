"""Dazi as its own process (``python -m bot``) against a fake Bot API over loopback HTTP, with
SIGKILLs at chosen moments of a burst of due reminders: the crash test of the scheduler.

The fake API identifies each reminder by its text (``task-0042``) in the ``sendMessage`` that
carries it, and can kill the bot at the N-th accepted send: *before* answering it (Telegram has
taken the message, the bot never hears so: the one window in which a duplicate is allowed), or
a moment *after* answering it.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sqlite3
import sys
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiohttp import web

from bot.app import build_services, close_services
from bot.config import load_settings
from bot.reminders.repository import NewReminder
from tests.fakes.telegram_http import HttpBotAPI
from tests.fakes.waiting import until

__all__ = [
    "BotProcess",
    "CrashReport",
    "Kill",
    "KillingBotAPI",
    "crash_run",
    "kill_points",
    "seed_due_reminders",
]

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "123456789:CRASH-token-abcdefghijklmnopqrstuvwxyz"
_TASK = re.compile(r"task-(\d{4})")


@dataclass(frozen=True)
class Kill:
    """SIGKILL at the ``at_send``-th send accepted in this run, before answering it (``after``
    False) or ``delay`` seconds after answering it."""

    at_send: int
    after: bool = False
    delay: float = 0.0


@dataclass
class KillingBotAPI(HttpBotAPI):
    """The HTTP fake Bot API, counting reminder sends and killing the bot when told to."""

    accepted: list[int] = field(default_factory=list)  # reminder numbers, in accept order
    process: asyncio.subprocess.Process | None = None
    kill: Kill | None = None
    sends_this_run: int = 0
    killed: asyncio.Event = field(default_factory=asyncio.Event)

    def arm(self, process: asyncio.subprocess.Process, kill: Kill | None) -> None:
        self.process, self.kill, self.sends_this_run = process, kill, 0
        self.killed = asyncio.Event()

    async def _call(self, request: web.Request) -> web.Response:
        response = await super()._call(request)
        if request.match_info["method"] != "sendMessage" or response.status != 200:
            return response
        calls = self.api.calls_of("sendMessage")
        found = _TASK.search(calls[-1].params.get("text", "")) if calls else None
        if found is None:
            return response
        self.accepted.append(int(found.group(1)))
        self.sends_this_run += 1
        kill = self.kill
        if kill is not None and self.sends_this_run == kill.at_send:
            self.kill = None
            if not kill.after:
                self._sigkill()  # Telegram has the message; the bot will never hear so
            else:
                asyncio.get_running_loop().call_later(kill.delay, self._sigkill)
        return response

    async def drained(self, *, timeout: float = 30.0) -> None:
        """Wait until the server has read and closed every connection of the dead process:
        requests it had written before dying are still in the socket buffers, and Telegram
        takes them (they count for the run that sent them)."""
        assert self._runner is not None and self._runner.server is not None
        server = self._runner.server
        await until(lambda: not server.connections, timeout=timeout)

    def _sigkill(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(signal.SIGKILL)
        self.killed.set()


@dataclass
class BotProcess:
    """Starts ``python -m bot`` on ``database`` against ``api``."""

    api: KillingBotAPI
    database: Path
    workdir: Path
    llm_url: str = "http://127.0.0.1:9/v1"  # never called: no one chats in this test
    #: Telegram's overall limit as the bot applies it (30/s in production; lifted in tests).
    rate_per_second: float = 1000.0
    #: Where the bot downloads the files users send (the fake API's file server), if any.
    file_base_url: str = ""

    def env(self) -> dict[str, str]:
        return {
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(self.workdir),
            "PYTHONPATH": str(ROOT),
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE_URL": self.api.base_url,
            "OPENAI_API_KEY": "sk-crash-test",
            "OPENAI_BASE_URL": self.llm_url,
            "LLM_MODEL": "fake-model",
            "DATABASE_PATH": str(self.database),
            "RATE_OVERALL_PER_SECOND": str(self.rate_per_second),
            "RATE_PRIVATE_CHAT_PER_SECOND": "1000",
            "PTB_TIMEDELTA": "1",
        } | ({"TELEGRAM_FILE_BASE_URL": self.file_base_url} if self.file_base_url else {})

    async def start(self) -> asyncio.subprocess.Process:
        """``python -m bot``, its standard error appended to ``bot.log`` in the workdir."""
        log = open(self.workdir / "bot.log", "ab")  # noqa: SIM115 (the child writes it)
        try:
            return await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                cwd=self.workdir,
                env=self.env(),
                stdout=asyncio.subprocess.DEVNULL,
                stderr=log,
            )
        finally:
            log.close()

    def log_tail(self, lines: int = 30) -> str:
        """The end of what the bot's runs logged (their standard error)."""
        log = self.workdir / "bot.log"
        text = log.read_text(errors="replace") if log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    async def run(self, kill: Kill | None, *, expect: int, timeout: float) -> bool:
        """Run until killed, or (no kill) until the database records all ``expect`` reminders
        as delivered (so every resend is done); then stop it and let the server read what it
        had sent. Returns whether it was killed."""
        process = await self.start()
        self.api.arm(process, kill)
        try:
            async with asyncio.timeout(timeout):
                if kill is not None:
                    await process.wait()
                    if not self.api.killed.is_set():
                        raise AssertionError(
                            f"the bot ended by itself (exit {process.returncode}) before its "
                            f"kill at send {kill.at_send}:\n{self.log_tail()}"
                        )
                    return True
                everyone = set(range(expect))
                await until(
                    lambda: (
                        everyone <= set(self.api.accepted)
                        and not unrecorded(self.database, everyone)
                    ),
                    timeout=timeout,
                )
                return False
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGKILL)
            await process.wait()
            await self.api.drained()


@dataclass
class CrashReport:
    """Per reminder: how many times Telegram accepted it; and which were in the window."""

    deliveries: Counter[int]
    #: How many times each reminder was accepted by Telegram but not recorded when a kill hit.
    in_window: Counter[int]
    expected: int
    #: What Telegram accepted in each run, in order (the last run is the one without a kill).
    runs: list[list[int]] = field(default_factory=list)

    @property
    def lost(self) -> list[int]:
        return [number for number in range(self.expected) if not self.deliveries[number]]

    @property
    def extra_deliveries(self) -> Counter[int]:
        """Sends beyond the first, per reminder."""
        return Counter({n: count - 1 for n, count in self.deliveries.items() if count > 1})


async def seed_due_reminders(database: Path, count: int, *, chats: int = 5) -> None:
    """``count`` one-off reminders due now (``task-0000``...), spread over a few private chats."""
    settings = load_settings(
        _env_file=None,
        telegram_bot_token=TOKEN,
        openai_api_key="sk-crash-test",
        database_path=database,
    )
    services = await build_services(settings)
    try:
        now = datetime.now(UTC)
        for user in range(chats):
            await services.users.upsert(
                user_id=1000 + user, first_name=f"U{user}", username=None, language="en", now=now
            )
        for number in range(count):
            chat = 1000 + number % chats
            await services.reminders.repo.add(
                NewReminder(
                    user_id=chat,
                    chat_id=chat,
                    text=f"task-{number:04d}",
                    language="en",
                    timezone="UTC",
                    due_at=now - timedelta(seconds=1),
                ),
                now=now - timedelta(minutes=1),
            )
    finally:
        await close_services(services)


def unrecorded(database: Path, numbers: set[int]) -> set[int]:
    """Of these reminders, those the database does not record as delivered (or done)."""
    with sqlite3.connect(database) as connection:
        rows = connection.execute("SELECT text, status FROM reminders").fetchall()
    status = {int(text[5:]): state for text, state in rows if text.startswith("task-")}
    return {number for number in numbers if status.get(number) in ("scheduled", "claimed")}


async def crash_run(
    workdir: Path,
    *,
    count: int,
    kills: list[Kill],
    timeout: float = 90.0,
    rate_per_second: float = 1000.0,
) -> CrashReport:
    """Seed ``count`` due reminders, run the bot through ``kills`` (restarting after each),
    then once more to the end; count what Telegram accepted."""
    database = workdir / "dazi.sqlite3"
    await seed_due_reminders(database, count)
    api = KillingBotAPI()
    await api.start()
    in_window: Counter[int] = Counter()
    runs: list[list[int]] = []
    try:
        bot = BotProcess(api, database, workdir, rate_per_second=rate_per_second)
        for kill in kills:
            before = len(api.accepted)
            await bot.run(kill, expect=count, timeout=timeout)
            runs.append(api.accepted[before:])
            in_window.update(unrecorded(database, set(runs[-1])))
        before = len(api.accepted)
        await bot.run(None, expect=count, timeout=timeout)
        runs.append(api.accepted[before:])
    finally:
        await api.stop()
    return CrashReport(Counter(api.accepted), in_window, count, runs)


def kill_points(pairs: list[tuple[int, bool]]) -> list[Kill]:
    """Kills from (send number, after the answer?) pairs; "after" waits 2 ms."""
    return [Kill(at, after=after, delay=0.002 if after else 0.0) for at, after in pairs]
