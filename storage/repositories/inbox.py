"""The inbox: raw updates stored before their offset is confirmed to Telegram."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import InboxUpdate
from storage.records import InboxRecord
from storage.repositories.ordering import ready_in_chat_order
from storage.statuses import InboxStatus


class NewUpdate(NamedTuple):
    update_id: int
    kind: str
    chat_id: int | None
    payload: str


def _record(r: InboxUpdate) -> InboxRecord:
    return InboxRecord(r.id, r.update_id, r.status, r.payload, r.attempts, r.chat_id, r.not_before)


class InboxRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add_many(self, updates: Sequence[NewUpdate], now: datetime) -> int:
        """Store updates; ones already stored (same update_id) are ignored.

        Returns how many were new.
        """
        if not updates:
            return 0
        rows = [{**u._asdict(), "received_at": now} for u in updates]
        dialect = self.session.get_bind().dialect.name
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        stmt = (
            insert(InboxUpdate)
            .values(rows)
            .on_conflict_do_nothing(index_elements=[InboxUpdate.update_id])
        )
        result = await self.session.execute(stmt.returning(InboxUpdate.id))
        return len(result.all())

    async def next_pending(self, now: datetime, limit: int = 100) -> list[InboxRecord]:
        """Pending updates to handle now, oldest first; a chat waiting on a retry waits whole."""
        rows = await self.session.scalars(
            select(InboxUpdate)
            .where(ready_in_chat_order(InboxUpdate, now))
            .order_by(InboxUpdate.id)
            .limit(limit)
        )
        return [_record(r) for r in rows]

    async def mark_done(self, row_id: int, outcome: str, now: datetime) -> bool:
        """Handled: keep the id and the outcome, forget the content and the chat.

        False if the row was no longer pending (another worker finished it): the caller
        must then roll back its own copy of the work.
        """
        result = await self.session.execute(
            update(InboxUpdate)
            .where(InboxUpdate.id == row_id, InboxUpdate.status == InboxStatus.PENDING)
            .values(
                status=InboxStatus.DONE,
                outcome=outcome[:64],
                payload=None,
                chat_id=None,
                not_before=None,
                processed_at=now,
                attempts=InboxUpdate.attempts + 1,
                error=None,
            )
        )
        return bool(getattr(result, "rowcount", 0))

    async def record_failure(
        self, row_id: int, error: str, *, retry_at: datetime | None, now: datetime
    ) -> None:
        """A failed attempt: try again at `retry_at`, or set it aside (None).

        The payload stays either way, so nothing is lost.
        """
        values: dict[str, object] = {
            "attempts": InboxUpdate.attempts + 1,
            "error": error[:2000],
            "not_before": retry_at,
        }
        if retry_at is None:
            values.update(status=InboxStatus.FAILED, outcome="error", processed_at=now)
        await self.session.execute(
            update(InboxUpdate)
            .where(InboxUpdate.id == row_id, InboxUpdate.status == InboxStatus.PENDING)
            .values(**values)
        )

    async def retry_failed(self) -> int:
        """Put every set-aside update back in the queue (after a fix); returns how many."""
        result = await self.session.execute(
            update(InboxUpdate)
            .where(InboxUpdate.status == InboxStatus.FAILED, InboxUpdate.payload.is_not(None))
            .values(status=InboxStatus.PENDING, attempts=0, not_before=None, outcome=None)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def forget_chat(self, chat_id: int) -> int:
        """Drop the content of set-aside updates from one chat (the person is erased)."""
        result = await self.session.execute(
            update(InboxUpdate)
            .where(InboxUpdate.chat_id == chat_id, InboxUpdate.status == InboxStatus.FAILED)
            .values(payload=None, chat_id=None, outcome="erased")
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def prune(self, handled_before: datetime, failed_before: datetime) -> int:
        """Forget old rows: handled ones (Telegram never resends after 24 h) and set-aside
        ones past retention."""
        done = await self.session.execute(
            delete(InboxUpdate).where(
                InboxUpdate.status == InboxStatus.DONE, InboxUpdate.processed_at < handled_before
            )
        )
        failed = await self.session.execute(
            delete(InboxUpdate).where(
                InboxUpdate.status == InboxStatus.FAILED, InboxUpdate.received_at < failed_before
            )
        )
        return int(getattr(done, "rowcount", 0) or 0) + int(getattr(failed, "rowcount", 0) or 0)

    async def counts(self) -> dict[str, int]:
        rows = await self.session.execute(
            select(InboxUpdate.status, func.count()).group_by(InboxUpdate.status)
        )
        return {str(status): int(n) for status, n in rows}
