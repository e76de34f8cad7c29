"""Consultations on a real database (SQLite file and PostgreSQL), without Telegram:
invitations only to opted-in residents of its sub-districts and exactly once (two ticks at
once), closing at the deadline on a moved clock, the summary once to the right readers,
outcome notes once to every contributor."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.deps import Deps
from bot.domain import load_district
from bot.domain.clock import ManualClock
from bot.features.account.service import AccountService
from bot.features.consultations import jobs
from bot.features.consultations.service import ConsultationService
from bot.features.staff import StaffService
from bot.telegram.work import Work, services_for
from storage import unit_of_work
from storage.models import AuditEntry, ConsultationInvitation, Opinion, OutboxMessage
from storage.repositories import ConsultationRepository, ResidentRepository
from storage.statuses import ConsultationStatus, Priority, Role

DISTRICT = load_district()
SD = {s.short: s.code for s in DISTRICT.subdistricts}
T0 = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)
ADMIN, MEMBER_IN, MEMBER_ALL, MEMBER_OUT = 900, 901, 902, 903


class World:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions
        self.clock = ManualClock(T0)
        self.deps = Deps(Settings(_env_file=None), DISTRICT, clock=self.clock, menus={})

    @asynccontextmanager
    async def unit(self) -> AsyncIterator[Work]:
        async with unit_of_work(self.sessions) as session:
            yield services_for(session, self.deps)

    async def resident(
        self,
        telegram_id: int,
        home: str | None,
        opt_in: bool | None,
        *,
        ban: str | None = None,
    ) -> int:
        async with self.unit() as work:
            repo = work.repo(ResidentRepository)
            r = await repo.consent(telegram_id, "zh", "v1", self.clock.now())
            if home:
                await repo.set_home_subdistrict(r.id, SD[home])
            if opt_in is not None:
                await repo.set_consult_opt_in(r.id, opt_in, self.clock.now())
            if ban:
                await repo.set_ban(r.id, ban, None, ADMIN, self.clock.now())
            return r.id

    async def staff(self) -> None:
        async with self.unit() as work:
            grant = work.service(StaffService).grant
            await grant(1, ADMIN, Role.ADMIN, [])
            await grant(ADMIN, MEMBER_IN, Role.MEMBER, [SD["解放碑"]])
            await grant(ADMIN, MEMBER_ALL, Role.MEMBER, ["*"])
            await grant(ADMIN, MEMBER_OUT, Role.MEMBER, [SD["朝天门"]])

    async def open(self, *shorts: str, days: int = 7) -> int:
        async with self.unit() as work:
            repo = work.repo(ConsultationRepository)
            c = await repo.create_draft(ADMIN, "preview", self.clock.now())
            await repo.update_draft(
                c.id,
                title="凯旋路停车怎么管",
                description="想听听大家的办法",
                subdistricts=[SD[s] for s in shorts],
                deadline=self.clock.now() + timedelta(days=days),
            )
            c2 = await repo.get(c.id)
            assert c2 is not None
            assert await work.service(ConsultationService).publish(c2)
            return c.id

    async def contribute(self, consultation_id: int, resident_id: int | None, short: str) -> int:
        async with self.unit() as work:
            now = self.clock.now()
            row = Opinion(
                resident_id=resident_id,
                text="凯旋路晚上停车太乱",
                subdistrict=SD[short],
                category="parking_traffic",
                status="received",
                consultation_id=consultation_id,
                created_at=now,
                updated_at=now,
            )
            work.session.add(row)
            await work.session.flush()
            return row.id

    async def queued(self) -> list[tuple[int, str, dict[str, Any], int]]:
        async with self.unit() as work:
            rows = await work.session.execute(
                select(
                    OutboxMessage.chat_id,
                    OutboxMessage.method,
                    OutboxMessage.payload,
                    OutboxMessage.priority,
                ).order_by(OutboxMessage.id)
            )
            return [(c, m, p or {}, pr) for c, m, p, pr in rows]

    async def clear_outbox(self) -> None:
        async with self.unit() as work:
            await work.session.execute(OutboxMessage.__table__.delete())


@pytest.fixture
def world(sessions: async_sessionmaker[AsyncSession]) -> World:
    return World(sessions)


async def _invitees(world: World) -> list[int]:
    return sorted(c for c, m, p, _ in await world.queued() if "邀请您参与协商" in p.get("text", ""))


async def test_invitations_only_to_opted_in_residents_of_its_subdistricts_once(
    world: World,
) -> None:
    yes = [await world.resident(1000 + i, "解放碑", True) for i in range(30)]
    await world.resident(2001, "七星岗", True)  # another sub-district of it
    await world.resident(2002, "解放碑", False)  # said no
    await world.resident(2003, "解放碑", None)  # never asked
    await world.resident(2004, "朝天门", True)  # lives elsewhere
    await world.resident(2005, "解放碑", True, ban="soft")  # banned
    erased = await world.resident(2006, "解放碑", True)
    async with world.unit() as work:
        await work.repo(ResidentRepository).delete(erased)  # /delete_me
    cid = await world.open("解放碑", "七星岗")

    # Two ticks at once, in small batches: every invitation once, and only once.
    jobs_batch = jobs.BATCH
    jobs.BATCH = 7
    try:
        counts = await asyncio.gather(
            jobs.send_invitations(world.unit), jobs.send_invitations(world.unit)
        )
    finally:
        jobs.BATCH = jobs_batch
    assert sum(counts) == 31
    expected = sorted([1000 + i for i in range(30)] + [2001])
    assert await _invitees(world) == expected
    assert all(pr == Priority.BULK for _, _, _, pr in await world.queued())
    async with world.unit() as work:
        c = await work.repo(ConsultationRepository).get(cid)
        n = await work.session.scalar(select(func.count()).select_from(ConsultationInvitation))
    assert c is not None and c.invited_at is not None and n == 31
    assert len(yes) == 30
    # A later tick sends nothing again.
    assert await jobs.send_invitations(world.unit) == 0
    assert len(await _invitees(world)) == 31


async def test_closes_at_its_deadline_and_the_summary_goes_once_to_the_right_readers(
    world: World,
) -> None:
    await world.staff()
    cid = await world.open("解放碑", days=3)
    a = await world.resident(3001, "解放碑", True)
    b = await world.resident(3002, "解放碑", None)
    await world.contribute(cid, a, "解放碑")
    await world.contribute(cid, b, "解放碑")
    await world.contribute(cid, None, "解放碑")  # erased author: still counted
    await jobs.close_due(world.unit)
    async with world.unit() as work:
        c = await work.repo(ConsultationRepository).get(cid)
    assert c is not None and c.status == ConsultationStatus.OPEN

    world.clock.advance(timedelta(days=3, seconds=1))
    assert await jobs.close_due(world.unit) == [cid]
    await world.clear_outbox()
    sent = await asyncio.gather(jobs.send_summaries(world.unit), jobs.send_summaries(world.unit))
    assert sum(sent) == 1
    rows = await world.queued()
    readers = sorted({c for c, _, _, _ in rows})
    assert readers == sorted([ADMIN, MEMBER_IN, MEMBER_ALL])  # not the 朝天门 member
    for reader in readers:
        mine = [(m, p) for c, m, p, _ in rows if c == reader]
        assert [m for m, _ in mine] == ["sendMessage", "sendPhoto"]
        assert "<b>3</b> 条意见" in mine[0][1]["text"] and "<b>3</b> 位居民" in mine[0][1]["text"]
        assert ("/outcome" in mine[0][1]["text"]) == (reader == ADMIN)
    assert await jobs.send_summaries(world.unit) == 0
    async with world.unit() as work:
        actions = list(await work.session.scalars(select(AuditEntry.action)))
    assert "consultation_opened" in actions and "consultation_closed" in actions


async def test_outcome_notes_reach_every_contributor_once(world: World) -> None:
    await world.staff()
    cid = await world.open("解放碑")
    invited = await world.resident(4001, "解放碑", True)
    await jobs.send_invitations(world.unit)
    on_their_own = await world.resident(4002, "七星岗", None)  # attached an opinion
    gone = await world.resident(4003, "解放碑", True)
    for rid in (invited, invited, on_their_own, gone):
        await world.contribute(cid, rid, "解放碑")
    async with world.unit() as work:
        await work.repo(ResidentRepository).delete(gone)
        service = work.service(ConsultationService)
        assert not await service.record_outcome(cid, ADMIN, "还没结束不能记录")
        assert await service.close(cid, ADMIN)
        assert await service.record_outcome(cid, ADMIN, "将增设夜间停车位 40 个")
        assert not await service.record_outcome(cid, ADMIN, "第二次")
    await world.clear_outbox()
    counts = await asyncio.gather(jobs.send_outcomes(world.unit), jobs.send_outcomes(world.unit))
    assert sum(counts) == 2
    rows = [
        (c, p["text"]) for c, m, p, _ in await world.queued() if "有结果了" in p.get("text", "")
    ]
    assert sorted(c for c, _ in rows) == [4001, 4002]
    assert all("40 个" in text for _, text in rows)
    assert await jobs.send_outcomes(world.unit) == 0
    async with world.unit() as work:
        c = await work.repo(ConsultationRepository).get(cid)
    assert c is not None and c.outcome_queued_at is not None


async def test_invitations_stop_when_it_closes_or_its_deadline_passes(world: World) -> None:
    for i in range(12):
        await world.resident(5000 + i, "解放碑", True)
    cid = await world.open("解放碑")
    entered = 0

    @asynccontextmanager
    async def closing_after_the_first_batch() -> AsyncIterator[Work]:
        # Units: the open consultations read, the first batch, then the second: an admin's
        # /consult_close lands between the two batches.
        nonlocal entered
        entered += 1
        if entered == 3:
            async with world.unit() as work:
                assert await work.service(ConsultationService).close(cid, ADMIN)
        async with world.unit() as work:
            yield work

    jobs_batch = jobs.BATCH
    jobs.BATCH = 5
    try:
        assert await jobs.send_invitations(closing_after_the_first_batch) == 5
    finally:
        jobs.BATCH = jobs_batch
    assert len(await _invitees(world)) == 5
    assert await jobs.send_invitations(world.unit) == 0
    assert len(await _invitees(world)) == 5

    # Its deadline passed but no tick closed it yet: no invitation either.
    other = await world.open("七星岗", days=1)
    await world.resident(5100, "七星岗", True)
    world.clock.advance(timedelta(days=1, seconds=1))
    assert await jobs.send_invitations(world.unit) == 0
    async with world.unit() as work:
        n = await work.session.scalar(
            select(func.count())
            .select_from(ConsultationInvitation)
            .where(ConsultationInvitation.consultation_id == other)
        )
    assert n == 0


async def test_a_resident_who_opts_in_later_is_invited_at_the_next_tick_once(
    world: World,
) -> None:
    first = await world.resident(6001, "解放碑", True)
    late = await world.resident(6002, "解放碑", None)
    mover = await world.resident(6003, "朝天门", True)
    cid = await world.open("解放碑")
    assert await jobs.send_invitations(world.unit) == 1
    async with world.unit() as work:
        c = await work.repo(ConsultationRepository).get(cid)
    assert c is not None and c.invited_at is not None
    first_round = c.invited_at

    world.clock.advance(timedelta(hours=2))
    async with world.unit() as work:
        residents = work.repo(ResidentRepository)
        await residents.set_consult_opt_in(late, True, world.clock.now())
        await residents.set_home_subdistrict(mover, SD["解放碑"])  # wrote about 解放碑 since
    counts = await asyncio.gather(
        jobs.send_invitations(world.unit), jobs.send_invitations(world.unit)
    )
    assert sum(counts) == 2
    assert await _invitees(world) == [6001, 6002, 6003]
    assert await jobs.send_invitations(world.unit) == 0
    async with world.unit() as work:
        c = await work.repo(ConsultationRepository).get(cid)
        rows = await work.session.scalar(
            select(func.count())
            .select_from(ConsultationInvitation)
            .where(ConsultationInvitation.consultation_id == cid)
        )
    assert c is not None and c.invited_at == first_round and rows == 3
    assert first != late


async def test_mydata_holds_what_consultations_keep_about_a_resident(world: World) -> None:
    rid = await world.resident(7001, "解放碑", True)
    async with world.unit() as work:
        await work.repo(ResidentRepository).mark_consult_asked(rid, world.clock.now())
    cid = await world.open("解放碑")
    await jobs.send_invitations(world.unit)
    await world.contribute(cid, rid, "解放碑")
    async with world.unit() as work:
        account = work.service(AccountService)
        resident = await work.repo(ResidentRepository).by_telegram_id(7001)
        assert resident is not None
        data = account.export(await account.holdings(resident), UTC)
    me = data["resident"]
    assert me["consultation_invitations"] is True
    assert me["consultation_invitations_asked_at"] == T0.isoformat()
    assert me["home_subdistrict"] == SD["解放碑"]
    [mine] = data["opinions"]
    assert mine["consultation_id"] == cid and mine["consultation_title"] == "凯旋路停车怎么管"
    assert data["consultation_invitations"] == [
        {
            "consultation_id": cid,
            "title": "凯旋路停车怎么管",
            "since": T0.isoformat(),
            "outcome_told_at": None,
        }
    ]
