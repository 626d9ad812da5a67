"""Callback data of the people buttons: ``ppl:<action>:<id>[:<arg>]`` (at most 64 bytes)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.conversation import Button

__all__ = ["PREFIX", "Action", "button", "parse"]

PREFIX = "ppl:"


@dataclass(frozen=True, slots=True)
class Action:
    """A decoded button: what to do, to which person, date, note or pending item."""

    name: str
    target: int = 0
    arg: str = ""


def button(label: str, name: str, target: int = 0, arg: str = "") -> Button:
    data = f"{PREFIX}{name}:{target}" + (f":{arg}" if arg else "")
    if len(data.encode()) > 64:
        raise ValueError(f"callback data too long: {data!r}")
    return Button(label=label, data=data)


def parse(raw: str) -> Action | None:
    """Decode ``ppl:...`` callback data; None when it is not ours or malformed."""
    if not raw.startswith(PREFIX):
        return None
    name, _, rest = raw[len(PREFIX) :].partition(":")
    target, _, arg = rest.partition(":")
    try:
        return Action(name=name, target=int(target or 0), arg=arg)
    except ValueError:
        return None
