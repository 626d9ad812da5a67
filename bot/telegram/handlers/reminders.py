"""/remind, /reminders and /timezone, the reminders' buttons, and replies that re-time one."""

from __future__ import annotations

import logging

from telegram import ForceReply, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import (
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.outbound import Notice
from bot.reminders import ReminderService
from bot.telegram.chats import actor_from, chat_kind
from bot.telegram.handlers.common import App, Command, services
from bot.telegram.render import html_to_plain, render_parts
from bot.telegram.streaming import keyboard, send_rendered
from bot.telegram.updates import incoming_from

__all__ = ["COMMANDS", "register", "show", "show_edit"]

logger = logging.getLogger(__name__)

COMMANDS = [
    Command(
        "remind",
        "Set a reminder: /remind tomorrow 3pm call mom",
        "设置提醒：/remind 明天下午三点打电话",
    ),
    Command("reminders", "See, edit, pause or delete your reminders", "查看、修改、暂停或删除提醒"),
    Command("timezone", "Your time zone: /timezone Berlin", "设置时区：/timezone 上海"),
]


def reminders(context: ContextTypes.DEFAULT_TYPE) -> ReminderService:
    return services(context).reminders


def _argument(message: Message) -> str:
    """The text after the command (``/remind@dazi_bot tomorrow ...`` -> ``tomorrow ...``)."""
    text = message.text or ""
    return text.split(maxsplit=1)[1] if len(text.split(maxsplit=1)) == 2 else ""


async def show(
    message: Message, notice: Notice, *, quote: bool | None = None, force_reply: bool = False
) -> list[int]:
    """Send a notice into the message's chat; in groups it quotes the message it answers.
    Returns the ids of the messages sent."""
    if quote is None:
        quote = chat_kind(message.chat.type).is_group
    markup = ForceReply(selective=True) if force_reply else keyboard(notice)
    return await send_rendered(
        message.get_bot(),
        message.chat.id,
        notice.text,
        reply_to=message.message_id if quote else None,
        reply_markup=markup,
        message_thread_id=message.message_thread_id if message.is_topic_message else None,
    )


async def show_edit(message: Message, notice: Notice) -> None:
    """Replace a message (the one with the tapped button) by a notice; when Telegram will not
    edit it (too old, deleted), the notice comes as a new message instead."""
    parts = render_parts(notice.text) or ["…"]
    markup = keyboard(notice)
    try:
        await message.edit_text(parts[0], parse_mode=ParseMode.HTML, reply_markup=markup)
    except BadRequest as error:
        lowered = error.message.lower()
        if "not modified" in lowered:
            return
        if "parse" in lowered or "entit" in lowered or "tag" in lowered:
            await message.edit_text(html_to_plain(parts[0]), reply_markup=markup)
            return
        logger.info("could not edit message in chat %s: %s", message.chat.id, error.message)
        await show(message, notice, quote=False)


async def _register(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is not None and message.from_user is not None:
        await services(context).conversation.register(incoming_from(message))


async def remind_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Create a reminder from ``/remind <when> <what>`` and confirm it with an Undo button."""
    message, actor = update.effective_message, actor_from(update)
    if message is None or actor is None:
        return
    await _register(update, context)
    notice = await reminders(context).remind(actor, _argument(message))
    await show(message, notice)


async def list_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """List upcoming reminders with their next local time, one button each."""
    message, actor = update.effective_message, actor_from(update)
    if message is None or actor is None:
        return
    await _register(update, context)
    await show(message, await reminders(context).list_view(actor))


async def timezone_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Show or set the user's time zone: a name, a city, an offset or the local time."""
    message, actor = update.effective_message, actor_from(update)
    if message is None or actor is None:
        return
    await _register(update, context)
    await show(message, await reminders(context).timezone_command(actor, _argument(message)))


async def on_edit_reply(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Take the user's next message as the new time (and text) of the reminder being edited."""
    message, actor = update.effective_message, actor_from(update)
    if message is None or actor is None or not message.text:
        return
    notice = await reminders(context).apply_edit(actor, message.text)
    await show(message, notice)


async def on_migrate(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A group became a supergroup: its reminders move to the new chat id."""
    message = update.effective_message
    if message is None:
        return
    if message.migrate_to_chat_id:
        old, new = message.chat.id, message.migrate_to_chat_id
    elif message.migrate_from_chat_id:
        old, new = message.migrate_from_chat_id, message.chat.id
    else:
        return
    moved = await reminders(context).migrate_chat(old, new)
    if moved:
        logger.info("moved %d reminder(s) from chat %s to %s", moved, old, new)


async def on_any_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Anyone writing in a chat shows it is reachable again: recurring reminders stopped
    because the bot was blocked there resume (a set lookup for every other chat)."""
    chat = update.effective_chat
    if chat is None:
        return
    try:
        await reminders(context).chat_reachable(chat.id)
    except Exception:  # never in the way of the message's own handling
        logger.exception("resuming reminders of chat %s failed", chat.id)


class AwaitingEdit(filters.MessageFilter):
    """Messages from someone who was asked for a reminder's new time (and /cancel)."""

    def __init__(self, app: App) -> None:
        super().__init__(name="AwaitingEdit")
        self._app = app

    def filter(self, message: Message) -> bool:
        if message.from_user is None:
            return False
        service: ReminderService = self._app.bot_data["services"].reminders
        return service.awaiting_edit(message.chat.id, message.from_user.id)


def register(app: App) -> None:
    """Add this module's handlers to the application."""
    app.add_handler(CommandHandler("remind", remind_command))
    app.add_handler(CommandHandler("reminders", list_command))
    app.add_handler(CommandHandler("timezone", timezone_command))
    edits = filters.TEXT & (~filters.COMMAND | filters.Regex(r"^/cancel\b")) & AwaitingEdit(app)
    app.add_handler(MessageHandler(edits, on_edit_reply))
    # Its own group, so that other features still see the migration too.
    app.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, on_migrate), group=7)
    # Its own group too: every message is also handled by its usual handler.
    app.add_handler(MessageHandler(filters.ALL, on_any_message), group=6)
