"""The Docker path: `docker run --env-file .env` with a `.env` copied from `.env.example` keeps
the image's own settings (the database in the /data volume) and reads values like Docker does
(quotes kept in the value)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.config import load_settings

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "123456789:AAabcdefghijklmnopqrstuvwxyz012345"


def _image_env() -> dict[str, str]:
    """The ENV settings of the Dockerfile (one ENV instruction, continued lines)."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    env: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("ENV "):
            env.update(re.findall(r"(\w+)=(\S+)", line))
    return env


def _docker_env_file(path: Path) -> dict[str, str]:
    """Read an env file as `docker run --env-file` does: KEY=VALUE lines taken literally
    (no quote removal), comments and blank lines skipped."""
    env: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.lstrip()
        if not line or line.startswith("#"):
            continue
        key, _, value = line.partition("=")
        env[key] = value
    return env


def test_the_image_keeps_its_database_in_the_volume() -> None:
    assert _image_env()["DATABASE_PATH"] == "/data/dazi.sqlite3"
    assert 'VOLUME ["/data"]' in (ROOT / "Dockerfile").read_text(encoding="utf-8")


def test_env_example_does_not_override_the_images_settings() -> None:
    from_env_file = _docker_env_file(ROOT / ".env.example")
    overridden = sorted(set(_image_env()) & set(from_env_file))
    # Docker gives --env-file values precedence over the image's ENV, even empty ones.
    assert overridden == []


def test_settings_under_docker_run_with_the_example_env_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = {**_image_env(), **_docker_env_file(ROOT / ".env.example")}
    env.update(TELEGRAM_BOT_TOKEN=TOKEN, OPENAI_API_KEY="sk-test")
    monkeypatch.chdir(tmp_path)  # no .env file: the container has none either
    for key in env:
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    settings = load_settings()
    assert settings.database_path == Path("/data/dazi.sqlite3")
    assert settings.telegram_bot_token.get_secret_value() == TOKEN


def test_quoted_values_mean_the_same_in_docker_and_in_dotenv(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    # Docker passes `EMBEDDING_QUERY_PREFIX="query: "` with its quotes.
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", f'"{TOKEN}"')
    monkeypatch.setenv("OPENAI_API_KEY", "'sk-test'")
    monkeypatch.setenv("EMBEDDING_QUERY_PREFIX", '"query: "')
    monkeypatch.setenv("DEFAULT_TIMEZONE", '"Europe/Berlin"')
    from_docker = load_settings()
    assert from_docker.telegram_bot_token.get_secret_value() == TOKEN
    assert from_docker.openai_api_key.get_secret_value() == "sk-test"
    assert from_docker.embedding_query_prefix == "query: "
    assert from_docker.default_timezone == "Europe/Berlin"
    for key in ("TELEGRAM_BOT_TOKEN", "OPENAI_API_KEY", "EMBEDDING_QUERY_PREFIX"):
        monkeypatch.delenv(key)
    monkeypatch.delenv("DEFAULT_TIMEZONE")
    (tmp_path / ".env").write_text(
        f'TELEGRAM_BOT_TOKEN="{TOKEN}"\nOPENAI_API_KEY=sk-test\n'
        'EMBEDDING_QUERY_PREFIX="query: "\nDEFAULT_TIMEZONE="Europe/Berlin"\n',
        encoding="utf-8",
    )
    from_dotenv = load_settings()
    assert from_dotenv.embedding_query_prefix == from_docker.embedding_query_prefix
    assert from_dotenv.default_timezone == from_docker.default_timezone
