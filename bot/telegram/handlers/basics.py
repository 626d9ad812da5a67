"""/start, /help and /new, and a friendly word for messages Dazi cannot read yet (stickers...)."""

from __future__ import annotations

from html import escape

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import CommandHandler, ContextTypes, MessageHandler, filters

from bot.i18n import Catalog, pick_language
from bot.telegram.handlers.common import App, Command, language_of, services
from bot.telegram.updates import incoming_from

__all__ = ["COMMANDS", "register"]

COMMANDS = [
    Command("start", "Meet Dazi", "认识搭子"),
    Command("help", "What Dazi can do", "搭子能做什么"),
    Command("new", "Start a fresh conversation", "开始新的对话"),
]

TEXTS = Catalog(
    {
        "welcome": {
            "en": "Hi {name}! I'm <b>Dazi</b> (搭子), your companion here in Telegram.\n\n"
            "Talk to me about anything. I remember what you tell me, so months from now you "
            "can ask me about it. I can remind you of things at the right time, and help you "
            "stay close to the people you care about: birthdays, catching up, a kind message.\n\n"
            "Just write to me, in English or Chinese. /help lists everything I can do.",
            "zh": "你好，{name}！我是<b>搭子</b>（Dazi），你在 Telegram 里的小伙伴。\n\n"
            "什么都可以跟我聊。你告诉我的事情我都会记住，几个月后问我也没问题。"
            "我可以在合适的时间提醒你，也能帮你照顾好在乎的人：生日、好久没联系的朋友、一句暖心的话。\n\n"
            "直接给我发消息就行，中文英文都可以。发送 /help 查看全部功能。",
        },
        "help_head": {
            "en": "<b>What I can do</b>\nWrite to me like to a friend; I answer and remember.\n",
            "zh": "<b>我能做什么</b>\n像跟朋友一样给我发消息，我会回复并记住。\n",
        },
        "help_groups": {
            "en": "\n<b>In group chats</b>\nI answer when you mention me or reply to me. A "
            "reminder set in a group: anyone in the group can mark it ✅ Done; only the person "
            "who set it or a group admin can snooze, edit, pause or delete it.",
            "zh": "\n<b>在群聊里</b>\n@我或回复我的消息，我才会回答。在群里设置的提醒："
            "群里任何人都可以点 ✅ 完成；只有设置提醒的人或群管理员可以推迟、修改、暂停或删除它。",
        },
        "new_thread": {
            "en": "Fresh start! I still remember everything from before; ask me anytime.",
            "zh": "好的，我们重新开始！之前聊过的我都还记得，随时可以问我。",
        },
        "not_text": {
            "en": "I can't understand this kind of message yet. Send me text, a voice "
            "message, a photo or a document.",
            "zh": "这类消息我还看不懂。可以发文字、语音、照片或文件给我。",
        },
    }
)


def all_commands() -> list[Command]:
    """Every feature's commands, in menu order."""
    from bot.telegram.handlers import FEATURES

    return [command for feature in FEATURES for command in feature.COMMANDS]


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Greet the user in their language and say what Dazi can do."""
    message = update.effective_message
    if message is None or message.from_user is None:
        return
    user, _ = await services(context).conversation.register(incoming_from(message))
    lang = pick_language(message.from_user.language_code)
    await message.reply_html(TEXTS("welcome", lang, name=escape(user.first_name or "there")))


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """List the commands with a line each."""
    message = update.effective_message
    if message is None:
        return
    lang = await language_of(update, context)
    lines = [TEXTS("help_head", lang)]
    lines += [f"/{command.name} — {command.description(lang)}" for command in all_commands()]
    lines.append(TEXTS("help_groups", lang))
    await message.reply_text("\n".join(lines), parse_mode=ParseMode.HTML)


async def new_thread(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Start a fresh conversation thread; older messages stay stored."""
    message = update.effective_message
    if message is None or message.from_user is None:
        return
    conversation = services(context).conversation
    await conversation.register(incoming_from(message))
    await conversation.new_thread(message.chat.id)
    await message.reply_text(TEXTS("new_thread", await language_of(update, context)))


async def not_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Explain kindly that only text is understood so far."""
    message = update.effective_message
    if message is not None:
        await message.reply_text(TEXTS("not_text", await language_of(update, context)))


def register(app: App) -> None:
    """Add this module's handlers to the application."""
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CommandHandler("help", help_command))
    app.add_handler(CommandHandler("new", new_thread))


def register_fallbacks(app: App) -> None:
    """Handlers that must come after every feature's own (non-text messages in private)."""
    app.add_handler(
        MessageHandler(
            filters.ChatType.PRIVATE & ~filters.TEXT & ~filters.StatusUpdate.ALL & ~filters.COMMAND,
            not_text,
        )
    )
