"""/people, /person, /birthday, /note, /keepintouch, /met, /draft and /digest, the people
buttons (digest, cards, questions, undo), and edits written after tapping "Edit".

People are private: in a group every command answers with a hint and a "Show it here" button
(see :mod:`bot.people.commands`)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import Message, Update
from telegram.constants import ChatAction
from telegram.error import TelegramError
from telegram.ext import (
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.people import PeopleService
from bot.telegram.chats import actor_from
from bot.telegram.handlers.common import App, Command, services
from bot.telegram.handlers.reminders import show
from bot.telegram.updates import incoming_from

__all__ = ["COMMANDS", "register"]

logger = logging.getLogger(__name__)

COMMANDS = [
    Command("people", "The people you care about", "你在乎的人"),
    Command("person", "One person's card: /person Anna", "某个人的资料：/person 妈妈"),
    Command(
        "birthday", "Save a birthday: /birthday Anna 03-14", "记生日：/birthday 妈妈 农历八月十五"
    ),
    Command("note", "Note something: /note Anna loves orchids", "记一笔：/note 妈妈 喜欢兰花"),
    Command(
        "keepintouch",
        "Stay in touch: /keepintouch Anna every 2 weeks",
        "保持联系：/keepintouch 妈妈 每周",
    ),
    Command("met", "Log a contact: /met Anna coffee", "记录联系：/met 妈妈 打了电话"),
    Command("draft", "Draft a message: /draft Anna", "帮我写消息：/draft 妈妈"),
    Command("digest", "Daily people digest: time, days ahead", "每日关怀摘要：时间、提前天数"),
]


#: Buttons that act on one person of a digest (their row goes once handled).
def people(context: ContextTypes.DEFAULT_TYPE) -> PeopleService:
    return services(context).people


def _argument(message: Message) -> str:
    parts = (message.text or "").split(maxsplit=1)
    return parts[1] if len(parts) == 2 else ""


def _command(
    name: str,
) -> Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]:
    async def handle(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message, actor = update.effective_message, actor_from(update)
        if message is None or actor is None or message.from_user is None:
            return
        await services(context).conversation.register(incoming_from(message))
        if name == "draft" and not actor.kind.is_group:
            with contextlib.suppress(TelegramError):
                await message.get_bot().send_chat_action(message.chat.id, ChatAction.TYPING)
        notice = await people(context).command(actor, name, _argument(message))
        await show(message, notice)

    handle.__name__ = f"{name}_command"
    handle.__doc__ = f"Run /{name} through the people service."
    return handle


async def on_edit(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Apply what the user wrote to the person they are editing ("relation sister"...)."""
    message, actor = update.effective_message, actor_from(update)
    if message is None or actor is None or not message.text:
        return
    await show(message, await people(context).apply_edit(actor, message.text))


class Editing(filters.MessageFilter):
    """Messages from someone editing a person that read as an edit (or /cancel)."""

    def __init__(self, app: App) -> None:
        super().__init__(name="PeopleEditing")
        self._app = app

    def filter(self, message: Message) -> bool:
        if message.from_user is None or not message.text:
            return False
        service: PeopleService = self._app.bot_data["services"].people
        return service.editing(message.chat.id, message.from_user.id, message.text)


def register(app: App) -> None:
    """Add this module's handlers to the application."""
    for command in COMMANDS:
        app.add_handler(CommandHandler(command.name, _command(command.name)))
    edits = filters.TEXT & (~filters.COMMAND | filters.Regex(r"^/cancel\b")) & Editing(app)
    app.add_handler(MessageHandler(edits, on_edit))
    # A group's upgrade to a supergroup reaches the people service through the AccountService.
