"""The composition root: settings -> storage -> services -> Telegram application -> updates."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import logging
import os
import re
import signal
import socket
import sqlite3
import sys
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from bot.account import AccountService, MemoryData, ReminderData
from bot.clock import Clock, SystemClock
from bot.config import ConfigError, Settings, load_settings
from bot.conversation import ConversationOptions, ConversationService
from bot.conversation.delivery import RememberedDelivery
from bot.conversation.documents import DocumentBacklog
from bot.conversation.learning import SharedLearning
from bot.groups import ActiveChatDelivery, GroupService
from bot.llm.client import OpenAIChat
from bot.llm.sdk import sdk_client
from bot.llm.types import LLM
from bot.logs import setup_logging
from bot.media import MediaLimits, MediaService, MediaUsage, Speaker, Transcriber
from bot.memory import FactExtractor, MemoryStore, OpenAIEmbedder
from bot.memory.tools import memory_tools
from bot.outbound import Delivery
from bot.people import PeopleService, people_tools
from bot.reminders import ReminderService, SchedulerOptions, reminder_tools
from bot.services import Services
from bot.storage import CORE_MIGRATIONS, ChatRepository, Database, MessageRepository, UserRepository
from bot.storage.inbox import PostgresInbox, open_inbox
from bot.storage.replicas import ChatLeases
from bot.storage.sendrate import SharedSendRate
from bot.telegram import build_application
from bot.telegram.delivery import TelegramDelivery
from bot.telegram.handlers.common import App
from bot.telegram.replicas import ChatDispatcher
from bot.telegram.runner import StartupError, Transport, serve

if TYPE_CHECKING:  # asyncpg is an optional extra
    from bot.storage.postgres import PostgresDatabase

__all__ = [
    "build_services",
    "build_transport",
    "close_services",
    "main",
    "migrate_from_sqlite",
    "open_database",
    "outbound_delivery",
    "run",
    "run_loop",
    "serve_until",
    "tune_garbage_collector",
]

logger = logging.getLogger("bot")

T = TypeVar("T")


async def build_services(
    settings: Settings, *, clock: Clock | None = None, llm: LLM | None = None
) -> Services:
    """Open the database and create every service on top of it."""
    db = await open_database(settings)
    try:
        return await _services_on(db, settings, clock or SystemClock(), llm)
    except BaseException:
        # A database that opens but cannot be written (read-only, full): close it, or its
        # thread keeps the process alive after the error is printed.
        await db.close()
        raise


async def open_database(settings: Settings) -> Database:
    """SQLite at DATABASE_PATH, or PostgreSQL at DATABASE_URL when it is set.

    A ``search_path`` parameter in the URL (``...?search_path=dazi``) keeps every table in that
    schema, created when missing: one PostgreSQL database can hold several bots, or test runs.
    """
    if settings.database_url is None:
        return await Database.open(settings.database_path)
    try:
        from bot.storage.postgres import PostgresDatabase
    except ImportError:
        raise ConfigError(
            "DATABASE_URL needs the PostgreSQL driver: pip install -e '.[postgres]'"
        ) from None
    url, schema = _without_search_path(settings.database_url.get_secret_value())
    return await PostgresDatabase.open(url, schema=schema)


def _without_search_path(url: str) -> tuple[str, str | None]:
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    schemas = [value for key, value in query if key == "search_path"]
    if not schemas:
        return url, None
    if not _IDENTIFIER.fullmatch(schemas[-1]):
        raise ConfigError(
            "DATABASE_URL's search_path must be one schema name of letters, digits and _"
        )
    rest = urlencode([(key, value) for key, value in query if key != "search_path"])
    return urlunsplit(parts._replace(query=rest)), schemas[-1]


_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")


async def _shared_learning(db: Database) -> SharedLearning | None:
    """On PostgreSQL (replicas), what is due for fact learning is kept in the database and
    claimed once across replicas; on SQLite, one process keeps it in memory."""
    if db.dialect != "postgresql":
        return None
    return await SharedLearning.open(cast("PostgresDatabase", db))


async def _services_on(db: Database, settings: Settings, clock: Clock, llm: LLM | None) -> Services:
    await db.migrate("core", CORE_MIGRATIONS)
    closers: list[Callable[[], Awaitable[None]]] = []
    if llm is None:
        chat_model = OpenAIChat(
            api_key=settings.openai_api_key.get_secret_value(),
            base_url=settings.openai_base_url,
            model=settings.llm_model,
            timeout=settings.llm_timeout_seconds,
            max_retries=settings.llm_max_retries,
            temperature=settings.llm_temperature,
        )
        closers.append(chat_model.close)
        llm = chat_model
    embedder = _embedder(settings)
    if embedder is not None:
        closers.append(embedder.close)
    # On SQLite or PostgreSQL alike: the store picks its search backend by the database.
    memory = await MemoryStore.open(db, embedder=embedder)
    users, chats, messages = UserRepository(db), ChatRepository(db), MessageRepository(db)
    groups = await GroupService.open(db, chats, clock)
    shared_learning = await _shared_learning(db)
    documents = await DocumentBacklog.open(db, memory, clock)
    conversation = ConversationService(
        users=users,
        chats=chats,
        messages=messages,
        memory=memory,
        llm=llm,
        clock=clock,
        documents=documents,
        fact_extractor=FactExtractor(llm, memory),
        shared_learning=shared_learning,
        options=ConversationOptions(
            default_timezone=settings.default_timezone,
            context_tokens=settings.llm_context_tokens,
            recall_tokens=settings.memory_recall_tokens,
            answer_tokens=settings.llm_answer_tokens,
            stall_seconds=settings.llm_stall_seconds,
            answer_seconds=settings.llm_answer_seconds,
        ),
        private_memory_allowed=groups.shares,
    )
    reminders = await ReminderService.open(
        db,
        users,
        clock,
        default_timezone=settings.default_timezone,
        # Reminder waves use at most 80% of the bot's message budget; chat keeps the rest.
        scheduler_options=SchedulerOptions(max_per_second=settings.rate_overall_per_second * 0.8),
    )
    for search_tool in memory_tools(memory, private_memory_allowed=groups.shares):
        conversation.tools.register(search_tool)
    for tool in reminder_tools(reminders):
        conversation.tools.register(tool)
    people = await PeopleService.open(
        db, users, clock, llm=llm, memory=memory, default_timezone=settings.default_timezone
    )
    for people_tool in people_tools(people):
        conversation.tools.register(people_tool)
    media = await _media(settings, db, chats, clock, llm, closers)
    # Every feature that keeps data about people registers here (see bot.account).
    account = AccountService(users=users, chats=chats, clock=clock, db=db)
    account.register("memory", MemoryData(memory))
    account.register("reminders", ReminderData(reminders))
    account.register("groups", groups)
    account.register("people", people)
    account.register("media", media.usage)
    account.register("pending_documents", documents)
    if shared_learning is not None:
        account.register("fact_learning", shared_learning)
    return Services(
        outbound=partial(outbound_delivery, groups=groups, conversation=conversation),
        settings=settings,
        clock=clock,
        db=db,
        users=users,
        chats=chats,
        memory=memory,
        conversation=conversation,
        reminders=reminders,
        groups=groups,
        account=account,
        people=people,
        media=media,
        inbox=await open_inbox(db),
        closers=closers,
    )


def outbound_delivery(
    transport: Delivery, *, groups: GroupService, conversation: ConversationService
) -> Delivery:
    """How reminders and digests reach a chat through ``transport``: never to a chat Dazi was
    removed from, and kept in the chat's history once sent."""
    return RememberedDelivery(ActiveChatDelivery(transport, groups), conversation)


