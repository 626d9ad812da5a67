"""Copy a SQLite database into PostgreSQL: every table, then row counts compared per table.

Both databases must already carry the same schema (the composition root migrates each
component on both first, see :func:`bot.app.migrate_from_sqlite`). Rows are streamed from SQLite
in batches, staged with PostgreSQL's COPY into a temporary table and inserted
``ON CONFLICT DO NOTHING`` (a table without a key: the rows not there yet, ``EXCEPT ALL``), all
in one transaction: a failure leaves PostgreSQL as it was, and a second run adds only what is
missing (so it can be re-run safely). Identity sequences are
moved past the copied ids. A column that refers to its own table (a reminder's parent, a fact's
successor) is filled in a second pass, so the order of the rows never breaks its foreign key.

Search indexes are not copied as SQLite keeps them: an FTS5 table's stored words (its ``rowid``
and columns) go to PostgreSQL's table of the same name, whose ``tsvector`` column and GIN index
PostgreSQL computes from them (memory's words are segmented by jieba once, at ingest, and the
same words must stay searchable); FTS5's shadow tables are SQLite's own. Vectors kept by
sqlite-vec (``vec0`` tables, ``vector_backend`` ``vec0`` in ``memory_meta``) go to the plain
``memory_vectors`` table (the same unit-length float32 bytes), counted with it, and
PostgreSQL's ``memory_meta`` then names that table: nothing is embedded again. Where the server
has pgvector, the memory store moves them into its ``vector`` column when it opens (the migrate
command opens it once after the copy, :func:`bot.app.migrate_from_sqlite`).
A regular SQLite table with no PostgreSQL counterpart, or a column PostgreSQL lacks, stops the
copy before anything is written: nothing is dropped silently.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from bot.memory.embeddings import VEC0_TABLES, load_sqlite_vec
from bot.storage.database import Database
from bot.storage.postgres import PostgresDatabase

__all__ = ["CopyError", "TableCount", "copy_sqlite_to_postgres", "count_rows"]

#: Rows read from SQLite and sent to PostgreSQL at a time.
BATCH = 5_000
#: Bookkeeping of each engine's own migrations: made by migrating, never copied.
_NOT_DATA = frozenset({"schema_versions"})


class CopyError(Exception):
    """The two databases do not match well enough to copy without losing data."""


@dataclass(frozen=True, slots=True)
class TableCount:
    """One table's rows on both sides after the copy."""

    table: str
    sqlite: int
    postgres: int

    @property
    def matches(self) -> bool:
        return self.sqlite == self.postgres


@dataclass(frozen=True, slots=True)
class _Plan:
    """How one table is copied."""

    table: str
    columns: tuple[str, ...]
    kinds: tuple[str, ...]  # PostgreSQL data types, for the value conversions
    self_references: tuple[str, ...]
    key: tuple[str, ...]  # the primary key; empty for a table without one
    identity: str | None


async def copy_sqlite_to_postgres(source: Database, target: PostgresDatabase) -> list[str]:
    """Copy every data table of ``source`` into ``target``; return the tables copied, in the
    order their foreign keys need."""
    plans = await _plans(source, target)
    vec0_tables = await _vec0_tables(source)
    async with target.pool.acquire() as conn, conn.transaction():
        for plan in plans:
            await _copy_table(source, conn, plan)
        if vec0_tables:
            await _copy_vec0_vectors(source, conn, vec0_tables)
    return [plan.table for plan in plans]


async def count_rows(
    source: Database, target: PostgresDatabase, tables: Sequence[str]
) -> list[TableCount]:
    """Each table's row count in SQLite and in PostgreSQL."""
    counts = []
    for table in tables:
        here = await _sqlite_count(source, table)
        if table == _VECTORS:
            for vec0_table in (await _vec0_tables(source)).values():
                here += await _sqlite_count(source, vec0_table)
        there = await target.pool.fetchval(f'SELECT COUNT(*) FROM "{table}"')
        counts.append(TableCount(table, here, int(there)))
    return counts


async def _sqlite_count(source: Database, table: str) -> int:
    row = await source.fetchone(f'SELECT COUNT(*) FROM "{table}"')
    return int(row[0]) if row else 0


#: Memory's plain vector table: PostgreSQL's only one, and SQLite's without sqlite-vec.
_VECTORS = "memory_vectors"


async def _vec0_tables(source: Database) -> dict[str, str]:
    """Kind -> vec0 table, where SQLite's vectors are kept by sqlite-vec (loaded into the
    source's connection to read them); empty where they are not."""
    meta = await source.fetchone(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'memory_meta'"
    )
    if meta is None:
        return {}
    backend = await source.fetchone("SELECT value FROM memory_meta WHERE name = 'vector_backend'")
    if backend is None or backend[0] != "vec0":
        return {}
    present = {
        row[0]
        for row in await source.fetchall("SELECT name FROM sqlite_master WHERE type = 'table'")
    }
    tables = {kind: table for kind, table in VEC0_TABLES.items() if table in present}
    if tables and not await _sqlite_vec_ready(source):
        raise CopyError(
            "the vectors were stored by sqlite-vec, which cannot be loaded here"
            " (pip install sqlite-vec)"
        )
    return tables


