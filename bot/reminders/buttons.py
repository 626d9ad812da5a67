"""The reminders' buttons: each tap (what a button does) with the payload it carries.

A button is made from a tap and its payload, ``Taps.SNOOZE.button(label, Snooze(id, span))``
(mypy checks the payload's type); the reminders' handlers get the payload back, typed.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.outbound import DayTime, Feature, Page, Switch, TapSet

__all__ = [
    "TAPS",
    "DraftId",
    "EveryReading",
    "Pick",
    "ReminderId",
    "ReminderOnPage",
    "Snooze",
    "SnoozeSpan",
    "Taps",
    "Zone",
]


@dataclass(frozen=True, slots=True)
class ReminderId:
    reminder_id: int


@dataclass(frozen=True, slots=True)
class ReminderOnPage:
    """A reminder opened from a page of /reminders (its buttons go back to that page)."""

    reminder_id: int
    page: int = 0


class SnoozeSpan(StrEnum):
    TEN_MINUTES = "10m"
    HOUR = "1h"
    #: Tomorrow at the reminder's time of day.
    TOMORROW = "tmr"


@dataclass(frozen=True, slots=True)
class Snooze:
    reminder_id: int
    span: SnoozeSpan


@dataclass(frozen=True, slots=True)
class DraftId:
    """A question or offer kept until it is answered."""

    draft_id: int


class EveryReading(StrEnum):
    ALL = "all"


@dataclass(frozen=True, slots=True)
class Pick:
    """A reading chosen from a question: its index in the draft's readings, or all of them
    (a draft of one reading ignores it)."""

    draft_id: int
    reading: int | EveryReading = 0


@dataclass(frozen=True, slots=True)
class Zone:
    """An IANA time zone."""

    name: str


#: Every reminders tap, for the transport to read a tapped button back.
TAPS = TapSet(Feature.REMINDERS)


class Taps:
    """What a reminders button does (names are short: they travel in the button's data, and
    buttons already sent keep working, so a name never changes)."""

    UNDO = TAPS.add("undo", ReminderId)
    DONE = TAPS.add("done", ReminderId)
    SNOOZE = TAPS.add("snz", Snooze)
    PICK = TAPS.add("pick", Pick)
    OFFER = TAPS.add("offer", DraftId)
    DROP = TAPS.add("drop", DraftId)
    DECLINE_OFFER = TAPS.add("nooffer", DraftId)
    NEVER_OFFER = TAPS.add("never", DraftId)
    #: The other reading of a fresh reminder's time (a draft holding it).
    ALTERNATIVE = TAPS.add("alt", DraftId)
    LIST = TAPS.add("list", Page)
    VIEW = TAPS.add("view", ReminderOnPage)
    PAUSE = TAPS.add("pause", ReminderOnPage)
    RESUME = TAPS.add("resume", ReminderOnPage)
    DELETE = TAPS.add("del", ReminderOnPage)
    EDIT = TAPS.add("edit", ReminderId)
    TIMEZONE = TAPS.add("tz", Zone)
    OFFERS = TAPS.add("offers", Switch)
    #: The default time of day (``dt`` for historical reasons: it is not the digest's).
    DEFAULT_TIME = TAPS.add("dt", DayTime)
