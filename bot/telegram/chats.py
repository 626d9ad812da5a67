"""Telegram's chats as the domain sees them: the one place that reads Telegram's chat types."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import ContextTypes

from bot.chats import Actor, AdminCheck, ChatKind
from bot.i18n import pick_language

__all__ = ["actor_from", "chat_kind"]

_GROUP_TYPES = frozenset({ChatType.GROUP, ChatType.SUPERGROUP})


def chat_kind(chat_type: str) -> ChatKind:
    """A group or a supergroup is a group chat; anything else is a private one."""
    return ChatKind.GROUP if chat_type in _GROUP_TYPES else ChatKind.PRIVATE


def actor_from(update: Update, context: ContextTypes.DEFAULT_TYPE | None = None) -> Actor | None:
    """Who did what where: the sender, the chat and its kind, the message (not for a button
    tap) and its forum topic. With ``context``, in a group, the service can ask whether the
    actor is an admin there (Telegram is asked only then)."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return None
    message = update.effective_message
    thread = message.message_thread_id if message is not None and message.is_topic_message else None
    kind = chat_kind(chat.type)
    admin_check: AdminCheck | None = None
    if context is not None and kind.is_group:
        user_id, chat_id = user.id, chat.id

        async def ask_telegram() -> bool:
            from bot.telegram.handlers.groups import is_group_admin  # the handlers import us

            return await is_group_admin(context, chat_id, user_id)

        admin_check = ask_telegram
    return Actor(
        user_id=user.id,
        chat_id=chat.id,
        first_name=user.first_name or "",
        kind=kind,
        message_id=message.message_id
        if message is not None and not update.callback_query
        else None,
        thread_id=thread,
        language=pick_language(user.language_code),
        admin_check=admin_check,
    )
