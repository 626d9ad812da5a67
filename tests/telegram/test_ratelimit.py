"""The rate limiter: per-chat spacing and honouring Telegram's retry_after."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from telegram.error import RetryAfter

from bot.telegram.ratelimit import ChatRateLimiter


async def _send(limiter: ChatRateLimiter, chat_id: int, log: list[float]) -> bool:
    async def callback() -> bool:
        log.append(asyncio.get_running_loop().time())
        return True

    result = await limiter.process_request(
        callback, (), {}, "sendMessage", {"chat_id": chat_id}, None
    )
    assert result is True
    return result


def _never_ahead_of(log: list[float], start: float, *, first: int, interval: float) -> bool:
    """Whether the k-th send (counted from 0) came no earlier than (k - first) intervals
    after ``start``, taken before any send (the bucket leaks from the first acquisition,
    which may come a little before the first send is logged; 1 ms of slack for the clock)."""
    return all(at - start >= (k - first) * interval - 0.001 for k, at in enumerate(log))


async def test_messages_to_one_private_chat_are_spaced() -> None:
    limiter = ChatRateLimiter(private_per_second=20, overall_per_second=1000)
    log: list[float] = []
    start = asyncio.get_running_loop().time()
    await asyncio.gather(*(_send(limiter, 5, log) for _ in range(4)))
    # 20/s means one every 50 ms: the k-th message never before k x 50 ms. (Not each gap: a
    # leaky bucket lets a message follow a late one sooner, and a loaded machine wakes late.)
    assert _never_ahead_of(log, start, first=0, interval=0.05)


async def test_other_chats_are_not_held_back_by_a_busy_one() -> None:
    limiter = ChatRateLimiter(private_per_second=2, overall_per_second=1000)
    order: list[int] = []

    async def send(chat_id: int) -> None:
        async def callback() -> bool:
            order.append(chat_id)
            return True

        await limiter.process_request(callback, (), {}, "sendMessage", {"chat_id": chat_id}, None)

    await send(5)
    await asyncio.gather(send(5), *(send(chat) for chat in range(10, 20)))
    assert order[-1] == 5  # the busy chat's second message waits; the ten others do not


class _FloodedOnce:
    """A send that Telegram refuses once with retry_after 7 s, then accepts."""

    def __init__(self) -> None:
        self.attempts = 0

    async def __call__(self) -> bool:
        self.attempts += 1
        if self.attempts == 1:
            raise RetryAfter(timedelta(seconds=7))
        return True


async def test_retry_after_pauses_then_retries() -> None:
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)

    limiter = ChatRateLimiter(sleep=fake_sleep, max_retries=2, private_per_second=1000)
    flaky = _FloodedOnce()
    assert await limiter.process_request(flaky, (), {}, "sendMessage", {"chat_id": 1}, None)
    assert slept == [7] and flaky.attempts == 2


class _SharedRate:
    """An overall rate standing for one shared with other replicas: counts turns and pauses."""

    def __init__(self) -> None:
        self.turns = 0
        self.held: list[float] = []

    async def __aenter__(self) -> None:
        self.turns += 1

    async def __aexit__(self, *exc_info: object) -> None:
        return None

    async def hold(self, seconds: float) -> None:
        self.held.append(seconds)


async def test_a_shared_overall_rate_paces_messages_and_hears_of_flood_control() -> None:
    async def no_sleep(seconds: float) -> None:
        return None

    shared = _SharedRate()
    limiter = ChatRateLimiter(sleep=no_sleep, private_per_second=1000, overall=shared)
    flaky = _FloodedOnce()
    assert await limiter.process_request(flaky, (), {}, "sendMessage", {"chat_id": 1}, None)
    # Both attempts took a turn of the shared rate; the pause was passed on to the others.
    assert shared.turns == 2 and shared.held == [7]
    await limiter.process_request(flaky, (), {}, "sendChatAction", {"chat_id": 1}, None)
    assert shared.turns == 2  # typing is not a message


async def test_gives_up_after_max_retries() -> None:
    async def no_sleep(seconds: float) -> None:
        return None

    limiter = ChatRateLimiter(sleep=no_sleep, max_retries=1, private_per_second=1000)

    async def always_flooded() -> bool:
        raise RetryAfter(timedelta(seconds=1))

    with pytest.raises(RetryAfter):
        await limiter.process_request(always_flooded, (), {}, "sendMessage", {"chat_id": 1}, None)


async def test_no_one_second_window_exceeds_the_overall_rate() -> None:
    limiter = ChatRateLimiter(overall_per_second=100, private_per_second=1000)
    log: list[float] = []
    start = asyncio.get_running_loop().time()
    await asyncio.gather(*(_send(limiter, chat, log) for chat in range(1, 61)))
    # 100/s evenly spaced, no burst on top of the rate: the k-th send never before k x 10 ms
    # (measured from before the first: a late first send would make the window look crowded).
    assert _never_ahead_of(log, start, first=0, interval=0.01)


async def test_typing_and_drafts_are_not_held_back() -> None:
    limiter = ChatRateLimiter(overall_per_second=2, private_per_second=2)
    order: list[str] = []

    async def call(endpoint: str) -> None:
        async def callback() -> bool:
            order.append(endpoint)
            return True

        await limiter.process_request(callback, (), {}, endpoint, {"chat_id": 9}, None)

    await call("sendMessage")
    await asyncio.gather(
        call("sendMessage"), *(call(e) for e in ("sendChatAction", "sendMessageDraft") * 5)
    )
    assert order[-1] == "sendMessage"  # the message waits its turn; typing and drafts do not


async def test_a_group_gets_a_small_burst_then_the_per_minute_rate() -> None:
    # 1,200 per minute = 20 per second: the same shape as Telegram's 20 per minute, faster.
    limiter = ChatRateLimiter(group_per_minute=1200, overall_per_second=1000)
    log: list[float] = []
    start = asyncio.get_running_loop().time()
    await asyncio.gather(*(_send(limiter, -100, log) for _ in range(8)))
    # At most a burst of 3 at once, then one every 50 ms: the k-th message never before
    # (k - 2) x 50 ms after the start (so never a 4th within the first 50 ms).
    assert _never_ahead_of(log, start, first=2, interval=0.05)
    # The burst is really allowed: three messages to a fresh group need no wait at all.
    fresh = ChatRateLimiter(group_per_minute=1200, overall_per_second=1000)
    for _ in range(3):
        assert fresh._limiters_for("sendMessage", -200)[0].has_capacity()
        await _send(fresh, -200, [])
