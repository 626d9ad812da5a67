"""Callback data of inline buttons: ``<prefix><action>:<id>[:<arg>]``, at most 64 bytes.

Each feature owns a prefix (``rem:``, ``ppl:``) and a :class:`CallbackCodec` for it, which
encodes the buttons it shows and decodes the taps that come back.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.conversation.types import Button

__all__ = ["MAX_CALLBACK_BYTES", "Action", "CallbackCodec"]

#: Telegram's limit on a button's callback data.
MAX_CALLBACK_BYTES = 64


@dataclass(frozen=True, slots=True)
class Action:
    """A decoded button: what to do, to which item (a row id, or 0), with an optional argument."""

    name: str
    target: int = 0
    arg: str = ""


@dataclass(frozen=True, slots=True)
class CallbackCodec:
    """Encodes and decodes the callback data of the buttons under one ``prefix``."""

    prefix: str

    def data(self, name: str, target: int = 0, arg: str = "") -> str:
        text = f"{self.prefix}{name}:{target}" + (f":{arg}" if arg else "")
        if len(text.encode()) > MAX_CALLBACK_BYTES:
            raise ValueError(f"callback data too long: {text!r}")
        return text

    def button(self, label: str, name: str, target: int = 0, arg: str = "") -> Button:
        return Button(label=label, data=self.data(name, target, arg))

    def parse(self, raw: str) -> Action | None:
        """Decode callback data; None when it is not ours or malformed."""
        if not raw.startswith(self.prefix):
            return None
        name, _, rest = raw[len(self.prefix) :].partition(":")
        target, _, arg = rest.partition(":")
        try:
            return Action(name=name, target=int(target or 0), arg=arg)
        except ValueError:
            return None
