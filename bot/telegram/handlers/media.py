"""Voice notes, audio, video notes, photos (and albums) and documents; /voice.

The transport's part is only Telegram's: which file a message carries, downloading it (streamed,
with a size cap), and showing what comes back (the transcript, the answer, a voice note). What a
file means is the media service's business (:mod:`bot.media`).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import html
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import aiohttp
from telegram import (
    Bot,
    InlineKeyboardMarkup,
    Message,
    ReplyParameters,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, TelegramError
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.i18n import Catalog, detect_language
from bot.media import MediaFile, MediaKind, Understood
from bot.outbound import Feature, Nothing, Tap, TapSet
from bot.telegram.callbacks import decode, markup, pattern
from bot.telegram.handlers.chat import addressed, answer
from bot.telegram.handlers.common import App, Command, language_of, services
from bot.telegram.updates import incoming_from

__all__ = [
    "ALBUM_WAIT_SECONDS",
    "COMMANDS",
    "TAPS",
    "download",
    "media_files",
    "register",
    "voice_buttons",
    "voice_status",
]

logger = logging.getLogger(__name__)

COMMANDS = [
    Command("voice", "Voice answers: /voice on or off", "语音回复：/voice on 或 off"),
]

#: Photos of an album arrive as separate messages; they are gathered for this long.
ALBUM_WAIT_SECONDS = 0.8
_CHUNK = 64 * 1024
#: The transcript shown above the answer is cut here (the whole of it is stored).
TRANSCRIPT_SHOWN_CHARS = 3500
#: What the /voice buttons set: on, off, or automatic (the action's name).
#: Every /voice tap, for the transport to read a tapped button back: each is a choice.
TAPS = TapSet(Feature.VOICE)
#: What each /voice button sets voice answers to (None: automatic).
_VOICE_CHOICES: dict[Tap[Nothing], bool | None] = {
    TAPS.add("on", Nothing): True,
    TAPS.add("off", Nothing): False,
    TAPS.add("auto", Nothing): None,
}

TEXTS = Catalog(
    {
        "voice_on": {
            "en": "🔊 Voice answers are on: my answers here also come as voice messages.",
            "zh": "🔊 语音回复已开启：我在这里的回答也会以语音发送。",
        },
        "voice_off": {
            "en": "🔇 Voice answers are off: I answer in text only.",
            "zh": "🔇 语音回复已关闭：我只用文字回答。",
        },
        "voice_auto": {
            "en": "🔊 Voice answers: automatic. When you send me a voice message, I answer "
            "with one too. /voice on answers everything in voice, /voice off never.",
            "zh": "🔊 语音回复：自动。你发语音给我时，我也用语音回答。"
            "/voice on 表示全部用语音回答，/voice off 表示从不。",
        },
        "voice_unavailable": {
            "en": "I can't speak here: text-to-speech is not set up (SPEECH_MODEL).",
            "zh": "这里我还不能说话：没有配置语音合成（SPEECH_MODEL）。",
        },
        "button_on": {"en": "🔊 Voice on", "zh": "🔊 开启语音"},
        "button_off": {"en": "🔇 Voice off", "zh": "🔇 关闭语音"},
        "button_auto": {"en": "Automatic", "zh": "自动"},
    }
)


class _TooBig(Exception):
    """The file is larger than the cap (found before or while downloading)."""


# -- which files a message carries ---------------------------------------------------------------


def media_files(message: Message) -> list[MediaFile]:
    """The files a message carries, as the media service sees them ([] for none)."""
    if message.voice is not None:
        voice = message.voice
        return [_file(MediaKind.VOICE, voice, voice.duration, None, voice.mime_type)]
    if message.audio is not None:
        audio = message.audio
        return [_file(MediaKind.AUDIO, audio, audio.duration, audio.file_name, audio.mime_type)]
    if message.video_note is not None:
        note = message.video_note
        return [_file(MediaKind.VIDEO_NOTE, note, note.duration, None, "video/mp4")]
    if message.photo:
        largest = max(message.photo, key=lambda size: size.width * size.height)
        return [_file(MediaKind.PHOTO, largest, None, None, "image/jpeg")]
    if message.document is not None:
        doc = message.document
        mime = (doc.mime_type or "").lower()
        # A picture sent "as a file" is still a picture.
        kind = MediaKind.PHOTO if mime in _IMAGE_TYPES else MediaKind.DOCUMENT
        return [_file(kind, doc, None, doc.file_name, doc.mime_type)]
    return []


_IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp", "image/gif", "image/bmp"})


def _file(
    kind: MediaKind, item: object, duration: object, name: str | None, mime: str | None
) -> MediaFile:
    seconds = duration.total_seconds() if hasattr(duration, "total_seconds") else duration
    return MediaFile(
        kind=kind,
        file_id=getattr(item, "file_id"),  # noqa: B009 - PTB's media types share no base here
        file_unique_id=getattr(item, "file_unique_id", None),
        size=getattr(item, "file_size", None),
        duration=float(seconds) if isinstance(seconds, int | float) else None,
        file_name=name,
        mime_type=mime,
    )


# -- downloading ---------------------------------------------------------------------------------


async def download(bot: Bot, file_id: str, limit: int) -> bytes:
    """The file's bytes, streamed from Telegram and abandoned past ``limit`` bytes."""
    try:
        telegram_file = await bot.get_file(file_id)
    except BadRequest as error:
        if "too big" in error.message.lower():
            raise _TooBig from None
        raise
    if (telegram_file.file_size or 0) > limit:
        raise _TooBig
    if not telegram_file.file_path:
        raise TelegramError("no file path")
    buffer = bytearray()
    timeout = aiohttp.ClientTimeout(total=120, sock_connect=15)
    async with (
        aiohttp.ClientSession(timeout=timeout) as session,
        session.get(telegram_file.file_path) as response,
    ):
        if response.status != 200:
            raise TelegramError(f"file download answered HTTP {response.status}")
        async for chunk in response.content.iter_chunked(_CHUNK):
            buffer += chunk
            if len(buffer) > limit:
                raise _TooBig
    return bytes(buffer)


