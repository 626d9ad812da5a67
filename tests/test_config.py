"""Settings: clear one-line errors, and `python -m bot` stopping cleanly on a bad setting."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
from aiohttp import web

from bot.config import ConfigError, load_settings

TOKEN = "123456789:AAabcdefghijklmnopqrstuvwxyz012345"
ROOT = Path(__file__).resolve().parents[1]


def _clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.isupper()
        or key
        in (
            "PATH",
            "HOME",
            "LANG",
            "SYSTEMROOT",
            "PYTHONPATH",
            "VIRTUAL_ENV",
        )
    }
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    return env


def test_missing_token_stops_python_m_bot_with_one_clear_line(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot"],
        cwd=tmp_path,
        env=_clean_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "TELEGRAM_BOT_TOKEN" in lines[0] and "@BotFather" in lines[0]
    assert "Traceback" not in result.stderr


def test_invalid_timezone_names_the_variable(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot"],
        cwd=tmp_path,
        env=_clean_env(
            tmp_path, TELEGRAM_BOT_TOKEN=TOKEN, OPENAI_API_KEY="sk-x", DEFAULT_TIMEZONE="Mars/Base"
        ),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "DEFAULT_TIMEZONE" in result.stderr
    assert TOKEN not in result.stderr


def test_token_is_read_from_a_dotenv_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    (tmp_path / ".env").write_text(
        f"TELEGRAM_BOT_TOKEN={TOKEN}\nOPENAI_BASE_URL=http://localhost:11434/v1\n"
        "ALLOWED_USER_IDS=1, 2;3\nOPENAI_API_KEY=\nLOG_LEVEL=debug\n"
    )
    settings = load_settings()
    assert settings.telegram_bot_token.get_secret_value() == TOKEN
    assert settings.allowed_user_ids == frozenset({1, 2, 3})
    assert settings.log_level == "DEBUG"
    assert TOKEN not in repr(settings)


def test_malformed_token_is_explained() -> None:
    with pytest.raises(ConfigError, match="TELEGRAM_BOT_TOKEN does not look like a bot token"):
        load_settings(_env_file=None, telegram_bot_token="hello")


def test_openai_without_key_is_explained(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    with pytest.raises(ConfigError, match="OPENAI_API_KEY is missing"):
        load_settings(_env_file=None, telegram_bot_token=TOKEN)


def test_bad_allowlist_is_explained() -> None:
    with pytest.raises(ConfigError, match="ALLOWED_USER_IDS"):
        load_settings(
            _env_file=None, telegram_bot_token=TOKEN, openai_api_key="k", allowed_user_ids="me,you"
        )


def _run_bot(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot"],
        cwd=tmp_path,
        env=_clean_env(tmp_path, **env),
        capture_output=True,
        text=True,
        timeout=60,
    )


async def _serve_bot_api(status: int, body: dict) -> tuple[web.AppRunner, str]:
    """A Bot API stand-in that answers every method with one fixed reply."""

    async def answer(request: web.Request) -> web.Response:
        return web.json_response(body, status=status)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", answer)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}/bot"


async def test_a_token_telegram_rejects_is_one_clear_line(tmp_path: Path) -> None:
    rejected = {"ok": False, "error_code": 401, "description": "Unauthorized"}
    runner, base_url = await _serve_bot_api(401, rejected)
    try:
        result = await asyncio.to_thread(
            _run_bot,
            tmp_path,
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_API_BASE_URL=base_url,
            OPENAI_API_KEY="sk-x",
        )
    finally:
        await runner.cleanup()
    assert result.returncode == 2
    last = result.stderr.strip().splitlines()[-1]  # after the start-up log lines
    assert "TELEGRAM_BOT_TOKEN was rejected" in last and "@BotFather" in last
    assert TOKEN not in result.stderr + result.stdout and "Traceback" not in result.stderr


def test_an_unusable_database_path_is_one_clear_line(tmp_path: Path) -> None:
    (tmp_path / "blocker").write_text("a file where a folder should be")
    result = _run_bot(
        tmp_path,
        TELEGRAM_BOT_TOKEN=TOKEN,
        OPENAI_API_KEY="sk-x",
        DATABASE_PATH=str(tmp_path / "blocker" / "dazi.sqlite3"),
    )
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0, result.stderr
    assert "DATABASE_PATH" in result.stderr and "Traceback" not in result.stderr


def test_database_url_is_checked_and_never_shown_with_its_password() -> None:
    url = "postgresql://dazi:hunter2-s3cret@db.example.com:5433/dazi"
    settings = load_settings(
        _env_file=None, telegram_bot_token=TOKEN, openai_api_key="sk-x", database_url=url
    )
    assert settings.database_url is not None and settings.database_url.get_secret_value() == url
    assert settings.database_label == "DATABASE_URL postgresql://dazi@db.example.com:5433/dazi"
    assert settings.database_password == "hunter2-s3cret"
    assert "hunter2" not in repr(settings)
    unset = load_settings(_env_file=None, telegram_bot_token=TOKEN, openai_api_key="sk-x")
    assert unset.database_url is None and unset.database_label.startswith("DATABASE_PATH ")
    with pytest.raises(ConfigError) as error:
        load_settings(
            _env_file=None,
            telegram_bot_token=TOKEN,
            openai_api_key="sk-x",
            database_url="mysql://root:hunter2-s3cret@localhost/dazi",
        )
    assert "DATABASE_URL" in str(error.value) and "postgresql://" in str(error.value)
    assert "hunter2" not in str(error.value)


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        # Nothing listens there: "connection refused" on uvloop (python -m bot's loop where it
        # is installed), "connect call failed" on asyncio's own loop.
        ("127.0.0.1:1/test", "connection refused|connect call failed"),
        # The real server, a database it does not have.
        ("127.0.0.1:5432/no_such_dazi_database", "does not exist"),
    ],
)
def test_an_unusable_database_url_is_one_clear_line_without_the_password(
    tmp_path: Path, address: str, reason: str
) -> None:
    result = _run_bot(
        tmp_path,
        TELEGRAM_BOT_TOKEN=TOKEN,
        OPENAI_API_KEY="sk-x",
        DATABASE_URL=f"postgresql://postgres:hunter2-s3cret@{address}",
    )
    assert result.returncode == 2, result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("Configuration error: DATABASE_URL postgresql://postgres@127.0.0.1:")
    assert any(part in last.lower() for part in reason.split("|"))
    assert "PostgreSQL server runs" in last
    assert "hunter2" not in result.stderr + result.stdout and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("database_url", "message"),
    [
        (None, "DATABASE_URL is not set"),
        ("postgresql://postgres@127.0.0.1:5432/test", "there is no such file"),
    ],
)
def test_migrate_without_a_target_or_a_source_is_one_clear_line(
    tmp_path: Path, database_url: str | None, message: str
) -> None:
    env = {"TELEGRAM_BOT_TOKEN": TOKEN, "OPENAI_API_KEY": "sk-x"}
    if database_url:
        env["DATABASE_URL"] = database_url
    result = subprocess.run(
        [sys.executable, "-m", "bot", "migrate", "--from-sqlite", "missing.sqlite3"],
        cwd=tmp_path,
        env=_clean_env(tmp_path, **env),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().count("\n") == 0, result.stderr
    assert message in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "missing.sqlite3").exists()  # nothing created by mistake
