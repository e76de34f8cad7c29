"""A small world for digests without Telegram: members, opinions made visible, scheduler
ticks, all on a real database (SQLite file or PostgreSQL) with a clock the test moves."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.deps import Deps
from bot.domain import load_district
from bot.domain.clock import ManualClock
from bot.features.digests.jobs import deliver_due
from bot.features.digests.service import Delivered
from bot.features.digests.visibility import Visibility
from bot.features.staff import StaffService
from bot.telegram.work import Work, services_for
from storage import unit_of_work
from storage.models import Opinion, OutboxMessage
from storage.records import OpinionRecord
from storage.repositories import DigestRepository
from storage.statuses import Role

DISTRICT = load_district()
#: Sub-district codes by short name, for readable tests.
SD = {s.short: s.code for s in DISTRICT.subdistricts}
#: 2026-12-01 08:00 in Shanghai.
T0 = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)


class World:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], clock: ManualClock) -> None:
        self.sessions = sessions
        self.clock = clock
        self.deps = Deps(Settings(_env_file=None), DISTRICT, clock=clock, menus={})

    @asynccontextmanager
    async def unit(self) -> AsyncIterator[Work]:
        async with unit_of_work(self.sessions) as session:
            yield services_for(session, self.deps)

    async def member(self, user_id: int, *shorts: str, role: Role = Role.MEMBER) -> None:
        async with self.unit() as work:
            codes = [SD.get(s, s) for s in shorts]
            await work.service(StaffService).grant(999, user_id, role, codes)

    async def opinion(
        self, short: str | None, text: str = "凯旋路停车难", category: str = "other"
    ) -> int:
        """A submitted opinion, visible at once (one transaction, as intake does it)."""
        async with self.unit() as work:
            return await self.opinion_in(work, short, text, category)

    async def opinion_in(
        self, work: Work, short: str | None, text: str = "凯旋路停车难", category: str = "other"
    ) -> int:
        now = self.clock.now()
        code = SD[short] if short else None
        row = Opinion(
            text=text, subdistrict=code, category=category, created_at=now, updated_at=now
        )
        work.session.add(row)
        await work.session.flush()
        record = OpinionRecord(row.id, None, text, code, category, "received", now)
        await work.service(Visibility).make_visible(record)
        return row.id

    async def tick(self) -> list[Delivered]:
        return await deliver_due(self.unit, self.clock.now())

    async def delivered(self, user_id: int) -> list[int]:
        async with self.unit() as work:
            return await work.repo(DigestRepository).delivered(user_id)

    async def queued(self, chat_id: int) -> list[tuple[str, dict[str, Any]]]:
        """What is queued for `chat_id`: (method, payload), oldest first."""
        async with self.unit() as work:
            rows = await work.session.execute(
                select(OutboxMessage.method, OutboxMessage.payload)
                .where(OutboxMessage.chat_id == chat_id)
                .order_by(OutboxMessage.id)
            )
            return [(m, p or {}) for m, p in rows]

    async def texts(self, chat_id: int) -> str:
        return "\n".join(p.get("text", "") for m, p in await self.queued(chat_id))


@pytest.fixture
def world(sessions: async_sessionmaker[AsyncSession]) -> World:
    # 2026-11-30 12:00 in Shanghai: members granted now get their first digest at T0.
    return World(sessions, ManualClock(datetime(2026, 11, 30, 4, 0, tzinfo=UTC)))