async def build_transport(settings: Settings, services: Services) -> Transport:
    """The Telegram side on ``services``: the application with every feature's handlers,
    reminders and digests delivered through its bot, and the replica's dispatcher when chats
    are shared with other replicas."""
    app = build_application(
        settings, services, overall_rate=await _shared_send_rate(settings, services.db)
    )
    delivery = services.outbound(TelegramDelivery(app.bot))
    return Transport(app, delivery, await _replica_dispatcher(app, settings, services))


async def _shared_send_rate(settings: Settings, db: Database) -> SharedSendRate | None:
    """On PostgreSQL (replicas), RATE_OVERALL_PER_SECOND is the bot's rate shared by all of
    them through the database; on SQLite, one process paces itself in memory."""
    if db.dialect != "postgresql":
        return None
    return await SharedSendRate.open(
        cast("PostgresDatabase", db), per_second=settings.rate_overall_per_second
    )


async def _replica_dispatcher(
    app: App, settings: Settings, services: Services
) -> ChatDispatcher | None:
    """In webhook mode on PostgreSQL, updates are shared with other replicas through per-chat
    leases (see bot.telegram.replicas); otherwise None: one process, updates in memory."""
    inbox = services.inbox
    if not settings.webhook_url or not isinstance(inbox, PostgresInbox):
        return None
    holder = settings.replica_id or f"{socket.gethostname()}:{os.getpid()}"
    leases = await ChatLeases.open(
        inbox.db, holder=holder, lease=timedelta(seconds=settings.replica_lease_seconds)
    )
    logger.info("replica %s: chats are shared with the other replicas", holder)
    return ChatDispatcher(app, leases)


async def serve_until(stop: asyncio.Event, settings: Settings, services: Services) -> None:
    """Compose the Telegram side on ``services`` and run it until ``stop`` is set; documents
    a crash left half-stored in memory are resumed meanwhile."""
    services.conversation.documents.start()
    await serve(settings, services, await build_transport(settings, services), stop)


