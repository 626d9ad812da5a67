"""Two replicas on the real PostgreSQL, each its own process, any of them receiving any update:
SIGKILL one while it answers; the other takes its chats over once the lease expired. Every
message is answered once, in order within its chat; the only exception is the update a replica
was killed in, which the next holder reports as lost ("send it again") instead of doing it
twice. SIGTERM drains the update in flight and hands the chat's waiting ones over at once.
One test: starting replica processes is most of its time."""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from tests.fakes.llm import FakeLLM
from tests.fakes.postgres import POSTGRES_URL, fresh_schema
from tests.fakes.replica_cluster import ReplicaCluster, private_text
from tests.fakes.telegram_http import HttpBotAPI
from tests.fakes.waiting import until

CHATS = [4101, 4102, 4103, 4104]
PER_CHAT = 6
LEASE = 2.0
_MESSAGE = re.compile(r"m(\d+)-(\d+)")


@pytest.fixture
async def cluster(tmp_path: Path, llm: FakeLLM) -> AsyncIterator[ReplicaCluster]:
    api = HttpBotAPI()
    await api.start()
    async with fresh_schema() as schema:
        group = ReplicaCluster(
            tmp_path,
            schema,
            api,
            llm.base_url,
            env={"REPLICA_LEASE_SECONDS": str(LEASE), "SHUTDOWN_GRACE_SECONDS": "10"},
        )
        try:
            yield group
        finally:
            await group.close()
            await api.stop()


def _said(texts: list[str]) -> list[tuple[str, int]]:
    """Per outgoing message: ('answer' or 'lost', the number of the user message it is about)."""
    out = []
    for text in texts:
        found = _MESSAGE.search(text)
        assert found is not None, text
        out.append(("lost" if "lost" in text else "answer", int(found.group(2))))
    return out


async def _rows(schema: str, table: str, where: str = "TRUE") -> int:
    conn = await asyncpg.connect(POSTGRES_URL)
    try:
        return int(await conn.fetchval(f'SELECT count(*) FROM "{schema}".{table} WHERE {where}'))
    finally:
        await conn.close()


async def test_a_killed_replicas_chats_go_to_the_other_all_answered_once_in_order_sigterm_drains(
    cluster: ReplicaCluster, llm: FakeLLM
) -> None:
    llm.response_delay = 0.3  # each answer takes a while: both replicas are mid-update
    a, b = cluster.add("a"), cluster.add("b")
    await asyncio.gather(cluster.start(a), cluster.start(b))
    api = cluster.api.api

    async def user(chat: int, offset: int) -> None:
        # Telegram posts a chat's updates one after the other, to whichever replica.
        for number in range(PER_CHAT):
            update_id = 1000 + chat % 100 * 10 + number
            await cluster.post(private_text(update_id, chat, f"m{chat}-{number}"), offset + number)
            await asyncio.sleep(0.1)

    users = asyncio.gather(*(user(chat, index) for index, chat in enumerate(CHATS)))
    await until(lambda: len(api.texts()) >= 5, timeout=60)
    cluster.kill(a)  # mid-answer: the model is slow, A holds about half of the chats
    await users

    def settled() -> bool:
        return all({n for _, n in _said(api.texts(chat))} == set(range(PER_CHAT)) for chat in CHATS)

    await until(settled, timeout=60)
    await asyncio.sleep(0.5)  # anything sent twice would show by now
    lost_total = 0
    for chat in CHATS:
        said = _said(api.texts(chat))
        numbers = [number for _, number in said]
        assert numbers == sorted(numbers), f"chat {chat} out of order: {said}"
        answers = Counter(number for kind, number in said if kind == "answer")
        assert all(count == 1 for count in answers.values()), f"chat {chat} doubled: {said}"
        lost = [number for kind, number in said if kind == "lost"]
        assert len(lost) <= 1, f"chat {chat}: {said}"  # only the update A was killed in
        lost_total += len(lost)
    assert lost_total <= len(CHATS)
    assert await _rows(cluster.schema, "inbox") == 0

    # A restarts under its own name and takes a chat; SIGTERM while it answers there: the
    # answer in flight is finished, A lets go of the chat as it stops (no lease left to
    # expire), and B takes the chat's waiting updates at its next sweep.
    await cluster.start(a)
    llm.response_delay, before = 1.0, len(llm.chat_requests)
    chat, sent = CHATS[0], len(api.texts(CHATS[0]))
    for number in range(PER_CHAT, PER_CHAT + 3):
        assert await cluster.post(private_text(9000 + number, chat, f"m{chat}-{number}"), 0) is a
    await until(lambda: len(llm.chat_requests) > before, timeout=60)
    assert await cluster.terminate(a) == 0
    assert await _rows(cluster.schema, "chat_leases", "holder = 'a'") == 0
    await until(lambda: len(api.texts(chat)) == sent + 3)
    # In order, and the one A was answering finished by A (cut off, B would say "lost").
    assert api.texts(chat)[sent:] == [
        f"You said: m{chat}-{number}" for number in range(PER_CHAT, PER_CHAT + 3)
    ]
    assert await cluster.terminate(b) == 0
    assert await _rows(cluster.schema, "chat_leases") == 0
    assert await _rows(cluster.schema, "inbox") == 0
