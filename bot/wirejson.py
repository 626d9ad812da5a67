"""JSON on the wire (Bot API and model requests and answers): orjson, the standard library's
``json`` where orjson refuses a value.

Every message is JSON several times over: the model's request with the whole prompt, each
streamed event of its answer, each Bot API call and its answer. The standard library spent
~8 % of the bot's event loop on that (benchmarks/message_cpu.py); orjson does the same work
several times faster. The results are the same JSON: only the spacing of what is sent differs.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

__all__ = ["dumps", "loads"]


def dumps(value: Any) -> bytes:
    """``value`` as compact UTF-8 JSON."""
    try:
        return orjson.dumps(value)
    except TypeError:  # what only the stdlib takes (an int past 64 bits, a str subclass...)
        return json.dumps(value, separators=(",", ":")).encode()


def loads(data: str | bytes) -> Any:
    """The value of a JSON text; ``ValueError`` when it is none."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        # What the stdlib takes and orjson refuses (NaN, a lone surrogate, invalid UTF-8 in
        # bytes) reads as it always did, and what neither takes fails with the stdlib's error.
        return json.loads(data)