async def _sqlite_vec_ready(source: Database) -> bool:
    """Whether sqlite-vec is loaded into the source's connection, loading it if need be."""
    try:
        await source.fetchone("SELECT vec_version()")
    except sqlite3.OperationalError:
        return await load_sqlite_vec(source.connection)
    return True


async def _copy_vec0_vectors(source: Database, conn: Any, tables: dict[str, str]) -> None:
    """sqlite-vec's vectors into ``memory_vectors`` (those already there stay), and
    PostgreSQL's memory then reads them from there."""
    stage = "dazi_copy_vec0"
    await conn.execute(
        f'CREATE TEMPORARY TABLE "{stage}" (LIKE "{_VECTORS}" INCLUDING DEFAULTS) ON COMMIT DROP'
    )
    columns = ["kind", "item_id", "scope_id", "vector"]
    for kind, table in tables.items():
        cursor = await source.connection.execute(
            f'SELECT rowid, scope_id, embedding FROM "{table}"'
        )
        try:
            while batch := await cursor.fetchmany(BATCH):
                records = [(kind, int(row[0]), int(row[1]), bytes(row[2])) for row in batch]
                await conn.copy_records_to_table(stage, records=records, columns=columns)
        finally:
            await cursor.close()
    await conn.execute(
        f'INSERT INTO "{_VECTORS}" ({", ".join(columns)}) SELECT {", ".join(columns)}'
        f' FROM "{stage}" ON CONFLICT DO NOTHING'
    )
    await conn.execute(
        "UPDATE memory_meta SET value = 'blob' WHERE name = 'vector_backend' AND value = 'vec0'"
    )
    await conn.execute(f'DROP TABLE "{stage}"')


async def _plans(source: Database, target: PostgresDatabase) -> list[_Plan]:
    pg_columns = await _postgres_columns(target)
    tables = await _sqlite_tables(source, pg_columns)
    missing = sorted(table for table in tables if table not in pg_columns)
    if missing:
        raise CopyError(
            "PostgreSQL has no table for " + ", ".join(missing) + " (is it from a newer Dazi?)"
        )
    references = await _foreign_keys(target)
    plans = []
    for table in _dependency_order(sorted(tables), references):
        columns = tables[table]
        kinds = pg_columns[table]
        lacking = [column for column in columns if column not in kinds]
        if lacking:
            raise CopyError(f"PostgreSQL's {table} has no column " + ", ".join(lacking))
        key = await _primary_key(target, table)
        selfish = [column for ref, column in references.get(table, ()) if ref == table]
        if selfish and not key:
            raise CopyError(f"{table} refers to itself but has no primary key on PostgreSQL")
        plans.append(
            _Plan(
                table=table,
                columns=tuple(columns),
                kinds=tuple(kinds[column][0] for column in columns),
                self_references=tuple(selfish),
                key=key,
                identity=next((c for c in columns if kinds[c][1]), None),
            )
        )
    return plans


async def _sqlite_tables(source: Database, target_tables: Collection[str]) -> dict[str, list[str]]:
    """The data tables to copy and their columns.

    A search index (an FTS5 or ``vec0`` virtual table) is copied only where PostgreSQL keeps a
    table of that name (memory's word lists: ``rowid`` and the stored words, from which
    PostgreSQL derives its own ``tsvector``); otherwise it is SQLite's alone and rebuilt there.
    Their shadow tables (SQLite's internal pages) are never copied.
    """
    rows = await source.fetchall(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    )
    virtual = {row[0] for row in rows if (row[1] or "").upper().startswith("CREATE VIRTUAL")}
    tables: dict[str, list[str]] = {}
    for name, _sql in rows:
        if name in _NOT_DATA or any(name.startswith(f"{v}_") for v in virtual):
            continue
        if name in virtual and name not in target_tables:
            continue
        info = await source.fetchall(f'PRAGMA table_info("{name}")')
        columns = [column[1] for column in info]
        tables[name] = ["rowid", *columns] if name in virtual else columns
    return tables


async def _postgres_columns(target: PostgresDatabase) -> dict[str, dict[str, tuple[str, bool]]]:
    """Table -> column -> (data type, is an identity column)."""
    rows = await target.pool.fetch(
        "SELECT c.table_name, c.column_name, c.data_type, c.is_identity"
        " FROM information_schema.columns AS c JOIN information_schema.tables AS t"
        " ON t.table_schema = c.table_schema AND t.table_name = c.table_name"
        " WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'"
    )
    tables: dict[str, dict[str, tuple[str, bool]]] = {}
    for table, column, kind, identity in rows:
        tables.setdefault(table, {})[column] = (kind, identity == "YES")
    return tables


