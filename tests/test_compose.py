"""docker-compose.yml agrees with the bot's settings and with the reverse proxy: every replica
reads a valid configuration (PostgreSQL at the compose database, webhook mode), listens where
Caddy sends Telegram's posts, and the image has the PostgreSQL driver. `docker compose config`
checks the file too, where a Docker engine answers."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from bot.config import Settings, load_settings

ROOT = Path(__file__).resolve().parents[1]
#: What an operator puts in .env for the compose file.
OPERATOR_ENV = {
    "DAZI_DOMAIN": "bot.example.com",
    "WEBHOOK_SECRET": "0123456789abcdef0123456789abcdef",
    "POSTGRES_PASSWORD": "correct-horse-battery",
    "TELEGRAM_BOT_TOKEN": "123456789:AAabcdefghijklmnopqrstuvwxyz012345",
    "OPENAI_API_KEY": "sk-test",
}
_VARIABLE = re.compile(r"\$\{(\w+)(?::?[?-]([^}]*))?\}")


def interpolate(value: Any, env: dict[str, str]) -> Any:
    """Compose's ${NAME}, ${NAME:?error} and ${NAME:-default}, as `docker compose` fills them."""
    if isinstance(value, str):

        def fill(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in env:
                return env[name]
            if "?" in match.group(0):
                raise KeyError(f"{name}: {match.group(2)}")
            return match.group(2) or ""

        return _VARIABLE.sub(fill, value)
    if isinstance(value, dict):
        return {key: interpolate(item, env) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item, env) for item in value]
    return value


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    document = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    return dict(interpolate(document, OPERATOR_ENV))


def bots(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: service for name, service in compose["services"].items() if "build" in service}


def replica_settings(service: dict[str, Any]) -> Settings:
    environment = {key.lower(): str(value) for key, value in service["environment"].items()}
    secrets = {key.lower(): value for key, value in OPERATOR_ENV.items() if key != "DAZI_DOMAIN"}
    unknown = set(environment) - set(Settings.model_fields)
    assert not unknown, f"not settings of the bot: {unknown}"
    return load_settings(_env_file=None, **{**secrets, **environment})


def test_two_replicas_of_the_bot_postgresql_and_a_reverse_proxy(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert len(bots(compose)) == 2
    assert services["postgres"]["image"].startswith("postgres:")
    assert services["caddy"]["image"].startswith("caddy:")
    for service in bots(compose).values():
        assert service["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert service["env_file"] == ".env"


def test_each_replica_reads_a_valid_configuration_for_the_compose_database(
    compose: dict[str, Any],
) -> None:
    database = compose["services"]["postgres"]["environment"]
    for service in bots(compose).values():
        settings = replica_settings(service)
        assert settings.database_url is not None
        url = urlsplit(settings.database_url.get_secret_value())
        assert url.hostname == "postgres" and url.port == 5432
        assert url.username == database["POSTGRES_USER"]
        assert url.password == database["POSTGRES_PASSWORD"] == OPERATOR_ENV["POSTGRES_PASSWORD"]
        assert url.path == "/" + database["POSTGRES_DB"]
        assert settings.webhook_url == f"https://{OPERATOR_ENV['DAZI_DOMAIN']}/telegram"
        assert settings.webhook_secret is not None
        assert settings.webhook_listen == "0.0.0.0"
        health = " ".join(service["healthcheck"]["test"])
        assert f"127.0.0.1:{settings.webhook_port}/healthz" in health


def test_replicas_have_their_own_names_and_share_telegrams_rate_limit(
    compose: dict[str, Any],
) -> None:
    replicas = {name: replica_settings(service) for name, service in bots(compose).items()}
    assert {name: settings.replica_id for name, settings in replicas.items()} == {
        name: name for name in replicas
    }
    # Telegram allows a bot about 30 messages/s in all, whichever replica sends them: the
    # replicas share one rate through PostgreSQL, so each is given the bot's whole rate.
    assert {settings.rate_overall_per_second for settings in replicas.values()} == {30}


def test_the_proxy_sends_the_webhook_path_to_every_replica(compose: dict[str, Any]) -> None:
    caddyfile = (ROOT / "deploy" / "Caddyfile").read_text(encoding="utf-8")
    mounted = compose["services"]["caddy"]["volumes"]
    assert "./deploy/Caddyfile:/etc/caddy/Caddyfile:ro" in mounted
    upstreams = set(re.findall(r"reverse_proxy((?: [\w-]+:\d+)+)", caddyfile)[0].split())
    for name, service in bots(compose).items():
        settings = replica_settings(service)
        assert f"{name}:{settings.webhook_port}" in upstreams
        assert f"handle {settings.webhook_path} " in caddyfile
        assert "health_uri /healthz" in caddyfile


def test_the_image_has_the_postgresql_driver() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert 'pip install --no-cache-dir ".[postgres]"' in dockerfile


def test_docker_compose_accepts_the_file(tmp_path: Path) -> None:
    docker = shutil.which("docker")
    engine = docker and subprocess.run([docker, "info"], capture_output=True).returncode == 0
    if not engine:
        pytest.skip("no Docker engine answers here")
    # Next to its own .env, as an operator has it (the bots read it too: env_file).
    shutil.copy(ROOT / "docker-compose.yml", tmp_path / "docker-compose.yml")
    shutil.copytree(ROOT / "deploy", tmp_path / "deploy")
    (tmp_path / ".env").write_text("".join(f"{k}={v}\n" for k, v in OPERATOR_ENV.items()))
    result = subprocess.run(
        [str(docker), "compose", "config", "--quiet"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
