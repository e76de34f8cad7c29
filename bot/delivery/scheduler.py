"""Time-based work: APScheduler ticks, the database says what is due.

APScheduler 3's AsyncIOScheduler runs one light `tick` in the bot's event loop. Jobs are
not stored in APScheduler (its job stores are synchronous and cannot be shared by several
processes); each job names its slots with an APScheduler trigger (a cron or an aligned
interval), and the `scheduled_runs` table records which slot last ran. At each tick, and at
start, every job whose next slot has come runs once, inside a unit of work that also
inserts (job, slot): the unique key lets one process win when several tick at once, and a
job that fails rolls its claim back and is tried at the next tick.

After downtime across several slots a job runs once, for the latest one (no burst of
catch-up runs). The wall clock decides, read through the injected clock at every tick: a
clock moved forward makes work due, a clock moved back makes nothing run twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain.clock import Clock
from storage import unit_of_work
from storage.repositories import ScheduledRunRepository

log = logging.getLogger(__name__)

JobRun = Callable[[AsyncSession, datetime], Awaitable[None]]

#: Intervals count from here, so that every process derives the same slots.
_ANCHOR = datetime(2026, 1, 1, tzinfo=UTC)
#: A job seen for the first time with catch_up looks this far back for a slot.
_FIRST_LOOKBACK = timedelta(days=400)
_EPSILON = timedelta(microseconds=1)


def every(interval: timedelta) -> IntervalTrigger:
    """An interval trigger whose slots are the same in every process (aligned to 2026-01-01
    UTC), which the claim by (job, slot) needs."""
    return IntervalTrigger(seconds=interval.total_seconds(), start_date=_ANCHOR, timezone=UTC)


@dataclass(frozen=True)
class ScheduledJob:
    name: str
    trigger: BaseTrigger
    run: JobRun
    #: First sight of the job (no slot recorded): run now for the latest slot (True), or
    #: start counting from now (False: a weekly note deployed on a Wednesday waits for its
    #: next Monday instead of sending last Monday's at once).
    catch_up: bool = False


@dataclass(frozen=True)
class Ticker:
    """Work looked for at every tick (and at start), given the clock's now. It claims what
    it does itself (digests: by the unique (member, slot) of each digest)."""

    name: str
    run: Callable[[datetime], Awaitable[None]]


class _SlotTaken(Exception):
    """Another process claimed the slot first."""


async def _claim(runs: ScheduledRunRepository, job: str, slot: datetime, now: datetime) -> None:
    # Only the claim's own unique-key violation means "taken"; one raised by the job itself
    # is the job failing, and is reported as such.
    try:
        await runs.claim(job, slot, now)
    except IntegrityError as exc:
        raise _SlotTaken from exc


def latest_slot(trigger: BaseTrigger, after: datetime, now: datetime) -> datetime | None:
    """The trigger's latest fire time in (after, now], or None.

    By bisection on "next fire time from x", so a minute job after a month down costs a few
    dozen trigger calls, not forty thousand.
    """

    def fire_from(moment: datetime) -> datetime | None:
        fire: datetime | None = trigger.get_next_fire_time(None, moment)
        return fire

    first = fire_from(after + _EPSILON)
    if first is None or first > now:
        return None
    lo, hi = first, now
    while hi - lo > _EPSILON:
        mid = lo + (hi - lo) / 2
        fire = fire_from(mid)
        if fire is not None and fire <= now:
            lo = max(mid, lo + _EPSILON)
        else:
            hi = mid
    result = fire_from(lo)
    return result if result is not None and result <= now else first


class Scheduler:
    def __init__(
        self,
        jobs: Sequence[ScheduledJob],
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        *,
        tickers: Sequence[Ticker] = (),
        tick_every: timedelta = timedelta(seconds=20),
        on_failure: Callable[[str, BaseException], Awaitable[None]] | None = None,
    ) -> None:
        names = [job.name for job in jobs] + [t.name for t in tickers]
        if len(names) != len(set(names)):
            raise ValueError(f"scheduled job names must be unique: {names}")
        self.jobs = list(jobs)
        self.tickers = list(tickers)
        self.on_failure = on_failure
        self.sessions = sessions
        self.clock = clock
        self.tick_every = tick_every
        self._aps: AsyncIOScheduler | None = None
        self._ticking: asyncio.Task[object] | None = None

    def start(self) -> None:
        """Tick now and then every `tick_every`, in the running event loop."""
        aps = AsyncIOScheduler(timezone=UTC)
        aps.add_job(
            self._tick_now,
            IntervalTrigger(seconds=self.tick_every.total_seconds(), timezone=UTC),
            id="tick",
            next_run_time=datetime.now(UTC),
            max_instances=1,  # a slow tick is not overtaken by the next one
            coalesce=True,
            misfire_grace_time=None,  # a late tick (busy loop, clock moved) still runs
        )
        aps.start()
        self._aps = aps

    async def stop(self, timeout: float = 15.0) -> None:
        """No more ticks; a tick under way finishes first (its job's transaction with it)."""
        if self._aps is not None:
            self._aps.pause()  # shutdown would cancel the tick under way: wait for it first
        if self._ticking is not None and not self._ticking.done():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._ticking), timeout)
        if self._aps is not None:
            self._aps.shutdown(wait=False)
            self._aps = None

    async def _tick_now(self) -> None:
        self._ticking = asyncio.current_task()
        try:
            await self.tick()
        finally:
            self._ticking = None

    async def tick(self) -> list[str]:
        """Run every job that is due now; returns the names of those that ran."""
        ran = []
        for job in self.jobs:
            try:
                if await self.run_if_due(job):
                    ran.append(job.name)
            except (OperationalError, InterfaceError, OSError) as exc:
                log.warning("scheduled job %s postponed, database unavailable: %s", job.name, exc)
            except Exception as exc:  # a failing job must not stop the others or the ticks
                log.exception("scheduled job %s failed; tried again at the next tick", job.name)
                await self._report(job.name, exc)
        for ticker in self.tickers:
            try:
                await ticker.run(self.clock.now())
                ran.append(ticker.name)
            except (OperationalError, InterfaceError, OSError) as exc:
                log.warning("%s postponed, database unavailable: %s", ticker.name, exc)
            except Exception as exc:
                log.exception("%s failed; tried again at the next tick", ticker.name)
                await self._report(ticker.name, exc)
        return ran

    async def _report(self, name: str, exc: BaseException) -> None:
        if self.on_failure is None:
            return
        try:
            await self.on_failure(name, exc)
        except Exception:  # telling must never break the ticks
            log.exception("could not report the failure of %s", name)

    async def run_if_due(self, job: ScheduledJob) -> bool:
        now = self.clock.now()
        try:
            async with unit_of_work(self.sessions) as session:
                runs = ScheduledRunRepository(session)
                last = await runs.last_slot(job.name)
                if last is None and not job.catch_up:
                    await _claim(runs, job.name, now, now)  # start counting from now
                    return False
                slot = latest_slot(job.trigger, last or now - _FIRST_LOOKBACK, now)
                if slot is None:
                    return False
                await _claim(runs, job.name, slot, now)
                await job.run(session, slot)
        except _SlotTaken:
            log.debug("scheduled job %s: another process took this slot", job.name)
            return False
        log.info("scheduled job %s ran for %s", job.name, slot.isoformat())
        return True
