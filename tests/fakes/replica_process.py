"""One replica of Dazi in webhook mode as its own process, the whole bot on PostgreSQL.

``python -m tests.fakes.replica_process`` runs what ``python -m bot`` runs: the same settings
from the environment and the same :func:`bot.app.serve_until` (webhook server, per-chat leases,
SIGTERM drain). Its ``DATABASE_URL`` (set by :class:`tests.fakes.replica_cluster.ReplicaCluster`)
puts every table, the inbox and chat leases as well as memory and conversations, in one schema
of the real PostgreSQL server shared by all replicas, as operators run them. Used by the
replica fault tests and benchmarks/replicas.py.
"""

from __future__ import annotations

import asyncio
import os
import signal

from bot.app import build_services, close_services, serve_until, tune_garbage_collector
from bot.config import load_settings
from bot.logs import setup_logging


async def main() -> None:
    settings = load_settings()
    setup_logging(settings.log_level, secrets=[settings.telegram_bot_token.get_secret_value()])
    services = await build_services(settings)
    tune_garbage_collector()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await serve_until(stop, settings, services)
    finally:
        await close_services(services)


if __name__ == "__main__":
    os.environ.setdefault("PTB_TIMEDELTA", "1")
    asyncio.run(main())
