"""What the scheduler asks of a transport: send one message, say how it went.

The Telegram adapter lives in ``bot.telegram.delivery``; tests and benchmarks may plug in
anything with the same ``send`` method.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.conversation import Button

__all__ = ["Delivery", "Outgoing", "SendResult", "SendStatus"]


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

    @property
    def sent(self) -> bool:
        return self.status == SendStatus.SENT


class Delivery(Protocol):
    """A transport for reminders. ``send`` never raises for a Telegram refusal."""

    async def send(self, message: Outgoing) -> SendResult: ...
