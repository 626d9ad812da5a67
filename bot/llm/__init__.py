"""The chat model: an OpenAI-compatible client with retries, and its plain types."""

from bot.llm.client import LLMUnavailable, OpenAIChat, strip_reasoning
from bot.llm.tokens import estimate_tokens
from bot.llm.types import LLM, ChatMessage, Completion, StreamEvent, ToolCall, ToolSpec

__all__ = [
    "LLM",
    "ChatMessage",
    "Completion",
    "LLMUnavailable",
    "OpenAIChat",
    "StreamEvent",
    "ToolCall",
    "ToolSpec",
    "estimate_tokens",
    "strip_reasoning",
]
