"""Fact learning shared by replicas on the real PostgreSQL: each chat's batch of new messages
is claimed by exactly one replica, a dead replica's claim comes back only after its lease, and
messages that arrive while a batch is learned wait for the next batch (none lost, none twice).

The pause and the lease are long and never run out by themselves during a test: time passes for
the rows by :meth:`Shared.let_pass`, which moves their times back as waiting would, without a
real wait that a loaded machine stretches past a short lease."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import pytest

from bot.conversation.learning import LearningBatch, SharedLearning
from bot.storage import CORE_MIGRATIONS
from bot.storage.postgres import PostgresDatabase
from tests.fakes.postgres import fresh_schema, open_postgres

IDLE = timedelta(seconds=30)
LEASE = timedelta(seconds=60)


@dataclass
class Shared:
    dbs: list[PostgresDatabase]
    replicas: list[SharedLearning]

    async def message(self, chat_id: int) -> int:
        """A user message of the chat, stored and noted for learning."""
        message_id = await self.dbs[0].execute(
            "INSERT INTO messages (scope_id, chat_id, user_id, role, text, at)"
            " VALUES (?, ?, ?, 'user', 'hi', '2026-03-01T09:00:00.000+00:00')",
            (chat_id, chat_id, chat_id),
        )
        await self.replicas[0].note(chat_id=chat_id, user_id=chat_id, message_id=message_id)
        return message_id

    async def let_pass(self, span: timedelta) -> None:
        """``span`` of the database's time passes for every row (as if the test had waited)."""
        await self.dbs[0].execute(
            "UPDATE fact_learning SET due_at = due_at - make_interval(secs => ?),"
            " claimed_at = claimed_at - make_interval(secs => ?)",
            (span.total_seconds(), span.total_seconds()),
        )


@pytest.fixture
async def shared() -> AsyncIterator[Shared]:
    async with fresh_schema() as schema:
        dbs = [await open_postgres(schema) for _ in range(3)]
        try:
            await dbs[0].migrate("core", CORE_MIGRATIONS)
            replicas = [
                await SharedLearning.open(db, every=3, idle=IDLE, lease=LEASE) for db in dbs
            ]
            yield Shared(dbs, replicas)
        finally:
            for db in dbs:
                await db.close()


async def test_three_replicas_learn_each_chats_batch_exactly_once(shared: Shared) -> None:
    chats = list(range(9001, 9031))
    for chat in chats:
        for _ in range(3):
            await shared.message(chat)
            await shared.replicas[1].exchange(chat)  # the third makes it due at once
    learned: Counter[int] = Counter()
    by_replica: Counter[int] = Counter()
    # Two learners per replica claim at once; none learns before all have claimed, so no
    # replica can be left out by how a loaded machine happens to schedule them.
    first_claims = asyncio.Barrier(6)

    async def learner(index: int) -> None:
        replica = shared.replicas[index]
        batches = await replica.claim(limit=4)
        await first_claims.wait()
        while batches:
            for batch in batches:
                await asyncio.sleep(0.005)  # the model's answer
                learned[batch.chat_id] += 1
                by_replica[index] += 1
                assert await replica.finish(batch, through_message_id=batch.first_message_id + 2)
            batches = await replica.claim(limit=4)

    await asyncio.gather(*(learner(index) for index in range(3) for _ in range(2)))
    assert learned == Counter(chats)
    assert set(by_replica) == {0, 1, 2}, f"claims at once went to some replicas only: {by_replica}"
    assert await shared.replicas[0].claim() == []  # nothing learned twice, nothing left
    assert await shared.dbs[0].fetchone("SELECT 1 FROM fact_learning") is None


async def test_a_chat_with_no_exchange_is_not_due_and_a_pause_makes_it_due(shared: Shared) -> None:
    a = shared.replicas[0]
    first = await shared.message(77)
    assert await a.claim() == []  # stored chatter alone does not trigger learning
    await a.exchange(77)
    assert await a.claim() == []  # one exchange: learned after a pause
    await shared.let_pass(IDLE)
    [batch] = await a.claim()
    assert (batch.chat_id, batch.first_message_id, batch.exchanges) == (77, first, 1)


async def test_a_dead_replicas_claim_comes_back_after_its_lease_and_cannot_finish(
    shared: Shared,
) -> None:
    a, b = shared.replicas[0], shared.replicas[1]
    first = await shared.message(55)
    for _ in range(3):
        await a.exchange(55)
    [claimed] = await a.claim()
    # A dies here. While its lease holds nobody else learns the chat.
    assert await b.claim() == []
    await shared.let_pass(LEASE)
    [again] = await b.claim()
    assert (again.chat_id, again.first_message_id) == (55, first)
    assert not await a.finish(claimed, through_message_id=first)  # the dead one's token
    assert await b.finish(again, through_message_id=first)
    assert await b.claim() == []


async def test_messages_during_learning_wait_for_the_next_batch(shared: Shared) -> None:
    a = shared.replicas[0]
    ids = [await shared.message(31) for _ in range(3)]
    for _ in range(3):
        await a.exchange(31)
    [batch] = await a.claim()
    later = await shared.message(31)  # said while the model learns the first three
    await a.exchange(31)
    assert await a.finish(batch, through_message_id=ids[-1])
    assert await a.claim() == []  # one new exchange: after a pause, not at once
    await shared.let_pass(IDLE)
    [following] = await a.claim()
    assert isinstance(following, LearningBatch)
    assert (following.first_message_id, following.exchanges) == (later, 1)
    assert await a.finish(following, through_message_id=later)
    assert await shared.dbs[0].fetchone("SELECT 1 FROM fact_learning") is None


async def test_the_exchange_that_makes_a_chat_due_says_so(shared: Shared) -> None:
    """The replica that answered the third exchange learns at once instead of at its next poll."""
    await shared.message(66)
    assert [await shared.replicas[0].exchange(66) for _ in range(3)] == [False, False, True]


async def test_learning_what_is_pending_takes_chats_not_yet_due_but_no_live_claim(
    shared: Shared,
) -> None:
    a, b = shared.replicas[0], shared.replicas[1]
    quiet = await shared.message(88)
    await a.exchange(88)  # due only after a pause
    chatter = await shared.message(99)  # no exchange at all
    await shared.message(44)
    for _ in range(3):
        await a.exchange(44)
    [held] = await b.claim()  # another replica is learning chat 44
    assert held.chat_id == 44
    assert await a.claim() == []
    pending = await a.claim(due_only=False)
    assert sorted((batch.chat_id, batch.first_message_id) for batch in pending) == [
        (88, quiet),
        (99, chatter),
    ]
    for batch in pending:
        assert await a.finish(batch, through_message_id=batch.first_message_id)
    assert await a.claim(due_only=False) == []
