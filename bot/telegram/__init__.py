"""The Telegram transport. Nothing outside this package imports python-telegram-bot."""

from bot.telegram.application import announce_commands, build_application

__all__ = ["announce_commands", "build_application"]
