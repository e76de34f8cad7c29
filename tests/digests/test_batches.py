"""A round takes and queues members in batches: the same digests as one by one, each item
once, a failing member holding up nobody, a crash between the steps drawing each digest of
the batch again once, two processes never sending one digest twice. On SQLite and
PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.features.digests import jobs
from bot.features.digests.service import DigestService, Taken
from bot.features.staff.schedule import Schedule
from bot.telegram.work import Work
from storage.models import Digest, Opinion, OutboxMessage
from storage.records import StaffRecord
from storage.repositories import DigestRepository, StaffRepository
from storage.statuses import ALL_SUBDISTRICTS, Frequency, OpinionStatus
from tests.digests.conftest import SD, T0, World

pytestmark = pytest.mark.asyncio

PLACES = ("解放碑", "七星岗", "大坪")


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jobs, "FIRST_BATCH", 2)
    monkeypatch.setattr(jobs, "BATCH", 4)


async def members_and_opinions(world: World, members: range) -> dict[int, set[int]]:
    """Members across three sub-districts (some follow two) and what each is owed."""
    follows: dict[int, tuple[str, ...]] = {}
    for k, uid in enumerate(members):
        places = (PLACES[k % 3],) if k % 4 else (PLACES[k % 3], PLACES[(k + 1) % 3])
        follows[uid] = places
        await world.member(uid, *places)
    owed: dict[int, set[int]] = {uid: set() for uid in members}
    for n in range(9):
        place = PLACES[n % 3]
        item = await world.opinion(place, f"{place}第{n}条意见")
        for uid, places in follows.items():
            if place in places:
                owed[uid].add(item)
    return owed


async def queued_once(world: World, uid: int, owed: set[int]) -> None:
    """The member's one digest is queued once: one chart, one sheet, every item in it."""
    methods = [m for m, _ in await world.queued(uid)]
    assert (methods.count("sendPhoto"), methods.count("sendDocument")) == (1, 1), uid
    texts = await world.texts(uid)
    assert all(f"YZ-{item:06d}" in texts for item in owed), uid


async def take_batch(work: Work, members: list[int], now: datetime) -> list[Taken]:
    """What a round does for one batch: read, plan, take."""
    service = work.service(DigestService)
    found = await work.repo(DigestRepository).members(members)
    return await service.take_batch([service.plan(found[m], now) for m in members], now)


async def digest_count(world: World) -> dict[int, int]:
    async with world.unit() as work:
        rows = await work.session.execute(
            select(Digest.member_id, func.count()).group_by(Digest.member_id)
        )
        return {int(m): int(n) for m, n in rows}


