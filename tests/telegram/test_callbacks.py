"""Button actions as callback data: one encoding, checked against Telegram's 64 bytes."""

from __future__ import annotations

from zoneinfo import available_timezones

import pytest

from bot.outbound import Action, Feature
from bot.reminders.buttons import button
from bot.telegram.callbacks import MAX_CALLBACK_BYTES, decode, encode


@pytest.mark.parametrize(
    "action",
    [
        Action(Feature.REMINDERS, "snz", 42, "10m"),
        Action(Feature.PEOPLE, "undo", 7),
        Action(Feature.REMINDERS, "list", 0),
        Action(Feature.REMINDERS, "tz", 0, "America/Argentina/ComodRivadavia"),
    ],
)
def test_an_action_comes_back_as_it_was_sent(action: Action) -> None:
    data = encode(action)
    assert len(data.encode()) <= MAX_CALLBACK_BYTES
    assert decode(data) == action


def test_an_action_too_long_for_telegram_is_refused_not_cut() -> None:
    with pytest.raises(ValueError, match="too long"):
        encode(Action(Feature.PEOPLE, "note", 1, "x" * 60))


@pytest.mark.parametrize("data", ["", "rem", "zzz:undo:1", "rem:undo:abc", "voice:on"])
def test_foreign_or_malformed_data_is_no_action(data: str) -> None:
    assert decode(data) is None


def test_every_time_zone_fits_a_reminders_button() -> None:
    # /timezone offers zones as buttons; the service no longer checks their length itself.
    for zone in available_timezones():
        encode(button(zone, "tz", 0, zone).action)
