"""The scheduler: APScheduler ticks, the database decides; once per slot across processes."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

import pytest
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.delivery.scheduler import ScheduledJob, Scheduler, every, latest_slot
from bot.domain.clock import ManualClock
from storage import create_engine, session_factory, unit_of_work
from storage.models import ScheduledRun

T0 = datetime(2026, 12, 2, 6, 30, tzinfo=UTC)
HOURLY = every(timedelta(hours=1))


def test_latest_slot_of_an_aligned_interval() -> None:
    assert latest_slot(HOURLY, T0 - timedelta(hours=3), T0) == T0.replace(minute=0)
    assert latest_slot(HOURLY, T0.replace(minute=0), T0) is None
    # exactly on a slot counts
    assert latest_slot(HOURLY, T0 - timedelta(hours=2), T0.replace(minute=0)) == T0.replace(
        minute=0
    )


def test_latest_slot_of_a_weekly_cron_in_local_time() -> None:
    monday_9 = CronTrigger(day_of_week="mon", hour=9, timezone="Asia/Shanghai")
    wednesday = datetime(2026, 12, 2, 6, 30, tzinfo=UTC)  # 14:30 in Chongqing
    last = datetime(2026, 11, 1, tzinfo=UTC)
    assert latest_slot(monday_9, last, wednesday) == datetime(2026, 11, 30, 1, 0, tzinfo=UTC)


def test_latest_slot_after_a_long_downtime_is_found_quickly() -> None:
    calls = {"n": 0}

    class Counting(IntervalTrigger):  # type: ignore[misc]  (APScheduler is untyped)
        def get_next_fire_time(self, previous: datetime | None, now: datetime) -> datetime | None:
            calls["n"] += 1
            fire: datetime | None = super().get_next_fire_time(previous, now)
            return fire

    minutely = Counting(minutes=1, start_date=datetime(2026, 1, 1, tzinfo=UTC), timezone=UTC)
    slot = latest_slot(minutely, T0 - timedelta(days=60), T0)
    assert slot == T0
    assert calls["n"] < 100  # bisection, not 86,400 steps


def test_a_clock_moved_back_finds_nothing_due() -> None:
    assert latest_slot(HOURLY, T0, T0 - timedelta(hours=5)) is None


def _job(runs: list[datetime], *, catch_up: bool = False, fail: bool = False) -> ScheduledJob:
    async def run(session: AsyncSession, slot: datetime) -> None:
        await session.execute(text("SELECT 1"))
        runs.append(slot)
        if fail:
            raise RuntimeError("job failed")

    return ScheduledJob("hourly", HOURLY, run, catch_up=catch_up)


async def _recorded(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with unit_of_work(sessions) as s:
        return int(await s.scalar(select(func.count()).select_from(ScheduledRun)) or 0)


async def test_a_new_job_waits_for_its_next_slot_then_runs_once_per_slot(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    clock, runs = ManualClock(T0), []
    scheduler = Scheduler([_job(runs)], sessions, clock)
    assert await scheduler.tick() == []  # first sight: counting starts now
    clock.advance(timedelta(minutes=20))
    assert await scheduler.tick() == []  # 06:50: no slot since 06:30
    clock.advance(timedelta(minutes=15))
    assert await scheduler.tick() == ["hourly"]  # 07:05: the 07:00 slot
    assert await scheduler.tick() == []
    assert runs == [T0.replace(hour=7, minute=0)]


async def test_downtime_across_many_slots_runs_once_for_the_latest(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    clock, runs = ManualClock(T0), []
    scheduler = Scheduler([_job(runs)], sessions, clock)
    await scheduler.tick()
    clock.advance(timedelta(days=1, minutes=5))  # a day down
    assert await scheduler.tick() == ["hourly"]
    assert await scheduler.tick() == []
    assert runs == [(T0 + timedelta(days=1)).replace(minute=0)]


async def test_catch_up_runs_at_first_sight(sessions: async_sessionmaker[AsyncSession]) -> None:
    clock, runs = ManualClock(T0), []
    scheduler = Scheduler([_job(runs, catch_up=True)], sessions, clock)
    assert await scheduler.tick() == ["hourly"]
    assert runs == [T0.replace(minute=0)]


async def test_the_clock_moved_back_runs_nothing_twice(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    clock, runs = ManualClock(T0), []
    scheduler = Scheduler([_job(runs, catch_up=True)], sessions, clock)
    await scheduler.tick()
    clock.advance(timedelta(hours=-3))
    assert await scheduler.tick() == []
    clock.set(T0 + timedelta(minutes=40))  # 07:10 again, normal time
    assert await scheduler.tick() == ["hourly"]
    assert runs == [T0.replace(minute=0), T0.replace(hour=7, minute=0)]


async def test_a_failing_job_releases_its_slot_and_is_tried_at_the_next_tick(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    clock, runs = ManualClock(T0), []
    failing = Scheduler([_job(runs, catch_up=True, fail=True)], sessions, clock)
    assert await failing.tick() == []  # raised: logged, rolled back, the loop goes on
    assert await _recorded(sessions) == 0
    healthy = Scheduler([_job(runs, catch_up=True)], sessions, clock)
    assert await healthy.tick() == ["hourly"]
    assert runs == [T0.replace(minute=0)] * 2


async def test_two_processes_ticking_together_run_each_slot_once(
    database_url: str, engine: AsyncEngine
) -> None:
    """Two schedulers, each on its own engine (as two processes would be), tick at once
    across a week of hourly slots: every slot runs exactly once."""
    other = create_engine(database_url)
    try:
        clock, runs = ManualClock(T0), []
        one = Scheduler([_job(runs)], session_factory(engine), clock)
        two = Scheduler([_job(runs)], session_factory(other), clock)
        await one.tick()
        for _ in range(24 * 7):
            clock.advance(timedelta(hours=1))
            ran = await asyncio.gather(one.tick(), two.tick())
            assert sorted(map(len, ran)) == [0, 1]
        assert len(runs) == len(set(runs)) == 24 * 7
    finally:
        await other.dispose()


async def test_apscheduler_drives_the_ticks(sessions: async_sessionmaker[AsyncSession]) -> None:
    clock, runs = ManualClock(T0), []
    scheduler = Scheduler(
        [_job(runs, catch_up=True)], sessions, clock, tick_every=timedelta(seconds=0.05)
    )
    scheduler.start()
    try:
        for _ in range(200):
            if runs:
                break
            await asyncio.sleep(0.02)
        clock.advance(timedelta(hours=1))
        for _ in range(200):
            if len(runs) == 2:
                break
            await asyncio.sleep(0.02)
    finally:
        await scheduler.stop()
    assert runs == [T0.replace(minute=0), T0.replace(hour=7, minute=0)]


def test_job_names_are_unique(sessions: async_sessionmaker[AsyncSession]) -> None:
    with pytest.raises(ValueError, match="unique"):
        Scheduler([_job([]), _job([])], sessions, ManualClock(T0))


async def test_a_job_failing_on_a_unique_key_of_its_own_is_reported_not_taken_for_a_rival(
    sessions: async_sessionmaker[AsyncSession], caplog: pytest.LogCaptureFixture
) -> None:
    async def collide(session: AsyncSession, slot: datetime) -> None:
        raise IntegrityError("INSERT …", None, ValueError("duplicate key in the job's table"))

    scheduler = Scheduler(
        [ScheduledJob("colliding", HOURLY, collide, catch_up=True)], sessions, ManualClock(T0)
    )
    with caplog.at_level(logging.ERROR):
        assert await scheduler.tick() == []
    assert any("colliding failed" in r.getMessage() for r in caplog.records)
    assert await _recorded(sessions) == 0  # its claim rolled back: tried at the next tick


async def test_stop_waits_for_the_tick_under_way(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    finished: list[datetime] = []

    async def slow(session: AsyncSession, slot: datetime) -> None:
        await asyncio.sleep(0.3)
        finished.append(slot)

    scheduler = Scheduler(
        [ScheduledJob("slow", HOURLY, slow, catch_up=True)], sessions, ManualClock(T0)
    )
    scheduler.start()
    await asyncio.sleep(0.1)  # the first tick is under way
    await scheduler.stop()
    assert finished == [T0.replace(minute=0)]
