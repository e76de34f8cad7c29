"""Housekeeping: retention, abandoned drafts, old queue rows (an hourly job), the WAL.

What the privacy notice promises is done here: opinions older than RETENTION_DAYS lose their
text, photos, location and link to the person (anonymous facts stay); cleared content does
not linger in SQLite's write-ahead log.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.delivery.scheduler import ScheduledJob, every
from bot.delivery.waiting import sleep_or_stop
from bot.domain.clock import Clock
from storage import unit_of_work
from storage.db import is_sqlite
from storage.repositories import (
    DraftRepository,
    InboxRepository,
    OpinionRepository,
    OutboxRepository,
    ScheduledRunRepository,
)

log = logging.getLogger(__name__)

DRAFT_DAYS = 30
HANDLED_UPDATE_DAYS = 3  # Telegram never hands out an update again after 24 hours
SET_ASIDE_DAYS = 30  # time to replay a failed update before its content goes


@dataclass(frozen=True)
class Purged:
    opinions: int
    drafts: int
    inbox_rows: int
    outbox_rows: int
    scheduled_runs: int = 0


class Maintenance:
    def __init__(
        self,
        engine: AsyncEngine,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        *,
        retention_days: int,
        purge_every: timedelta = timedelta(hours=1),
        checkpoint_every: float = 60.0,
    ) -> None:
        self.engine = engine
        self.sessions = sessions
        self.clock = clock
        self.retention = timedelta(days=retention_days)
        self.purge_every = purge_every
        self.checkpoint_every = checkpoint_every

    def retention_job(self) -> ScheduledJob:
        """The purge, hourly, once across processes; at once on a fresh database."""
        return ScheduledJob("retention", every(self.purge_every), self._purge, catch_up=True)

    async def _purge(self, session: AsyncSession, slot: datetime) -> None:
        purged = await purge_in(session, self.clock.now(), self.retention)
        if any(vars(purged).values()):
            log.info("retention: %s", purged)

    async def run(self, stopping: asyncio.Event) -> None:
        """Checkpoint the SQLite log every `checkpoint_every` (the purge is a scheduled job)."""
        while not stopping.is_set():
            try:
                await self.checkpoint()
            except (SQLAlchemyError, OSError, sqlite3.Error) as exc:
                log.warning("WAL checkpoint postponed: %s", exc)
            await sleep_or_stop(self.checkpoint_every, stopping)

    async def purge(self, now: datetime | None = None) -> Purged:
        """Everything past its time, in one transaction of its own."""
        async with unit_of_work(self.sessions) as session:
            return await purge_in(session, now or self.clock.now(), self.retention)

    async def checkpoint(self) -> None:
        """SQLite: move the log into the database and cut it to nothing, so content that
        was cleared (inbox payloads, erased texts) is not left behind in it."""
        if not is_sqlite(str(self.engine.url)):
            return
        async with self.engine.connect() as conn:
            # On the driver's connection: through SQLAlchemy it would run inside the
            # BEGIN IMMEDIATE our begin hook issues, where SQLite refuses to checkpoint.
            raw = await conn.get_raw_connection()
            driver = raw.driver_connection
            if driver is None:
                return
            # A short wait only: a long-lived reader elsewhere (a backup, a shell) must not
            # make this hold up the bot's writers. Busy now means: next minute.
            await driver.execute("PRAGMA busy_timeout=200")
            try:
                cursor = await driver.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                busy = await cursor.fetchone()
            finally:
                await driver.execute("PRAGMA busy_timeout=30000")
            if busy is not None and busy[0]:
                log.debug("WAL checkpoint busy; trying again later")


async def purge_in(session: AsyncSession, now: datetime, retention: timedelta) -> Purged:
    """Retention and pruning inside `session`: what the notice promises, and queues' tails."""
    opinions = await OpinionRepository(session).erase_older_than(now - retention, now)
    drafts = await DraftRepository(session).delete_older_than(now - timedelta(days=DRAFT_DAYS))
    inbox = await InboxRepository(session).prune(
        handled_before=now - timedelta(days=HANDLED_UPDATE_DAYS),
        failed_before=now - timedelta(days=SET_ASIDE_DAYS),
    )
    outbox = await OutboxRepository(session).prune_failed(now - timedelta(days=SET_ASIDE_DAYS))
    runs = await ScheduledRunRepository(session).prune(now - timedelta(days=SET_ASIDE_DAYS))
    return Purged(opinions, drafts, inbox, outbox, runs)
