"""The reminders' buttons: each carries an :class:`~bot.outbound.Action` of the reminders."""

from __future__ import annotations

from bot.outbound import Action, Button, Feature

__all__ = ["Action", "button"]


def button(label: str, name: str, target: int = 0, arg: str = "") -> Button:
    """A button that, when tapped, runs the reminders' action ``name`` on ``target``."""
    return Button(label, Action(Feature.REMINDERS, name, target, arg))
