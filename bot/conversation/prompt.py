"""Building the model's prompt: who Dazi is, what it remembers, and the conversation so far."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.llm.tokens import estimate_tokens
from bot.llm.types import ChatMessage
from bot.storage import ChatRecord, MessageRecord

__all__ = ["history_messages", "system_prompt"]

_PERSONA = """You are Dazi (搭子), a warm, attentive personal companion who lives in Telegram.
You remember what people tell you and use it naturally, help them follow through on what they
plan, and help them take care of the people they love. Be concise, kind and concrete. Answer in
the language the user writes in (English or Chinese). Use Markdown sparingly."""

_GROUP_NOTE = """You are in the group chat "{title}". Lines from people start with their name,
and so do the remembered group messages. Answer the person who addressed you, in a few sentences
at most: a group chat is no place for long answers, long lists or headings. Never reveal anything
from anyone's private conversation with you."""


def system_prompt(
    *, now_local: datetime, timezone: str, language: str, chat: ChatRecord, user_name: str
) -> str:
    """The standing instructions, with the local date and time so relative dates work."""
    parts = [
        _PERSONA,
        f"Now it is {now_local:%A %Y-%m-%d %H:%M} ({timezone}).",
        f"The user's preferred language is {'Chinese' if language == 'zh' else 'English'}.",
    ]
    if chat.kind.is_group:
        parts.append(_GROUP_NOTE.format(title=chat.title or "group"))
    else:
        parts.append(f"You are talking privately with {user_name}.")
    return "\n\n".join(parts)


def history_messages(
    records: Sequence[MessageRecord], *, is_group: bool, budget_tokens: int
) -> list[ChatMessage]:
    """The most recent messages that fit the budget, oldest first, as chat messages."""
    chosen: list[ChatMessage] = []
    spent = 0
    for record in reversed(records):
        content = record.text
        if is_group and record.role == "user" and record.speaker:
            content = f"{record.speaker}: {content}"
        cost = estimate_tokens(content) + 4
        if chosen and spent + cost > budget_tokens:
            break
        chosen.append({"role": record.role, "content": content})
        spent += cost
    chosen.reverse()
    return chosen
