"""Stored updates -> Application, one transaction per update, in the order received.

The handler's writes, its queued replies and the inbox row's "done" commit together. If the
handler fails, all of it rolls back; the update is tried again after a pause (its chat waits,
others go on), and after the last attempt it is set aside with its content kept, the person
is told, and `yushi inbox --retry-failed` can replay it.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Sequence
from datetime import timedelta

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Update
from telegram.ext import Application

from bot.deps import Deps
from bot.runtime.scope import UpdateScope, current_scope
from bot.runtime.waiting import sleep_or_stop, wait_for_wake
from bot.sending import Outbox
from bot.texts import lang_of, t
from storage import unit_of_work
from storage.models import utcnow
from storage.records import InboxRecord
from storage.repositories import InboxRepository

log = logging.getLogger(__name__)

#: Pause before each further attempt; one more failure after the last sets the update aside.
RETRY_DELAYS: tuple[float, ...] = (2.0, 15.0)


class HandlerFailed(Exception):
    """A handler raised; its cause is the handler's exception."""


class _AlreadyDone(Exception):
    """The inbox row stopped being pending while we worked on it."""


class UpdateProcessor:
    def __init__(
        self,
        app: Application,  # type: ignore[type-arg]
        sessions: async_sessionmaker[AsyncSession],
        deps: Deps,
        *,
        on_committed: Callable[[], None],
        retry_delays: Sequence[float] = RETRY_DELAYS,
    ) -> None:
        self.app = app
        self.sessions = sessions
        self.deps = deps
        self.on_committed = on_committed
        self.retry_delays = tuple(retry_delays)

    async def run(self, wake: asyncio.Event, stopping: asyncio.Event) -> None:
        """Process whatever is pending, then wait to be woken (or look again each second).

        Stops between updates, never inside one. A database outage pauses it, never ends it.
        """
        backoff = 1.0
        while not stopping.is_set():
            try:
                handled = await self.process_pending(stopping)
                backoff = 1.0
            except (SQLAlchemyError, OSError) as exc:  # asyncpg: ConnectionRefusedError
                log.warning("database unavailable (%s); retrying in %.0fs", exc, backoff)
                handled = 0
                await sleep_or_stop(backoff, stopping)
                backoff = min(backoff * 2, 30.0)
            if handled == 0:
                await wait_for_wake(wake, 1.0)

    async def process_pending(self, stopping: asyncio.Event | None = None) -> int:
        done = 0
        while stopping is None or not stopping.is_set():
            async with unit_of_work(self.sessions) as session:
                rows = await InboxRepository(session).next_pending(limit=100)
            if not rows:
                return done
            for row in rows:
                if stopping is not None and stopping.is_set():
                    break
                if not await self.process(row):
                    # Its chat must now wait for the retry: read the queue again, so that
                    # later updates from the same chat are not handled before it.
                    break
                done += 1
        return done

    async def process(self, row: InboxRecord) -> bool:
        """Handle one stored update; False if it failed (and was rescheduled or set aside)."""
        update: Update | None = None
        try:
            if row.payload is None:
                raise ValueError("pending update without content")
            update = Update.de_json(json.loads(row.payload), self.app.bot)
            async with unit_of_work(self.sessions) as session:
                inbox = InboxRepository(session)
                scope = UpdateScope(session, self.deps)
                token = current_scope.set(scope)
                try:
                    await self.app.process_update(update)
                finally:
                    current_scope.reset(token)
                if scope.error is not None:
                    raise HandlerFailed(repr(scope.error)) from scope.error
                if not await inbox.mark_done(row.id, scope.outcome):
                    raise _AlreadyDone
        except _AlreadyDone:
            return True  # another worker finished it first; our copy of the work rolled back
        except Exception as exc:  # every failure is recorded; none stops the loop
            await self._failed(row, update, exc)
            return False
        self.on_committed()
        return True

    async def _failed(self, row: InboxRecord, update: Update | None, exc: Exception) -> None:
        attempt = row.attempts + 1
        give_up = attempt > len(self.retry_delays)
        retry_at = (
            None if give_up else utcnow() + timedelta(seconds=self.retry_delays[row.attempts])
        )
        log.error(
            "update %s failed (attempt %d%s)",
            row.update_id,
            attempt,
            ", set aside" if give_up else "",
            exc_info=exc.__cause__ or exc,
        )
        async with unit_of_work(self.sessions) as session:
            await InboxRepository(session).record_failure(row.id, repr(exc), retry_at=retry_at)
            chat = update.effective_chat if update else None
            if give_up and chat is not None and chat.type == "private":
                user = update.effective_user if update else None
                lang = lang_of(user.language_code if user else None)
                await Outbox(session).text(chat.id, t(lang, "internal_error"))
            if give_up:
                # No names or texts: the admins learn that something needs a look.
                note = t("zh", "admin_set_aside", update_id=row.update_id, error=repr(exc)[:300])
                for admin in sorted(self.deps.settings.admin_ids):
                    await Outbox(session).text(admin, note)
        if give_up:
            self.on_committed()
