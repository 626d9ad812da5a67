"""The people buttons: each tap (what a button does) with the payload it carries.

A button is made from a tap and its payload, ``Taps.CARD.button(label, PersonId(id))`` (mypy
checks the payload's type); the people handlers get the payload back, typed.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.outbound import DayTime, Feature, Nothing, Page, Switch, TapSet

__all__ = [
    "TAPS",
    "DateId",
    "LeadDays",
    "NoteId",
    "PendingId",
    "PersonChoice",
    "PersonId",
    "Taps",
]


@dataclass(frozen=True, slots=True)
class PersonId:
    person_id: int


@dataclass(frozen=True, slots=True)
class PendingId:
    """An operation kept until it is confirmed, undone or dropped."""

    pending_id: int


@dataclass(frozen=True, slots=True)
class PersonChoice:
    """Who a pending operation is for: one of the people it offered, or 0 for someone new."""

    pending_id: int
    person_id: int


@dataclass(frozen=True, slots=True)
class DateId:
    date_id: int


@dataclass(frozen=True, slots=True)
class NoteId:
    note_id: int


@dataclass(frozen=True, slots=True)
class LeadDays:
    """How many days ahead the digest announces a date."""

    days: int


#: Every people tap, for the transport to read a tapped button back.
TAPS = TapSet(Feature.PEOPLE)


class Taps:
    """What a people button does (names are short: they travel in the button's data, and
    buttons already sent keep working, so a name never changes)."""

    UNDO = TAPS.add("undo", PendingId)
    PICK = TAPS.add("pick", PersonChoice)
    LOG = TAPS.add("log", PersonChoice)
    DROP = TAPS.add("drop", PendingId)
    NO_LOG = TAPS.add("nolog", PendingId)
    HERE = TAPS.add("here", PendingId)
    CARD = TAPS.add("card", PersonId)
    PAGE = TAPS.add("pg", Page)
    DRAFT = TAPS.add("dr", PersonId)
    ANOTHER_DRAFT = TAPS.add("dra", PersonId)
    DONE = TAPS.add("done", PersonId)
    SENT = TAPS.add("sent", PersonId)
    MET = TAPS.add("met", PersonId)
    SNOOZE = TAPS.add("snz", PersonId)
    EDIT = TAPS.add("edit", PersonId)
    REMOVE_DATE = TAPS.add("rmd", DateId)
    REMOVE_NOTE = TAPS.add("rmn", NoteId)
    NO_CADENCE = TAPS.add("nocad", PersonId)
    BACK = TAPS.add("back", PersonId)
    DELETE = TAPS.add("del", PersonId)
    DELETE_CONFIRMED = TAPS.add("delok", PersonId)
    DIGEST_TIME = TAPS.add("dgt", DayTime)
    DIGEST_LEAD = TAPS.add("dgl", LeadDays)
    DIGEST_ON_OFF = TAPS.add("dgo", Switch)
    DIGEST_PREVIEW = TAPS.add("dgp", Nothing)
