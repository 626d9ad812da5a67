"""Free conversation: text goes to the conversation service and the answer streams back."""

from __future__ import annotations

import logging
import re

from telegram import Message, MessageEntity, ReplyParameters, Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import ContextTypes, MessageHandler, filters

from bot.conversation import Incoming, ReplyDone, TextDelta
from bot.i18n import Catalog, detect_language, pick_language
from bot.telegram.handlers.common import App, Command, services
from bot.telegram.render import html_to_plain, render_parts
from bot.telegram.streaming import MESSAGE_LIMIT, ReplyStreamer
from bot.telegram.updates import incoming_from

__all__ = ["COMMANDS", "addressed", "answer", "register"]

logger = logging.getLogger(__name__)

COMMANDS: list[Command] = []

#: Answers in groups are kept compact: longer ones are cut at a sentence near this length.
GROUP_ANSWER_CHARS = 1200

TEXTS = Catalog(
    {
        "too_long": {
            "en": "(The answer is too long for chat messages: all of it is in the file below.)",
            "zh": "（这个回答太长，聊天消息放不下：完整内容在下面的文件里。）",
        },
        "file_name": {"en": "answer.md", "zh": "回答.md"},
    }
)


async def chat_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer a text message through the model, streaming the answer as it is written."""
    message = update.effective_message
    if message is None or message.from_user is None or not message.text:
        return
    incoming = incoming_from(message)
    if incoming.kind.is_group and not addressed(message, context):
        conversation = services(context).conversation
        _, chat = await conversation.register(incoming)
        await conversation.store_incoming(incoming, chat)
        return
    await answer(message, incoming, context)


async def answer(
    message: Message,
    incoming: Incoming,
    context: ContextTypes.DEFAULT_TYPE,
    *,
    spoke: bool = False,
) -> None:
    """Stream the conversation service's answer to ``incoming`` into its chat; then, when the
    chat wants voice answers (or ``spoke`` and it leaves that to the user), say it too."""
    conversation = services(context).conversation
    private = message.chat.type == ChatType.PRIVATE
    streamer = ReplyStreamer(
        context.bot,
        message.chat.id,
        use_drafts=private,
        reply_to=None if private else message.message_id,
        message_thread_id=message.message_thread_id if message.is_topic_message else None,
        edit_interval=1.0 if private else 3.0,
    )
    limit = None if private else GROUP_ANSWER_CHARS
    async with streamer:
        async for event in conversation.reply(incoming):
            if isinstance(event, TextDelta):
                await streamer.update(compact(event.text, limit))
            elif isinstance(event, ReplyDone):
                text = compact(event.text, limit)
                settings = services(context).settings
                language = detect_language(
                    incoming.text, fallback=pick_language(incoming.language_code)
                )
                shown, whole = within_messages(text, settings.answer_max_messages, language)
                sent = await streamer.finish(shown, event.notices)
                if whole is not None:
                    await _send_whole(message, whole, language, context)
                if not event.failed:
                    await conversation.record_reply(incoming, text=text, tg_message_ids=sent)
                    await _speak(message, text, context, spoke=spoke)


def within_messages(markdown: str, max_messages: int, language: str) -> tuple[str, str | None]:
    """The answer as it fits in ``max_messages`` Telegram messages, and the whole text when it
    does not (it then goes out as a file, and the messages end with a note saying so)."""
    if len(render_parts(markdown, MESSAGE_LIMIT)) <= max_messages:
        return markdown, None
    note = TEXTS("too_long", language)
    budget = max_messages * (MESSAGE_LIMIT * 3 // 4)  # the HTML is longer than the Markdown
    while True:
        head = markdown[:budget]
        paragraph = head.rfind("\n\n")
        if paragraph > budget // 2:
            head = head[:paragraph]
        shown = f"{head.rstrip()} …\n\n{note}"
        if len(render_parts(shown, MESSAGE_LIMIT)) <= max_messages or budget < 200:
            return shown, markdown
        budget = budget * 4 // 5


async def _send_whole(
    message: Message, markdown: str, language: str, context: ContextTypes.DEFAULT_TYPE
) -> None:
    """The whole of an answer too long for chat messages, as a Markdown file."""
    try:
        await context.bot.send_document(
            message.chat.id,
            markdown.encode(),
            filename=TEXTS("file_name", language),
            message_thread_id=message.message_thread_id if message.is_topic_message else None,
        )
    except TelegramError as error:
        logger.warning(
            "could not send a long answer as a file in chat %s: %s", message.chat.id, error
        )


async def _speak(
    message: Message, text: str, context: ContextTypes.DEFAULT_TYPE, *, spoke: bool
) -> None:
    """The answer as a voice note too, when wanted; if speech fails the text answer stands."""
    media = services(context).media
    if not text.strip() or not await media.wants_voice(message.chat.id, spoke=spoke):
        return
    audio = await media.speak(html_to_plain("\n".join(render_parts(text))))
    if audio is None:
        return
    try:
        await context.bot.send_voice(
            message.chat.id,
            audio,
            filename="dazi.ogg",
            reply_parameters=ReplyParameters(message.message_id, allow_sending_without_reply=True),
            message_thread_id=message.message_thread_id if message.is_topic_message else None,
        )
    except TelegramError as error:  # e.g. the user does not accept voice messages
        logger.info("voice answer not sent to chat %s: %s", message.chat.id, error)


def compact(text: str, limit: int | None) -> str:
    """The text cut to about ``limit`` characters at a paragraph or sentence end, marked with …"""
    if limit is None or len(text) <= limit:
        return text
    head = text[:limit]
    for stops in (("\n\n",), (". ", "! ", "? ", "。", "！", "？", "\n")):
        cut = max(head.rfind(stop) + len(stop) for stop in stops)
        if cut > limit // 2:
            return head[:cut].rstrip() + " …"
    return head.rstrip() + "…"


def addressed(message: Message, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """In groups Dazi speaks only when @-mentioned (in the text or a media caption) or when
    someone replies to it."""
    replied = message.reply_to_message
    if replied is not None and replied.from_user and replied.from_user.id == context.bot.id:
        return True
    if any(
        entity.type == MessageEntity.TEXT_MENTION
        and entity.user
        and entity.user.id == context.bot.id
        for entity in (*message.entities, *message.caption_entities)
    ):
        return True
    username = context.bot.username
    if not username:
        return False
    mention = re.compile(rf"@{re.escape(username)}(?!\w)", re.IGNORECASE)
    return mention.search(message.text or message.caption or "") is not None


def register(app: App) -> None:
    """Add this module's handlers to the application."""
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, chat_message))
