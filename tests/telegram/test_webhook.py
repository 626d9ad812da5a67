"""Webhook mode, end to end over real HTTP: ``python -m bot`` as its own process, the fake Bot
API and the fake LLM on loopback, updates posted to the bot's webhook server as Telegram does."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.config import ConfigError, load_settings
from tests.fakes.harness import TEST_API_KEY, TEST_TOKEN
from tests.fakes.llm import FakeLLM
from tests.fakes.telegram import FakeChat, FakeUser
from tests.fakes.telegram_http import HttpBotAPI
from tests.fakes.waiting import until

ROOT = Path(__file__).resolve().parents[2]
SECRET = "s3cret-Token_for-tests"
PUBLIC_URL = "https://bot.example.test/telegram/hook"
ANNA = FakeUser(101, "Anna", "en")
LI = FakeUser(202, "李雷", "zh-hans")


@dataclass
class WebhookBot:
    process: asyncio.subprocess.Process
    api: HttpBotAPI
    url: str  # where the bot listens, on loopback

    async def post(self, update: dict[str, Any], secret: str | None = SECRET) -> int:
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
        async with (
            aiohttp.ClientSession() as session,
            session.post(self.url, json=update, headers=headers) as response,
        ):
            return response.status

    async def terminate(self, timeout: float = 20.0) -> int:
        self.process.send_signal(signal.SIGTERM)
        return await asyncio.wait_for(self.process.wait(), timeout)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _update(update_id: int, user: FakeUser, text: str) -> dict[str, Any]:
    message: dict[str, Any] = {
        "message_id": 500 + update_id,
        "from": user.as_dict(),
        "chat": FakeChat.private(user).as_dict(),
        "date": 1_790_000_000,
        "text": text,
    }
    if text.startswith("/"):
        length = len(text.split()[0])
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
    return {"update_id": update_id, "message": message}


@pytest.fixture
async def webhook_bot(tmp_path: Path, llm: FakeLLM) -> AsyncIterator[WebhookBot]:
    api = HttpBotAPI()
    await api.start()
    port = _free_port()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "PYTHONPATH": str(ROOT),
        "TELEGRAM_BOT_TOKEN": TEST_TOKEN,
        "TELEGRAM_API_BASE_URL": api.base_url,
        "OPENAI_API_KEY": TEST_API_KEY,
        "OPENAI_BASE_URL": llm.base_url,
        "LLM_MODEL": "fake-model",
        "DATABASE_PATH": str(tmp_path / "dazi.sqlite3"),
        "WEBHOOK_URL": PUBLIC_URL,
        "WEBHOOK_SECRET": SECRET,
        "WEBHOOK_LISTEN": "127.0.0.1",
        "WEBHOOK_PORT": str(port),
        "PTB_TIMEDELTA": "1",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=open(tmp_path / "bot.log", "wb"),  # noqa: SIM115 (the child owns it)
    )
    bot = WebhookBot(process, api, f"http://127.0.0.1:{port}/telegram/hook")
    try:
        await api.api.wait_for(lambda: api.api.calls_of("setWebhook"), timeout=60)
        yield bot
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        await api.stop()
        log = (tmp_path / "bot.log").read_text(errors="replace")
        assert TEST_TOKEN not in log and SECRET not in log, "a secret reached the log"


async def test_requests_without_the_secret_get_403_and_are_not_processed(
    webhook_bot: WebhookBot, llm: FakeLLM
) -> None:
    assert await webhook_bot.post(_update(1, ANNA, "forged without secret"), secret=None) == 403
    assert await webhook_bot.post(_update(2, ANNA, "forged wrong secret"), secret="nope") == 403
    assert await webhook_bot.post(_update(3, ANNA, "Hello there"), secret=SECRET) == 200
    api = webhook_bot.api.api
    [reply] = await api.wait_for_messages(1, ANNA.id, timeout=30)
    assert reply["text"] == "You said: Hello there"
    assert "forged" not in llm.all_prompt_text()
    assert await webhook_bot.terminate() == 0
    assert api.texts() == ["You said: Hello there"]


async def test_registers_with_the_secret_and_answers_in_chinese(webhook_bot: WebhookBot) -> None:
    [call] = webhook_bot.api.api.calls_of("setWebhook")
    assert call.params["url"] == PUBLIC_URL
    assert call.params["secret_token"] == SECRET
    assert not webhook_bot.api.api.calls_of("getUpdates"), "webhook mode must not poll"
    async with aiohttp.ClientSession() as session:
        headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
        async with session.post(webhook_bot.url, data=b"not json", headers=headers) as response:
            assert response.status == 400
        # An update this library version cannot parse (a poll without its question) is
        # taken with 200, or Telegram would keep retrying it.
        poll = {"id": "1", "options": [], "total_voter_count": 0, "is_closed": False}
        body = {"update_id": 6, "poll": {**poll, "is_anonymous": True, "type": "regular"}}
        async with session.post(webhook_bot.url, json=body, headers=headers) as response:
            assert response.status == 200
        health = webhook_bot.url.replace("/telegram/hook", "/healthz")
        async with session.get(health) as response:
            assert response.status == 200
    assert await webhook_bot.post(_update(7, LI, "/start")) == 200
    [greeting] = await webhook_bot.api.api.wait_for_messages(1, LI.id, timeout=30)
    assert "李雷" in greeting["text"] and "搭子" in greeting["text"]


async def test_sigterm_drains_an_update_in_flight(webhook_bot: WebhookBot, llm: FakeLLM) -> None:
    llm.response_delay = 1.0  # the model is still thinking when the replica is told to stop
    assert await webhook_bot.post(_update(9, ANNA, "Are you still there?")) == 200
    await until(lambda: llm.chat_requests)
    assert await webhook_bot.terminate() == 0
    assert webhook_bot.api.api.texts(ANNA.id) == ["You said: Are you still there?"]


def test_webhook_settings_are_checked() -> None:
    base = {"_env_file": None, "telegram_bot_token": TEST_TOKEN, "openai_api_key": "k"}
    with pytest.raises(ConfigError, match="WEBHOOK_SECRET is missing"):
        load_settings(**base, webhook_url=PUBLIC_URL)
    with pytest.raises(ConfigError, match="WEBHOOK_URL must be the public HTTPS address"):
        load_settings(**base, webhook_url="http://bot.example.test/x", webhook_secret=SECRET)
    with pytest.raises(ConfigError, match="WEBHOOK_SECRET must be 1-256 characters"):
        load_settings(**base, webhook_url=PUBLIC_URL, webhook_secret="has spaces!")
    settings = load_settings(**base, webhook_url=PUBLIC_URL, webhook_secret=SECRET)
    assert settings.webhook_path == "/telegram/hook" and SECRET not in repr(settings)
    assert load_settings(**base).webhook_url is None  # unset: long polling
