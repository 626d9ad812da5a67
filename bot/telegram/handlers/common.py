"""Small helpers shared by the handler modules."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeAlias

from telegram import Update
from telegram.ext import Application, ContextTypes, JobQueue

from bot.i18n import Language, pick_language
from bot.services import Services

__all__ = ["App", "Command", "language_of", "services"]

#: The application every handler module registers with (PTB's default context and data; the
#: bot is an ExtBot or a subclass of it, see bot.telegram.polling).
App: TypeAlias = Application[
    Any,
    ContextTypes.DEFAULT_TYPE,
    dict[Any, Any],
    dict[Any, Any],
    dict[Any, Any],
    JobQueue[ContextTypes.DEFAULT_TYPE],
]


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
    found: Services = context.application.bot_data["services"]
    return found


async def language_of(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Language:
    """The user's language: their stored choice, else Telegram's language code."""
    user = update.effective_user
    if user is None:
        return "en"
    record = await services(context).users.get(user.id)
    if record is not None:
        return "zh" if record.language == "zh" else "en"
    return pick_language(user.language_code)
