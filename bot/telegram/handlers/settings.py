"""/settings: the reminder settings (time zone, default time of day, next-step offers), and
voice answers when speech is set up."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CommandHandler, ContextTypes

from bot.telegram.chats import actor_from
from bot.telegram.handlers.common import App, Command, language_of, services
from bot.telegram.handlers.media import voice_buttons, voice_status
from bot.telegram.handlers.reminders import show
from bot.telegram.updates import incoming_from

__all__ = ["COMMANDS", "register"]

COMMANDS = [
    Command("settings", "Reminder settings: default time, offers", "提醒设置：默认时间、主动提议"),
]


async def settings_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Show the settings with buttons; ``/settings time 8:30`` sets the default time."""
    message, actor = update.effective_message, actor_from(update)
    if message is None or actor is None or message.from_user is None:
        return
    await services(context).conversation.register(incoming_from(message))
    text = message.text or ""
    argument = text.split(maxsplit=1)[1] if len(text.split(maxsplit=1)) == 2 else ""
    await show(message, await services(context).reminders.settings_command(actor, argument))
    if not argument and services(context).media.can_speak:
        lang = await language_of(update, context)
        await message.reply_text(
            await voice_status(context, message.chat.id, lang), reply_markup=voice_buttons(lang)
        )


def register(app: App) -> None:
    """Add this module's handlers to the application (its buttons are the reminders')."""
    app.add_handler(CommandHandler("settings", settings_command))