# -- handling ------------------------------------------------------------------------------------


async def media_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A message with a voice note, audio, video note, photo or document."""
    message = update.effective_message
    if message is None or message.from_user is None:
        return
    files = media_files(message)
    if not files:
        return
    if message.media_group_id and files[0].kind == MediaKind.PHOTO:
        _albums(context).add(message, files[0], context)
        return
    await handle(context, message, files)


async def handle(
    context: ContextTypes.DEFAULT_TYPE, message: Message, files: Sequence[MediaFile]
) -> None:
    """Understand the files, keep the message, and answer it like typed text."""
    svc = services(context)
    conversation = svc.conversation
    caption = message.caption or ""
    incoming = incoming_from(message, text=caption)
    if incoming.kind.is_group and not addressed(message, context):
        # Not for Dazi: kept as group chatter (caption and file id), never downloaded.
        stub = svc.media.refused(files, caption, "")
        _, chat = await conversation.register(incoming)
        await conversation.store_incoming(
            dataclasses.replace(incoming, text=stub.text, attachments=stub.attachments), chat
        )
        return
    user, _ = await conversation.register(incoming)
    lang = detect_language(caption, fallback="zh" if user.language == "zh" else "en")
    understood = await svc.media.admit(files, user_id=user.id, caption=caption, lang=lang)
    if understood is None:
        understood = await _understand(context, files, user_id=user.id, caption=caption, lang=lang)
    incoming = dataclasses.replace(
        incoming, text=understood.text, attachments=understood.attachments
    )
    if understood.problem:
        await _say(message, html.escape(understood.problem, quote=False))
    if understood.transcript:
        shown = understood.transcript
        if len(shown) > TRANSCRIPT_SHOWN_CHARS:  # a message holds 4096 characters at most
            shown = shown[:TRANSCRIPT_SHOWN_CHARS].rstrip() + " …"
        quote = html.escape(shown, quote=False)
        await _say(message, f"<blockquote expandable>🎙 {quote}</blockquote>")
    if not understood.answerable:
        _, chat = await conversation.register(incoming)
        await conversation.store_incoming(incoming, chat)
        return
    await answer(message, incoming, context, spoke=understood.spoken)


async def _understand(
    context: ContextTypes.DEFAULT_TYPE,
    files: Sequence[MediaFile],
    *,
    user_id: int,
    caption: str,
    lang: str,
) -> Understood:
    media = services(context).media
    downloaded: list[tuple[MediaFile, bytes]] = []
    for file in files:
        try:
            data = await download(context.bot, file.file_id, media.limits.max_download_bytes)
        except _TooBig:
            return media.not_downloaded(files, caption, lang, too_big=True)
        except (TelegramError, aiohttp.ClientError, TimeoutError) as error:
            # The error may hold the file URL, which holds the bot token: only its kind is logged.
            logger.warning("download of a %s failed: %s", file.kind, type(error).__name__)
            return media.not_downloaded(files, caption, lang, too_big=False)
        downloaded.append((file, data))
    first, data = downloaded[0]
    if first.kind.is_sound:
        return await media.hear(first, data, user_id=user_id, caption=caption, lang=lang)
    if first.kind == MediaKind.PHOTO:
        return await media.see(downloaded, user_id=user_id, caption=caption, lang=lang)
    return await media.read(first, data, caption=caption, lang=lang)


async def _say(message: Message, text: str) -> None:
    """A short HTML message quoting the user's."""
    try:
        await message.get_bot().send_message(
            message.chat.id,
            text,
            parse_mode=ParseMode.HTML,
            reply_parameters=ReplyParameters(message.message_id, allow_sending_without_reply=True),
            message_thread_id=message.message_thread_id if message.is_topic_message else None,
        )
    except TelegramError as error:
        logger.info("could not send a media note to chat %s: %s", message.chat.id, error)


