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


def first_of_its_chat(model: Any, now: datetime, in_flight: str) -> ColumnElement[bool]:
    """WHERE clause: pending, due, and the oldest row of its chat that is not final (no
    earlier row of the chat pending or in flight). Each chat contributes one row, so a chat
    with thousands queued neither slows the query down nor crowds the others out, and its
    rows leave strictly in order."""
    earlier = _EARLIER.setdefault(model, aliased(model, name=f"earlier_{model.__tablename__}"))
    return and_(
        model.status == PENDING,
        or_(model.not_before.is_(None), model.not_before <= now),
        ~exists().where(
            earlier.chat_id == model.chat_id,
            earlier.id < model.id,
            earlier.status.in_([PENDING, in_flight]),
        ),
    )


def ready_in_chat_order(model: Any, now: datetime) -> ColumnElement[bool]:
    """WHERE clause: pending, not waiting, and no earlier pending row of the chat waiting."""
    # One alias per model for good: a new one each call would defeat SQLAlchemy's statement
    # cache and recompile the query every time (measured: 1.6 ms a call instead of 0.5).
    earlier = _EARLIER.setdefault(model, aliased(model, name=f"earlier_{model.__tablename__}"))
    holds = and_(earlier.status == PENDING, earlier.not_before > now)
    return and_(
        model.status == PENDING,
        or_(model.not_before.is_(None), model.not_before <= now),
        ~exists().where(earlier.chat_id == model.chat_id, earlier.id < model.id, holds),
    )
