"""The media service: voice notes, photos and documents turned into words Dazi can answer and
remember, and answers turned into voice notes. No Telegram here: the transport hands in a
:class:`MediaFile` (what the message says about the file) and, once :meth:`MediaService.admit`
allowed it, the downloaded bytes; what comes back is an :class:`Understood` to store and answer.

Every failure (too big, too long, over the daily cap, unreadable, an endpoint down, a feature
not set up) comes back as an :class:`Understood` too, with a friendly ``problem`` in the user's
language and a ``text`` that still records what was sent, so nothing the user sent is lost.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from bot.clock import Clock
from bot.conversation.types import Attachment
from bot.llm.client import LLMUnavailable
from bot.llm.types import LLM, ChatMessage
from bot.media.documents import (
    DocumentText,
    UnreadableDocument,
    UnsupportedDocument,
    chunk_text,
    read_document,
    reader_for,
)
from bot.media.endpoints import MediaEndpointError, Speaker, Transcriber
from bot.media.images import UnreadableImage, prepare_image
from bot.media.texts import TEXTS
from bot.media.usage import MediaUsage
from bot.storage import ChatRepository

__all__ = ["MediaFile", "MediaKind", "MediaLimits", "MediaService", "Understood"]

logger = logging.getLogger(__name__)

#: Telegram's Bot API serves files up to 20 MB to bots.
TELEGRAM_DOWNLOAD_LIMIT = 20 * 1024 * 1024


class MediaKind(StrEnum):
    VOICE = "voice"
    AUDIO = "audio"
    VIDEO_NOTE = "video_note"
    PHOTO = "photo"
    DOCUMENT = "document"

    @property
    def is_sound(self) -> bool:
        return self in (MediaKind.VOICE, MediaKind.AUDIO, MediaKind.VIDEO_NOTE)


@dataclass(frozen=True, slots=True)
class MediaFile:
    """A file a message carries, as the message describes it (before any download)."""

    kind: MediaKind
    file_id: str
    file_unique_id: str | None = None
    size: int | None = None
    duration: float | None = None
    file_name: str | None = None
    mime_type: str | None = None

    def attachment(self, **understood: object) -> Attachment:
        return Attachment(
            kind=self.kind.value,
            file_id=self.file_id,
            file_unique_id=self.file_unique_id,
            duration=self.duration,
            file_name=self.file_name,
            mime_type=self.mime_type,
            **understood,  # type: ignore[arg-type]
        )


@dataclass(frozen=True, slots=True)
class MediaLimits:
    """Caps from the settings (0 = no daily cap)."""

    max_download_bytes: int = TELEGRAM_DOWNLOAD_LIMIT
    max_audio_seconds: float = 600.0
    daily_audio_minutes: float = 0.0
    daily_images: int = 0
    #: Users the daily caps never apply to (the owner and the people they invited).
    exempt_user_ids: frozenset[int] = frozenset()
    #: How much of a document's text the model reads to answer (the rest is in memory).
    document_prompt_chars: int = 12_000
    chunk_chars: int = 1200


@dataclass(frozen=True, slots=True)
class Understood:
    """A media message made into words: ``text`` is stored as the user's message (and answered
    when ``answerable``); ``problem`` is a friendly note for the user; ``transcript`` is shown
    above the answer of a voice message."""

    text: str
    attachments: tuple[Attachment, ...] = ()
    problem: str | None = None
    answerable: bool = True
    transcript: str | None = None
    spoken: bool = False


@dataclass(slots=True)
class MediaService:
    """See the module docstring."""

    clock: Clock
    chats: ChatRepository
    usage: MediaUsage
    transcriber: Transcriber | None = None
    speaker: Speaker | None = None
    vision_llm: LLM | None = None
    #: True when the vision model is the chat model, so the answer can see the images too.
    vision_in_answer: bool = False
    limits: MediaLimits = field(default_factory=MediaLimits)

    # -- before downloading --------------------------------------------------------------------

    async def admit(
        self, files: Sequence[MediaFile], *, user_id: int, caption: str, lang: str
    ) -> Understood | None:
        """None when the files may be downloaded and understood; else what to store and say."""
        first = files[0]
        if any((f.size or 0) > self.limits.max_download_bytes for f in files):
            return self.not_downloaded(files, caption, lang, too_big=True)
        if first.kind.is_sound:
            if self.transcriber is None:
                return self.refused(files, caption, TEXTS("no_transcription", lang))
            if (first.duration or 0) > self.limits.max_audio_seconds:
                return self.refused(
                    files,
                    caption,
                    TEXTS(
                        "too_long",
                        lang,
                        minutes=f"{(first.duration or 0) / 60:.0f}",
                        limit=f"{self.limits.max_audio_seconds / 60:.0f}",
                    ),
                )
        if first.kind == MediaKind.PHOTO and self.vision_llm is None:
            return self.refused(files, caption, TEXTS("no_vision", lang), answer_caption=True)
        if (
            first.kind == MediaKind.DOCUMENT
            and reader_for(first.file_name, first.mime_type) is None
        ):
            name = first.file_name or first.mime_type or "?"
            return self.refused(files, caption, TEXTS("unsupported_file", lang, name=name))
        return await self._over_cap(files, user_id=user_id, caption=caption, lang=lang)

    async def _over_cap(
        self, files: Sequence[MediaFile], *, user_id: int, caption: str, lang: str
    ) -> Understood | None:
        limits = self.limits
        if user_id in limits.exempt_user_ids:
            return None
        kind = files[0].kind
        if kind.is_sound and limits.daily_audio_minutes > 0:
            used = await self.usage.today(user_id, self.clock.now())
            needed = used.audio_seconds + (files[0].duration or 0)
            if needed > limits.daily_audio_minutes * 60:
                limit = f"{limits.daily_audio_minutes:g}"
                return self.refused(files, caption, TEXTS("audio_cap", lang, limit=limit))
        if kind == MediaKind.PHOTO and limits.daily_images > 0:
            used = await self.usage.today(user_id, self.clock.now())
            if used.images + len(files) > limits.daily_images:
                text = TEXTS("image_cap", lang, limit=limits.daily_images)
                return self.refused(files, caption, text, answer_caption=True)
        return None

    def not_downloaded(
        self, files: Sequence[MediaFile], caption: str, lang: str, *, too_big: bool
    ) -> Understood:
        """What is stored and said when a file could not be fetched (too big, or an error)."""
        if not too_big:
            return self.refused(files, caption, TEXTS("download_failed", lang))
        size = max(f.size or 0 for f in files) / 1024 / 1024
        limit = self.limits.max_download_bytes // (1024 * 1024)
        size_text = f"{size:.0f}" if size else f"> {limit}"
        return self.refused(files, caption, TEXTS("too_big", lang, size=size_text, limit=limit))

    def refused(
        self,
        files: Sequence[MediaFile],
        caption: str,
        problem: str,
        *,
        answer_caption: bool = False,
    ) -> Understood:
        """What is stored when a file could not be understood: the caption and a note of it."""
        text = "\n".join(part for part in (caption, *map(_placeholder, files)) if part)
        return Understood(
            text=text,
            attachments=tuple(f.attachment() for f in files),
            problem=problem,
            answerable=answer_caption and bool(caption.strip()),
        )

    # -- understanding -------------------------------------------------------------------------

    async def hear(
        self, file: MediaFile, data: bytes, *, user_id: int, caption: str, lang: str
    ) -> Understood:
        """Transcribe a voice note, audio file or video note."""
        assert self.transcriber is not None, "admit() refuses sound without a transcriber"
        try:
            transcript = await self.transcriber.transcribe(
                data, file_name=_sound_name(file), mime_type=file.mime_type
            )
        except MediaEndpointError as error:
            logger.warning("transcription failed: %s", error)
            return self.refused([file], caption, TEXTS("transcription_failed", lang))
        await self.usage.add(user_id, self.clock.now(), audio_seconds=file.duration or 0)
        if not transcript:
            return self.refused([file], caption, TEXTS("silence", lang))
        text = "\n".join(part for part in (caption, transcript) if part)
        return Understood(
            text=text,
            attachments=(file.attachment(content=transcript),),
            transcript=transcript,
            # A voice or video note is someone speaking to Dazi; an audio file (a recording,
            # a podcast) is not, so it gets voice answers only when the chat asked for them.
            spoken=file.kind != MediaKind.AUDIO,
        )

    async def see(
        self,
        photos: Sequence[tuple[MediaFile, bytes]],
        *,
        user_id: int,
        caption: str,
        lang: str,
    ) -> Understood:
        """Look at a photo (or an album): describe it once for memory, and hand the downscaled
        images to the answer when the chat model can see them."""
        files = [file for file, _ in photos]
        try:
            prepared = await asyncio.to_thread(lambda: [prepare_image(data) for _, data in photos])
        except UnreadableImage as error:
            logger.info("unreadable image: %s", error)
            return self.refused(files, caption, TEXTS("bad_image", lang), answer_caption=True)
        urls = tuple(image.data_url() for image in prepared)
        try:
            description = await self._describe(urls, caption=caption, lang=lang)
        except LLMUnavailable as error:
            logger.warning("the vision model did not look at a photo: %s", error)
            return self.refused(files, caption, TEXTS("vision_failed", lang), answer_caption=True)
        await self.usage.add(user_id, self.clock.now(), images=len(files))
        label = "photo" if len(files) == 1 else f"{len(files)} photos"
        text = "\n".join(part for part in (caption, f"[{label}: {description}]") if part)
        attachments = [f.attachment(content=description) for f in files]
        if self.vision_in_answer:
            attachments[0] = files[0].attachment(content=description, images=urls)
        return Understood(text=text, attachments=tuple(attachments))

    async def _describe(self, urls: Sequence[str], *, caption: str, lang: str) -> str:
        assert self.vision_llm is not None, "admit() refuses photos without a vision model"
        language = "Chinese" if lang == "zh" else "English"
        request = (
            "Describe what this picture shows in one to three plain sentences, in "
            f"{language}, so that it can be found again weeks later: name the objects, "
            "brands, labels, any text you can read, the place and the amounts. "
            "No preamble, no Markdown."
        )
        if len(urls) > 1:
            request = request.replace("this picture shows", "these pictures show")
        if caption:
            request += f'\nThe sender wrote with it: "{caption}"'
        messages: list[ChatMessage] = [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": request},
                    *({"type": "image_url", "image_url": {"url": url}} for url in urls),
                ],
            }
        ]
        completion = await self.vision_llm.complete(messages, max_tokens=300, temperature=0.2)
        description = " ".join(completion.text.split())
        if not description:
            raise LLMUnavailable("empty description")
        return description

    async def read(self, file: MediaFile, data: bytes, *, caption: str, lang: str) -> Understood:
        """Read a document: the answer gets its text (up to a budget), memory keeps all of it."""
        name = file.file_name or "document"

        def read_and_cut() -> tuple[DocumentText, tuple[str, ...]]:
            # Cut here too: a book's 16,000 parts would hold the event loop for 0.1-0.2 s.
            document = read_document(data, file_name=file.file_name, mime_type=file.mime_type)
            chunks = tuple(
                f"[{name}, part {number}] {chunk}"
                for number, chunk in enumerate(
                    chunk_text(document.text, self.limits.chunk_chars), start=1
                )
            )
            return document, chunks

        try:
            document, chunks = await asyncio.to_thread(read_and_cut)
        except UnsupportedDocument:
            return self.refused([file], caption, TEXTS("unsupported_file", lang, name=name))
        except UnreadableDocument as error:
            logger.info("unreadable document: %s", error)
            return self.refused([file], caption, TEXTS("bad_document", lang, name=name))
        except Exception:  # a reader library choking on a malformed file must not stop us
            logger.exception("document reader failed")
            return self.refused([file], caption, TEXTS("bad_document", lang, name=name))
        body = document.text
        limit = self.limits.document_prompt_chars
        shown = body if len(body) <= limit else body[:limit] + "\n[…]"
        request = caption or TEXTS("summarise", lang)
        size = f"{document.pages} pages" if document.pages else f"{len(body)} characters"
        text = f"{request}\n[document: {name}, {size}]"
        prompt = f'The document "{name}" reads:\n"""\n{shown}\n"""'
        attachment = file.attachment(prompt_text=prompt, chunks=chunks)
        return Understood(text=text, attachments=(attachment,))

    # -- voice answers -------------------------------------------------------------------------

    @property
    def can_speak(self) -> bool:
        return self.speaker is not None

    async def voice_setting(self, chat_id: int) -> bool | None:
        """The chat's choice: True (always), False (never) or None (when the user spoke)."""
        chat = await self.chats.get(chat_id)
        value = chat.settings.get("voice_answers") if chat else None
        return value if isinstance(value, bool) else None

    async def set_voice(self, chat_id: int, on: bool | None) -> None:
        """Always (True), never (False), or when the user spoke (None)."""
        await self.chats.update_settings(chat_id, voice_answers=on)

    async def wants_voice(self, chat_id: int, *, spoke: bool) -> bool:
        """Whether an answer in this chat also goes out as a voice note."""
        if self.speaker is None:
            return False
        choice = await self.voice_setting(chat_id)
        return spoke if choice is None else choice

    async def speak(self, text: str) -> bytes | None:
        """The answer as OGG/Opus, or None when speech failed (the text answer stands)."""
        if self.speaker is None or not text.strip():
            return None
        try:
            return await self.speaker.speak(text)
        except MediaEndpointError as error:
            logger.warning("speech failed: %s", error)
            return None

    async def close(self) -> None:
        for client in (self.transcriber, self.speaker):
            if client is not None:
                await client.close()


def _placeholder(file: MediaFile) -> str:
    """How a file that was not understood shows in memory."""
    if file.kind.is_sound:
        label = file.kind.value.replace("_", " ")
        duration = f", {_clock_time(file.duration)}" if file.duration else ""
        return f"[{label} message{duration}, not transcribed]"
    if file.kind == MediaKind.PHOTO:
        return "[photo]"
    return f"[document: {file.file_name or file.mime_type or 'file'}, not read]"


def _clock_time(seconds: float | None) -> str:
    total = round(seconds or 0)
    return f"{total // 60}:{total % 60:02d}"


def _sound_name(file: MediaFile) -> str:
    """A file name whose extension tells the endpoint the format."""
    if file.file_name and "." in file.file_name:
        return file.file_name
    if file.kind == MediaKind.VOICE:
        return "voice.ogg"
    if file.kind == MediaKind.VIDEO_NOTE:
        return "video_note.mp4"
    subtype = (file.mime_type or "audio/mpeg").split("/")[-1]
    return f"audio.{ {'mpeg': 'mp3', 'x-m4a': 'm4a', 'mp4': 'm4a'}.get(subtype, subtype) }"
