"""Settings, read from environment variables and an optional `.env` file.

Every setting is documented in `.env.example` and the README. A missing or invalid setting makes
`python -m bot` stop with one clear line that names the variable (see :func:`load_settings`).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

__all__ = ["ConfigError", "Settings", "load_settings"]

#: What Telegram accepts as a webhook's secret_token.
_SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")

_TOKEN_HELP = (
    "get one from @BotFather in Telegram (send /newbot) and put it in .env as "
    "TELEGRAM_BOT_TOKEN=123456:ABC..."
)


class ConfigError(Exception):
    """A setting is missing or invalid; the message says which one and how to fix it."""


class Settings(BaseSettings):
    """Dazi's configuration. Field names map to upper-case environment variables."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        env_ignore_empty=True,
        extra="ignore",
        case_sensitive=False,
    )

    # Telegram
    telegram_bot_token: SecretStr
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    allowed_user_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    rate_overall_per_second: float = Field(30.0, gt=0)
    rate_private_chat_per_second: float = Field(1.0, gt=0)
    rate_group_per_minute: float = Field(20.0, gt=0)
    # Webhook mode: Telegram posts updates to WEBHOOK_URL; unset = long polling.
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_listen: str = "0.0.0.0"
    webhook_port: int = Field(8080, ge=1, le=65535)
    #: Several replicas (webhook mode on PostgreSQL): this replica's stable name. With it, a
    #: restarted replica takes its own chats back at once; unset, host name and process id
    #: (its chats then wait for their lease to expire: REPLICA_LEASE_SECONDS).
    replica_id: str | None = None
    replica_lease_seconds: float = Field(30.0, ge=1, le=600)

    # The language model (any OpenAI-compatible endpoint)
    openai_api_key: SecretStr = SecretStr("")
    openai_base_url: str | None = None
    llm_model: str = "gpt-4o-mini"
    llm_timeout_seconds: float = Field(60.0, gt=0)
    llm_max_retries: int = Field(3, ge=0, le=10)
    llm_context_tokens: int = Field(8000, ge=1000)
    llm_temperature: float | None = Field(None, ge=0, le=2)
    #: The most tokens one answer may have (sent to the model as max_tokens).
    llm_answer_tokens: int = Field(1500, ge=64)
    #: A model that sends nothing for this long is reported to the user as not answering.
    llm_stall_seconds: float = Field(30.0, gt=0)
    #: No answer may take longer than this overall; what was written by then is sent.
    llm_answer_seconds: float = Field(180.0, gt=0)
    #: The most Telegram messages one answer may take; the whole answer then comes as a file.
    answer_max_messages: int = Field(4, ge=1, le=50)

    # Memory
    embedding_model: str | None = None
    embedding_base_url: str | None = None
    embedding_api_key: SecretStr | None = None
    embedding_query_prefix: str = ""
    embedding_document_prefix: str = ""
    memory_recall_tokens: int = Field(1200, ge=0)

    # Voice, photos and documents (each endpoint falls back to the chat model's URL and key)
    telegram_file_base_url: str = "https://api.telegram.org/file/bot"
    transcription_model: str | None = None
    transcription_base_url: str | None = None
    transcription_api_key: SecretStr | None = None
    vision: bool = True
    vision_model: str | None = None
    speech_model: str | None = None
    speech_voice: str = "alloy"
    speech_base_url: str | None = None
    speech_api_key: SecretStr | None = None
    media_max_audio_minutes: float = Field(10.0, gt=0)
    media_daily_audio_minutes: float = Field(30.0, ge=0)
    media_daily_images: int = Field(30, ge=0)
    media_uncapped_user_ids: Annotated[frozenset[int], NoDecode] = frozenset()

    # Storage, time and logs
    database_path: Path = Path("data/dazi.sqlite3")
    #: PostgreSQL instead of SQLite (several replicas share it): postgresql://user:pw@host/db.
    #: A secret: it may carry the password. Unset = SQLite at DATABASE_PATH.
    database_url: SecretStr | None = None
    default_timezone: str = "UTC"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    #: At shutdown, how long answers under way may take to finish before they are stopped.
    shutdown_grace_seconds: float = Field(5.0, ge=0, le=30)

    @field_validator("*", mode="before")
    @classmethod
    def _unquote(cls, value: object) -> object:
        """One pair of matching quotes around a value is not part of it: python-dotenv drops
        them from a `.env` file, `docker run --env-file` keeps them, and both must mean the
        same."""
        if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] in "\"'":
            return value[1:-1]
        return value

    @field_validator("telegram_bot_token")
    @classmethod
    def _token_looks_real(cls, value: SecretStr) -> SecretStr:
        token = value.get_secret_value().strip()
        if not token:
            raise ValueError("is empty")
        head, _, tail = token.partition(":")
        if not head.isdigit() or len(tail) < 20:
            raise ValueError("does not look like a bot token (expected 123456789:AA...)")
        return SecretStr(token)

    @field_validator("webhook_url")
    @classmethod
    def _https_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value.strip())
        if parts.scheme != "https" or not parts.hostname:
            raise ValueError(
                "must be the public HTTPS address Telegram posts to, "
                "such as https://bot.example.com/telegram"
            )
        return value.strip()

    @field_validator("webhook_secret")
    @classmethod
    def _secret_token_alphabet(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not _SECRET_TOKEN.fullmatch(value.get_secret_value()):
            raise ValueError(
                "must be 1-256 characters of A-Z, a-z, 0-9, _ and - (Telegram's rule); "
                "for example the output of: openssl rand -hex 32"
            )
        return value

    @field_validator("database_url")
    @classmethod
    def _postgres_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        url = value.get_secret_value().strip()
        parts = urlsplit(url)
        # The message never repeats the value: it may hold a password.
        if parts.scheme not in ("postgresql", "postgres") or not (parts.hostname or parts.path):
            raise ValueError(
                "must be a PostgreSQL address such as postgresql://dazi:password@localhost:5432/dazi"
            )
        return SecretStr(url)

    @field_validator("allowed_user_ids", "media_uncapped_user_ids", mode="before")
    @classmethod
    def _parse_id_list(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [part for part in value.replace(";", ",").replace(" ", ",").split(",") if part]
            try:
                return frozenset(int(part) for part in parts)
            except ValueError:
                raise ValueError("must be numeric Telegram user ids separated by commas") from None
        return value

    @field_validator("default_timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                "is not an IANA time zone such as Europe/Berlin or Asia/Shanghai"
            ) from None
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @property
    def webhook_path(self) -> str:
        """The path the webhook server answers on: the path of WEBHOOK_URL."""
        return urlsplit(self.webhook_url or "").path or "/"

    @property
    def database_label(self) -> str:
        """Where the data lives, fit for logs and messages: the path, or the URL without its
        password."""
        if self.database_url is None:
            return f"DATABASE_PATH {self.database_path}"
        parts = urlsplit(self.database_url.get_secret_value())
        host = parts.hostname or ""
        if ":" in host:
            host = f"[{host}]"
        netloc = f"{parts.username}@{host}" if parts.username else host
        if parts.port:
            netloc += f":{parts.port}"
        return "DATABASE_URL " + urlunsplit((parts.scheme, netloc, parts.path, "", ""))

    @property
    def database_password(self) -> str:
        """The password inside DATABASE_URL ("" when none), masked in every log line."""
        if self.database_url is None:
            return ""
        return urlsplit(self.database_url.get_secret_value()).password or ""

    @property
    def embedding_url(self) -> str | None:
        """Where embeddings are fetched: their own URL, else the chat model's."""
        return self.embedding_base_url or self.openai_base_url

    @property
    def embedding_key(self) -> str:
        """The embeddings endpoint's key: its own, else the chat model's."""
        own = self.embedding_api_key.get_secret_value() if self.embedding_api_key else ""
        return own or self.openai_api_key.get_secret_value()

    @property
    def transcription_url(self) -> str | None:
        return self.transcription_base_url or self.openai_base_url

    @property
    def transcription_key(self) -> str:
        return _own_or_chat(self.transcription_api_key, self.openai_api_key)

    @property
    def speech_url(self) -> str | None:
        return self.speech_base_url or self.openai_base_url

    @property
    def speech_key(self) -> str:
        return _own_or_chat(self.speech_api_key, self.openai_api_key)


def _own_or_chat(own: SecretStr | None, chat: SecretStr) -> str:
    value = own.get_secret_value() if own else ""
    return value or chat.get_secret_value()


def load_settings(**overrides: object) -> Settings:
    """Read the settings or raise ConfigError with one line that names the culprit."""
    try:
        settings = Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        first = error.errors()[0]
        name = str(first["loc"][0]).upper() if first["loc"] else "settings"
        if name == "TELEGRAM_BOT_TOKEN":
            problem = "is missing" if first["type"] == "missing" else _reason(first["msg"])
            raise ConfigError(f"TELEGRAM_BOT_TOKEN {problem}: {_TOKEN_HELP}") from None
        problem = "is missing" if first["type"] == "missing" else _reason(first["msg"])
        raise ConfigError(f"{name} {problem}; fix it in the environment or in .env") from None
    if not settings.openai_base_url and not settings.openai_api_key.get_secret_value():
        raise ConfigError(
            "OPENAI_API_KEY is missing: set it to your OpenAI key, or set OPENAI_BASE_URL to "
            "another OpenAI-compatible endpoint (DeepSeek, Qwen, Ollama, vLLM...)"
        )
    if settings.webhook_url and settings.webhook_secret is None:
        raise ConfigError(
            "WEBHOOK_SECRET is missing: webhook mode needs a secret so that nobody else can post "
            "updates to your bot; set it to a random string (openssl rand -hex 32)"
        )
    return settings


def _reason(message: str) -> str:
    return message.removeprefix("Value error, ")
