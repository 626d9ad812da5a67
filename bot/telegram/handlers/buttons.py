"""Every feature's buttons, handled one way: decode the tap, ask the feature that owns the
action, then toast, edit, drop a handled row, or send, as its :class:`ButtonReply` says."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.error import TelegramError
from telegram.ext import CallbackQueryHandler, ContextTypes

from bot.chats import Actor
from bot.outbound import Action, ButtonReply, Feature
from bot.services import Services
from bot.telegram.callbacks import decode, pattern
from bot.telegram.chats import actor_from
from bot.telegram.handlers.common import App, Command, services
from bot.telegram.handlers.reminders import show, show_edit

__all__ = ["COMMANDS", "register"]

logger = logging.getLogger(__name__)

COMMANDS: list[Command] = []

#: Which service carries out the actions of each feature.
_ROUTES: dict[Feature, Callable[[Services], Callable[[Actor, Action], Awaitable[ButtonReply]]]] = {
    Feature.REMINDERS: lambda found: found.reminders.act,
    Feature.PEOPLE: lambda found: found.people.act,
}


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Carry out a tapped button of a feature (undo, done, snooze, pick, edit, delete...)."""
    query, actor = update.callback_query, actor_from(update, context)
    action = decode(query.data) if query is not None and query.data is not None else None
    if query is None or actor is None or action is None or action.feature not in _ROUTES:
        return
    reply = await _ROUTES[action.feature](services(context))(actor, action)
    with contextlib.suppress(TelegramError):
        await query.answer(reply.toast, show_alert=reply.alert)
    message = query.message
    if not isinstance(message, Message):
        return
    if reply.edit is not None:
        await show_edit(message, reply.edit)
    if reply.drop_row is not None:
        await _drop_rows(message, action.feature, reply.drop_row)
    if reply.send is not None:
        # In a group Dazi only sees replies to its messages: ask for one. In private the
        # next message is enough.
        await show(
            message, reply.send, quote=False, force_reply=reply.force_reply and actor.kind.is_group
        )


async def _drop_rows(message: Message, feature: Feature, target: int) -> None:
    """Take the rows of buttons acting on a handled item off the message (a digest item)."""
    markup = message.reply_markup
    if markup is None:
        return
    rows = [
        list(row)
        for row in markup.inline_keyboard
        if not any(_acts_on(button.callback_data, feature, target) for button in row)
    ]
    try:
        await message.edit_reply_markup(InlineKeyboardMarkup(rows) if rows else None)
    except TelegramError as error:
        logger.info("could not update the buttons in chat %s: %s", message.chat.id, error)


def _acts_on(data: object, feature: Feature, target: int) -> bool:
    action = decode(data) if isinstance(data, str) else None
    return action is not None and action.feature == feature and action.target == target


def register(app: App) -> None:
    """One handler per feature that has buttons, all handled by :func:`on_button`."""
    for feature in _ROUTES:
        app.add_handler(CallbackQueryHandler(on_button, pattern=pattern(feature)))
