"""What any feature may send: buttons, notices, messages for a chat, and the delivery that
carries them.

A neutral module: every feature (conversation, reminders, people, groups, memory) and the
transport may import it, and it imports none of them. The Telegram adapter of :class:`Delivery`
lives in ``bot.telegram.delivery``; the domain's wrappers around it are composed in ``bot.app``.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import time
from enum import StrEnum
from types import UnionType
from typing import (
    Any,
    ClassVar,
    Concatenate,
    Generic,
    ParamSpec,
    Protocol,
    TypeVar,
    get_args,
    get_type_hints,
)

__all__ = [
    "Action",
    "Button",
    "ButtonReply",
    "DayTime",
    "Delivery",
    "Feature",
    "Nothing",
    "Notice",
    "Outgoing",
    "Page",
    "Payload",
    "PayloadField",
    "SendResult",
    "SendStatus",
    "Switch",
    "Tap",
    "TapHandlers",
    "TapSet",
    "run_follow_up",
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


class Payload(Protocol):
    """What a button carries to its handler: a frozen dataclass whose fields are each an int,
    a str, a bool or a StrEnum (or a union of those, tried in order), e.g. a reminder's id and
    the page of the list it was opened from. The transport writes the fields in order."""

    __dataclass_fields__: ClassVar[dict[str, Any]]


_P = TypeVar("_P", bound=Payload)

#: The kinds of value a payload field may hold.
_FIELD_KINDS: tuple[type, ...] = (bool, int, str)


@dataclass(frozen=True, slots=True)
class PayloadField:
    """A payload's field as the transport sees it: its name and the kinds it may hold."""

    name: str
    kinds: tuple[type, ...]


@dataclass(frozen=True, slots=True)
class Tap(Generic[_P]):
    """One thing a feature's button does, and the payload it carries: ``Tap[ReminderId]``.

    Made once per feature action (:meth:`TapSet.add`); :meth:`button` takes only a payload
    of the tap's type (mypy checks it; :class:`Action` refuses any other when run)."""

    feature: Feature
    #: Short, and never changed: it travels in buttons already sent.
    name: str
    payload: type[_P]
    #: The payload's fields in order (read from its annotations when the tap is made).
    fields: tuple[PayloadField, ...] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "fields", _fields_of(self.payload))

    def button(self, label: str, payload: _P) -> Button:
        """A button that, when tapped, runs this tap with ``payload``."""
        return Button(label, Action(self, payload))


def _fields_of(payload: type[Any]) -> tuple[PayloadField, ...]:
    """The fields of a payload class; TypeError for anything but a dataclass of the kinds a
    button can carry."""
    if not dataclasses.is_dataclass(payload):
        raise TypeError(f"a payload is a dataclass, not {payload!r}")
    hints = get_type_hints(payload)
    found = []
    for item in dataclasses.fields(payload):
        hint = hints[item.name]
        kinds = get_args(hint) if isinstance(hint, UnionType) else (hint,)
        for kind in kinds:
            enum = isinstance(kind, type) and issubclass(kind, StrEnum)
            if not (enum or kind in _FIELD_KINDS):
                raise TypeError(f"{payload.__name__}.{item.name}: a button cannot carry {kind}")
        found.append(PayloadField(item.name, kinds))
    return tuple(found)


class TapSet:
    """A feature's taps by name: what a tapped button is read back with. A name is taken
    once (two taps of one name would send different buttons to one handler)."""

    def __init__(self, feature: Feature) -> None:
        self.feature = feature
        self._taps: dict[str, Tap[Any]] = {}

    def add(self, name: str, payload: type[_P]) -> Tap[_P]:
        if name in self._taps:
            raise ValueError(f"{self.feature} already has a tap named {name!r}")
        tap = Tap(self.feature, name, payload)
        self._taps[name] = tap
        return tap

    def named(self, name: str) -> Tap[Any] | None:
        """The tap of this name; None for one this version does not know (a button from an
        older or newer release)."""
        return self._taps.get(name)

    def __iter__(self) -> Iterator[Tap[Any]]:
        return iter(self._taps.values())


