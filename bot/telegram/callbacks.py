"""Button actions as Telegram callback data, and back: the one place that encodes them.

An :class:`~bot.outbound.Action` travels as ``<feature>:<name>:<field1>[:<field2>...]``: its
tap's feature and name, then its payload's fields in order (an int as digits, a bool as
``on``/``off``, a StrEnum as its value, a str as it is, without ``:``). Telegram allows 64 bytes
of callback data, so an action that does not fit is refused when its button is made into a
keyboard (:func:`markup`), never silently cut. Reading back, trailing fields that are missing
take the payload's defaults, and anything malformed or of an unknown tap is None (the handler
answers that the button no longer works).

Buttons sent before payloads were typed carried a target then an argument (``rem:snz:42:10m``,
memory's several numbers joined by ``:``): the same positions as the fields now. Their target
was ``0`` where a button had none (``rem:tz:0:Asia/Tokyo``), so a leading ``0`` beyond the
payload's fields is skipped.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from enum import StrEnum
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.outbound import Action, Button, Feature, PayloadField, TapSet

__all__ = ["MAX_CALLBACK_BYTES", "decode", "encode", "markup", "pattern"]

#: Telegram's limit on a button's callback data.
MAX_CALLBACK_BYTES = 64

_SEPARATOR = ":"
_SWITCH = {True: "on", False: "off"}
_INTEGER = re.compile(r"-?[0-9]+")
#: The unused target of a button sent before payloads were typed.
_OLD_EMPTY_TARGET = "0"


def encode(action: Action[Any]) -> str:
    """The callback data of a button; ValueError when it would exceed Telegram's limit."""
    tap = action.tap
    values = [_written(getattr(action.payload, field.name)) for field in tap.fields]
    data = _SEPARATOR.join([tap.feature, tap.name, *values])
    if len(data.encode()) > MAX_CALLBACK_BYTES:
        raise ValueError(f"callback data too long: {data!r}")
    return data


def decode(data: str, taps: TapSet) -> Action[Any] | None:
    """The action of a tapped button of ``taps``' feature; None when the data is another
    feature's, of a tap this version does not know, or malformed."""
    parts = data.split(_SEPARATOR)
    if len(parts) < 2:
        return None
    feature, name, *values = parts
    tap = taps.named(name) if feature == taps.feature else None
    if tap is None:
        return None
    if len(values) > len(tap.fields) and values[0] == _OLD_EMPTY_TARGET:
        values = values[1:]
    if len(values) > len(tap.fields):
        return None
    try:
        payload = tap.payload(
            *(_read(text, field) for text, field in zip(values, tap.fields, strict=False))
        )
        return Action(tap, payload)
    except (ValueError, TypeError):  # a field of the wrong kind, or a required one missing
        return None


def _written(value: object) -> str:
    if isinstance(value, bool):
        return _SWITCH[value]
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and _SEPARATOR not in value:
        return value
    raise ValueError(f"a button cannot carry {value!r}")


def _read(text: str, field: PayloadField) -> object:
    """The value of one field, trying the kinds it may hold in order."""
    for kind in field.kinds:
        if kind is bool:
            if text in _SWITCH.values():
                return text == _SWITCH[True]
        elif issubclass(kind, StrEnum):
            try:
                return kind(text)
            except ValueError:
                continue
        elif kind is int:
            if _INTEGER.fullmatch(text):
                return int(text)
        else:
            return text
    raise ValueError(f"{field.name}: {text!r} is none of {field.kinds}")


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
