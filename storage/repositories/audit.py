"""The audit log: append and read, nothing else (the database refuses the rest too)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditEntry
from storage.records import AuditRecord


def _record(row: AuditEntry) -> AuditRecord:
    return AuditRecord(
        id=row.id,
        at=row.at,
        actor_id=row.actor_id,
        action=row.action,
        opinion_id=row.opinion_id,
        subject=row.subject,
        before=dict(row.before),
        after=dict(row.after),
        reason=row.reason,
    )


class AuditRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def append(
        self,
        at: datetime,
        actor_id: int | None,
        action: str,
        *,
        opinion_id: int | None = None,
        subject: str | None = None,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
        reason: str | None = None,
    ) -> int:
        row = AuditEntry(
            at=at,
            actor_id=actor_id,
            action=action,
            opinion_id=opinion_id,
            subject=subject,
            before=before or {},
            after=after or {},
            reason=reason,
        )
        self.session.add(row)
        await self.session.flush()
        return row.id

    async def page(
        self,
        *,
        opinion_id: int | None = None,
        subject: str | None = None,
        actor_id: int | None = None,
        before_id: int | None = None,
        limit: int = 10,
    ) -> list[AuditRecord]:
        """Newest first; `before_id` pages further back."""
        stmt = select(AuditEntry)
        filters = []
        if opinion_id is not None:
            filters.append(AuditEntry.opinion_id == opinion_id)
        if subject is not None:
            filters.append(AuditEntry.subject == subject)
        if actor_id is not None:
            filters.append(
                or_(AuditEntry.actor_id == actor_id, AuditEntry.subject == str(actor_id))
            )
        if filters:
            stmt = stmt.where(*filters)
        if before_id is not None:
            stmt = stmt.where(AuditEntry.id < before_id)
        rows = await self.session.scalars(stmt.order_by(AuditEntry.id.desc()).limit(limit))
        return [_record(r) for r in rows]
