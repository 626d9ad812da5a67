"""Handlers, one module per feature area. Each has ``COMMANDS`` and ``register(app)``."""

from bot.telegram.handlers import (
    basics,
    buttons,
    chat,
    groups,
    media,
    memory,
    people,
    reminders,
    settings,
)

#: In registration order; the free-text chat handler comes last so commands win.
FEATURES = [basics, memory, reminders, people, buttons, settings, media, groups, chat]

__all__ = ["FEATURES"]
