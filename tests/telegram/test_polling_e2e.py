"""Updates python-telegram-bot cannot parse are skipped once, and everything else still flows."""

from __future__ import annotations

import logging

import pytest

from bot.telegram.polling import TolerantBot
from tests.fakes.harness import BotHarness
from tests.fakes.telegram import FakeUser

ANNA = FakeUser(101, "Anna", "en")
LI = FakeUser(202, "李雷", "zh-hans")
PRIVATE_WORDS = "Mochi-secret-ballot"


def broken_poll() -> dict[str, object]:
    """A poll without its required ``question``: PTB raises while parsing it."""
    return {
        "poll": {
            "id": "5012",
            "options": [{"text": PRIVATE_WORDS, "voter_count": 1}],
            "total_voter_count": 1,
            "is_closed": False,
            "is_anonymous": True,
            "type": "regular",
            "allows_multiple_answers": False,
        }
    }


def broken_message() -> dict[str, object]:
    """A message of some other shape: an entity without the offset and length PTB requires."""
    return {
        "message": {
            "message_id": 9,
            "date": 1_700_000_000,
            "from": ANNA.as_dict(),
            "chat": {"id": ANNA.id, "type": "private"},
            "text": PRIVATE_WORDS,
            "entities": [{"type": "spoiler"}],
        }
    }


def skip_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == "bot.telegram.polling"]


async def test_an_unparseable_update_mid_batch_is_logged_once_and_the_rest_is_answered(
    harness: BotHarness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    harness.api.push_text(ANNA, "before the poll")
    bad = harness.api.push_update(broken_poll())
    harness.api.push_text(LI, "after the poll")
    await harness.api.wait_for_messages(1, ANNA.id)
    await harness.api.wait_for_messages(1, LI.id)
    harness.api.push_text(ANNA, "and later")
    replies = await harness.api.wait_for_messages(2, ANNA.id)
    assert replies[-1]["text"] == "You said: and later"
    await harness.settle()

    [line] = skip_lines(caplog)
    assert line.levelno == logging.WARNING
    assert str(bad["update_id"]) in line.getMessage() and "poll" in line.getMessage()
    assert PRIVATE_WORDS not in caplog.text
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]


async def test_an_unparseable_update_at_the_end_of_a_batch_is_confirmed_and_not_fetched_again(
    harness: BotHarness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    harness.api.push_text(ANNA, "hello")
    first_bad = harness.api.push_update(broken_message())
    await harness.api.wait_for_messages(1, ANNA.id)
    second_bad = harness.api.push_update(broken_poll())  # alone in its batch
    # Several more fetches: a bad update still in the stream would be logged again each time.
    for text in ("one", "two", "three"):
        harness.api.push_text(LI, text)
        await harness.api.wait_for(lambda t=text: f"You said: {t}" in harness.api.texts(LI.id))
    await harness.settle()

    lines = [record.getMessage() for record in skip_lines(caplog)]
    assert len(lines) == 2
    assert str(first_bad["update_id"]) in lines[0] and "message" in lines[0]
    assert str(second_bad["update_id"]) in lines[1] and "poll" in lines[1]
    assert PRIVATE_WORDS not in caplog.text


async def test_the_offset_moves_past_a_skipped_update_even_when_it_is_all_there_was() -> None:
    bot = TolerantBot("123:abc")
    assert bot.parse_updates([{"update_id": 41, **broken_poll()}]) == ()
    assert bot.offset_after_skipped(None) == 42
    assert bot.offset_after_skipped(0) == 42
    assert bot.offset_after_skipped(41) == 42
    assert bot.offset_after_skipped(50) == 50