@dataclass(frozen=True, slots=True)
class Action(Generic[_P]):
    """What a button does when tapped: its tap, with the payload of that tap's type. The
    transport encodes it for the button and decodes it from the tap
    (``bot.telegram.callbacks``)."""

    tap: Tap[_P]
    payload: _P

    def __post_init__(self) -> None:
        # mypy already refuses a wrong payload; this catches code it does not check.
        if type(self.payload) is not self.tap.payload:
            raise TypeError(
                f"the tap {self.tap.feature}:{self.tap.name} carries a "
                f"{self.tap.payload.__name__}, not {type(self.payload).__name__}"
            )


_Context = TypeVar("_Context")
_Result = TypeVar("_Result")
_More = ParamSpec("_More")


class TapHandlers(Generic[_Context, _More, _Result]):
    """What each of a feature's taps does: one handler per tap, called with the context (the
    actor who tapped), the tap's payload, then any more arguments the feature passes.
    :meth:`on` type-checks each handler against its tap's payload; :meth:`complete` says
    that every tap of the feature has one."""

    def __init__(self, taps: TapSet) -> None:
        self._taps = taps
        self._handlers: dict[Tap[Any], Callable[..., Awaitable[_Result]]] = {}

    def on(
        self, tap: Tap[_P], handler: Callable[Concatenate[_Context, _P, _More], Awaitable[_Result]]
    ) -> None:
        if self._taps.named(tap.name) is not tap:
            raise ValueError(f"the tap {tap.feature}:{tap.name} is not one of {self._taps.feature}")
        if tap in self._handlers:
            raise ValueError(f"the tap {tap.feature}:{tap.name} already has a handler")
        self._handlers[tap] = handler

    def complete(self) -> None:
        """ValueError unless every tap of the feature has a handler (a button that does
        nothing is a mistake made when the tap was added)."""
        missing = [tap.name for tap in self._taps if tap not in self._handlers]
        if missing:
            raise ValueError(f"taps of {self._taps.feature} without a handler: {missing}")

    async def run(
        self, context: _Context, action: Action[Any], *more: _More.args, **named: _More.kwargs
    ) -> _Result | None:
        """The handler's answer to a tapped button; None when its tap has no handler here."""
        handler = self._handlers.get(action.tap)
        if handler is None:
            return None
        return await handler(context, action.payload, *more, **named)


# -- payloads more than one feature's buttons carry ---------------------------------------------


@dataclass(frozen=True, slots=True)
class Nothing:
    """The payload of a button that needs none (a preview, a voice choice)."""


@dataclass(frozen=True, slots=True)
class Page:
    """A page of a list (0 is the first)."""

    page: int


@dataclass(frozen=True, slots=True)
class Switch:
    """A setting turned on or off."""

    on: bool


@dataclass(frozen=True, slots=True)
class DayTime:
    """A time of day as hours and minutes, 08:30 as 830 (how the buttons have always sent
    it)."""

    hhmm: int

    @classmethod
    def of(cls, moment: time) -> DayTime:
        return cls(moment.hour * 100 + moment.minute)

    @property
    def as_time(self) -> time | None:
        """The time of day; None for a number that is not one (25:00)."""
        hours, minutes = divmod(self.hhmm, 100)
        return time(hours, minutes) if 0 <= hours < 24 and minutes < 60 else None


@dataclass(frozen=True, slots=True)
class Button:
    """A button under a message; its ``action`` is routed back to the feature that made it."""

    label: str
    action: Action[Any]


@dataclass(frozen=True, slots=True)
class Notice:
    """A short message a tool wants shown beside the answer, e.g. "Reminder set" with Undo."""

    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()


@dataclass(frozen=True, slots=True)
class ButtonReply:
    """What a feature answers to a tapped button: edit the message that carried it, send
    another, a toast (an ``alert`` must be dismissed); ``force_reply`` asks for the user's
    reply (needed in groups to see it); ``drop_row`` takes the rows of buttons carrying that
    payload off the message (a digest item handled)."""

    edit: Notice | None = None
    send: Notice | None = None
    toast: str | None = None
    alert: bool = False
    force_reply: bool = False
    drop_row: Payload | None = None


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
