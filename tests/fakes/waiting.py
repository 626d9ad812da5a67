"""Waiting on a condition instead of a duration: a loaded machine stretches durations, so a
test waits for what it expects to see, with a bound only a failing test ever reaches."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

__all__ = ["PATIENCE", "until"]

#: Seconds a test waits for something that takes milliseconds on a quiet machine: generous,
#: since only a failing test waits this long.
PATIENCE = 30.0


async def until(
    condition: Callable[[], Any], *, timeout: float = PATIENCE, every: float = 0.01
) -> None:
    """Wait until ``condition()`` holds, looking every ``every`` seconds (for state that
    announces no change: a database, a server's connections, calls recorded by a stub)."""
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(every)
