"""Every feature's buttons, handled one way: decode the tap, ask the feature that owns the
action, then toast, edit, drop a handled row, or send, as its :class:`ButtonReply` says."""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.error import TelegramError
from telegram.ext import CallbackQueryHandler, ContextTypes

from bot.chats import Actor
from bot.outbound import Action, ButtonReply, Payload, TapSet
from bot.people.buttons import TAPS as PEOPLE_TAPS
from bot.reminders.buttons import TAPS as REMINDER_TAPS
from bot.services import Services
from bot.telegram.callbacks import decode, pattern
from bot.telegram.chats import actor_from
from bot.telegram.handlers.common import App, Command, services
from bot.telegram.handlers.reminders import show, show_edit

__all__ = ["COMMANDS", "register"]

logger = logging.getLogger(__name__)

COMMANDS: list[Command] = []


@dataclass(frozen=True, slots=True)
class _Route:
    """A feature's taps and the service that carries them out (given None for a button it
    cannot read: one from another release, or malformed)."""

    taps: TapSet
    service: Callable[[Services], Callable[[Actor, Action[Any] | None], Awaitable[ButtonReply]]]


_ROUTES = (
    _Route(REMINDER_TAPS, lambda found: found.reminders.act),
    _Route(PEOPLE_TAPS, lambda found: found.people.act),
)


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE, route: _Route) -> None:
    """Carry out a tapped button of a feature (undo, done, snooze, pick, edit, delete...)."""
    query, actor = update.callback_query, actor_from(update, context)
    if query is None or query.data is None or actor is None:
        return
    action = decode(query.data, route.taps)
    reply = await route.service(services(context))(actor, action)
    with contextlib.suppress(TelegramError):
        await query.answer(reply.toast, show_alert=reply.alert)
    message = query.message
    if not isinstance(message, Message):
        return
    if reply.edit is not None:
        await show_edit(message, reply.edit)
    if reply.drop_row is not None:
        await _drop_rows(message, route.taps, reply.drop_row)
    if reply.send is not None:
        # In a group Dazi only sees replies to its messages: ask for one. In private the
        # next message is enough.
        await show(
            message, reply.send, quote=False, force_reply=reply.force_reply and actor.kind.is_group
        )


async def _drop_rows(message: Message, taps: TapSet, payload: Payload) -> None:
    """Take the rows of buttons carrying a handled item off the message (a digest item)."""
    markup = message.reply_markup
    if markup is None:
        return
    rows = [
        list(row)
        for row in markup.inline_keyboard
        if not any(_carries(button.callback_data, taps, payload) for button in row)
    ]
    try:
        await message.edit_reply_markup(InlineKeyboardMarkup(rows) if rows else None)
    except TelegramError as error:
        logger.info("could not update the buttons in chat %s: %s", message.chat.id, error)


def _carries(data: object, taps: TapSet, payload: Payload) -> bool:
    action = decode(data, taps) if isinstance(data, str) else None
    return action is not None and action.payload == payload


def register(app: App) -> None:
    """One handler per feature that has buttons, all handled by :func:`on_button`."""
    for route in _ROUTES:
        app.add_handler(
            CallbackQueryHandler(
                functools.partial(on_button, route=route), pattern=pattern(route.taps.feature)
            )
        )
