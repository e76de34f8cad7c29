"""The outbox: Telegram calls decided in a transaction, delivered after it commits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import OutboxMessage, utcnow
from storage.records import OutboxRecord


class OutboxRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, chat_id: int, method: str, payload: dict[str, Any]) -> None:
        self.session.add(OutboxMessage(chat_id=chat_id, method=method, payload=payload))

    async def due(self, limit: int = 100, now: datetime | None = None) -> list[OutboxRecord]:
        now = now or utcnow()
        rows = await self.session.scalars(
            select(OutboxMessage)
            .where(
                OutboxMessage.status == "pending",
                or_(OutboxMessage.not_before.is_(None), OutboxMessage.not_before <= now),
            )
            .order_by(OutboxMessage.id)
            .limit(limit)
        )
        return [OutboxRecord(r.id, r.chat_id, r.method, r.payload or {}, r.attempts) for r in rows]

    async def earliest_retry(self) -> datetime | None:
        return await self.session.scalar(
            select(OutboxMessage.not_before)
            .where(OutboxMessage.status == "pending", OutboxMessage.not_before.is_not(None))
            .order_by(OutboxMessage.not_before)
            .limit(1)
        )

    async def delivered(self, ids: list[int]) -> None:
        if ids:
            await self.session.execute(delete(OutboxMessage).where(OutboxMessage.id.in_(ids)))

    async def retry_later(self, row_id: int, not_before: datetime, error: str) -> None:
        await self.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == row_id)
            .values(not_before=not_before, error=error[:2000], attempts=OutboxMessage.attempts + 1)
        )

    async def failed(self, row_id: int, error: str) -> None:
        """Given up: keep why, drop what it would have said."""
        await self.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == row_id)
            .values(
                status="failed",
                payload=None,
                error=error[:2000],
                attempts=OutboxMessage.attempts + 1,
            )
        )

    async def drop_pending_for_chat(self, chat_id: int, reason: str) -> int:
        """Nothing more can reach this chat (the user blocked the bot)."""
        result = await self.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.chat_id == chat_id, OutboxMessage.status == "pending")
            .values(status="failed", payload=None, error=reason)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def pending_count(self) -> int:
        rows = await self.session.scalars(
            select(OutboxMessage.id).where(OutboxMessage.status == "pending")
        )
        return len(rows.all())
