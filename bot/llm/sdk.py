"""The openai SDK, for the endpoints other than chat (embeddings, transcription, speech).

It is imported only when one of them is configured: the SDK's typed models cost ~1.1 s and
~24 MB at import, which a bot that only chats never pays (the chat path is bot.llm.client).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from openai import AsyncOpenAI

__all__ = ["sdk_client"]


def sdk_client(*, api_key: str, base_url: str | None, timeout: float, retries: int) -> AsyncOpenAI:
    """An SDK client on aiohttp: its connection pool stays cheap with many requests at once
    (httpx's checks every idle connection with system calls on each request)."""
    from openai import AsyncOpenAI, DefaultAioHttpClient

    return AsyncOpenAI(
        # Local servers need no key, but the SDK insists on one.
        api_key=api_key or "not-needed",
        base_url=base_url,
        timeout=timeout,
        max_retries=retries,
        http_client=DefaultAioHttpClient(),
    )