async def test_a_round_takes_and_queues_whole_batches(
    world: World, small_batches: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    members = range(101, 112)
    owed = await members_and_opinions(world, members)
    calls: dict[str, int] = {"take_batch": 0, "queue_batch": 0}

    def counted(name: str) -> Any:
        original = getattr(DigestService, name)

        async def run(*args: Any, **kwargs: Any) -> Any:
            calls[name] += 1
            return await original(*args, **kwargs)

        return run

    async def one_by_one(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("no member should be taken or queued alone")

    for name in calls:
        monkeypatch.setattr(DigestService, name, counted(name))
    monkeypatch.setattr(DigestService, "take_due", one_by_one)
    monkeypatch.setattr(DigestService, "queue", one_by_one)
    world.clock.set(T0 + timedelta(minutes=1))
    done = await world.tick()
    # 11 members: a first batch of 2, then batches of 4
    assert calls == {"take_batch": 4, "queue_batch": 4}
    assert sorted(d.member_id for d in done) == list(members)
    for uid in members:
        delivered = await world.delivered(uid)
        assert sorted(delivered) == sorted(owed[uid]) and len(delivered) == len(owed[uid])
        await queued_once(world, uid, owed[uid])
    assert await world.tick() == []


async def test_a_batch_takes_what_one_by_one_would(world: World) -> None:
    """Two members alike: one taken alone, one in a batch, at the same moment."""
    await world.member(101, "解放碑", "七星岗")
    await world.member(102, "解放碑", "七星岗")
    for n in range(4):
        await world.opinion("解放碑" if n % 2 else "七星岗", f"第{n}条")
    world.clock.set(T0 + timedelta(minutes=1))
    await world.tick()  # a first digest each, so that the next has previous counts
    world.clock.set(T0 - timedelta(days=70))  # an older opinion, still unanswered
    await world.opinion("解放碑", "两个月前的")
    world.clock.set(T0 + timedelta(days=1) - timedelta(hours=1))
    await world.opinion("解放碑", "今天的")
    older = await world.opinion("七星岗", "也是今天的")
    world.clock.set(T0 + timedelta(days=1, minutes=1))
    now = world.clock.now()
    async with world.unit() as work:
        alone = await work.service(DigestService).take_due(101, now)
        batch = await take_batch(work, [102], now)
    assert alone is not None and len(batch) == 1

    def seen(t: Taken) -> tuple[Any, ...]:
        return (
            t.slot,
            t.period_start,
            t.period_end,
            t.catch_up,
            t.items,
            t.previous_counts,
            t.awaiting,
        )

    assert seen(alone) == seen(batch[0])
    # the first period's four, not the one older than the window
    assert alone.awaiting[0] == 4 and alone.previous_counts
    assert older in {i.opinion_id for i in batch[0].items}


async def test_a_member_changed_after_planning_is_planned_again(world: World) -> None:
    """Plans are made outside the transaction: one made stale by a settings change (digests
    off, another time) is not used."""
    members = [101, 102, 103]
    owed = await members_and_opinions(world, range(101, 104))
    world.clock.set(T0 + timedelta(minutes=1))
    now = world.clock.now()
    async with world.unit() as work:
        service = work.service(DigestService)
        found = await work.repo(DigestRepository).members(members)
        plans = [service.plan(found[m], now) for m in members]
    assert all(p.slot is not None for p in plans)
    async with world.unit() as work:
        staff = work.repo(StaffRepository)
        await staff.update(102, frequency=Frequency.OFF)
        await staff.update(103, digest_time="09:00")
    async with world.unit() as work:
        taken = await work.service(DigestService).take_batch(plans, now)
    assert [t.member.telegram_id for t in taken] == [101]
    assert await digest_count(world) == {101: 1}
    async with world.unit() as work:
        later = await work.repo(StaffRepository).get(103)
    assert later is not None and later.next_due == T0 + timedelta(hours=1)
    assert sorted(await world.delivered(101)) == sorted(owed[101])


async def test_awaiting_for_a_batch_is_what_each_member_sees_alone(world: World) -> None:
    ids = []
    for n in range(12):
        world.clock.set(T0 - timedelta(days=n * 3))
        ids.append(await world.opinion(PLACES[n % 3] if n % 5 else None, f"待答{n}"))
    async with world.unit() as work:  # some hidden since: not awaiting
        for op_id in ids[::4]:
            row = await work.session.get(Opinion, op_id)
            assert row is not None
            row.status = OpinionStatus.HIDDEN
    asked = [
        ([SD["解放碑"]], T0 - timedelta(days=60), T0),
        ([SD["解放碑"], SD["七星岗"]], T0 - timedelta(days=20), T0 - timedelta(days=2)),
        ([ALL_SUBDISTRICTS], T0 - timedelta(days=60), T0 - timedelta(days=9)),
        ([SD["大坪"]], T0 - timedelta(days=10), T0 - timedelta(days=10)),
    ]
    async with world.unit() as work:
        repo = work.repo(DigestRepository)
        alone = [await repo.awaiting(codes, since, before, 3) for codes, since, before in asked]
        together = await repo.awaiting_many(asked, 3)
    assert together == alone
    assert any(total > 3 for total, _ in alone) and any(total == 0 for total, _ in alone)


@pytest.mark.parametrize("where", ["plan", "take"])
async def test_a_failing_member_holds_up_nobody_in_the_batch(
    world: World, small_batches: None, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    """A member fails while planned (outside any transaction) or while taken (the batch's
    transaction rolls back, and its members are taken one by one): the others get their
    digests, that member at the next tick."""
    members = range(101, 108)
    owed = await members_and_opinions(world, members)
    owner, name = (Schedule, "missed_slots") if where == "plan" else (DigestService, "_made")
    original = getattr(owner, name)

    def broken(*args: Any) -> Any:
        member = next(a for a in args if isinstance(a, StaffRecord))
        if member.telegram_id == 104:
            raise RuntimeError("a member whose digest cannot be made")
        return original(*args)

    monkeypatch.setattr(owner, name, broken if where == "plan" else staticmethod(broken))
    world.clock.set(T0 + timedelta(minutes=1))
    done = await world.tick()
    assert sorted(d.member_id for d in done) == [m for m in members if m != 104]
    assert await world.delivered(104) == []
    monkeypatch.setattr(owner, name, original if where == "plan" else staticmethod(original))
    world.clock.advance(timedelta(minutes=1))
    assert [d.member_id for d in await world.tick()] == [104]  # the next tick
    for uid in members:
        assert sorted(await world.delivered(uid)) == sorted(owed[uid])
    assert await digest_count(world) == {uid: 1 for uid in members}


async def test_a_digest_that_cannot_be_drawn_or_queued_leaves_the_batch_alone(
    world: World, small_batches: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One member's drawing fails and another's queueing: the rest of their batch is queued
    (the failed batch one by one), and the two are drawn again once, a few minutes on."""
    members = range(101, 107)
    owed = await members_and_opinions(world, members)
    render, send = DigestService.render, DigestService._send

    def bad_render(self: DigestService, taken: Taken, **kw: Any) -> Any:
        if taken.member.telegram_id == 103:
            raise RuntimeError("drawing failed")
        return render(self, taken, **kw)

    async def bad_send(self: DigestService, chat: int, *args: Any) -> int:
        if chat == 105:
            raise RuntimeError("queueing failed")
        return await send(self, chat, *args)

    monkeypatch.setattr(DigestService, "render", bad_render)
    monkeypatch.setattr(DigestService, "_send", bad_send)
    world.clock.set(T0 + timedelta(minutes=1))
    done = await world.tick()
    assert sorted(d.member_id for d in done) == [101, 102, 104, 106]
    assert await world.queued(103) == [] and await world.queued(105) == []
    monkeypatch.setattr(DigestService, "render", render)
    monkeypatch.setattr(DigestService, "_send", send)
    assert await world.tick() == []  # too fresh: their own process may still be drawing
    world.clock.advance(timedelta(minutes=3))
    assert sorted(d.member_id for d in await world.tick()) == [103, 105]
    assert await world.tick() == []
    for uid in members:
        await queued_once(world, uid, owed[uid])
    assert await digest_count(world) == {uid: 1 for uid in members}


async def test_a_batch_taken_but_never_queued_is_drawn_again_once_each(world: World) -> None:
    members = range(101, 105)
    owed = await members_and_opinions(world, members)
    world.clock.set(T0 + timedelta(minutes=1))
    async with world.unit() as work:  # taken, then the process dies before drawing them
        taken = await take_batch(work, list(members), world.clock.now())
    assert len(taken) == 4
    assert await world.tick() == []  # too fresh: its own process may still be drawing it
    world.clock.advance(timedelta(minutes=3))
    assert sorted(d.member_id for d in await world.tick()) == list(members)
    assert await world.tick() == []
    for uid in members:
        await queued_once(world, uid, owed[uid])


async def test_a_batch_queued_twice_is_queued_once(world: World) -> None:
    members = range(101, 104)
    await members_and_opinions(world, members)
    world.clock.set(T0 + timedelta(minutes=1))
    async with world.unit() as work:
        service = work.service(DigestService)
        taken = await take_batch(work, list(members), world.clock.now())
        drawn = [(t, service.render(t)) for t in taken]
    async with world.unit() as work:
        first = await work.service(DigestService).queue_batch(drawn)
    async with world.unit() as work:  # another process that drew the same digests
        second = await work.service(DigestService).queue_batch(drawn)
    assert len(first) == 3 and second == []
    async with world.unit() as work:
        rows = await work.session.scalar(select(func.count()).select_from(OutboxMessage))
    assert rows == sum(d.messages for d in first)


async def test_processes_ticking_at_once_with_batches_send_one_digest_each(
    world: World, small_batches: None
) -> None:
    members = range(201, 213)
    owed = await members_and_opinions(world, members)
    world.clock.set(T0 + timedelta(minutes=1))
    results = await asyncio.gather(world.tick(), world.tick(), world.tick())
    assert sorted(d.member_id for r in results for d in r) == list(members)
    assert await digest_count(world) == {uid: 1 for uid in members}
    for uid in members:
        assert sorted(await world.delivered(uid)) == sorted(owed[uid])
        await queued_once(world, uid, owed[uid])
