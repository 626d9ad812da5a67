"""Search quality and isolation: Chinese words, stemming, time hints, neighbours, scopes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.memory import MemoryStore, NewMessage, RankingConfig, StoreOptions
from bot.memory.ranking import asking_share
from tests.fakes.database import open_memory

NOW = datetime(2026, 6, 20, 12, 0, tzinfo=UTC)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[MemoryStore]:
    memory = await open_memory(tmp_path / "memory.db")
    yield memory
    await memory.close()


async def add(
    store: MemoryStore, user: int, texts: list[str], start: datetime, **extra
) -> list[int]:
    """Messages of one chat, a minute apart."""
    chat = extra.pop("chat_id", user)
    return await store.add_messages(
        NewMessage(
            user_id=user,
            chat_id=chat,
            role="user",
            text=text,
            at=start + timedelta(minutes=i),
            **extra,
        )
        for i, text in enumerate(texts)
    )


async def filler(store: MemoryStore, user: int, start: datetime, count: int = 30) -> None:
    texts = [f"今天天气不错，我们聊了聊周末和工作的事情 {i}" for i in range(count // 2)]
    texts += [f"random chat about weather and lunch number {i}" for i in range(count - len(texts))]
    await add(store, user, texts, start)


async def test_chinese_two_character_word_inside_a_long_sentence(store: MemoryStore) -> None:
    await filler(store, 1, NOW - timedelta(days=40))
    [guitar] = await add(
        store, 1, ["我最近一直在想，也许应该去学吉他，觉得挺酷的"], NOW - timedelta(days=20)
    )
    hits = await store.search(user_id=1, query="吉他", now=NOW)
    assert hits and hits[0].message_id == guitar


async def test_chinese_question_finds_the_member_of_its_category(store: MemoryStore) -> None:
    await filler(store, 1, NOW - timedelta(days=40))
    [guitar] = await add(
        store, 1, ["我最近一直在想，也许应该去学吉他，觉得挺酷的"], NOW - timedelta(days=20)
    )
    hits = await store.search(user_id=1, query="我上次说想学什么乐器？", now=NOW, k=3)
    assert guitar in [hit.message_id for hit in hits]


async def test_english_stemming_both_ways(store: MemoryStore) -> None:
    await filler(store, 1, NOW - timedelta(days=40))
    [book] = await add(store, 1, ["Tom recommended a book called Dune"], NOW - timedelta(days=9))
    [film] = await add(store, 1, ["I'd recommend watching Arrival"], NOW - timedelta(days=8))
    assert (await store.search(user_id=1, query="what did Tom recommend?", now=NOW))[
        0
    ].message_id == book
    hits = await store.search(user_id=1, query="which film was recommended", now=NOW)
    assert hits[0].message_id == film


async def test_month_hint_prefers_messages_of_that_month(store: MemoryStore) -> None:
    [march] = await add(
        store, 1, ["We cooked a spicy curry together"], datetime(2026, 3, 10, tzinfo=UTC)
    )
    [may] = await add(
        store, 1, ["We cooked a spicy curry together"], datetime(2026, 5, 10, tzinfo=UTC)
    )
    english = await store.search(user_id=1, query="what did we cook in March?", now=NOW)
    assert [hit.message_id for hit in english] == [march, may]
    chinese = await store.search(user_id=1, query="三月我们做了什么 curry", now=NOW)
    assert chinese[0].message_id == march


async def test_pure_time_question_returns_that_day(store: MemoryStore) -> None:
    await add(store, 1, ["old topic one", "old topic two"], NOW - timedelta(days=10))
    yesterday = await add(
        store, 1, ["we planned the hike", "and packed snacks"], NOW - timedelta(days=1)
    )
    hits = await store.search(user_id=1, query="what did we talk about yesterday?", now=NOW)
    assert {hit.message_id for hit in hits} == set(yesterday)
    zh = await store.search(user_id=1, query="昨天我们聊了什么", now=NOW)
    assert {hit.message_id for hit in zh} == set(yesterday)


async def test_an_answer_is_found_through_its_question(store: MemoryStore) -> None:
    await filler(store, 1, NOW - timedelta(days=30))
    ids = await add(
        store,
        1,
        ["How often do you go swimming these days?", "Three times a week, mornings."],
        NOW - timedelta(days=3),
    )
    hits = await store.search(user_id=1, query="how often do I swim", now=NOW, k=3)
    assert ids[1] in [hit.message_id for hit in hits]


async def test_results_are_best_first_and_limited(store: MemoryStore) -> None:
    await add(store, 1, [f"pizza talk {i}" for i in range(20)], NOW - timedelta(days=2))
    hits = await store.search(user_id=1, query="pizza", now=NOW, k=5)
    assert len(hits) == 5
    assert [hit.score for hit in hits] == sorted((hit.score for hit in hits), reverse=True)
    assert await store.search(user_id=1, query="what did you say?", now=NOW) == []  # stop words
    assert await store.search(user_id=1, query="pizza", now=NOW, k=0) == []


async def test_before_id_limits_the_search(store: MemoryStore) -> None:
    ids = await add(store, 1, ["pizza one", "pizza two", "pizza three"], NOW - timedelta(days=1))
    hits = await store.search(user_id=1, query="pizza", now=NOW, before_id=ids[2])
    assert {hit.message_id for hit in hits} == {ids[0], ids[1]}


async def test_users_never_see_each_other(store: MemoryStore) -> None:
    [secret] = await add(
        store, 1, ["my bank PIN hint is the blue elephant"], NOW - timedelta(days=1)
    )
    [other] = await add(store, 2, ["I saw a blue elephant at the zoo"], NOW - timedelta(days=1))
    for query in ("blue elephant", "elephant", "bank PIN", "昨天"):
        assert secret not in [
            h.message_id for h in await store.search(user_id=2, query=query, now=NOW)
        ]
        recall = await store.recall(user_id=2, chat_id=2, query=query, now=NOW, budget_tokens=500)
        assert secret not in recall.message_ids
    assert [h.message_id for h in await store.search(user_id=1, query="elephant", now=NOW)] == [
        secret
    ]
    assert [h.message_id for h in await store.search(user_id=2, query="elephant", now=NOW)] == [
        other
    ]
    assert await store.search(user_id=3, query="elephant", now=NOW) == []


async def test_group_memory_is_separate_from_private_memory(store: MemoryStore) -> None:
    [private] = await add(store, 1, ["my private diary mentions tulips"], NOW - timedelta(days=1))
    [group] = await add(
        store,
        1,
        ["the group plans to plant tulips"],
        NOW - timedelta(days=1),
        chat_id=-500,
        speaker="Anna",
    )
    in_group = await store.search(user_id=1, chat_id=-500, query="tulips", now=NOW)
    in_private = await store.search(user_id=1, query="tulips", now=NOW)
    assert [h.message_id for h in in_group] == [group]
    assert [h.message_id for h in in_private] == [private]
    assert in_group[0].speaker == "Anna" and in_group[0].chat_id == -500
    # Another member of the group sees the group's memory, not user 1's private one.
    assert [
        h.message_id for h in await store.search(user_id=2, chat_id=-500, query="tulips", now=NOW)
    ] == [group]
    by_speaker = await store.search(user_id=2, chat_id=-500, query="what did Anna say", now=NOW)
    assert [h.message_id for h in by_speaker] == [group]


async def test_a_very_long_query_is_trimmed_not_rejected(store: MemoryStore) -> None:
    [hit] = await add(store, 1, ["zebra crossing near the school"], NOW - timedelta(days=1))
    long_query = " ".join(f"word{i}" for i in range(600)) + " zebra"
    assert await store.search(user_id=1, query=long_query, now=NOW) == []  # zebra trimmed off
    assert (await store.search(user_id=1, query="zebra " + long_query, now=NOW))[
        0
    ].message_id == hit


async def test_the_answer_outranks_the_question_that_echoes_the_query(
    store: MemoryStore,
) -> None:
    await filler(store, 1, NOW - timedelta(days=30))
    question, answer = await add(
        store,
        1,
        ["What's your best camping memory?", "Seeing the Perseid meteor shower at the lake."],
        NOW - timedelta(days=5),
    )
    # Asking is not telling: the past question shares the query's words, but the answer that
    # follows it is what the user wants; the question stays in the results, just below.
    hits = await store.search(user_id=1, query="what is my best camping memory?", now=NOW, k=3)
    assert [hit.message_id for hit in hits[:2]] == [answer, question]
    undiscounted = await MemoryStore.open(
        store.database, options=StoreOptions(ranking=RankingConfig(question_discount=0.0))
    )
    hits = await undiscounted.search(user_id=1, query="best camping memory", now=NOW, k=3)
    assert hits[0].message_id == question
    # The same in Chinese, where a question may end in 吗 instead of a question mark.
    zh_question, zh_answer = await add(
        store, 1, ["你周末去爬山了吗", "去了，爬了香山，红叶特别漂亮"], NOW - timedelta(days=4)
    )
    hits = await store.search(user_id=1, query="周末去爬山了吗", now=NOW, k=3)
    assert [hit.message_id for hit in hits[:2]] == [zh_answer, zh_question]


def test_asking_share_counts_the_asking_sentences() -> None:
    assert asking_share("I painted a sunset last week.") == 0.0
    assert asking_share("Any more paintings coming up?") == 1.0
    assert 0.0 < asking_share("I painted a sunset. Do you like it?") < 1.0
    assert asking_share("我去过日本。你呢？") == pytest.approx(1 / 3)
    assert asking_share("你去过日本吗") == 1.0
    assert asking_share("") == 0.0


async def test_a_question_naming_someone_prefers_what_they_said(tmp_path: Path) -> None:
    group = -100
    boosted = await MemoryStore.open(tmp_path / "memory.db")
    for i, name in enumerate(("Anna", "Ben", "小红", "小明") * 3):  # names said often
        await add(
            boosted, 1, [f"small talk {i}"], NOW - timedelta(days=30), chat_id=group, speaker=name
        )
    texts = [  # the other speaker's line holds one more of the question's words
        ("Anna", "the Lisbon trip was wonderful"),
        ("Ben", "the Lisbon trip with the kids was wonderful"),
        ("小红", "成都旅行真开心"),
        ("小明", "和孩子的成都旅行真开心"),
    ]
    ids = []
    for i, (speaker, text) in enumerate(texts):
        ids += await add(
            boosted, 1, [text], NOW - timedelta(days=9 - i), chat_id=group, speaker=speaker
        )
    plain = await MemoryStore.open(
        boosted.database, options=StoreOptions(ranking=RankingConfig(speaker_boost=0.0))
    )

    async def first(store: MemoryStore, query: str) -> int:
        hits = await store.search(user_id=1, chat_id=group, query=query, now=NOW, k=2)
        return hits[0].message_id

    english = "What did Anna say about the Lisbon trip with the kids?"
    chinese = "小红觉得和孩子的成都旅行怎么样？"
    assert await first(boosted, english) == ids[0]
    assert await first(plain, english) == ids[1]  # without the speaker's lift
    assert await first(boosted, "What did Ben say about the Lisbon trip with the kids?") == ids[1]
    assert await first(boosted, chinese) == ids[2]
    assert await first(plain, chinese) == ids[3]
    await plain.close()
    await boosted.close()
