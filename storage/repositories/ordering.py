"""Per-chat order with waiting rows, shared by the inbox and the outbox.

A row that must wait (`not_before` in the future) holds back every later row of its chat,
and only of its chat: one person's trouble does not delay anyone else, and nobody's
messages overtake each other. The condition is applied in SQL before any LIMIT, so a long
queue of held rows never hides ready rows of other chats.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, or_
from sqlalchemy.orm import aliased

from storage.statuses import InboxStatus, OutboxStatus

# The inbox and the outbox name their waiting state alike; the SQL below relies on it.
PENDING = InboxStatus.PENDING.value
assert OutboxStatus.PENDING.value == PENDING

_EARLIER: dict[Any, Any] = {}


def ready_in_chat_order(
    model: Any, now: datetime, *, in_flight: str | None = None
) -> ColumnElement[bool]:
    """WHERE clause: pending, not waiting, and no earlier row of the chat waiting (or, with
    `in_flight`, being sent right now)."""
    # One alias per model for good: a new one each call would defeat SQLAlchemy's statement
    # cache and recompile the query every time (measured: 1.6 ms a call instead of 0.5).
    earlier = _EARLIER.setdefault(model, aliased(model, name=f"earlier_{model.__tablename__}"))
    holds = and_(earlier.status == PENDING, earlier.not_before > now)
    if in_flight is not None:
        holds = or_(holds, earlier.status == in_flight)
    return and_(
        model.status == PENDING,
        or_(model.not_before.is_(None), model.not_before <= now),
        ~exists().where(earlier.chat_id == model.chat_id, earlier.id < model.id, holds),
    )
