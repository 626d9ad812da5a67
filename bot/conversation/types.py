"""What flows between the transport and the conversation service, free of Telegram types."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from bot.chats import ChatKind
from bot.outbound import Button, Notice

__all__ = ["Attachment", "Button", "Incoming", "Notice", "ReplyDone", "ReplyEvent", "TextDelta"]


@dataclass(frozen=True, slots=True)
class Attachment:
    """A voice note, photo or document that came with a message, once understood.

    The bytes are never kept: memory stores the file id and ``content``; ``images`` and
    ``prompt_text`` are for the answer to this message only.
    """

    kind: str  # voice, audio, video_note, photo, document
    file_id: str
    file_unique_id: str | None = None
    duration: float | None = None
    file_name: str | None = None
    mime_type: str | None = None
    #: What was understood (transcript, description), kept with the file id.
    content: str = ""
    #: Images for the model, as data URLs (already downscaled).
    images: tuple[str, ...] = ()
    #: Text the model reads to answer (a document's), beyond what the message text holds.
    prompt_text: str = ""
    #: A document's text in parts, stored apart from the conversation for search and recall.
    chunks: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Incoming:
    """A message someone sent, as the services see it (media already turned into text)."""

    chat_id: int
    kind: ChatKind
    user_id: int
    first_name: str
    text: str
    at: datetime
    tg_message_id: int | None = None
    reply_to_tg_id: int | None = None
    username: str | None = None
    language_code: str | None = None
    chat_title: str | None = None
    attachments: tuple[Attachment, ...] = ()


@dataclass(frozen=True, slots=True)
class TextDelta:
    """The answer so far, while it is being written."""

    text: str


@dataclass(frozen=True, slots=True)
class ReplyDone:
    """The finished answer, with notices from tools; ``failed`` when the model was unreachable."""

    text: str
    notices: list[Notice] = field(default_factory=list)
    failed: bool = False


ReplyEvent = TextDelta | ReplyDone
