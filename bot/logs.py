"""Logging that never shows secrets: tokens and API keys are masked in every record."""

from __future__ import annotations

import logging
from collections.abc import Iterable

__all__ = ["setup_logging"]

_NOISY = ("httpx", "httpx2", "httpcore", "telegram.ext.Updater", "apscheduler")


class RedactSecrets(logging.Filter):
    """Replace every known secret in a record's final message with asterisks."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self._secrets = [secret for secret in secrets if len(secret) >= 6]

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        redacted = self._redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_text:
            record.exc_text = self._redact(record.exc_text)
        return True

    def _redact(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, "***")
        return text


def setup_logging(level: str, *, secrets: Iterable[str]) -> None:
    """Log to stderr at ``level``, masking ``secrets`` in every handler's output."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactSecrets(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every request URL, and Telegram's URLs carry the bot token.
    for name in _NOISY:
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))
