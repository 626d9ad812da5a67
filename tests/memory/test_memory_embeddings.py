"""Optional dense vectors: fusion with the lexical ranking, outages, the OpenAI embedder."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from memory_fakes import FailingEmbedder, HashingEmbedder

from bot.memory import MemoryStore, NewMessage, OpenAIEmbedder, RankingConfig, StoreOptions
from bot.memory.embeddings import VectorIndex
from tests.fakes.database import open_memory

NOW = datetime(2026, 2, 1, 12, 0, tzinfo=UTC)
CONCEPTS = {"automobile": "car", "vehicle": "car", "sedan": "car"}


async def fill(store: MemoryStore, user: int = 1) -> dict[str, int]:
    texts = [
        "I finally bought a sedan last weekend",
        "the garden needs watering",
        "my sister visits in spring",
        "we watched a documentary about whales",
    ]
    ids = await store.add_messages(
        NewMessage(user_id=user, chat_id=user, role="user", text=t, at=NOW - timedelta(days=9 - i))
        for i, t in enumerate(texts)
    )
    return dict(zip(texts, ids, strict=True))


async def test_dense_ranking_is_fused_with_lexical(tmp_path: Path) -> None:
    embedder = HashingEmbedder(synonyms=CONCEPTS)
    store = await open_memory(tmp_path / "m.db", embedder=embedder)
    ids = await fill(store)
    await fill(store, user=2)
    await store.flush_embeddings()  # what the background flush has not embedded yet
    assert await store.vectors.count("message") == 8
    sedan = ids["I finally bought a sedan last weekend"]
    # No shared word: only the vectors know a sedan is an automobile.
    lexical_only = await MemoryStore.open(store.database)
    assert await lexical_only.search(user_id=1, query="automobile", now=NOW) == []
    hits = await store.search(user_id=1, query="automobile", now=NOW, k=2)
    assert hits[0].message_id == sedan
    # Both rankings agree: fused first. And dense never crosses scopes.
    both = await store.search(user_id=1, query="whales documentary", now=NOW)
    assert both[0].message_id == ids["we watched a documentary about whales"]
    assert {hit.message_id for hit in both} <= set(ids.values())
    fact = await store.add_fact(user_id=1, chat_id=1, text="Anna drives a sedan", now=NOW)
    await store.flush_embeddings()
    assert (await store.search_facts(user_id=1, chat_id=1, query="vehicle"))[0].id == fact.id
    await store.close()


async def test_embedder_outage_loses_nothing(tmp_path: Path) -> None:
    embedder = FailingEmbedder()
    store = await open_memory(tmp_path / "m.db", embedder=embedder)
    ids = await fill(store)
    assert await store.flush_embeddings() == 0  # server down: items stay queued
    queued = await store.database.fetchone("SELECT count(*) FROM memory_embed_queue")
    assert queued[0] == len(ids)
    hits = await store.search(user_id=1, query="sedan", now=NOW)  # lexical still answers
    assert hits[0].text == "I finally bought a sedan last weekend"
    embedder.down = False
    assert await store.flush_embeddings() == len(ids)
    assert (await store.database.fetchone("SELECT count(*) FROM memory_embed_queue"))[0] == 0
    await store.close()


class _CountingEmbedder(HashingEmbedder):
    """Counts the texts it embeds."""

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []

    async def embed(self, texts: list[str], *, query: bool = False) -> list[list[float]]:
        self.texts.extend(texts)
        await asyncio.sleep(0)  # an endpoint answers later: a second flush could start
        return await super().embed(texts, query=query)


async def test_a_manual_flush_beside_the_background_one_embeds_nothing_twice(
    tmp_path: Path,
) -> None:
    embedder = _CountingEmbedder()
    store = await open_memory(tmp_path / "m.db", embedder=embedder)
    ids = await fill(store)  # starts the background flush
    assert await store.flush_embeddings() == len(ids)  # waits for it, then does the rest
    assert len(embedder.texts) == len(ids) == len(set(embedder.texts))
    assert await store.vectors.count("message") == len(ids)
    await store.close()


async def test_embedding_happens_in_the_background(tmp_path: Path) -> None:
    embedder = HashingEmbedder()
    store = await open_memory(tmp_path / "m.db", embedder=embedder)
    await store.add_message(user_id=1, chat_id=1, role="user", text="background please", at=NOW)
    await store.close()  # stops (or lets finish) the background task without errors
    store = await open_memory(tmp_path / "m.db", embedder=embedder)
    await store.flush_embeddings()
    assert await store.vectors.count("message") == 1
    await store.close()


async def test_vectors_of_the_wrong_dimension_are_dropped(tmp_path: Path) -> None:
    store = await open_memory(tmp_path / "m.db")
    index = VectorIndex(store.database, native=None)
    await index.load()
    db = store.database
    three = [(1, 1, [1.0, 0.0, 0.0])]
    two = [(2, 1, [1.0, 0.0])]
    assert await db.run_write(lambda conn: index.write(conn, "message", three)) == 1
    assert await db.run_write(lambda conn: index.write(conn, "message", two)) == 0
    nearest = await db.run(lambda conn: index.nearest(conn, "message", 1, [1.0, 0.1, 0.0], 5))
    assert [item for item, _ in nearest] == [1]
    assert await db.run(lambda conn: index.nearest(conn, "message", 1, [1.0, 0.0], 5)) == []
    await store.close()


class _FakeEmbeddingsAPI:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    async def create(self, **request: Any) -> Any:
        self.calls.append(request)
        data = [
            SimpleNamespace(index=i, embedding=[float(len(text)), 1.0])
            for i, text in enumerate(request["input"])
        ]
        return SimpleNamespace(data=list(reversed(data)))  # out of order on purpose


async def test_openai_embedder_batches_and_orders() -> None:
    api = _FakeEmbeddingsAPI()
    client = SimpleNamespace(embeddings=api)
    embedder = OpenAIEmbedder(client, "test-model", batch_size=2, dimensions=2)  # type: ignore[arg-type]
    vectors = await embedder.embed(["a", "bbb", ""])
    assert vectors == [[1.0, 1.0], [3.0, 1.0], [1.0, 1.0]]  # empty text sent as one space
    assert [call["input"] for call in api.calls] == [["a", "bbb"], [" "]]
    assert api.calls[0]["model"] == "test-model" and api.calls[0]["dimensions"] == 2


async def test_sqlite_vec_backend_when_loadable(tmp_path: Path) -> None:
    store = await open_memory(tmp_path / "m.db", embedder=HashingEmbedder(synonyms=CONCEPTS))
    index = store.vectors
    if index._native != "vec0":  # type: ignore[attr-defined]
        await store.close()
        pytest.skip("this Python's sqlite3 cannot load extensions; the blob backend is in use")
    try:
        ids = await fill(store)
        await store.flush_embeddings()
        assert index.backend == "vec0"
        hits = await store.search(user_id=1, query="automobile", now=NOW, k=1)
        assert hits[0].message_id == ids["I finally bought a sedan last weekend"]
        assert await index.count("message") == len(ids)
        await store.forget_all(user_id=1, chat_id=1)
        assert await index.count("message") == 0
    finally:
        await store.close()  # an open store's database thread would keep the run alive


async def test_openai_embedder_prefixes_and_input_types() -> None:
    api = _FakeEmbeddingsAPI()
    client = SimpleNamespace(embeddings=api)
    embedder = OpenAIEmbedder(
        client,  # type: ignore[arg-type]
        "e5",
        query_prefix="query: ",
        document_prefix="passage: ",
        input_types=("query", "passage"),
    )
    await embedder.embed(["Anna: I bought a sedan"])
    await embedder.embed(["what car?"], query=True)
    assert [call["input"] for call in api.calls] == [
        ["passage: Anna: I bought a sedan"],
        ["query: what car?"],
    ]
    assert [call["extra_body"] for call in api.calls] == [
        {"input_type": "passage"},
        {"input_type": "query"},
    ]
    plain = OpenAIEmbedder(client, "text-embedding-3-small")  # type: ignore[arg-type]
    await plain.embed(["x"], query=True)
    assert api.calls[-1]["input"] == ["x"] and "extra_body" not in api.calls[-1]


class _RecordingEmbedder(HashingEmbedder):
    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.requests: list[tuple[bool, list[str]]] = []

    async def embed(self, texts: list[str], *, query: bool = False) -> list[list[float]]:
        self.requests.append((query, list(texts)))
        return await super().embed(texts, query=query)


async def test_messages_are_embedded_with_speaker_and_preceding_turn(tmp_path: Path) -> None:
    embedder = _RecordingEmbedder()
    store = await open_memory(tmp_path / "m.db", embedder=embedder)
    turns = [
        ("Anna", "what did you buy?", NOW - timedelta(days=2)),
        ("Ben", "a sedan!", NOW - timedelta(days=2) + timedelta(minutes=1)),
        (None, "new topic the next day", NOW - timedelta(days=1)),
    ]
    await store.add_messages(
        NewMessage(user_id=1, chat_id=1, role="user", text=text, at=at, speaker=speaker)
        for speaker, text, at in turns
    )
    await store.add_fact(user_id=1, chat_id=1, text="Ben drives a sedan", now=NOW)
    await store.flush_embeddings()
    documents = [text for query, texts in embedder.requests if not query for text in texts]
    assert sorted(set(documents)) == [  # (a background flush may overlap ours)
        "Anna: what did you buy?",
        "Anna: what did you buy?\nBen: a sedan!",
        "Ben drives a sedan",  # facts as they are
        "new topic the next day",  # a day later: the earlier turns lend nothing
    ]
    embedder.requests.clear()
    await store.search(user_id=1, query="which car", now=NOW)
    # The query is embedded as a query, once (a background flush may still be embedding the
    # documents a second time: it started before ours and took the same queue).
    queries = [(query, texts) for query, texts in embedder.requests if query]
    assert queries == [(True, ["which car"])]
    await store.close()


async def test_fusion_weighs_similarity_and_lifts_the_neighbours(tmp_path: Path) -> None:
    embedder = HashingEmbedder(synonyms=CONCEPTS)
    store = await open_memory(tmp_path / "m.db", embedder=embedder)
    texts = [
        "the garden needs watering",
        "guess what I got",
        "a shiny sedan",
        "my sister visits in spring",
        "we watched a documentary about whales",
        "whales are huge",
    ]
    ids = await store.add_messages(  # hours apart: separate conversations, no context
        NewMessage(user_id=1, chat_id=1, role="user", text=t, at=NOW - timedelta(hours=40 - 5 * i))
        for i, t in enumerate(texts)
    )
    await store.flush_embeddings()
    # No shared word: the dense share alone finds the sedan, then lifts its two neighbours
    # (half their score is their best neighbour's similarity) above the rest.
    hits = await store.search(user_id=1, query="automobile", now=NOW, k=3)
    assert hits[0].message_id == ids[2]
    assert {hit.message_id for hit in hits[1:]} == {ids[1], ids[3]}
    assert hits[1].score > 0 and hits[2].score > 0
    # Both signals agree: first; the dense share never outweighs a clear lexical winner.
    hits = await store.search(user_id=1, query="documentary about whales", now=NOW, k=3)
    assert hits[0].message_id == ids[4]
    assert all(0.0 <= hit.score <= 1.0 for hit in hits)
    # All lexical, no dense share: the lexical order stays.
    lexical_only = await MemoryStore.open(
        store.database,
        embedder=embedder,
        options=StoreOptions(ranking=RankingConfig(dense_weight=0.0)),
    )
    plain = await MemoryStore.open(store.database)
    for query in ("whales", "garden sister"):
        fused = [h.message_id for h in await lexical_only.search(user_id=1, query=query, now=NOW)]
        alone = [h.message_id for h in await plain.search(user_id=1, query=query, now=NOW)]
        assert fused[: len(alone)] == alone
    await store.close()


async def test_similarities_of_chosen_items(tmp_path: Path) -> None:
    store = await open_memory(tmp_path / "m.db")
    index = VectorIndex(store.database, native=None)
    await index.load()
    db = store.database
    items = [(1, 7, [1.0, 0.0]), (2, 7, [0.0, 2.0]), (3, 8, [1.0, 1.0])]
    await db.run_write(lambda conn: index.write(conn, "message", items))
    found = await db.run(
        lambda conn: index.similarities(conn, "message", 7, [3.0, 0.0], [1, 2, 3, 4])
    )
    assert found == pytest.approx({1: 1.0, 2: 0.0})  # other scopes and unknown ids left out
    assert await db.run(lambda conn: index.similarities(conn, "message", 7, [1.0], [1])) == {}
    await store.close()


async def test_with_vectors_too_the_answer_outranks_the_echoing_question(tmp_path: Path) -> None:
    embedder = HashingEmbedder(synonyms=CONCEPTS)
    store = await open_memory(tmp_path / "m.db", embedder=embedder)
    await fill(store)
    question, answer = await store.add_messages(
        NewMessage(user_id=1, chat_id=1, role="user", text=text, at=NOW - timedelta(minutes=m))
        for text, m in (("Which car did you buy in the end?", 10), ("The blue sedan!", 9))
    )
    await store.flush_embeddings()
    # The question matches the query best in words and in vector, but holds no answer.
    hits = await store.search(user_id=1, query="which car did I buy", now=NOW, k=5)
    ids = [hit.message_id for hit in hits]
    assert ids[0] == answer and question in ids[1:]
    await store.close()
