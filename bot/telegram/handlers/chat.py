"""Free conversation: text goes to the conversation service and the answer streams back."""

from __future__ import annotations

from telegram import Message, Update
from telegram.constants import ChatType
from telegram.ext import Application, ContextTypes, MessageHandler, filters

from bot.conversation import Incoming, ReplyDone, TextDelta
from bot.telegram.handlers.common import Command, services
from bot.telegram.streaming import ReplyStreamer
from bot.telegram.updates import incoming_from

__all__ = ["COMMANDS", "register"]

COMMANDS: list[Command] = []


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
    async with streamer:
        async for event in conversation.reply(incoming):
            if isinstance(event, TextDelta):
                await streamer.update(event.text)
            elif isinstance(event, ReplyDone):
                sent = await streamer.finish(event.text, event.notices)
                if not event.failed:
                    await conversation.record_reply(incoming, text=event.text, tg_message_ids=sent)


def _addressed(message: Message, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """In groups Dazi speaks only when @-mentioned or when someone replies to it."""
    replied = message.reply_to_message
    if replied is not None and replied.from_user and replied.from_user.id == context.bot.id:
        return True
    username = context.bot.username
    return bool(username) and f"@{username.lower()}" in (message.text or "").lower()


def register(app: Application) -> None:
    """Add this module's handlers to the application."""
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, chat_message))
