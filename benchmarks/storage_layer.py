"""Does a shared query layer cost the SQLite default its speed? Dazi's own layer against
SQLAlchemy Core, both on aiosqlite, on the statements every message runs.

Per message Dazi reads the user and the chat and writes the message; this runs that mix
``--messages`` times through (a) ``bot.storage.Database`` (raw SQL, one aiosqlite round trip per
statement) and (b) SQLAlchemy 2 Core's asyncio engine over the same aiosqlite driver, and prints
process CPU microseconds per message for each. Run by hand: ``pip install "sqlalchemy[asyncio]"
&& python benchmarks/storage_layer.py`` (SQLAlchemy is not a dependency of Dazi).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.storage import CORE_MIGRATIONS, Database

USER = "SELECT * FROM users WHERE id = ?"
CHAT = "SELECT * FROM chats WHERE id = ?"
MESSAGE = (
    "INSERT INTO messages (scope_id, chat_id, user_id, role, speaker, text, thread, at)"
    " VALUES (?, ?, ?, 'user', 'Anna', ?, 1, '2026-12-02T10:00:00.000+00:00')"
)
SEED = (
    "INSERT INTO users (id, first_name, created_at, updated_at) VALUES (?, 'Anna', 'x', 'x')",
    "INSERT INTO chats (id, type, created_at, updated_at) VALUES (?, 'private', 'x', 'x')",
)


async def dazi_layer(path: Path, messages: int) -> float:
    db = await Database.open(path)
    await db.migrate("core", CORE_MIGRATIONS)
    for sql in SEED:
        await db.execute(sql, (1,))
    started = time.process_time()
    for index in range(messages):
        await db.fetchone(USER, (1,))
        await db.fetchone(CHAT, (1,))
        await db.execute(MESSAGE, (1, 1, 1, f"hello {index}"))
    spent = time.process_time() - started
    await db.close()
    return spent / messages * 1e6


async def sqlalchemy_core(path: Path, messages: int) -> float:
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    db = await Database.open(path)  # same schema, made by Dazi's migrations
    await db.migrate("core", CORE_MIGRATIONS)
    await db.close()
    engine = create_async_engine(f"sqlite+aiosqlite:///{path}")
    user = text(USER.replace("?", ":id"))
    chat = text(CHAT.replace("?", ":id"))
    insert = text(MESSAGE.replace("?", ":p", 1).replace("?", ":c", 1).replace("?", ":u", 1))
    insert = text(str(insert).replace("?", ":t"))
    async with engine.begin() as conn:
        for sql in SEED:
            await conn.execute(text(sql.replace("?", ":id")), {"id": 1})
    # Its best case: one connection held throughout, one commit per message.
    async with engine.connect() as conn:
        started = time.process_time()
        for index in range(messages):
            (await conn.execute(user, {"id": 1})).mappings().first()
            (await conn.execute(chat, {"id": 1})).mappings().first()
            await conn.execute(insert, {"p": 1, "c": 1, "u": 1, "t": f"hello {index}"})
            await conn.commit()
        spent = time.process_time() - started
    await engine.dispose()
    return spent / messages * 1e6


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    for round_ in range(args.rounds):
        with tempfile.TemporaryDirectory() as folder:
            ours = await dazi_layer(Path(folder) / "a.sqlite3", args.messages)
            theirs = await sqlalchemy_core(Path(folder) / "b.sqlite3", args.messages)
        print(
            f"round {round_ + 1}: Dazi's layer {ours:.0f} µs CPU/message, "
            f"SQLAlchemy Core {theirs:.0f} µs CPU/message ({theirs / ours:.2f}x)"
        )


if __name__ == "__main__":
    asyncio.run(main())