async def _foreign_keys(target: PostgresDatabase) -> dict[str, list[tuple[str, str]]]:
    """Table -> [(referenced table, referencing column)]."""
    rows = await target.pool.fetch(
        "SELECT con.conrelid::regclass::text, con.confrelid::regclass::text, att.attname"
        " FROM pg_constraint AS con"
        " JOIN pg_attribute AS att ON att.attrelid = con.conrelid AND att.attnum = ANY(con.conkey)"
        " WHERE con.contype = 'f' AND con.connamespace = current_schema()::regnamespace"
    )
    references: dict[str, list[tuple[str, str]]] = {}
    for table, referenced, column in rows:
        references.setdefault(_bare(table), []).append((_bare(referenced), column))
    return references


async def _primary_key(target: PostgresDatabase, table: str) -> tuple[str, ...]:
    rows = await target.pool.fetch(
        "SELECT att.attname FROM pg_index AS ix"
        " JOIN pg_attribute AS att ON att.attrelid = ix.indrelid AND att.attnum = ANY(ix.indkey)"
        " WHERE ix.indrelid = $1::regclass AND ix.indisprimary",
        f'"{table}"',
    )
    return tuple(row[0] for row in rows)


def _bare(name: str) -> str:
    """A regclass's text without its schema and quotes."""
    return name.rsplit(".", 1)[-1].strip('"')


def _dependency_order(tables: list[str], references: dict[str, list[tuple[str, str]]]) -> list[str]:
    """Referenced tables before the tables whose foreign keys point at them."""
    ordered: list[str] = []
    visiting: set[str] = set()

    def visit(table: str) -> None:
        if table in ordered or table in visiting:
            return
        visiting.add(table)
        for referenced, _ in references.get(table, ()):
            if referenced != table and referenced in tables:
                visit(referenced)
        visiting.discard(table)
        ordered.append(table)

    for table in tables:
        visit(table)
    return ordered


async def _copy_table(source: Database, conn: Any, plan: _Plan) -> None:
    stage = f"dazi_copy_{plan.table}"
    await conn.execute(
        f'CREATE TEMPORARY TABLE "{stage}" (LIKE "{plan.table}" INCLUDING DEFAULTS) ON COMMIT DROP'
    )
    select = ", ".join(f'"{column}"' for column in plan.columns)
    cursor = await source.connection.execute(f'SELECT {select} FROM "{plan.table}"')
    try:
        while batch := await cursor.fetchmany(BATCH):
            records = [_converted(plan, row) for row in batch]
            await conn.copy_records_to_table(stage, records=records, columns=list(plan.columns))
    finally:
        await cursor.close()
    quoted = [f'"{column}"' for column in plan.columns]
    values = [
        "NULL" if column in plan.self_references else quoted[index]
        for index, column in enumerate(plan.columns)
    ]
    columns = ", ".join(quoted)
    if plan.key:
        await conn.execute(
            f'INSERT INTO "{plan.table}" ({columns})'
            f' SELECT {", ".join(values)} FROM "{stage}" ON CONFLICT DO NOTHING'
        )
    else:
        # No key to recognise a row by (memory_media): add the rows not there yet, whole rows
        # compared, duplicates counted (EXCEPT ALL), so that a re-run adds nothing.
        await conn.execute(
            f'INSERT INTO "{plan.table}" ({columns}) SELECT {columns} FROM "{stage}"'
            f' EXCEPT ALL SELECT {columns} FROM "{plan.table}"'
        )
    match = " AND ".join(f't."{column}" = s."{column}"' for column in plan.key)
    for column in plan.self_references:
        await conn.execute(
            f'UPDATE "{plan.table}" AS t SET "{column}" = s."{column}" FROM "{stage}" AS s'
            f' WHERE {match} AND t."{column}" IS NULL AND s."{column}" IS NOT NULL'
        )
    if plan.identity is not None:
        await conn.execute(
            f"SELECT setval(pg_get_serial_sequence('\"{plan.table}\"', '{plan.identity}'),"
            f' COALESCE(MAX("{plan.identity}"), 0) + 1, false) FROM "{plan.table}"'
        )
    await conn.execute(f'DROP TABLE "{stage}"')


def _converted(plan: _Plan, row: sqlite3.Row | Sequence[Any]) -> tuple[Any, ...]:
    """SQLite's loosely typed values as the PostgreSQL column types want them."""
    values = []
    for column, kind, value in zip(plan.columns, plan.kinds, tuple(row), strict=True):
        try:
            values.append(_value(kind, value))
        except (TypeError, ValueError):
            raise CopyError(
                f"{plan.table}.{column} holds {value!r}, which is no {kind} value"
            ) from None
    return tuple(values)


def _value(kind: str, value: Any) -> Any:
    if value is None:
        return None
    if kind in ("bigint", "integer", "smallint"):
        if isinstance(value, float) and not value.is_integer():
            raise ValueError(value)
        return int(value)
    if kind in ("double precision", "real", "numeric"):
        return float(value)
    if kind == "bytea":
        return value if isinstance(value, bytes) else str(value).encode()
    if kind == "text":
        return value if isinstance(value, str) else str(value)
    return value