# -- albums --------------------------------------------------------------------------------------


@dataclass
class _Album:
    messages: list[Message] = field(default_factory=list)
    files: list[MediaFile] = field(default_factory=list)
    timer: asyncio.TimerHandle | None = None


class _Albums:
    """Gathers the photos of an album (one message each) and handles them as one message."""

    def __init__(self) -> None:
        self._open: dict[tuple[int, str], _Album] = {}

    def add(self, message: Message, file: MediaFile, context: ContextTypes.DEFAULT_TYPE) -> None:
        key = (message.chat.id, str(message.media_group_id))
        album = self._open.setdefault(key, _Album())
        album.messages.append(message)
        album.files.append(file)
        if album.timer is not None:
            album.timer.cancel()
        album.timer = asyncio.get_running_loop().call_later(
            ALBUM_WAIT_SECONDS,
            lambda: context.application.create_task(self._finish(key, context)),
        )

    async def _finish(self, key: tuple[int, str], context: ContextTypes.DEFAULT_TYPE) -> None:
        album = self._open.pop(key, None)
        if album is None:
            return
        # The caption travels on one of the album's messages, usually the first.
        lead = next((m for m in album.messages if m.caption), album.messages[0])
        await handle(context, lead, album.files)


def _albums(context: ContextTypes.DEFAULT_TYPE) -> _Albums:
    albums = context.application.bot_data.get("media_albums")
    if not isinstance(albums, _Albums):
        albums = _Albums()
        context.application.bot_data["media_albums"] = albums
    return albums


# -- /voice and its buttons ----------------------------------------------------------------------


async def voice_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``/voice on|off|auto``; without an argument, the current choice with buttons."""
    message = update.effective_message
    if message is None or message.from_user is None:
        return
    svc = services(context)
    await svc.conversation.register(incoming_from(message))
    lang = await language_of(update, context)
    if not svc.media.can_speak:
        await message.reply_text(TEXTS("voice_unavailable", lang))
        return
    words = (message.text or "").split()
    choice = words[1].lower() if len(words) > 1 else ""
    if choice in ("on", "off", "开", "关", "auto", "自动"):
        value = None if choice in ("auto", "自动") else choice in ("on", "开")
        await svc.media.set_voice(message.chat.id, value)
    await message.reply_text(
        await voice_status(context, message.chat.id, lang),
        reply_markup=voice_buttons(lang),
    )


async def voice_status(context: ContextTypes.DEFAULT_TYPE, chat_id: int, lang: str) -> str:
    setting = await services(context).media.voice_setting(chat_id)
    key = "voice_auto" if setting is None else "voice_on" if setting else "voice_off"
    return TEXTS(key, lang)


def voice_buttons(lang: str) -> InlineKeyboardMarkup | None:
    """On / off / automatic, for /voice and /settings."""
    return markup(
        [[tap.button(TEXTS(f"button_{tap.name}", lang), Nothing()) for tap in _VOICE_CHOICES]]
    )


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Set voice answers on, off or automatic from a /voice button."""
    query = update.callback_query
    if query is None or query.data is None or not isinstance(query.message, Message):
        return
    action = decode(query.data, TAPS)
    if action is None:
        with contextlib.suppress(TelegramError):
            await query.answer()
        return
    value = _VOICE_CHOICES[action.tap]
    chat_id = query.message.chat.id
    await services(context).media.set_voice(chat_id, value)
    lang = await language_of(update, context)
    with contextlib.suppress(TelegramError):
        await query.answer()
    with contextlib.suppress(BadRequest):
        await query.message.edit_text(
            await voice_status(context, chat_id, lang), reply_markup=voice_buttons(lang)
        )


def register(app: App) -> None:
    """Add this module's handlers to the application."""
    app.add_handler(CommandHandler("voice", voice_command))
    app.add_handler(CallbackQueryHandler(on_button, pattern=pattern(Feature.VOICE)))
    app.add_handler(
        MessageHandler(
            filters.VOICE
            | filters.AUDIO
            | filters.VIDEO_NOTE
            | filters.PHOTO
            | filters.Document.ALL,
            media_message,
        )
    )
