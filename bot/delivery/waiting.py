"""Sleeping inside the runtime's loops: always cut short by a stop request."""

from __future__ import annotations

import asyncio
import contextlib


async def sleep_or_stop(seconds: float, stopping: asyncio.Event) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stopping.wait(), timeout=seconds)


async def wait_for_wake(wake: asyncio.Event, seconds: float) -> None:
    """Until woken, or `seconds` pass; then re-arm."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(wake.wait(), timeout=seconds)
    wake.clear()
