"""The reminders' buttons: each carries an :class:`~bot.outbound.Action` of the reminders."""

from __future__ import annotations

from enum import StrEnum

from bot.outbound import Action, Button, Feature

__all__ = ["Action", "Tap", "button"]


class Tap(StrEnum):
    """What a reminders button does (short values: they travel in the button's data, and
    buttons already sent keep working, so a value never changes)."""

    UNDO = "undo"
    DONE = "done"
    SNOOZE = "snz"
    PICK = "pick"
    OFFER = "offer"
    DROP = "drop"
    DECLINE_OFFER = "nooffer"
    NEVER_OFFER = "never"
    ALTERNATIVE = "alt"
    LIST = "list"
    VIEW = "view"
    PAUSE = "pause"
    RESUME = "resume"
    DELETE = "del"
    EDIT = "edit"
    TIMEZONE = "tz"
    OFFERS = "offers"
    DIGEST_TIME = "dt"


def button(label: str, tap: Tap, target: int = 0, arg: str = "") -> Button:
    """A button that, when tapped, runs the reminders' action ``tap`` on ``target``."""
    return Button(label, Action(Feature.REMINDERS, tap, target, arg))
