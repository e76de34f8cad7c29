"""The inbox: raw updates stored before their offset is confirmed to Telegram."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import InboxUpdate, utcnow
from storage.records import InboxRecord


class InboxRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add_many(self, updates: Sequence[tuple[int, str, str]]) -> int:
        """Store (update_id, kind, payload) rows; ones already stored are ignored.

        Returns how many were new.
        """
        if not updates:
            return 0
        rows = [{"update_id": u, "kind": k, "payload": p} for u, k, p in updates]
        dialect = self.session.get_bind().dialect.name
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        stmt = (
            insert(InboxUpdate)
            .values(rows)
            .on_conflict_do_nothing(index_elements=[InboxUpdate.update_id])
        )
        result = await self.session.execute(stmt.returning(InboxUpdate.id))
        return len(result.all())

    async def next_pending(self, after_id: int = 0, limit: int = 50) -> list[InboxRecord]:
        rows = await self.session.scalars(
            select(InboxUpdate)
            .where(InboxUpdate.status == "pending", InboxUpdate.id > after_id)
            .order_by(InboxUpdate.id)
            .limit(limit)
        )
        return [InboxRecord(r.id, r.update_id, r.status, r.payload, r.attempts) for r in rows]

    async def mark_done(self, row_id: int, outcome: str) -> bool:
        """Handled: keep the id and the outcome, forget the content.

        False if the row was no longer pending (another worker finished it): the caller
        must then roll back its own copy of the work.
        """
        result = await self.session.execute(
            update(InboxUpdate)
            .where(InboxUpdate.id == row_id, InboxUpdate.status == "pending")
            .values(
                status="done",
                outcome=outcome[:64],
                payload=None,
                processed_at=utcnow(),
                attempts=InboxUpdate.attempts + 1,
                error=None,
            )
        )
        return bool(getattr(result, "rowcount", 0))

    async def record_failure(self, row_id: int, error: str, *, give_up: bool) -> None:
        """A failed attempt. The payload stays, so a failed update can be replayed."""
        values: dict[str, object] = {
            "attempts": InboxUpdate.attempts + 1,
            "error": error[:2000],
        }
        if give_up:
            values.update(status="failed", outcome="error", processed_at=utcnow())
        await self.session.execute(
            update(InboxUpdate).where(InboxUpdate.id == row_id).values(**values)
        )

    async def counts(self) -> dict[str, int]:
        rows = await self.session.execute(
            select(InboxUpdate.status, func.count()).group_by(InboxUpdate.status)
        )
        return {str(status): int(n) for status, n in rows}
