"""Memory at scale: ingest rate, search latency and database size for a million messages.

Generates messages for 1,000 users (one of them with a tenth of all messages) from a mixed
English/Chinese vocabulary with a Zipf distribution (pseudo-English words, Chinese words from
jieba's dictionary, real stop words between them), ingests them through ``add_messages`` in
batches, then times searches for the big user and for random users, and ``recall`` for the
big user. The database lives in a temporary folder that is deleted afterwards.

    python benchmarks/memory_scale.py                 # 1,000,000 messages (~5 min on 2 cores)
    python benchmarks/memory_scale.py --messages 100000
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.memory import MemoryStore, NewMessage

T = TypeVar("T")
BATCH = 1_000
# Function words between the content words, as in real text (the tokenizer drops them).
EN_STOP = [
    "i",
    "you",
    "we",
    "the",
    "a",
    "to",
    "and",
    "of",
    "in",
    "it",
    "is",
    "was",
    "that",
    "my",
    "for",
    "on",
    "with",
    "at",
    "this",
    "so",
    "but",
    "what",
]
ZH_STOP = [
    "我",
    "你",
    "的",
    "了",
    "是",
    "在",
    "也",
    "就",
    "都",
    "很",
    "吗",
    "吧",
    "呢",
    "这个",
    "那个",
    "我们",
    "他们",
]
EN_QUESTIONS = ["what did I say about {}?", "when did we talk about {}", "do you remember {}"]
ZH_QUESTIONS = ["我上次说的{}是什么？", "我们什么时候聊过{}", "还记得{}吗"]


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """Words of one language with cumulative Zipf weights for fast sampling."""

    words: list[str]
    cumulative: list[float]

    @classmethod
    def zipf(cls, words: list[str]) -> Vocabulary:
        return cls(
            words, list(itertools.accumulate(1.0 / rank for rank in range(1, len(words) + 1)))
        )

    def sample(self, rng: random.Random, count: int) -> list[str]:
        return rng.choices(self.words, cum_weights=self.cumulative, k=count)


def english_vocabulary(size: int, rng: random.Random) -> Vocabulary:
    """Pronounceable pseudo-words ("bakotu"), so stemming and tokenizing do real work."""
    onsets = [
        "b",
        "c",
        "d",
        "f",
        "g",
        "h",
        "j",
        "k",
        "l",
        "m",
        "n",
        "p",
        "r",
        "s",
        "t",
        "v",
        "w",
        "z",
        "br",
        "st",
        "tr",
        "pl",
        "gr",
    ]
    vowels = ["a", "e", "i", "o", "u", "ai", "ou", "ea"]
    words: set[str] = set()
    while len(words) < size:
        syllables = rng.randint(1, 3)
        words.add("".join(rng.choice(onsets) + rng.choice(vowels) for _ in range(syllables)))
    return Vocabulary.zipf(sorted(words, key=lambda w: (len(w), w)))


def chinese_vocabulary(size: int) -> Vocabulary:
    """The most frequent two-to-four-character words of jieba's dictionary."""
    import jieba

    entries = []
    with open(os.path.join(os.path.dirname(jieba.__file__), "dict.txt"), encoding="utf-8") as f:
        for line in f:
            word, frequency, *_ = line.split()
            if 2 <= len(word) <= 4 and all("\u4e00" <= c <= "\u9fff" for c in word):
                entries.append((int(frequency), word))
    entries.sort(reverse=True)
    return Vocabulary.zipf([word for _, word in entries[:size]])


