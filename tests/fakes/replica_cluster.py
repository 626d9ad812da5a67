"""Several replicas of Dazi in webhook mode, each its own process, behind a fake load balancer.

Each replica is ``python -m tests.fakes.replica_process`` (see there: the real ``serve``, the
whole bot on one schema of the real PostgreSQL server, shared by every replica) with its own
webhook port and ``REPLICA_ID``, against one fake Bot API over loopback HTTP and one fake model
server. :meth:`ReplicaCluster.post` plays Telegram: it posts an update to a replica and,
when that replica does not answer (killed), to the next one, as Telegram retries a webhook.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from tests.fakes.postgres import POSTGRES_URL
from tests.fakes.telegram_http import HttpBotAPI

__all__ = ["SECRET", "TOKEN", "Replica", "ReplicaCluster", "private_text"]

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "123456789:REPLICA-token-abcdefghijklmnopqrstuvwxyz"
SECRET = "replica-Secret_for-tests"
PUBLIC_URL = "https://bot.example.test/hook"


def private_text(update_id: int, user_id: int, text: str) -> dict[str, Any]:
    """A text message from a user in their private chat with the bot."""
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "from": {"id": user_id, "is_bot": False, "first_name": f"U{user_id}"},
            "chat": {"id": user_id, "type": "private"},
            "date": 1_790_000_000,
            "text": text,
        },
    }


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Replica:
    name: str
    port: int
    process: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.returncode is None


@dataclass
class ReplicaCluster:
    """Starts, posts to, kills and stops replicas; ``env`` adds settings for every one."""

    workdir: Path
    schema: str
    api: HttpBotAPI
    llm_url: str
    env: dict[str, str] = field(default_factory=dict)
    replicas: list[Replica] = field(default_factory=list)
    _session: aiohttp.ClientSession | None = None

    def add(self, name: str) -> Replica:
        replica = Replica(name, _free_port())
        self.replicas.append(replica)
        return replica

    async def start(self, replica: Replica, *, timeout: float = 60.0) -> None:
        """Start the replica's process and wait until its webhook server answers."""
        env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(self.workdir),
            "PYTHONPATH": str(ROOT),
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE_URL": self.api.base_url,
            "OPENAI_API_KEY": "sk-replica-test",
            "OPENAI_BASE_URL": self.llm_url,
            "LLM_MODEL": "fake-model",
            "DATABASE_URL": self.database_url,
            "WEBHOOK_URL": PUBLIC_URL,
            "WEBHOOK_SECRET": SECRET,
            "WEBHOOK_LISTEN": "127.0.0.1",
            "WEBHOOK_PORT": str(replica.port),
            "REPLICA_ID": replica.name,
            "PTB_TIMEDELTA": "1",
            **self.env,
        }
        log = open(self.workdir / f"{replica.name}.log", "ab")  # noqa: SIM115 (child's)
        replica.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.fakes.replica_process",
            cwd=self.workdir,
            env=env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=log,
        )
        log.close()
        health = replica.url.replace("/hook", "/healthz")
        exited = asyncio.ensure_future(replica.process.wait())
        try:
            async with asyncio.timeout(timeout):
                while not exited.done():
                    try:
                        async with self.session.get(health) as response:
                            if response.status == 200:
                                return
                    except aiohttp.ClientError:
                        pass
                    await asyncio.sleep(0.1)
        finally:
            exited.cancel()
        raise RuntimeError(f"replica {replica.name} exited: {self.log(replica)}")

    @property
    def database_url(self) -> str:
        """Every replica's DATABASE_URL: the test server, every table in :attr:`schema`."""
        return f"{POSTGRES_URL}?search_path={self.schema}"

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        return self._session

    def log(self, replica: Replica) -> str:
        return (self.workdir / f"{replica.name}.log").read_text(errors="replace")[-3000:]

    async def post(self, update: dict[str, Any], first: int) -> Replica:
        """Post to replica ``first``; if it is down, to the next one (Telegram retries)."""
        headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
        count = len(self.replicas)
        for attempt in range(count * 20):
            replica = self.replicas[(first + attempt) % count]
            if not replica.alive:
                continue
            try:
                async with self.session.post(replica.url, json=update, headers=headers) as reply:
                    if reply.status == 200:
                        return replica
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.05)
        raise RuntimeError(f"no replica took update {update['update_id']}")

    def kill(self, replica: Replica) -> None:
        """SIGKILL: the replica dies on the spot, in the middle of whatever it does."""
        assert replica.process is not None
        replica.process.send_signal(signal.SIGKILL)

    async def terminate(self, replica: Replica, timeout: float = 30.0) -> int:
        """SIGTERM and wait: returns the exit code."""
        assert replica.process is not None
        if replica.process.returncode is None:
            replica.process.send_signal(signal.SIGTERM)
        return await asyncio.wait_for(replica.process.wait(), timeout)

    async def close(self) -> None:
        for replica in self.replicas:
            if replica.alive:
                assert replica.process is not None
                replica.process.kill()
                await replica.process.wait()
        if self._session is not None:
            await self._session.close()
