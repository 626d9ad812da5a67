"""Hearing, seeing and speaking: voice notes, photos and documents understood and remembered,
and answers spoken back. No Telegram here (see :mod:`bot.telegram.handlers.media`)."""

from bot.media.endpoints import MediaEndpointError, Speaker, Transcriber
from bot.media.service import MediaFile, MediaKind, MediaLimits, MediaService, Understood
from bot.media.usage import MediaUsage

__all__ = [
    "MediaEndpointError",
    "MediaFile",
    "MediaKind",
    "MediaLimits",
    "MediaService",
    "MediaUsage",
    "Speaker",
    "Transcriber",
    "Understood",
]
