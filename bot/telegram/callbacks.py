"""Button actions as Telegram callback data, and back: the one place that encodes them.

An :class:`~bot.outbound.Action` travels as ``<feature>:<name>:<target>[:<arg>]``; Telegram
allows 64 bytes of callback data, so an action that does not fit is refused when its button
is made into a keyboard (:func:`markup`), never silently cut. An argument of several whole
numbers is written by :func:`numbers` and read by :func:`numbers_of`.
"""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.outbound import Action, Button, Feature

__all__ = [
    "MAX_CALLBACK_BYTES",
    "decode",
    "encode",
    "markup",
    "numbers",
    "numbers_of",
    "pattern",
]

#: Telegram's limit on a button's callback data.
MAX_CALLBACK_BYTES = 64


def encode(action: Action) -> str:
    """The callback data of a button; ValueError when it would exceed Telegram's limit."""
    data = f"{action.feature}:{action.name}:{action.target}" + (
        f":{action.arg}" if action.arg else ""
    )
    if len(data.encode()) > MAX_CALLBACK_BYTES:
        raise ValueError(f"callback data too long: {data!r}")
    return data


def decode(data: str) -> Action | None:
    """The action of a tapped button; None when the data is not a feature's or malformed."""
    feature, _, rest = data.partition(":")
    name, _, rest = rest.partition(":")
    target, _, arg = rest.partition(":")
    if not name:
        return None
    try:
        return Action(Feature(feature), name, int(target or 0), arg)
    except ValueError:
        return None


def pattern(feature: Feature) -> str:
    """The regular expression that picks a feature's taps out of the others."""
    return f"^{feature}:"


def markup(rows: Sequence[Sequence[Button]]) -> InlineKeyboardMarkup | None:
    """The inline keyboard of these rows of buttons (empty rows left out), or None."""
    kept = [row for row in rows if row]
    if not kept:
        return None
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(button.label, callback_data=encode(button.action))
                for button in row
            ]
            for row in kept
        ]
    )


def numbers(*values: int) -> str:
    """An action's argument holding several whole numbers (a fact and its page)."""
    return ":".join(str(value) for value in values)


def numbers_of(arg: str) -> tuple[int, ...] | None:
    """The whole numbers of an argument written by :func:`numbers`; None when malformed."""
    try:
        return tuple(int(part) for part in arg.split(":")) if arg else ()
    except ValueError:
        return None
