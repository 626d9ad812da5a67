"""Embedding work shared by replicas on the real PostgreSQL: two memory stores (separate
connection pools, standing for two replicas) flushing one queue at once, beside a manual flush,
embed every queued item exactly once, counted at a fake OpenAI embedding endpoint. A failed
flush hands its claims back at once; a dead replica's claims come back only after the lease.

The lease is never waited out: time passes for a claim by moving its ``claimed_at`` back."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from bot.llm.sdk import sdk_client
from bot.memory import MemoryStore, NewMessage, OpenAIEmbedder
from bot.storage.postgres import PostgresDatabase
from tests.fakes.llm import FakeLLM
from tests.fakes.postgres import fresh_schema, open_postgres
from tests.fakes.waiting import until

NOW = datetime(2026, 2, 1, 12, 0, tzinfo=UTC)


class GatedEmbedder:
    """The real embedder against the fake endpoint; each replica's first call waits until both
    replicas have read a batch, so that a queue read twice would be embedded twice."""

    def __init__(self, inner: OpenAIEmbedder, arrived: list[int], replicas: int) -> None:
        self._inner = inner
        self._arrived = arrived
        self._replicas = replicas
        self.waits_for_the_other = True
        self.down = False

    async def embed(self, texts: list[str], *, query: bool = False) -> list[list[float]]:
        if self.down:
            raise ConnectionError("embedding server unreachable")
        if self.waits_for_the_other:
            self.waits_for_the_other = False
            self._arrived.append(1)
            await until(lambda: len(self._arrived) >= self._replicas)
        return await self._inner.embed(texts, query=query)


@dataclass
class Replicas:
    dbs: list[PostgresDatabase]
    stores: list[MemoryStore]
    embedders: list[GatedEmbedder]
    llm: FakeLLM

    async def queue_messages(self, count: int) -> list[int]:
        """``count`` messages, stored without embedding, then all queued (no background
        flush starts on its own: the test decides who flushes)."""
        plain = await MemoryStore.open(self.dbs[0])
        ids = await plain.add_messages(
            NewMessage(user_id=1, chat_id=1, role="user", text=f"note{n} about the garden", at=NOW)
            for n in range(count)
        )
        await self.dbs[0].execute(
            "INSERT INTO memory_embed_queue (kind, item_id) SELECT 'message', id FROM messages"
        )
        return ids

    def embedded(self) -> Counter[str]:
        """How often each message text reached the endpoint (its own text ends the document
        a message is embedded as; earlier lines are context)."""
        return Counter(
            text.splitlines()[-1]
            for request in self.llm.embedding_requests
            for text in request["input"]
        )

    async def queued(self) -> int:
        row = await self.dbs[0].fetchone("SELECT count(*) FROM memory_embed_queue")
        return int(row[0])


@pytest.fixture
async def replicas(llm: FakeLLM) -> AsyncIterator[Replicas]:
    async with fresh_schema() as schema:
        dbs = [await open_postgres(schema) for _ in range(2)]
        arrived: list[int] = []
        clients = [
            sdk_client(api_key="", base_url=llm.base_url, timeout=10, retries=0) for _ in dbs
        ]
        embedders = [
            GatedEmbedder(OpenAIEmbedder(client, "fake", batch_size=16), arrived, len(dbs))
            for client in clients
        ]
        try:
            stores = [
                await MemoryStore.open(db, embedder=embedder)
                for db, embedder in zip(dbs, embedders, strict=True)
            ]
            yield Replicas(dbs, stores, embedders, llm)
            for store in stores:
                await store.close()
        finally:
            for client in clients:
                await client.close()
            for db in dbs:
                await db.close()


async def test_two_replicas_and_a_manual_flush_embed_each_item_once(replicas: Replicas) -> None:
    await replicas.queue_messages(300)
    first, second = replicas.stores
    # Both replicas flush at once (as their background flushes would), and a manual flush
    # runs beside the first one's.
    await asyncio.gather(
        first.flush_embeddings(), second.flush_embeddings(), first.flush_embeddings()
    )
    embedded = replicas.embedded()
    assert set(embedded) == {f"note{n} about the garden" for n in range(300)}
    assert set(embedded.values()) == {1}  # none twice
    assert await replicas.queued() == 0
    assert await first.vectors.count("message") == 300


async def test_a_failed_flush_hands_its_claims_back_at_once(replicas: Replicas) -> None:
    await replicas.queue_messages(40)
    first, second = replicas.stores
    replicas.embedders[0].down = True
    replicas.embedders[1].waits_for_the_other = False  # it is alone
    assert await first.flush_embeddings() == 0  # the endpoint is down for this replica
    assert await second.flush_embeddings() == 40  # at once, not after the lease
    assert await replicas.queued() == 0


async def test_a_dead_replicas_claims_come_back_only_after_the_lease(replicas: Replicas) -> None:
    await replicas.queue_messages(30)
    db = replicas.dbs[0]
    # A replica claimed ten items and died before embedding them (nothing handed back).
    await db.execute(
        "UPDATE memory_embed_queue SET claim_token = 'dead', claimed_at = clock_timestamp()"
        " WHERE item_id IN (SELECT item_id FROM memory_embed_queue ORDER BY item_id LIMIT 10)"
    )
    survivor = replicas.stores[1]
    replicas.embedders[1].waits_for_the_other = False  # it is alone
    assert await survivor.flush_embeddings() == 20  # the live claims are left alone
    assert await replicas.queued() == 10
    await db.execute(
        "UPDATE memory_embed_queue SET claimed_at = claimed_at - make_interval(mins => 3)"
    )
    assert await survivor.flush_embeddings() == 10  # the 2-minute lease is over
    assert await replicas.queued() == 0
    assert set(replicas.embedded().values()) == {1}
