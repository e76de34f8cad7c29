"""The follow-up without Telegram: the digests' small world (members, opinions made
visible, a clock the test moves) plus residents who wrote the opinions."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain.clock import ManualClock
from bot.features.followup import FollowupService
from storage.models import Opinion, OpinionSupporter, Resident
from storage.records import ResidentRecord, StaffRecord
from storage.repositories import ResidentRepository, StaffRepository
from tests.digests.conftest import SD, World

_ids = itertools.count(9_100_001)


class FollowupWorld(World):
    async def resident(self, lang: str = "zh") -> ResidentRecord:
        telegram_id = next(_ids)
        async with self.unit() as work:
            row = Resident(
                telegram_id=telegram_id,
                pseudonym=f"R{telegram_id}",
                lang=lang,
                consent_version="test",
                consented_at=self.clock.now(),
                created_at=self.clock.now(),
            )
            work.session.add(row)
            await work.session.flush()
            found = await work.repo(ResidentRepository).by_id(row.id)
            assert found is not None
            return found

    async def written_by(
        self, resident: ResidentRecord, short: str, text: str = "凯旋路停车难"
    ) -> int:
        n = await self.opinion(short, text)
        async with self.unit() as work:
            await work.session.execute(
                update(Opinion).where(Opinion.id == n).values(resident_id=resident.id)
            )
        return n

    async def support(self, opinion_id: int, resident: ResidentRecord) -> None:
        async with self.unit() as work:
            work.session.add(
                OpinionSupporter(
                    opinion_id=opinion_id, resident_id=resident.id, since=self.clock.now()
                )
            )

    async def staffer(self, user_id: int) -> StaffRecord:
        async with self.unit() as work:
            found = await work.repo(StaffRepository).get(user_id)
            assert found is not None
            return found

    async def opinion_row(self, opinion_id: int) -> Opinion:
        async with self.unit() as work:
            row = await work.session.get(Opinion, opinion_id)
            assert row is not None
            work.session.expunge(row)
            return row

    def service(self, work: object) -> FollowupService:
        from bot.telegram.work import Work

        assert isinstance(work, Work)
        return work.service(FollowupService)


@pytest.fixture
def fworld(sessions: async_sessionmaker[AsyncSession]) -> FollowupWorld:
    from datetime import UTC, datetime

    return FollowupWorld(sessions, ManualClock(datetime(2026, 11, 30, 4, 0, tzinfo=UTC)))


__all__ = ["SD", "FollowupWorld"]
