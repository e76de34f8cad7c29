"""The outbox: Telegram calls decided in a transaction, delivered after it commits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import OutboxMessage
from storage.records import OutboxRecord
from storage.repositories.ordering import ready_in_chat_order
from storage.statuses import OutboxStatus


class OutboxRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(
        self,
        chat_id: int,
        method: str,
        payload: dict[str, Any],
        file_content: bytes | None = None,
        *,
        now: datetime,
    ) -> None:
        self.session.add(
            OutboxMessage(
                chat_id=chat_id,
                method=method,
                payload=payload,
                file_content=file_content,
                created_at=now,
            )
        )

    async def due(self, now: datetime, limit: int = 100) -> list[OutboxRecord]:
        """What may be sent now, oldest first. A chat with a message waiting for a retry
        waits whole, so its messages never overtake each other."""
        rows = await self.session.scalars(
            select(OutboxMessage)
            .where(ready_in_chat_order(OutboxMessage, now))
            .order_by(OutboxMessage.id)
            .limit(limit)
        )
        return [
            OutboxRecord(
                r.id,
                r.chat_id,
                r.method,
                r.payload or {},
                r.attempts,
                r.created_at,
                r.not_before,
                r.file_content,
            )
            for r in rows
        ]

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
                status=OutboxStatus.FAILED,
                payload=None,
                file_content=None,
                error=error[:2000],
                attempts=OutboxMessage.attempts + 1,
            )
        )

    async def drop_pending_for_chat(self, chat_id: int, reason: str) -> int:
        """Nothing more can reach this chat (the user blocked the bot)."""
        result = await self.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.chat_id == chat_id, OutboxMessage.status == OutboxStatus.PENDING)
            .values(status=OutboxStatus.FAILED, payload=None, file_content=None, error=reason)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def prune_failed(self, before: datetime) -> int:
        result = await self.session.execute(
            delete(OutboxMessage).where(
                OutboxMessage.status == OutboxStatus.FAILED, OutboxMessage.created_at < before
            )
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def pending_count(self) -> int:
        rows = await self.session.scalars(
            select(OutboxMessage.id).where(OutboxMessage.status == OutboxStatus.PENDING)
        )
        return len(rows.all())
