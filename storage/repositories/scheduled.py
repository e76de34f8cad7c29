"""Which slot of each scheduled job has run (see bot.delivery.scheduler)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ScheduledRun


class ScheduledRunRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def last_slot(self, job: str) -> datetime | None:
        slot: datetime | None = await self.session.scalar(
            select(func.max(ScheduledRun.slot)).where(ScheduledRun.job == job)
        )
        return slot

    async def claim(self, job: str, slot: datetime, now: datetime) -> None:
        """Record that `slot` runs now; raises IntegrityError if another process has it."""
        self.session.add(ScheduledRun(job=job, slot=slot, ran_at=now))
        await self.session.flush()

    async def prune(self, before: datetime) -> int:
        """Forget runs older than `before`, keeping each job's latest (its place in time)."""
        latest = (
            select(ScheduledRun.job, func.max(ScheduledRun.slot).label("slot"))
            .group_by(ScheduledRun.job)
            .subquery()
        )
        keep = select(latest.c.slot).where(latest.c.job == ScheduledRun.job).scalar_subquery()
        result = await self.session.execute(
            delete(ScheduledRun).where(ScheduledRun.slot < before, ScheduledRun.slot < keep)
        )
        return int(getattr(result, "rowcount", 0) or 0)
