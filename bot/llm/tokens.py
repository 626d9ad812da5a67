"""Token estimates that need no tokenizer files (nothing is downloaded at run time).

BPE tokenizers spend about one token per CJK character and about one per four characters of
Latin text; estimating on the high side keeps prompts inside the model's window.
"""

from __future__ import annotations

import re

__all__ = ["estimate_tokens"]

_WIDE = re.compile("[\u2e80-\U0010ffff]")  # CJK and everything above: about a token each


def estimate_tokens(text: str) -> int:
    """A slightly pessimistic count of the tokens ``text`` costs in an LLM prompt."""
    wide = 0 if text.isascii() else len(_WIDE.findall(text))
    narrow = len(text) - wide
    return wide + (narrow + 3) // 4 + 1
