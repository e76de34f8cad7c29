"""Stored updates -> dispatcher, one transaction per update, in the order received.

The handler's writes, its queued replies and the inbox row's "done" commit together. If the
handler fails, all of it rolls back; the update is tried again after a pause (its chat waits,
others go on), and after the last attempt it is set aside with its content kept, the person
and the admins are told, and `yushi inbox --retry-failed` can replay it. An update that
cannot even be read is set aside at once: trying again would read it no better.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any, Protocol

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.delivery.waiting import sleep_or_stop, wait_for_wake
from bot.domain.clock import Clock
from storage import unit_of_work
from storage.records import InboxRecord
from storage.repositories import InboxRepository

log = logging.getLogger(__name__)

#: Pause before each further attempt; one more failure after the last sets the update aside.
RETRY_DELAYS: tuple[float, ...] = (2.0, 15.0)


class UnparsableUpdate(Exception):
    """What Telegram sent cannot be read as an update (a newer or older Bot API, a bug)."""


class HandlerFailed(Exception):
    """A handler raised; its cause is the handler's exception."""


class Dispatcher(Protocol):
    """What an update means: the Telegram layer's business, not the loop's."""

    async def handle(self, session: AsyncSession, update: dict[str, Any]) -> str:
        """Handle one update inside `session`; return what it came to.

        Raises UnparsableUpdate when it cannot be read, anything else when handling failed.
        """
        ...

    async def set_aside(
        self, session: AsyncSession, update: dict[str, Any] | None, update_id: int, error: str
    ) -> None:
        """An update was given up: tell whom it concerns (queued in `session`)."""
        ...


class _AlreadyDone(Exception):
    """The inbox row stopped being pending while we worked on it."""


class UpdateProcessor:
    def __init__(
        self,
        dispatcher: Dispatcher,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        *,
        on_committed: Callable[[], None],
        retry_delays: Sequence[float] = RETRY_DELAYS,
    ) -> None:
        self.dispatcher = dispatcher
        self.sessions = sessions
        self.clock = clock
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
                rows = await InboxRepository(session).next_pending(self.clock.now(), limit=100)
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
        raw: dict[str, Any] | None = None
        try:
            raw = _decode(row.payload)
            async with unit_of_work(self.sessions) as session:
                outcome = await self.dispatcher.handle(session, raw)
                done = await InboxRepository(session).mark_done(row.id, outcome, self.clock.now())
                if not done:
                    raise _AlreadyDone
        except _AlreadyDone:
            return True  # another worker finished it first; our copy of the work rolled back
        except UnparsableUpdate as exc:
            await self._failed(row, raw, exc, give_up=True)
            return False
        except Exception as exc:  # every failure is recorded; none stops the loop
            await self._failed(row, raw, exc, give_up=row.attempts >= len(self.retry_delays))
            return False
        self.on_committed()
        return True

    async def _failed(
        self, row: InboxRecord, raw: dict[str, Any] | None, exc: Exception, *, give_up: bool
    ) -> None:
        now = self.clock.now()
        retry_at = None if give_up else now + timedelta(seconds=self.retry_delays[row.attempts])
        log.error(
            "update %s failed (attempt %d%s)",
            row.update_id,
            row.attempts + 1,
            ", set aside" if give_up else "",
            exc_info=exc.__cause__ or exc,
        )
        async with unit_of_work(self.sessions) as session:
            await InboxRepository(session).record_failure(
                row.id, repr(exc), retry_at=retry_at, now=now
            )
            if give_up:
                await self.dispatcher.set_aside(session, raw, row.update_id, repr(exc))
        if give_up:
            self.on_committed()


def _decode(payload: str | None) -> dict[str, Any]:
    if payload is None:
        raise UnparsableUpdate("pending update without content")
    try:
        raw = json.loads(payload)
    except ValueError as exc:
        raise UnparsableUpdate(f"not JSON: {exc}") from exc
    if not isinstance(raw, dict):
        raise UnparsableUpdate("not a JSON object")
    return raw
