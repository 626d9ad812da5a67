"""Token estimates that need no tokenizer files (nothing is downloaded at run time).

BPE tokenizers spend about one token per CJK character and about one per four characters of
Latin text; estimating on the high side keeps prompts inside the model's window.
"""

from __future__ import annotations

__all__ = ["estimate_tokens"]


def estimate_tokens(text: str) -> int:
    """A slightly pessimistic count of the tokens ``text`` costs in an LLM prompt."""
    wide = sum(1 for char in text if ord(char) >= 0x2E80)
    narrow = len(text) - wide
    return wide + (narrow + 3) // 4 + 1