def run_loop(main: Coroutine[Any, Any, T]) -> T:
    """Run ``main`` on uvloop where it is installed (everywhere but Windows), else on asyncio's
    own loop: the same behaviour, cheaper I/O (benchmarks/message_cpu.py: ~10 % less CPU per
    answered message, mostly in the HTTP calls to Telegram and the model)."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main)


def tune_garbage_collector() -> None:
    """Keep the long-lived start-up objects (libraries, schemas, word lists) out of
    the cyclic garbage collector's full passes, which otherwise stall replies for ~100 ms.

    Process-wide, so only where the process starts serving (:func:`run`), once the services
    are built; never in :func:`build_services`, which tests and tools call too."""
    gc.collect()
    gc.freeze()
    # Fewer young-generation passes: a message allocates thousands of short-lived objects.
    gc.set_threshold(5_000, 10, 10)


async def _media(
    settings: Settings,
    db: Database,
    chats: ChatRepository,
    clock: Clock,
    llm: LLM,
    closers: list[Callable[[], Awaitable[None]]],
) -> MediaService:
    """Voice, photos, documents and spoken answers; each endpoint only when its model is set."""
    transcriber = speaker = None
    if settings.transcription_model:
        transcriber = Transcriber(
            model=settings.transcription_model,
            api_key=settings.transcription_key,
            base_url=settings.transcription_url,
            retries=settings.llm_max_retries,
        )
        closers.append(transcriber.close)
    if settings.speech_model:
        speaker = Speaker(
            model=settings.speech_model,
            voice=settings.speech_voice,
            api_key=settings.speech_key,
            base_url=settings.speech_url,
            retries=min(settings.llm_max_retries, 1),
        )
        closers.append(speaker.close)
    vision_llm: LLM | None = llm if settings.vision else None
    if settings.vision_model == settings.llm_model:
        vision_llm = llm
    elif settings.vision_model:
        eye = OpenAIChat(
            api_key=settings.openai_api_key.get_secret_value(),
            base_url=settings.openai_base_url,
            model=settings.vision_model,
            timeout=settings.llm_timeout_seconds,
            max_retries=settings.llm_max_retries,
        )
        closers.append(eye.close)
        vision_llm = eye
    return MediaService(
        clock=clock,
        chats=chats,
        usage=await MediaUsage.open(db),
        transcriber=transcriber,
        speaker=speaker,
        vision_llm=vision_llm,
        vision_in_answer=vision_llm is llm,
        limits=MediaLimits(
            max_audio_seconds=settings.media_max_audio_minutes * 60,
            daily_audio_minutes=settings.media_daily_audio_minutes,
            daily_images=settings.media_daily_images,
            # The owner and the people they invited are never capped.
            exempt_user_ids=settings.allowed_user_ids | settings.media_uncapped_user_ids,
        ),
    )


def _embedder(settings: Settings) -> OpenAIEmbedder | None:
    """Dense vectors are optional: only when EMBEDDING_MODEL is set."""
    if not settings.embedding_model:
        return None
    client = sdk_client(
        api_key=settings.embedding_key,
        base_url=settings.embedding_url,
        timeout=settings.llm_timeout_seconds,
        retries=settings.llm_max_retries,
    )
    return OpenAIEmbedder(
        client,
        settings.embedding_model,
        query_prefix=settings.embedding_query_prefix,
        document_prefix=settings.embedding_document_prefix,
    )


async def close_services(services: Services) -> None:
    """Let background work finish, then close the database."""
    await services.reminders.stop()
    await services.people.stop()
    await services.conversation.drain()
    await services.memory.close()
    await services.db.close()
    for close in services.closers:
        await close()


async def run(settings: Settings) -> None:
    """Run the bot (long polling, or a webhook server) until SIGINT or SIGTERM."""
    try:
        services = await build_services(settings)
    except _database_errors() as error:
        raise ConfigError(_unusable_database(settings, error)) from None
    tune_garbage_collector()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        # Windows event loops have no signal handlers; Ctrl+C still stops the bot there.
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
    try:
        await serve_until(stop, settings, services)
    finally:
        await close_services(services)


def _database_errors() -> tuple[type[BaseException], ...]:
    """What opening a database raises when it cannot be used (not a bug of Dazi's)."""
    errors: tuple[type[BaseException], ...] = (OSError, sqlite3.Error)
    try:
        import asyncpg  # type: ignore[import-untyped]
    except ImportError:
        return errors
    return (*errors, asyncpg.PostgresError, asyncpg.InterfaceError)


def _unusable_database(settings: Settings, error: BaseException) -> str:
    """One line on why the database cannot be used, never with the URL's password."""
    reason = str(error) or type(error).__name__
    if settings.database_url is None:
        return f"{settings.database_label} cannot be used ({reason}); point it at a writable file"
    for secret in (settings.database_url.get_secret_value(), settings.database_password):
        if secret:
            reason = reason.replace(secret, "***")
    return (
        f"{settings.database_label} cannot be used ({reason}); check the address, the user "
        "and password, and that the PostgreSQL server runs"
    )


async def migrate_from_sqlite(settings: Settings, path: Path) -> bool:
    """Copy the SQLite database at ``path`` into the PostgreSQL at DATABASE_URL; print each
    table's row count on both sides; True when every count matches. Safe to run again.

    Both are first brought to the current schema of every component (as a start of the bot
    would), so that the tables match; then :mod:`bot.storage.sqlite_to_postgres` copies, and
    PostgreSQL is opened once more (vectors into pgvector's column where it has it).
    """
    from bot.storage.postgres import PostgresDatabase
    from bot.storage.sqlite_to_postgres import CopyError, copy_sqlite_to_postgres, count_rows

    if settings.database_url is None:
        raise ConfigError("DATABASE_URL is not set: set it to the PostgreSQL database to copy into")
    if not path.is_file():
        raise ConfigError(f"--from-sqlite {path}: there is no such file")
    on_sqlite = settings.model_copy(update={"database_url": None, "database_path": path})
    for each in (on_sqlite, settings):
        try:
            await close_services(await build_services(each))
        except _database_errors() as error:
            raise ConfigError(_unusable_database(each, error)) from None
    source = await Database.open(path)
    target = await open_database(settings)
    assert isinstance(target, PostgresDatabase)  # DATABASE_URL is set
    try:
        print(f"Copying {path} into {settings.database_label}...", flush=True)
        try:
            tables = await copy_sqlite_to_postgres(source, target)
        except CopyError as error:
            print(f"Nothing was copied: {error}", file=sys.stderr)
            return False
        counts = await count_rows(source, target, tables)
    finally:
        await source.close()
        await target.close()
    # Opened as at a start: where the server has pgvector, the copied vectors move into its
    # column (bot.memory.embeddings); the row counts stay as they were.
    await close_services(await build_services(settings))
    width = max((len(count.table) for count in counts), default=0)
    for count in counts:
        verdict = "ok" if count.matches else "MISMATCH"
        print(
            f"  {count.table:<{width}}  {count.sqlite:>9} in SQLite  {count.postgres:>9} in "
            f"PostgreSQL  {verdict}"
        )
    wrong = [count.table for count in counts if not count.matches]
    if wrong:
        print(
            "Row counts differ for " + ", ".join(wrong) + ": PostgreSQL already held other rows "
            "there (a bot ran on it?) or rows were refused; nothing else was changed.",
            file=sys.stderr,
        )
        return False
    print(f"Done: {len(counts)} tables, {sum(c.sqlite for c in counts)} rows, every count matches.")
    return True


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description="Run Dazi (long polling, or a webhook server when WEBHOOK_URL is set).",
    )
    commands = parser.add_subparsers(dest="command")
    migrate = commands.add_parser(
        "migrate", help="copy an existing SQLite database into the PostgreSQL at DATABASE_URL"
    )
    migrate.add_argument(
        "--from-sqlite",
        type=Path,
        required=True,
        metavar="PATH",
        help="the SQLite database file to copy (stop the bot that uses it first)",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of ``python -m bot`` (and ``python -m bot migrate --from-sqlite PATH``):
    exit code 2 with one clear line on a bad setting."""
    arguments = _arguments(argv)
    # Opt in to PTB's coming durations-as-timedelta (our code reads both) instead of a warning.
    os.environ.setdefault("PTB_TIMEDELTA", "1")
    try:
        settings = load_settings()
    except ConfigError as error:
        print(f"Configuration error: {error}", file=sys.stderr)
        raise SystemExit(2) from None
    setup_logging(
        settings.log_level,
        secrets=[
            settings.telegram_bot_token.get_secret_value(),
            settings.openai_api_key.get_secret_value(),
            settings.embedding_key,
            settings.webhook_secret.get_secret_value() if settings.webhook_secret else "",
            settings.transcription_key,
            settings.speech_key,
            settings.database_url.get_secret_value() if settings.database_url else "",
            settings.database_password,
        ],
    )
    try:
        if arguments.command == "migrate":
            if not run_loop(migrate_from_sqlite(settings, arguments.from_sqlite)):
                raise SystemExit(1)
            return
        run_loop(run(settings))
    except ConfigError as error:
        print(f"Configuration error: {error}", file=sys.stderr)
        raise SystemExit(2) from None
    except StartupError as error:
        print(f"Cannot start: {error}", file=sys.stderr)
        raise SystemExit(1) from None
