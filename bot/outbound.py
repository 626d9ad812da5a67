"""What any feature may send: buttons, notices, messages for a chat, and the delivery that
carries them.

A neutral module: every feature (conversation, reminders, people, groups, memory) and the
transport may import it, and it imports none of them. The Telegram adapter of :class:`Delivery`
lives in ``bot.telegram.delivery``; the domain's wrappers around it are composed in ``bot.app``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol, TypeVar

__all__ = [
    "Action",
    "Button",
    "ButtonReply",
    "Delivery",
    "Feature",
    "Notice",
    "Outgoing",
    "SendResult",
    "SendStatus",
    "run_follow_up",
    "tap_of",
]

logger = logging.getLogger(__name__)


class Feature(StrEnum):
    """The features whose buttons come back to them when tapped (each owns its actions)."""

    REMINDERS = "rem"
    PEOPLE = "ppl"
    #: The transport's own buttons: /memory's pages and deletes, /forget's confirmations.
    MEMORY = "mem"
    #: /voice's on / off / automatic.
    VOICE = "voice"


@dataclass(frozen=True, slots=True)
class Action:
    """What a button does when tapped: the feature's action ``name`` on the item ``target``
    (a row id, or 0), with an optional short argument. The transport encodes it for the
    button and decodes it from the tap (``bot.telegram.callbacks``)."""

    feature: Feature
    name: str
    target: int = 0
    arg: str = ""


_Tap = TypeVar("_Tap", bound=StrEnum)


def tap_of(action: Action, taps: type[_Tap]) -> _Tap | None:
    """The feature's tap (its action enum) that a tapped button carries; None for a name this
    version does not know (a button from an older or newer release)."""
    try:
        return taps(action.name)
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class Button:
    """A button under a message; its ``action`` is routed back to the feature that made it."""

    label: str
    action: Action


@dataclass(frozen=True, slots=True)
class Notice:
    """A short message a tool wants shown beside the answer, e.g. "Reminder set" with Undo."""

    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()


@dataclass(frozen=True, slots=True)
class ButtonReply:
    """What a feature answers to a tapped button: edit the message that carried it, send
    another, a toast (an ``alert`` must be dismissed); ``force_reply`` asks for the user's
    reply (needed in groups to see it); ``drop_row`` takes the row of buttons acting on that
    item off the message (a digest item handled)."""

    edit: Notice | None = None
    send: Notice | None = None
    toast: str | None = None
    alert: bool = False
    force_reply: bool = False
    drop_row: int | None = None


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A message for a chat: Markdown text, inline buttons, and the message it refers to."""

    chat_id: int
    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    reply_to: int | None = None
    thread_id: int | None = None


class SendStatus:
    """How a send ended."""

    SENT = "sent"  # the chat has the message
    RETRY = "retry"  # a passing failure (network, flood control, server error): try later
    BLOCKED = "blocked"  # never again: the bot was blocked or removed, or the chat is gone
    MIGRATED = "migrated"  # the group became a supergroup: ``new_chat_id`` says where


@dataclass(frozen=True, slots=True)
class SendResult:
    status: str
    message_id: int | None = None
    retry_after: float | None = None
    new_chat_id: int | None = None
    error: str = ""
    #: Work a delivery leaves for after the sender has written ``delivered`` (keeping the message
    #: in the chat's history): nothing may stand between Telegram's acceptance and that write,
    #: or a crash in between sends the message again. Run it with :func:`run_follow_up`.
    follow_up: Callable[[], Awaitable[None]] | None = field(default=None, compare=False)

    @property
    def sent(self) -> bool:
        return self.status == SendStatus.SENT


async def run_follow_up(result: SendResult) -> None:
    """Run a sent message's follow-up work (once its delivery is recorded); never raises."""
    if result.follow_up is None:
        return
    try:
        await result.follow_up()
    except Exception:
        logger.exception("follow-up work after a delivery failed")


class Delivery(Protocol):
    """A transport for messages Dazi starts (reminders, digests); ``send`` never raises for a
    Telegram refusal."""

    async def send(self, message: Outgoing) -> SendResult: ...
