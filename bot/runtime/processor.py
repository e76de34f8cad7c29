"""Stored updates -> Application, one transaction per update, in the order received.

The handler's writes, its queued replies and the inbox row's "done" commit together; if the
handler fails, all of it rolls back and the update is tried again, then set aside as failed
with its content kept (nothing is lost) and the person told.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Update
from telegram.ext import Application

from bot.deps import Deps
from bot.runtime.scope import UpdateScope, current_scope
from bot.sending import Outbox
from bot.texts import lang_of, t
from storage import unit_of_work
from storage.records import InboxRecord
from storage.repositories import InboxRepository

log = logging.getLogger(__name__)


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
        max_attempts: int = 3,
    ) -> None:
        self.app = app
        self.sessions = sessions
        self.deps = deps
        self.on_committed = on_committed
        self.max_attempts = max_attempts
        self.processed = 0

    async def run(self, wake: asyncio.Event, stopping: asyncio.Event) -> None:
        """Process whatever is pending, then wait to be woken (or look again each second).

        Stops between updates, never inside one.
        """
        while not stopping.is_set():
            if await self.process_pending(stopping) == 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), timeout=1.0)
                wake.clear()

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
                await self.process(row)
                done += 1
        return done

    async def process(self, row: InboxRecord) -> None:
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
            self.processed += 1
            self.on_committed()
        except _AlreadyDone:
            return  # another worker finished it first; our copy of the work rolled back
        except Exception as exc:  # every failure is recorded, none stops the loop
            await self._failed(row, update, exc)

    async def _failed(self, row: InboxRecord, update: Update | None, exc: Exception) -> None:
        give_up = row.attempts + 1 >= self.max_attempts
        log.error(
            "update %s failed (attempt %d%s)",
            row.update_id,
            row.attempts + 1,
            ", set aside" if give_up else "",
            exc_info=exc.__cause__ or exc,
        )
        async with unit_of_work(self.sessions) as session:
            await InboxRepository(session).record_failure(row.id, repr(exc), give_up=give_up)
            chat = update.effective_chat if update else None
            if give_up and chat is not None and chat.type == "private":
                user = update.effective_user if update else None
                lang = lang_of(user.language_code if user else None)
                await Outbox(session).text(chat.id, t(lang, "internal_error"))
        if give_up:
            self.on_committed()
