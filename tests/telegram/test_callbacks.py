"""Button actions as callback data: one encoding, checked against Telegram's 64 bytes."""

from __future__ import annotations

from zoneinfo import available_timezones

import pytest

from bot.outbound import Action, Button, Feature, tap_of
from bot.people import buttons as people_buttons
from bot.reminders import buttons as reminder_buttons
from bot.reminders.buttons import Tap, button
from bot.telegram.callbacks import (
    MAX_CALLBACK_BYTES,
    decode,
    encode,
    markup,
    numbers,
    numbers_of,
)


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


@pytest.mark.parametrize("data", ["", "rem", "zzz:undo:1", "rem:undo:abc", "voice"])
def test_foreign_or_malformed_data_is_no_action(data: str) -> None:
    assert decode(data) is None


def test_every_time_zone_fits_a_reminders_button() -> None:
    # /timezone offers zones as buttons; the service no longer checks their length itself.
    for zone in available_timezones():
        encode(button(zone, Tap.TIMEZONE, 0, zone).action)


@pytest.mark.parametrize(
    ("sent", "action"),
    [
        # Buttons shown before memory and voice used the one encoding still work.
        ("mem:d:42:7:1", Action(Feature.MEMORY, "d", 42, numbers(7, 1))),
        ("mem:ay:42", Action(Feature.MEMORY, "ay", 42)),
        ("voice:on", Action(Feature.VOICE, "on")),
    ],
)
def test_memory_and_voice_buttons_use_the_one_encoding(sent: str, action: Action) -> None:
    assert decode(sent) == action
    assert decode(encode(action)) == action


def test_several_numbers_travel_as_one_argument() -> None:
    assert numbers_of(numbers(12, 0, 3)) == (12, 0, 3)
    assert numbers_of("") == ()
    assert numbers_of("12:x") is None


def test_a_keyboard_refuses_a_button_too_long_for_telegram() -> None:
    fits = Button("ok", Action(Feature.MEMORY, "p", 10**12, numbers(1)))
    keyboard = markup([[fits], []])
    assert keyboard is not None and len(keyboard.inline_keyboard) == 1
    assert markup([[], []]) is None
    with pytest.raises(ValueError, match="too long"):
        markup([[Button("no", Action(Feature.MEMORY, "d", 1, numbers(*range(30))))]])


@pytest.mark.parametrize(
    ("feature", "taps"),
    [
        (Feature.REMINDERS, reminder_buttons),
        (Feature.PEOPLE, people_buttons),
    ],
)
def test_every_tap_of_a_feature_is_its_own_and_comes_back_from_telegram(feature, taps) -> None:
    # An enum quietly makes a member with a repeated value an alias of the first, which would
    # send two different buttons to one handler.
    assert len(taps.Tap.__members__) == len(list(taps.Tap))
    for tap in taps.Tap:
        action = taps.button("label", tap, 2**53, "10m").action
        decoded = decode(encode(action))
        assert decoded is not None and tap_of(decoded, taps.Tap) is tap
    assert tap_of(Action(feature, "no-such-tap", 1), taps.Tap) is None
