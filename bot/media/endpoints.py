"""The sound endpoints, both OpenAI-compatible: speech to text and text to speech.

* Transcription posts the file as Telegram delivered it (voice notes are OGG/Opus, video notes
  MP4, audio files MP3/M4A/...) to ``/audio/transcriptions``: OpenAI's whisper-1 and
  gpt-4o-transcribe take all of these, as do local faster-whisper and whisper.cpp servers that
  decode with ffmpeg. Nothing is converted here, so no codec or binary is needed at run time.
* Speech asks ``/audio/speech`` for ``response_format=opus``: OGG/Opus, what Telegram plays as
  a voice note. An endpoint must support that format for voice answers.
"""

from __future__ import annotations

import logging

from bot.llm.sdk import sdk_client

__all__ = ["MediaEndpointError", "Speaker", "Transcriber"]

logger = logging.getLogger(__name__)

#: OpenAI's speech endpoint takes at most 4096 characters.
SPEECH_MAX_CHARS = 4000


class MediaEndpointError(Exception):
    """The endpoint could not do it (down, refused, unreadable answer); says nothing secret."""


def _describe(error: Exception) -> str:
    status = getattr(error, "status_code", None)
    return type(error).__name__ + (f" (HTTP {status})" if status else "")


class Transcriber:
    """Speech to text through ``/audio/transcriptions``."""

    def __init__(
        self,
        *,
        model: str,
        api_key: str,
        base_url: str | None,
        timeout: float = 120.0,
        retries: int = 2,
    ) -> None:
        self.model = model
        self._client = sdk_client(
            api_key=api_key, base_url=base_url, timeout=timeout, retries=retries
        )

    async def transcribe(self, data: bytes, *, file_name: str, mime_type: str | None) -> str:
        """The words spoken in the file ('' for silence)."""
        import openai  # loaded with the client: only when transcription is configured

        try:
            result = await self._client.audio.transcriptions.create(
                model=self.model,
                file=(file_name, data, mime_type or "application/octet-stream"),
            )
        except openai.OpenAIError as error:
            raise MediaEndpointError(_describe(error)) from error
        text = getattr(result, "text", None)
        if not isinstance(text, str):
            raise MediaEndpointError("no text in the answer")
        return text.strip()

    async def close(self) -> None:
        await self._client.close()


class Speaker:
    """Text to speech through ``/audio/speech``, as OGG/Opus."""

    def __init__(
        self,
        *,
        model: str,
        voice: str,
        api_key: str,
        base_url: str | None,
        timeout: float = 120.0,
        retries: int = 1,
    ) -> None:
        self.model = model
        self.voice = voice
        self._client = sdk_client(
            api_key=api_key, base_url=base_url, timeout=timeout, retries=retries
        )

    async def speak(self, text: str) -> bytes:
        """An OGG/Opus recording of ``text`` (cut to what the endpoint takes)."""
        import openai  # loaded with the client: only when speech is configured

        try:
            response = await self._client.audio.speech.create(
                model=self.model,
                voice=self.voice,
                input=text[:SPEECH_MAX_CHARS],
                response_format="opus",
            )
            audio = await response.aread()
        except openai.OpenAIError as error:
            raise MediaEndpointError(_describe(error)) from error
        except Exception as error:  # the connection broke while the audio arrived
            raise MediaEndpointError(type(error).__name__) from error
        if not audio:
            raise MediaEndpointError("empty audio")
        return audio

    async def close(self) -> None:
        await self._client.close()
