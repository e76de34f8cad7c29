"""Housekeeping of the delivery machinery's own tables, and SQLite's log.

Hourly (a scheduled job, once across processes): handled inbox rows go after 3 days,
set-aside ones and final outbox rows after 30, old scheduled-run records too. Every minute:
the SQLite write-ahead log is checkpointed and cut, so content that was cleared (inbox
payloads, erased texts) does not linger in it. What the privacy notice promises about
opinions and drafts is the account feature's job (bot/features/account).
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
    InboxRepository,
    ModerationRepository,
    OutboxRepository,
    ScheduledRunRepository,
)

log = logging.getLogger(__name__)

HANDLED_UPDATE_DAYS = 3  # Telegram never hands out an update again after 24 hours
SET_ASIDE_DAYS = 30  # time to replay a failed update before its content goes


@dataclass(frozen=True)
class Pruned:
    inbox_rows: int
    outbox_rows: int
    scheduled_runs: int
    moderation_cards: int = 0


class Maintenance:
    def __init__(
        self,
        engine: AsyncEngine,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        *,
        purge_every: timedelta = timedelta(hours=1),
        checkpoint_every: float = 60.0,
    ) -> None:
        self.engine = engine
        self.sessions = sessions
        self.clock = clock
        self.purge_every = purge_every
        self.checkpoint_every = checkpoint_every

    def pruning_job(self) -> ScheduledJob:
        """The pruning, hourly, once across processes; at once on a fresh database."""
        return ScheduledJob("pruning", every(self.purge_every), self._prune, catch_up=True)

    async def _prune(self, session: AsyncSession, slot: datetime) -> None:
        pruned = await prune_in(session, self.clock.now())
        if any(vars(pruned).values()):
            log.info("pruned: %s", pruned)

    async def run(self, stopping: asyncio.Event) -> None:
        """Checkpoint the SQLite log every `checkpoint_every` (pruning is a scheduled job)."""
        while not stopping.is_set():
            try:
                await self.checkpoint()
            except (SQLAlchemyError, OSError, sqlite3.Error) as exc:
                log.warning("WAL checkpoint postponed: %s", exc)
            await sleep_or_stop(self.checkpoint_every, stopping)

    async def purge(self, now: datetime | None = None) -> Pruned:
        """Prune now, in a transaction of its own."""
        async with unit_of_work(self.sessions) as session:
            return await prune_in(session, now or self.clock.now())

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


async def prune_in(session: AsyncSession, now: datetime) -> Pruned:
    """The queues' tails, inside `session`."""
    inbox = await InboxRepository(session).prune(
        handled_before=now - timedelta(days=HANDLED_UPDATE_DAYS),
        failed_before=now - timedelta(days=SET_ASIDE_DAYS),
    )
    outbox = await OutboxRepository(session).prune_final(now - timedelta(days=SET_ASIDE_DAYS))
    runs = await ScheduledRunRepository(session).prune(now - timedelta(days=SET_ASIDE_DAYS))
    cards = await ModerationRepository(session).prune_cards(now - timedelta(days=SET_ASIDE_DAYS))
    return Pruned(inbox, outbox, runs, cards)
