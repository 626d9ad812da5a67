"""Group chats: joining (one introduction) and leaving, supergroup upgrades, and /share.

Answering only when addressed lives in :mod:`bot.telegram.handlers.chat`; the rules about what a
group may see live in :mod:`bot.groups`.
"""

from __future__ import annotations

import logging

from telegram import ChatMemberUpdated, Message, Update
from telegram.constants import ChatMemberStatus
from telegram.error import TelegramError
from telegram.ext import (
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.i18n import Catalog, pick_language
from bot.telegram.chats import chat_kind
from bot.telegram.handlers.common import App, Command, language_of, services
from bot.telegram.streaming import send_rendered
from bot.telegram.updates import incoming_from

__all__ = ["COMMANDS", "argument", "is_group_admin", "register"]

logger = logging.getLogger(__name__)

COMMANDS = [
    Command(
        "share",
        "In a group: let me use your private memory when I answer you (on/off)",
        "在群里：允许我回答你时用上私聊记忆（on/off）",
    ),
]

_PRESENT = {ChatMemberStatus.MEMBER, ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER}
_GONE = {ChatMemberStatus.LEFT, ChatMemberStatus.BANNED}
_ADMINS = {ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER}
_ON = {"on", "yes", "1", "true", "开", "开启", "打开"}
_OFF = {"off", "no", "0", "false", "关", "关闭"}

TEXTS = Catalog(
    {
        "intro": {
            "en": "Hi everyone, I'm **Dazi** (搭子)! Mention me (@{username}) or reply to one of "
            "my messages and I'll answer; otherwise I stay quiet.\n\n"
            "I keep a memory for this group: /search and /memory show it, /remind sets "
            "reminders here. Nothing from your private chats with me is used here, unless you "
            "send /share on in this group.",
            "zh": "大家好，我是**搭子**（Dazi）！@{username} 我或者回复我的消息，我就会回答；"
            "其他时候我不插话。\n\n"
            "我会为这个群记住聊过的内容：用 /search 和 /memory 查看，用 /remind 设置群提醒。"
            "你们和我私聊的内容不会在这里用到，除非你在群里发送 /share on。",
        },
        "privacy_hint": {
            "en": "\n\nRight now I only see messages addressed to me. Make me an admin here if "
            "you'd like me to follow the whole conversation.",
            "zh": "\n\n现在我只能看到发给我的消息。"
            "如果希望我了解完整的群聊上下文，可以把我设为管理员。",
        },
        "share_private": {
            "en": "/share is for group chats: send /share on in a group to let me use what you "
            "told me privately when I answer you there (only you, only there).",
            "zh": "/share 用在群里：在群里发送 /share on，"
            "我在那个群回答你时就可以用上你私下告诉我的事（只对你，只在那个群）。",
        },
        "share_on": {
            "en": "OK {name}: when you ask me here, I may use what you told me privately. "
            "Nobody else's questions get it. /share off to stop.",
            "zh": "好的，{name}：你在这里问我时，我可以用上你私下告诉我的事。别人提问时不会用到。"
            "发送 /share off 可以关闭。",
        },
        "share_off": {
            "en": "OK {name}: nothing from our private chat is used here.",
            "zh": "好的，{name}：我们私聊的内容不会在这里用到。",
        },
        "share_status_on": {
            "en": "{name}, sharing is on: I may use your private memory when you ask me here. "
            "/share off to stop.",
            "zh": "{name}，已开启：你在这里问我时，我可以用上你的私聊记忆。发送 /share off 关闭。",
        },
        "share_status_off": {
            "en": "{name}, sharing is off: nothing from our private chat is used here. "
            "/share on to allow it for your own questions.",
            "zh": "{name}，未开启：我们私聊的内容不会在这里用到。"
            "发送 /share on 可以在你提问时使用。",
        },
    }
)


def argument(message: Message) -> str:
    """The text after the command (``/search@dazi_bot tea`` -> ``tea``)."""
    parts = (message.text or "").split(maxsplit=1)
    return parts[1].strip() if len(parts) == 2 else ""


async def is_group_admin(context: ContextTypes.DEFAULT_TYPE, chat_id: int, user_id: int) -> bool:
    """Whether the user administers the group (asked from Telegram; False when it fails)."""
    try:
        member = await context.bot.get_chat_member(chat_id, user_id)
    except TelegramError as error:
        logger.info("could not check the admins of chat %s: %s", chat_id, error)
        return False
    return member.status in _ADMINS


async def on_my_chat_member(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Dazi was added to or removed from a chat: introduce itself once, or go quiet there."""
    change = update.my_chat_member
    if change is None:
        return
    chat, status = change.chat, change.new_chat_member.status
    groups = services(context).groups
    if status in _GONE:
        await groups.left(chat_id=chat.id, chat_type=chat_kind(chat.type), title=chat.title)
        logger.info("removed from chat %s; nothing more is sent there", chat.id)
    elif status in _PRESENT or getattr(change.new_chat_member, "is_member", False):
        introduce = await groups.joined(
            chat_id=chat.id, chat_type=chat_kind(chat.type), title=chat.title
        )
        if introduce:
            await _introduce(change, context)


async def _introduce(change: ChatMemberUpdated, context: ContextTypes.DEFAULT_TYPE) -> None:
    lang = pick_language(change.from_user.language_code if change.from_user else None)
    text = TEXTS("intro", lang, username=context.bot.username)
    sees_all = context.bot.bot.can_read_all_group_messages
    if not sees_all and change.new_chat_member.status not in _ADMINS:
        text += TEXTS("privacy_hint", lang)
    try:
        await send_rendered(context.bot, change.chat.id, text)
    except TelegramError as error:
        logger.info("could not introduce myself in chat %s: %s", change.chat.id, error)


async def on_migrate(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A group became a supergroup: its memory, reminders and settings follow it."""
    message = update.effective_message
    if message is None:
        return
    if message.migrate_to_chat_id:
        old, new = message.chat.id, message.migrate_to_chat_id
    elif message.migrate_from_chat_id:
        old, new = message.migrate_from_chat_id, message.chat.id
    else:
        return
    await services(context).account.migrate_chat(old, new)


async def share_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Allow or stop the use of one's private memory when Dazi answers one in this group."""
    message = update.effective_message
    if message is None or message.from_user is None:
        return
    await services(context).conversation.register(incoming_from(message))
    lang = await language_of(update, context)
    if not chat_kind(message.chat.type).is_group:
        await message.reply_text(TEXTS("share_private", lang))
        return
    groups, user = services(context).groups, message.from_user
    choice = argument(message).lower()
    if choice in _ON or choice in _OFF:
        await groups.set_share(user.id, message.chat.id, choice in _ON)
        key = "share_on" if choice in _ON else "share_off"
    else:
        shared = await groups.shares(user.id, message.chat.id)
        key = "share_status_on" if shared else "share_status_off"
    await message.reply_text(TEXTS(key, lang, name=user.first_name))


def register(app: App) -> None:
    """Add this module's handlers to the application."""
    app.add_handler(CommandHandler("share", share_command))
    app.add_handler(ChatMemberHandler(on_my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER))
    # Its own group, so that the reminders' migration handler still sees the update too.
    app.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, on_migrate), group=8)