def message_text(rng: random.Random, chinese: bool, english: Vocabulary, zh: Vocabulary) -> str:
    if chinese:
        words = zh.sample(rng, rng.randint(4, 10))
        stops = rng.choices(ZH_STOP, k=len(words) // 2)
        mixed = [w for pair in itertools.zip_longest(words, stops) for w in pair if w]
        if rng.random() < 0.2:  # code-switching, common in chats
            mixed.append(english.sample(rng, 1)[0])
        return "".join(mixed) + rng.choice(["。", "！", "？", ""])
    words = english.sample(rng, rng.randint(5, 14))
    stops = rng.choices(EN_STOP, k=len(words))
    return " ".join(w for pair in zip(stops, words, strict=True) for w in pair).capitalize() + "."


def generate(
    total: int, users: int, seed: int
) -> tuple[Iterator[list[NewMessage]], list[int], Vocabulary, Vocabulary]:
    """Batches of messages (big user = user 1, a tenth of everything), the user ids, and the
    vocabularies."""
    rng = random.Random(seed)
    english, zh = english_vocabulary(20_000, rng), chinese_vocabulary(20_000)
    user_ids = list(range(1, users + 1))
    chinese_user = {user: rng.random() < 0.5 for user in user_ids}
    start = datetime(2024, 1, 1, tzinfo=UTC)
    step = timedelta(days=730) / total

    def batches() -> Iterator[list[NewMessage]]:
        batch: list[NewMessage] = []
        for index in range(total):
            user = 1 if rng.random() < 0.1 else rng.choice(user_ids[1:])
            role = "user" if rng.random() < 0.5 else "assistant"
            chinese = chinese_user[user] if rng.random() < 0.8 else not chinese_user[user]
            batch.append(
                NewMessage(
                    user_id=user,
                    chat_id=user,
                    role=role,
                    text=message_text(rng, chinese, english, zh),
                    at=start + step * index,
                    speaker="Anna" if role == "user" else None,
                )
            )
            if len(batch) == BATCH:
                yield batch
                batch = []
        if batch:
            yield batch

    return batches(), user_ids, english, zh


def queries(rng: random.Random, count: int, english: Vocabulary, zh: Vocabulary) -> list[str]:
    result = []
    for _ in range(count):
        if rng.random() < 0.5:
            words = " and ".join(english.sample(rng, rng.randint(1, 3)))
            result.append(rng.choice(EN_QUESTIONS).format(words))
        else:
            result.append(
                rng.choice(ZH_QUESTIONS).format("和".join(zh.sample(rng, rng.randint(1, 3))))
            )
    return result


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


async def time_each(items: Iterable[T], call: Callable[[T], Awaitable[Any]]) -> list[float]:
    """Milliseconds of ``call(item)`` for each item, one after the other."""
    timings = []
    for item in items:
        started = time.perf_counter()
        await call(item)
        timings.append(1000 * (time.perf_counter() - started))
    return timings


def summary(timings: list[float]) -> dict[str, float]:
    return {"p50": percentile(timings, 0.5), "p95": percentile(timings, 0.95), "max": max(timings)}


async def run(total: int, users: int, query_count: int, seed: int) -> dict[str, Any]:
    batches, user_ids, english, zh = generate(total, users, seed)
    rng = random.Random(seed + 1)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "memory.db"
        store = await MemoryStore.open(path)
        try:
            ingest_started = time.perf_counter()
            stored = 0
            last_at = datetime(2024, 1, 1, tzinfo=UTC)
            for batch in batches:
                await store.add_messages(batch)
                stored += len(batch)
                last_at = batch[-1].at
                if stored % 100_000 == 0:
                    elapsed = time.perf_counter() - ingest_started
                    print(f"  ingested {stored:,} ({stored / elapsed:,.0f} msg/s)", flush=True)
            ingest_seconds = time.perf_counter() - ingest_started
            now = last_at + timedelta(hours=1)
            big_count = (
                await store.database.fetchone("SELECT count(*) FROM messages WHERE scope_id = 1")
            )[0]

            single = await time_each(
                range(300),
                lambda i: store.add_message(
                    user_id=user_ids[i % len(user_ids)],
                    chat_id=user_ids[i % len(user_ids)],
                    role="user",
                    text=message_text(rng, i % 2 == 0, english, zh),
                    at=now,
                ),
            )
            big = await time_each(
                queries(rng, query_count, english, zh),
                lambda q: store.search(user_id=1, query=q, k=10, now=now),
            )
            asked = [(rng.choice(user_ids[1:]), q) for q in queries(rng, query_count, english, zh)]
            others = await time_each(
                asked, lambda pair: store.search(user_id=pair[0], query=pair[1], k=10, now=now)
            )
            recall = await time_each(
                queries(rng, max(query_count // 3, 10), english, zh),
                lambda q: store.recall(user_id=1, chat_id=1, query=q, now=now, budget_tokens=800),
            )
            await store.database.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            size = path.stat().st_size
        finally:
            await store.close()
    return {
        "messages": total,
        "users": users,
        "big_user_messages": big_count,
        "ingest_seconds": ingest_seconds,
        "ingest_per_second": total / ingest_seconds,
        "single_add_ms": summary(single),
        "search_big_user_ms": summary(big),
        "search_other_users_ms": summary(others),
        "recall_big_user_ms": summary(recall),
        "database_bytes": size,
        "database_mb_per_million": size / 1e6 * 1e6 / total,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=1_000)
    parser.add_argument("--queries", type=int, default=300, help="per user group")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = asyncio.run(run(args.messages, args.users, args.queries, args.seed))
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(
        f"{result['messages']:,} messages, {result['users']:,} users "
        f"(big user: {result['big_user_messages']:,})"
    )
    print(
        f"ingest (add_messages, batches of {BATCH}): {result['ingest_per_second']:,.0f} msg/s "
        f"({result['ingest_seconds']:.0f} s)"
    )
    for label, key in (
        ("add_message one at a time", "single_add_ms"),
        ("search, big user", "search_big_user_ms"),
        ("search, other users", "search_other_users_ms"),
        ("recall, big user", "recall_big_user_ms"),
    ):
        figures = result[key]
        print(
            f"{label}: p50 {figures['p50']:.1f} ms, p95 {figures['p95']:.1f} ms,"
            f" max {figures['max']:.1f} ms"
        )
    print(
        f"database: {result['database_bytes'] / 1e6:,.0f} MB "
        f"({result['database_mb_per_million']:,.0f} MB per million messages)"
    )


if __name__ == "__main__":
    main()
