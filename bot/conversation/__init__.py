"""Conversation: the chat with the model, its prompt, its tools and its stored messages."""

from bot.conversation.service import ConversationOptions, ConversationService
from bot.conversation.tools import Tool, ToolContext, ToolOutcome, ToolRegistry
from bot.conversation.types import (
    Attachment,
    Button,
    Incoming,
    Notice,
    ReplyDone,
    ReplyEvent,
    TextDelta,
)

__all__ = [
    "Attachment",
    "Button",
    "ConversationOptions",
    "ConversationService",
    "Incoming",
    "Notice",
    "ReplyDone",
    "ReplyEvent",
    "TextDelta",
    "Tool",
    "ToolContext",
    "ToolOutcome",
    "ToolRegistry",
]
