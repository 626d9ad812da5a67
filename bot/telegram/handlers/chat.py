"""Free conversation: text goes to the conversation service and the answer streams back."""

from __future__ import annotations

import re

from telegram import Message, MessageEntity, Update
from telegram.constants import ChatType
from telegram.ext import Application, ContextTypes, MessageHandler, filters

from bot.conversation import Incoming, ReplyDone, TextDelta
from bot.telegram.handlers.common import Command, services
from bot.telegram.streaming import ReplyStreamer
from bot.telegram.updates import incoming_from

__all__ = ["COMMANDS", "register"]

COMMANDS: list[Command] = []

#: Answers in groups are kept compact: longer ones are cut at a sentence near this length.
GROUP_ANSWER_CHARS = 1200


async def chat_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer a text message through the model, streaming the answer as it is written."""
    message = update.effective_message
    if message is None or message.from_user is None or not message.text:
        return
    incoming = incoming_from(message)
    if incoming.is_group and not _addressed(message, context):
        conversation = services(context).conversation
        _, chat = await conversation.register(incoming)
        await conversation.store_incoming(incoming, chat)
        return
    await answer(message, incoming, context)


async def answer(message: Message, incoming: Incoming, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stream the conversation service's answer to ``incoming`` into its chat."""
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
                sent = await streamer.finish(text, event.notices)
                if not event.failed:
                    await conversation.record_reply(incoming, text=text, tg_message_ids=sent)


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


def _addressed(message: Message, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """In groups Dazi speaks only when @-mentioned or when someone replies to it."""
    replied = message.reply_to_message
    if replied is not None and replied.from_user and replied.from_user.id == context.bot.id:
        return True
    if any(
        entity.type == MessageEntity.TEXT_MENTION
        and entity.user
        and entity.user.id == context.bot.id
        for entity in message.entities
    ):
        return True
    username = context.bot.username
    if not username:
        return False
    mention = re.compile(rf"@{re.escape(username)}(?!\w)", re.IGNORECASE)
    return mention.search(message.text or "") is not None


def register(app: Application) -> None:
    """Add this module's handlers to the application."""
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, chat_message))
