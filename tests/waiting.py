"""Waiting on what a test can observe, with a deadline instead of a fixed sleep."""

from __future__ import annotations

import asyncio
import inspect
import os
import time
from collections.abc import Callable
from typing import Any

# Deadlines only bound a failing wait; a shared, loaded machine needs room, so they scale.
DEADLINE_SCALE = float(os.environ.get("STATUSBOT_TEST_DEADLINE_SCALE", "3"))


async def until(check: Callable[[], Any], what: str = "the condition", within: float = 20.0) -> Any:
    """Poll `check` until it returns something truthy, and return that; fail naming `what`.

    `check` may be a coroutine function: its result is awaited.
    """
    within *= DEADLINE_SCALE
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        result = check()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return result
        await asyncio.sleep(0.02)
    raise AssertionError(f"timed out after {within:.0f}s waiting for {what}")
