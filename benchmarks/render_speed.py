"""Speed of Markdown -> Telegram HTML rendering and splitting (streaming re-renders often).

Prints milliseconds per call for a long mixed answer (first render, and re-render while
streaming, which reuses the inline cache) and the worst of a set of pathological inputs.

Run: ``python benchmarks/render_speed.py``
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.telegram.render import render_parts

PATHOLOGICAL = [
    "a" + " " * 20_000 + "b",
    "```\n" + " " * 20_000 + "x\n```",
    "x\t " * 5_000 + "\ny",
    "&" * 20_000,
    "<a" * 5_000,
    "😀" * 10_000,
    "||a" * 5_000,
]


def long_answer(size: int = 20_000) -> str:
    """A dense answer: paragraphs with inline formatting, a code block, Chinese, a table."""
    paragraph = (
        "The **answer** explains *things* with `code` and a [link](https://example.com). "
        "More words follow here, with a list:\n\n- first item\n- second item\n\n"
    )
    code = "```python\n" + "\n".join(f"value_{n} = compute({n})" for n in range(60)) + "\n```\n\n"
    chinese = "这是一个很长的中文段落，用来测试拆分。" * 20 + "\n\n"
    table = "| col | 值 |\n|---|---|\n| a | 1 |\n| b | 2 |\n\n"
    text = ""
    while len(text) < size:
        text += paragraph * 3 + code + chinese + table
    return text[:size]


def per_call_ms(work: Callable[[], object], repeat: int) -> float:
    started = time.perf_counter()
    for _ in range(repeat):
        work()
    return (time.perf_counter() - started) * 1000 / repeat


def main() -> None:
    answer = long_answer()
    first = min(per_call_ms(lambda text=answer + f" {n}": render_parts(text), 1) for n in range(5))
    streaming = per_call_ms(lambda: render_parts(answer), 20)
    worst = max(per_call_ms(lambda text=text: render_parts(text, 100), 3) for text in PATHOLOGICAL)
    print(f"20 KB answer, first render + split: {first:.1f} ms")
    print(f"20 KB answer, re-render while streaming: {streaming:.1f} ms")
    print(f"worst pathological input (20 KB, limit 100): {worst:.1f} ms")


if __name__ == "__main__":
    main()
