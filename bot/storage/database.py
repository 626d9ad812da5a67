"""The SQLite database: one aiosqlite connection, WAL mode, foreign keys, per-component migrations.

Every domain package owns its tables and hands its own ordered list of migrations to
:meth:`Database.migrate`; the version each component has reached is kept in ``schema_versions``.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Generic, TypeVar, cast

import aiosqlite

__all__ = ["Database", "Migration", "RecordCache", "from_db_time", "to_db_time"]

logger = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Migration:
    """One forward step of a component's schema."""

    version: int
    sql: str


def to_db_time(moment: datetime) -> str:
    """Render an aware datetime as the UTC text stored in every timestamp column."""
    if moment.tzinfo is None:
        raise ValueError("naive datetimes are not stored; attach a timezone first")
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


def from_db_time(value: str) -> datetime:
    """Parse a stored timestamp back into an aware UTC datetime."""
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def run_in_connection_thread(
    connection: aiosqlite.Connection, work: Callable[[sqlite3.Connection], T]
) -> T:
    """Run ``work(raw sqlite3 connection)`` in aiosqlite's connection thread, in one hop.

    aiosqlite (up to 0.22) has no public way to do this; its public calls cost one hop to its
    thread and back per statement. This thin wrapper is the only place in Dazi that reaches
    into aiosqlite's internals (``Connection._execute``, which queues a callable for the
    connection thread, and ``Connection._conn``, the sqlite3 connection); pyproject.toml bounds
    aiosqlite below 0.23 so that an upgrade is a deliberate step, and
    tests/storage/test_database.py checks the wrapper against the installed version.
    """
    queue_call = cast(
        Callable[[Callable[[sqlite3.Connection], T], sqlite3.Connection], Awaitable[T]],
        connection._execute,
    )
    raw: sqlite3.Connection = connection._conn
    return await queue_call(work, raw)


