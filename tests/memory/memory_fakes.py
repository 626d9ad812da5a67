"""Fakes for the memory tests: deterministic embedders (and the shared scripted chat model)."""

from __future__ import annotations

import hashlib
import math
import re
from typing import Any

from bot.llm.types import Completion, ToolCall
from tests.fakes.scripted_llm import ScriptedLLM

__all__ = ["FailingEmbedder", "HashingEmbedder", "ScriptedLLM", "save_facts"]


class HashingEmbedder:
    """Hashed bag-of-words vectors; ``synonyms`` map words onto a shared concept first, so a
    test can make two different words "mean" the same thing, as a real model would."""

    def __init__(self, dimension: int = 64, synonyms: dict[str, str] | None = None) -> None:
        self.dimension = dimension
        self.synonyms = synonyms or {}
        self.calls = 0

    async def embed(self, texts: list[str], *, query: bool = False) -> list[list[float]]:
        self.calls += 1
        return [self._vector(text) for text in texts]

    def _vector(self, text: str) -> list[float]:
        vector = [0.0] * self.dimension
        for word in re.findall(r"\w+", text.lower()):
            word = self.synonyms.get(word, word)
            digest = hashlib.blake2b(word.encode(), digest_size=4).digest()
            vector[int.from_bytes(digest, "big") % self.dimension] += 1.0
        norm = math.sqrt(sum(v * v for v in vector)) or 1.0
        return [v / norm for v in vector]


class FailingEmbedder(HashingEmbedder):
    """Fails while ``down`` is set, like an embedding server that is unreachable."""

    def __init__(self) -> None:
        super().__init__()
        self.down = True

    async def embed(self, texts: list[str], *, query: bool = False) -> list[list[float]]:
        if self.down:
            raise ConnectionError("embedding server unreachable")
        return await super().embed(texts, query=query)


def save_facts(*operations: dict[str, Any]) -> Completion:
    """A completion calling save_facts with these operations."""
    return Completion(
        text="",
        tool_calls=[
            ToolCall(id="call-1", name="save_facts", arguments={"operations": list(operations)})
        ],
    )
