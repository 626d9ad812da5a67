"""The people buttons: each carries an :class:`~bot.outbound.Action` of the people feature."""

from __future__ import annotations

from enum import StrEnum

from bot.outbound import Action, Button, Feature

__all__ = ["Action", "Tap", "button"]


class Tap(StrEnum):
    """What a people button does (short values: they travel in the button's data, and buttons
    already sent keep working, so a value never changes)."""

    UNDO = "undo"
    PICK = "pick"
    LOG = "log"
    DROP = "drop"
    NO_LOG = "nolog"
    HERE = "here"
    CARD = "card"
    PAGE = "pg"
    DRAFT = "dr"
    ANOTHER_DRAFT = "dra"
    DONE = "done"
    SENT = "sent"
    MET = "met"
    SNOOZE = "snz"
    EDIT = "edit"
    REMOVE_DATE = "rmd"
    REMOVE_NOTE = "rmn"
    NO_CADENCE = "nocad"
    BACK = "back"
    DELETE = "del"
    DELETE_CONFIRMED = "delok"
    DIGEST_TIME = "dgt"
    DIGEST_LEAD = "dgl"
    DIGEST_ON_OFF = "dgo"
    DIGEST_PREVIEW = "dgp"


def button(label: str, tap: Tap, target: int = 0, arg: str = "") -> Button:
    """A button that, when tapped, runs the people action ``tap`` on ``target``."""
    return Button(label, Action(Feature.PEOPLE, tap, target, arg))
