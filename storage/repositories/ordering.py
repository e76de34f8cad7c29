"""Per-chat order with waiting rows, shared by the inbox and the outbox.

A row that must wait (`not_before` in the future) holds back every later row of its chat,
and only of its chat: one person's trouble does not delay anyone else, and nobody's
messages overtake each other.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol, TypeVar


class Queued(Protocol):
    @property
    def chat_id(self) -> int | None: ...

    @property
    def not_before(self) -> datetime | None: ...


Q = TypeVar("Q", bound=Queued)


def ready_in_chat_order(rows: Sequence[Q], now: datetime) -> list[Q]:
    """The rows (given oldest first) that may go now."""
    held: set[int | None] = set()
    ready: list[Q] = []
    for row in rows:
        key = row.chat_id
        if key is not None and key in held:
            continue
        if row.not_before is not None and row.not_before > now:
            if key is not None:
                held.add(key)
            continue
        ready.append(row)
    return ready
