"""Wires settings, database, Application and the delivery loops into a running bot.

`yushi run`, the demo and the tests all go through `Runtime`: the one place that knows both
the features (through bot.app) and the delivery machinery (bot.delivery).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from telegram import Bot, BotCommand, BotCommandScopeDefault
from telegram.error import TelegramError

from bot.app import build_application
from bot.config import Settings
from bot.delivery.maintenance import Maintenance
from bot.delivery.poller import DurablePoller
from bot.delivery.processor import UpdateProcessor
from bot.delivery.scheduler import ScheduledJob, Scheduler, Ticker
from bot.delivery.sender import Sender
from bot.deps import Deps, build_deps
from bot.domain.clock import Clock
from bot.features.account import AccountService
from bot.features.staff import StaffService
from bot.telegram.alerts import alert_admins
from bot.telegram.application import (
    BotApplication,
    FeatureJob,
    Features,
    FeatureTicker,
    MenuCommand,
)
from bot.telegram.dispatch import UpdateDispatcher
from bot.telegram.work import Work, services_for
from storage import create_engine, session_factory, unit_of_work, upgrade

log = logging.getLogger(__name__)


async def set_commands(bot: Bot, menu: list[MenuCommand]) -> None:
    """The command menu in Chinese (default) and English."""
    for lang, code in (("zh", None), ("en", "en")):
        commands = [BotCommand(c.name, c.texts(lang, f"cmd_{c.name}")) for c in menu]
        await bot.set_my_commands(commands, scope=BotCommandScopeDefault(), language_code=code)


@dataclass
class Runtime:
    """A running bot: `yushi run`, the demo and the tests all go through this."""

    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    features: Features
    deps: Deps
    wake_processor: asyncio.Event = field(default_factory=asyncio.Event)
    wake_sender: asyncio.Event = field(default_factory=asyncio.Event)
    stopping: asyncio.Event = field(default_factory=asyncio.Event)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.poller = DurablePoller(
            self.app.bot,
            self.sessions,
            clock=self.deps.clock,
            timeout=self.settings.poll_timeout,
            on_stored=self.wake_processor.set,
        )
        clock = self.deps.clock
        self.processor = UpdateProcessor(
            UpdateDispatcher(self.app, self.deps),
            self.sessions,
            clock,
            on_committed=self.wake_sender.set,
        )
        self.sender = Sender(
            self.app.bot,
            self.sessions,
            clock,
            per_second=self.settings.send_rate_per_second,
            on_blocked=self._blocked,
        )
        self.maintenance = Maintenance(self.engine, self.sessions, clock)
        jobs = [self.maintenance.pruning_job(), *map(self.scheduled, self.features.jobs)]
        tickers = [self.ticking(t) for t in self.features.tickers]
        self.scheduler = Scheduler(
            jobs, self.sessions, clock, tickers=tickers, on_failure=self._job_failed
        )

    async def _blocked(self, session: AsyncSession, chat_id: int) -> None:
        """A 403 on send: whoever that chat is, they blocked the bot."""
        work = services_for(session, self.deps)
        await work.service(AccountService).set_blocked(chat_id, True)
        await work.service(StaffService).set_reachable(chat_id, False)

    async def _job_failed(self, name: str, exc: BaseException) -> None:
        """A scheduled job failed: the admins hear of it once (its name and the error)."""
        async with self.unit() as work:
            await alert_admins(
                work.session, self.deps, f"job {name}", f"{type(exc).__name__}: {exc}"
            )

    @asynccontextmanager
    async def unit(self) -> AsyncIterator[Work]:
        """One unit of work outside an update (scheduled work, CLI commands); what it
        queued is sent once it commits."""
        async with unit_of_work(self.sessions) as session:
            yield services_for(session, self.deps)
        self.wake_sender.set()

    def ticking(self, ticker: FeatureTicker) -> Ticker:
        async def run(now: datetime) -> None:
            await ticker.run(self.unit, now)

        return Ticker(ticker.name, run)

    @property
    def app(self) -> BotApplication:
        return self.features.app

    def scheduled(self, job: FeatureJob) -> ScheduledJob:
        """A feature's job over the same unit of work a handler gets."""
        deps = self.deps

        async def run(session: AsyncSession, slot: datetime) -> None:
            await job.run(services_for(session, deps), slot)

        return ScheduledJob(job.name, job.trigger, run, job.catch_up)

    @classmethod
    async def open(cls, settings: Settings, clock: Clock | None = None) -> Runtime:
        """Migrate the database and introduce the bot to Telegram (getMe)."""
        engine = create_engine(settings.database_url)
        await upgrade(engine)
        features = build_application(settings)
        app = features.app
        try:
            await app.initialize()
        except BaseException:
            await engine.dispose()
            raise
        try:
            # A webhook left set would answer every getUpdates with 409; PTB's own
            # run_polling removes it too. Pending updates stay queued.
            await app.bot.delete_webhook(drop_pending_updates=False)
        except TelegramError as exc:
            log.warning("could not remove a webhook: %s", exc)
        try:
            await set_commands(app.bot, features.menu_commands())
        except TelegramError as exc:
            log.warning("could not set the command menu: %s", exc)
        deps = build_deps(settings, app.bot.username, clock, features.menus())
        runtime = cls(settings, engine, session_factory(engine), features, deps)
        # ADMIN_IDS are admins from the start; every admin's and member's menu is set (again,
        # only when it changed since it was last set).
        async with runtime.unit() as work:
            await work.service(StaffService).seed_admins(settings.admin_ids)
            await work.service(StaffService).refresh_menus()
        return runtime

    def start(self) -> None:
        """Deliver what an earlier run left, finish stored updates, then poll for more."""
        self.tasks = [
            asyncio.create_task(self.sender.run(self.wake_sender, self.stopping), name="sender"),
            asyncio.create_task(
                self.processor.run(self.wake_processor, self.stopping), name="processor"
            ),
            asyncio.create_task(self.poller.run(self.stopping), name="poller"),
            asyncio.create_task(self.maintenance.run(self.stopping), name="maintenance"),
        ]
        self.scheduler.start()

    async def wait(self) -> None:
        """Return when a task dies (an invalid token, say); re-raise its error."""
        done, _ = await asyncio.wait(self.tasks, return_when=asyncio.FIRST_EXCEPTION)
        for task in done:
            task.result()

    async def stop(self) -> None:
        """Stop polling, let the update in hand finish, send what is queued, close."""
        self.stopping.set()
        await self.scheduler.stop()
        self.wake_processor.set()
        self.wake_sender.set()
        if self.tasks:
            _, late = await asyncio.wait(self.tasks, timeout=15)
            for task in late:  # stuck on the network; nothing committed is lost by this
                task.cancel()
            await asyncio.gather(*self.tasks, return_exceptions=True)
        with contextlib.suppress(Exception):
            # flush stops claiming before its own timeout and records what it sent; the
            # outer limit is only for a network that hangs.
            await asyncio.wait_for(self.sender.flush(timeout=10), timeout=20)
        with contextlib.suppress(Exception):
            await self.sender.close()
        with contextlib.suppress(Exception):
            await self.app.shutdown()
        await self.engine.dispose()


async def run_bot(settings: Settings, stop: asyncio.Event) -> None:
    runtime = await Runtime.open(settings)
    try:
        runtime.start()
        log.info("@%s is running (database: %s)", runtime.deps.bot_username, _safe_db(settings))
        waiter = asyncio.create_task(stop.wait())
        died = asyncio.create_task(runtime.wait())
        await asyncio.wait({waiter, died}, return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()
        if died.done():
            died.result()
        died.cancel()
    finally:
        await runtime.stop()


def _safe_db(settings: Settings) -> str:
    """The database URL without a password, for the log."""
    url = settings.database_url
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://…@{rest.split('@', 1)[1]}"
    return url
