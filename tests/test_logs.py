"""Secrets never reach the logs."""

from __future__ import annotations

import logging

from bot.logs import RedactSecrets

SECRET = "123456:very-secret-token-value"


def test_secrets_are_masked_in_messages_arguments_and_tracebacks() -> None:
    records: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(self.format(record))

    handler = Collect()
    handler.addFilter(RedactSecrets([SECRET]))
    logger = logging.getLogger("test.redact")
    logger.addHandler(handler)
    try:
        logger.warning("POST https://api.telegram.org/bot%s/getMe", SECRET)
        try:
            raise RuntimeError(f"failed calling bot{SECRET}")
        except RuntimeError:
            logger.exception("boom")
    finally:
        logger.removeHandler(handler)
    assert records and all(SECRET not in line for line in records)
    assert "bot***/getMe" in records[0]
