"""The media daily counters on both engines: they add up per user and UTC day, are exported
and forgotten with the user."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.media import MediaUsage
from bot.storage import Database

ANNA, BOB = 101, 303
NOON = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


async def test_counters_add_up_per_user_and_day(each_engine: Database) -> None:
    usage = await MediaUsage.open(each_engine)
    await usage.add(ANNA, NOON, audio_seconds=61.5)
    await usage.add(ANNA, NOON + timedelta(hours=3), audio_seconds=30, images=2)
    await usage.add(BOB, NOON, images=1)
    today = await usage.today(ANNA, NOON)
    assert (today.audio_seconds, today.images) == (91.5, 2)
    tomorrow = await usage.today(ANNA, NOON + timedelta(days=1))
    assert (tomorrow.audio_seconds, tomorrow.images) == (0.0, 0)

    exported = await usage.export(user_id=ANNA, chat_id=ANNA)
    assert exported == {"media_usage": [{"day": "2026-12-02", "audio_seconds": 91.5, "images": 2}]}
    assert await usage.export(user_id=ANNA, chat_id=-4001) == {}
    assert await usage.forget_all(user_id=ANNA, chat_id=ANNA) == 1
    assert (await usage.today(ANNA, NOON)).images == 0
    assert (await usage.today(BOB, NOON)).images == 1
