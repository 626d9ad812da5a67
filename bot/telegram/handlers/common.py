"""Small helpers shared by the handler modules."""

from __future__ import annotations

from dataclasses import dataclass

from telegram import Update
from telegram.ext import ContextTypes

from bot.i18n import Language, pick_language
from bot.services import Services

__all__ = ["Command", "language_of", "services"]


@dataclass(frozen=True, slots=True)
class Command:
    """A command for the menu (``setMyCommands``) and /help, in both languages."""

    name: str
    en: str
    zh: str

    def description(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


def services(context: ContextTypes.DEFAULT_TYPE) -> Services:
    """The services the composition root put in ``bot_data``."""
    return context.application.bot_data["services"]


async def language_of(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Language:
    """The user's language: their stored choice, else Telegram's language code."""
    user = update.effective_user
    if user is None:
        return "en"
    record = await services(context).users.get(user.id)
    if record is not None:
        return "zh" if record.language == "zh" else "en"
    return pick_language(user.language_code)