class Database:
    """A shared SQLite connection with serialised write transactions."""

    #: Which SQL engine runs the statements (PostgreSQL: bot.storage.postgres).
    dialect = "sqlite"

    def __init__(self, connection: aiosqlite.Connection, path: str) -> None:
        self._conn = connection
        self.path = path
        self._write_lock = asyncio.Lock()
        self._caches: dict[str, RecordCache[Any]] = {}

    @classmethod
    async def open(cls, path: str | Path) -> Database:
        """Open (creating folders and file as needed) a database in WAL mode."""
        path = str(path)
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        conn = await aiosqlite.connect(path, isolation_level=None)
        try:
            return await cls._prepare(conn, path)
        except BaseException:
            # A full or read-only disk, or a file that is no database: close the connection
            # (its thread would keep the process alive), then let the error say why.
            await conn.close()
            raise

    @classmethod
    async def _prepare(cls, conn: aiosqlite.Connection, path: str) -> Database:
        conn.row_factory = aiosqlite.Row
        for pragma in (
            "PRAGMA journal_mode=WAL",
            "PRAGMA synchronous=NORMAL",
            "PRAGMA foreign_keys=ON",
            "PRAGMA busy_timeout=5000",
            "PRAGMA temp_store=MEMORY",
        ):
            await conn.execute(pragma)
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_versions ("
            " component TEXT PRIMARY KEY, version INTEGER NOT NULL)"
        )
        return cls(conn, path)

    def cache(self, name: str) -> RecordCache[Any]:
        """A cache of records shared by every repository of this database under ``name``."""
        return self._caches.setdefault(name, RecordCache())

    @property
    def connection(self) -> aiosqlite.Connection:
        """The raw connection, for code that needs aiosqlite itself (bulk loads, extensions)."""
        return self._conn

    async def close(self) -> None:
        await self._conn.close()

    async def migrate(self, component: str, migrations: Sequence[Migration]) -> int:
        """Apply the component's migrations newer than its stored version; return the version."""
        async with self.transaction():
            row = await self.fetchone(
                "SELECT version FROM schema_versions WHERE component = ?", (component,)
            )
            current = row["version"] if row else 0
            for migration in sorted(migrations, key=lambda m: m.version):
                if migration.version <= current:
                    continue
                logger.info("migrating %s to schema version %d", component, migration.version)
                for statement in _split_statements(migration.sql):
                    await self._conn.execute(statement)
                current = migration.version
            await self._conn.execute(
                "INSERT INTO schema_versions (component, version) VALUES (?, ?)"
                " ON CONFLICT(component) DO UPDATE SET version = excluded.version",
                (component, current),
            )
        return current

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """Run a block as one write transaction; blocks of other tasks wait their turn.

        Inside the block, write through the yielded connection, not :meth:`execute` (which would
        wait for the lock this block holds).
        """
        async with self._write_lock:
            await self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                await self._conn.execute("ROLLBACK")
                raise
            else:
                await self._conn.execute("COMMIT")

    async def run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``work(connection)`` in the database thread: any number of reads, one round trip.

        Each awaited aiosqlite call is a hop to its thread and back (about 60 µs of CPU); hot
        paths that issue several statements per message put them in one ``work`` function.
        """
        return await run_in_connection_thread(self._conn, work)

    async def run_write(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Like :meth:`run`, inside one write transaction (committed, or rolled back on error)."""

        def transaction(connection: sqlite3.Connection) -> T:
            connection.execute("BEGIN IMMEDIATE")
            try:
                result = work(connection)
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")
            return result

        async with self._write_lock:
            return await self.run(transaction)

    async def checkpoint(self) -> None:
        """Fold the write-ahead log into the database file and empty it: after forgetting, so
        that erased rows do not linger on disk in older WAL frames."""
        async with self._write_lock:
            await self._conn.execute_fetchall("PRAGMA wal_checkpoint(TRUNCATE)")

    async def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> int:
        """Run one statement outside any explicit transaction; return the last row id."""
        async with self._write_lock:
            # One round trip to the database thread: statement and rowid together.
            row = await self._conn.execute_insert(sql, params)
        return row[0] if row else 0

    async def execute_rowcount(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> int:
        """Run one writing statement; return how many rows it touched."""
        async with self._write_lock:
            cursor = await self._conn.execute(sql, params)
            count = cursor.rowcount
            await cursor.close()
        return count

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        async with self._write_lock:
            await self._conn.executemany(sql, rows)

    async def fetchone(
        self, sql: str, params: Sequence[Any] | dict[str, Any] = ()
    ) -> aiosqlite.Row | None:
        rows = await self._conn.execute_fetchall(sql, params)
        return next(iter(rows), None)

    async def fetchall(
        self, sql: str, params: Sequence[Any] | dict[str, Any] = ()
    ) -> list[aiosqlite.Row]:
        # execute_fetchall is one round trip to the database thread; a cursor costs three.
        return list(await self._conn.execute_fetchall(sql, params))


class RecordCache(Generic[T]):
    """A small LRU map of rows by id, for hot rows read on every message (users, chats)."""

    def __init__(self, capacity: int = 10_000) -> None:
        self._items: OrderedDict[int, T] = OrderedDict()
        self._capacity = capacity

    def get(self, key: int) -> T | None:
        item = self._items.get(key)
        if item is not None:
            self._items.move_to_end(key)
        return item

    def put(self, key: int, item: T) -> None:
        self._items[key] = item
        self._items.move_to_end(key)
        if len(self._items) > self._capacity:
            self._items.popitem(last=False)

    def drop(self, key: int) -> None:
        self._items.pop(key, None)


def _split_statements(script: str) -> list[str]:
    """Split a migration script into statements, keeping trigger bodies whole."""
    statements: list[str] = []
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if buffer.strip() and sqlite3.complete_statement(buffer):
            statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        statements.append(buffer.strip())
    return statements
