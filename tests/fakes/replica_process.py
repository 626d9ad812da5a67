"""One replica of Dazi in webhook mode as its own process, its inbox shared on PostgreSQL.

``python -m tests.fakes.replica_process SCHEMA`` runs what ``python -m bot`` runs (the same
settings from the environment, the same :func:`bot.app.serve_until`: webhook server,
per-chat leases, SIGTERM drain), with the inbox and the chat leases in SCHEMA of the real
PostgreSQL server. The rest of the bot's storage (memory, conversation) is the replica's own
SQLite file at DATABASE_PATH: the whole bot does not run on PostgreSQL yet, and what is tested
here is who handles which update. Used by the replica fault tests and benchmarks/replicas.py.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys

from bot.app import build_services, close_services, serve_until, tune_garbage_collector
from bot.config import load_settings
from bot.logs import setup_logging
from bot.storage.inbox import PostgresInbox
from tests.fakes.postgres import open_postgres


async def main(schema: str) -> None:
    settings = load_settings()
    setup_logging(settings.log_level, secrets=[settings.telegram_bot_token.get_secret_value()])
    services = await build_services(settings)
    shared = await open_postgres(schema)
    services.inbox = await PostgresInbox.open(shared)
    tune_garbage_collector()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await serve_until(stop, settings, services)
    finally:
        await close_services(services)
        await shared.close()


if __name__ == "__main__":
    os.environ.setdefault("PTB_TIMEDELTA", "1")
    asyncio.run(main(sys.argv[1]))
