"""Scheduled jobs in a running bot: they get exactly what a handler gets."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from sqlalchemy import select

from bot.telegram.application import FeatureJob, every
from bot.telegram.work import Work
from storage.models import ScheduledRun
from storage.repositories import ResidentRepository
from tests.flows.conftest import BotUnderTest, Resident


async def test_retention_and_pruning_run_as_scheduled_jobs_at_start(bot: BotUnderTest) -> None:
    for _ in range(100):
        jobs = set(await bot.query(lambda s: s.scalars(select(ScheduledRun.job))))
        if {"retention", "pruning"} <= jobs:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"the retention and pruning jobs did not run at start: {jobs}")


async def test_a_feature_job_gets_the_unit_of_work_a_handler_gets(
    bot: BotUnderTest, resident: object
) -> None:
    make = resident
    assert callable(make)
    r: Resident = await make()

    async def remind(work: Work, slot: datetime) -> None:
        person = await work.repo(ResidentRepository).by_telegram_id(r.id)
        assert person is not None
        await work.out.text(person.telegram_id, f"每周提醒 {slot:%H:%M}")

    job = FeatureJob("weekly_note", every(timedelta(hours=1)), remind, catch_up=True)
    bot.runtime.scheduler.jobs.append(bot.runtime.scheduled(job))
    before = await bot.client.cursor()
    assert "weekly_note" in await bot.runtime.scheduler.tick()
    bot.runtime.wake_sender.set()
    sent = await bot.client.wait_for_bot_message(r.id, after=before, timeout=10)
    assert (sent.text or "").startswith("每周提醒 ")
    assert "weekly_note" not in await bot.runtime.scheduler.tick()  # once per slot
