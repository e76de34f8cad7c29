"""Small shared building blocks: configuration, the change notifier, counters, tokens."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from typing import Any, TypeVar

from .errors import ControlError

JSONDict = dict[str, Any]
T = TypeVar("T")

TOKEN_RE = re.compile(r"^(\d+):[A-Za-z0-9_-]{20,}$")


def make_token(bot_id: int = 7_000_000_001, secret: str = "") -> str:
    """A syntactically valid bot token for ``bot_id`` (deterministic unless ``secret``)."""
    digest = hashlib.sha256(f"{bot_id}:{secret}".encode()).hexdigest()
    return f"{bot_id}:AAE{digest[:32]}"


@dataclass
class EmulatorConfig:
    """Runtime switches, changeable through ``POST /_emu/config``."""

    rate_limit_enforced: bool = False
    callback_query_timeout: float = 900.0
    strict_html_ampersand: bool = True
    conflict_delay: float = 3.0
    max_long_poll_timeout: int = 50

    def to_json(self) -> JSONDict:
        return asdict(self)

    def update(self, data: JSONDict) -> None:
        known = {f.name: f for f in fields(self)}
        for key, value in data.items():
            if key not in known:
                raise ControlError(f"unknown config key {key!r}")
            current = getattr(self, key)
            if isinstance(current, bool):
                if not isinstance(value, bool):
                    raise ControlError(f"{key} must be a boolean")
            elif isinstance(current, int | float) and (
                not isinstance(value, int | float) or isinstance(value, bool)
            ):
                raise ControlError(f"{key} must be a number")
            setattr(self, key, type(current)(value))


class Notifier:
    """Broadcast "something changed" to every waiter."""

    def __init__(self) -> None:
        self.version = 0
        self.closed = False
        self._event: asyncio.Event | None = None
        self._event_loop: asyncio.AbstractEventLoop | None = None

    def close(self) -> None:
        """Server shutdown: every present and future wait returns at once."""
        self.closed = True
        self.notify()

    def notify(self) -> None:
        self.version += 1
        if self._event is not None:
            self._event.set()
            self._event = None

    async def wait(self, max_wait: float) -> None:
        """Returns at the next change, or after ``max_wait`` seconds."""
        if max_wait <= 0 or self.closed:
            return
        loop = asyncio.get_running_loop()
        if self._event is None or self._event_loop is not loop:
            # a state may outlive an event loop (e.g. in-process ASGI use across tests)
            self._event, self._event_loop = asyncio.Event(), loop
        event = self._event
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), max_wait)

    async def wait_for(self, check: Callable[[], T | None], max_wait: float) -> T | None:
        """Re-evaluates ``check`` on every change until it returns non-None or time runs out."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(0.0, max_wait)
        while True:
            result = check()
            if result is not None:
                return result
            remaining = deadline - loop.time()
            if remaining <= 0 or self.closed:
                return None
            await self.wait(remaining)


@dataclass
class Counters:
    requests: Counter[str]
    errors: Counter[int]
    error_descriptions: Counter[str]
    updates_created: int = 0
    updates_confirmed: int = 0
    updates_dropped: int = 0
    messages_sent: int = 0
    messages_edited: int = 0
    messages_deleted: int = 0
    callback_queries: int = 0
    callback_answers: int = 0

    @classmethod
    def fresh(cls) -> Counters:
        return cls(Counter(), Counter(), Counter())
