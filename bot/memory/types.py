"""Plain records passed in and out of the memory store."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypedDict

__all__ = ["Fact", "ForgetPreview", "MemoryHit", "MemoryKeys", "NewMessage", "Summary"]


class MemoryKeys(TypedDict):
    """Whose memory a call works on, as keyword arguments of the store's methods."""

    user_id: int
    chat_id: int


@dataclass(frozen=True, slots=True)
class MemoryHit:
    """A past message found by a search, with its relevance score (higher is better)."""

    message_id: int
    text: str
    at: datetime
    score: float
    role: str
    speaker: str | None
    chat_id: int


@dataclass(frozen=True, slots=True)
class NewMessage:
    """One message to store; the keyword arguments of :meth:`MemoryStore.add_message`."""

    user_id: int
    chat_id: int
    role: str
    text: str
    at: datetime
    speaker: str | None = None
    sender_id: int | None = None
    tg_message_id: int | None = None
    reply_to_tg_id: int | None = None
    thread: int = 1
    #: The Telegram ids of an answer's later parts, when it was sent as several messages.
    tg_part_ids: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class Fact:
    """A piece of durable knowledge about a user or a group, with where it came from."""

    id: int
    scope_id: int
    text: str
    subject: str | None
    kind: str
    status: str  # 'active', 'superseded' or 'deleted' (no longer true)
    superseded_by: int | None
    source_message_ids: tuple[int, ...]
    created_at: datetime
    updated_at: datetime
    score: float = 0.0
    #: When the fact stopped being true (superseded or retracted); None while it holds.
    valid_until: datetime | None = None
    #: The message that changed it ("I moved to Berlin"), when known.
    ended_by_message_id: int | None = None

    @property
    def is_active(self) -> bool:
        return self.status == "active"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable form (timestamps in ISO 8601)."""
        return {
            "id": self.id,
            "text": self.text,
            "subject": self.subject,
            "kind": self.kind,
            "status": self.status,
            "superseded_by": self.superseded_by,
            "source_message_ids": list(self.source_message_ids),
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "valid_until": self.valid_until.isoformat() if self.valid_until else None,
            "ended_by_message_id": self.ended_by_message_id,
        }


@dataclass(frozen=True, slots=True)
class Summary:
    """A summary of a stretch of conversation, pointing back to its first and last message."""

    id: int
    scope_id: int
    text: str
    first_message_id: int
    last_message_id: int
    created_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "text": self.text,
            "first_message_id": self.first_message_id,
            "last_message_id": self.last_message_id,
            "created_at": self.created_at.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class ForgetPreview:
    """What "forget this topic" would delete, for the user to confirm before anything goes."""

    topic: str
    message_ids: tuple[int, ...]
    fact_ids: tuple[int, ...]
    #: The best-matching messages and the facts, to show the user (messages are a sample).
    sample_messages: tuple[MemoryHit, ...]
    facts: tuple[Fact, ...]
    #: Summaries naming the topic or covering a matching message (they go too).
    summary_ids: tuple[int, ...] = ()

    @property
    def total(self) -> int:
        return len(self.message_ids) + len(self.fact_ids)

    @property
    def is_empty(self) -> bool:
        return self.total == 0
