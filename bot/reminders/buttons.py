"""Callback data of the reminders' inline buttons: ``rem:<action>:<id>[:<arg>]`` (≤ 64 bytes)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.conversation import Button

__all__ = ["PREFIX", "Action", "button", "parse"]

PREFIX = "rem:"


@dataclass(frozen=True, slots=True)
class Action:
    """A decoded button: what to do, to which reminder or draft, with an optional argument."""

    name: str
    target: int = 0
    arg: str = ""


def data(name: str, target: int = 0, arg: str = "") -> str:
    text = f"{PREFIX}{name}:{target}" + (f":{arg}" if arg else "")
    if len(text.encode()) > 64:
        raise ValueError(f"callback data too long: {text!r}")
    return text


def button(label: str, name: str, target: int = 0, arg: str = "") -> Button:
    return Button(label=label, data=data(name, target, arg))


def parse(raw: str) -> Action | None:
    """Decode ``rem:...`` callback data; None when it is not ours or malformed."""
    if not raw.startswith(PREFIX):
        return None
    name, _, rest = raw[len(PREFIX) :].partition(":")
    target, _, arg = rest.partition(":")
    try:
        return Action(name=name, target=int(target or 0), arg=arg)
    except ValueError:
        return None
