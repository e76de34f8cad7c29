"""Delivers the outbox after commit: the only code that sends messages.

At-least-once: a row is deleted after Telegram accepted it, so a crash in between sends it
again on restart (sendMessage has no idempotency key). Order is kept within each chat, also
across retries (see storage.repositories.ordering). One sender per database: several
replicas would need the rows claimed first (left for the deployment work).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.delivery.methods import METHODS
from bot.delivery.ratelimit import retry_seconds
from bot.delivery.waiting import sleep_or_stop, wait_for_wake
from bot.domain.clock import Clock
from storage import unit_of_work
from storage.records import OutboxRecord
from storage.repositories import OutboxRepository

log = logging.getLogger(__name__)

#: Bad requests that mean "already as you want it": nothing to retry, nothing lost.
_HARMLESS = ("message is not modified", "query is too old", "query id is invalid")
GIVE_UP_AFTER = timedelta(days=1)

OnBlocked = Callable[[AsyncSession, int], Awaitable[None]]
BATCH = 200


@dataclass
class _Results:
    delivered: list[int] = field(default_factory=list)
    failed: list[tuple[int, str]] = field(default_factory=list)
    retry: list[tuple[int, float, str]] = field(default_factory=list)
    blocked_chats: set[int] = field(default_factory=set)


class Sender:
    def __init__(
        self,
        bot: Bot,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        *,
        chats_at_once: int = 16,
        on_blocked: OnBlocked | None = None,
    ) -> None:
        self.bot = bot
        self.sessions = sessions
        #: Told, in the transaction that records it, that a chat blocked the bot (403).
        self.on_blocked = on_blocked
        self.clock = clock
        self.limit = asyncio.Semaphore(chats_at_once)
        self.next_retry: datetime | None = None

    async def run(self, wake: asyncio.Event, stopping: asyncio.Event) -> None:
        """Deliver, then sleep until woken by a commit, a retry time, or a second's look.

        A database outage pauses it, never ends it.
        """
        backoff = 1.0
        while not stopping.is_set():
            try:
                await self.flush()
                backoff = 1.0
            except (SQLAlchemyError, OSError) as exc:  # asyncpg: ConnectionRefusedError
                log.warning("database unavailable (%s); retrying in %.0fs", exc, backoff)
                await sleep_or_stop(backoff, stopping)
                backoff = min(backoff * 2, 30.0)
            await wait_for_wake(wake, self._idle_wait())

    def _idle_wait(self) -> float:
        if self.next_retry is None:
            return 1.0
        return min(max((self.next_retry - self.clock.now()).total_seconds(), 0.01), 1.0)

    async def flush(self) -> int:
        """Deliver everything due now; returns how many calls Telegram accepted."""
        total = 0
        self.next_retry = None
        while True:
            async with unit_of_work(self.sessions) as session:
                rows = await OutboxRepository(session).due(self.clock.now(), limit=BATCH)
            if not rows:
                return total
            by_chat: dict[int, list[OutboxRecord]] = {}
            for row in rows:
                by_chat.setdefault(row.chat_id, []).append(row)
            results = _Results()
            await asyncio.gather(*(self._chat(rs, results) for rs in by_chat.values()))
            await self._record(results)
            total += len(results.delivered)
            if results.retry:
                soonest = self.clock.now() + timedelta(seconds=min(w for _, w, _ in results.retry))
                self.next_retry = min(self.next_retry or soonest, soonest)
            if len(rows) < BATCH or not (results.delivered or results.failed):
                return total  # nothing more was due, or all of it waits for a retry time

    async def _chat(self, rows: list[OutboxRecord], results: _Results) -> None:
        """One chat's rows, in order; the first that must wait holds back the rest."""
        async with self.limit:
            for i, row in enumerate(rows):
                try:
                    await self._call(row)
                except RetryAfter as exc:
                    # Only this row waits; the chat's later rows wait behind it (ordering).
                    wait = retry_seconds(exc)
                    results.retry.append((row.id, wait, f"429 retry after {wait}"))
                    return
                except Forbidden as exc:
                    results.blocked_chats.add(row.chat_id)
                    results.failed.extend((r.id, f"403 {exc.message}") for r in rows[i:])
                    return
                except BadRequest as exc:
                    if any(h in exc.message.lower() for h in _HARMLESS):
                        results.delivered.append(row.id)
                        continue
                    log.error(
                        "Telegram refused %s to chat %s: %s", row.method, row.chat_id, exc.message
                    )
                    results.failed.append((row.id, f"400 {exc.message}"))
                    continue
                except (NetworkError, TelegramError) as exc:
                    # Transient by nature: keep trying for a day, not for a number of tries,
                    # so an outage of minutes loses no receipt.
                    if self.clock.now() - row.created_at > GIVE_UP_AFTER:
                        results.failed.append((row.id, f"gave up: {exc.message}"))
                        continue
                    wait = min(2.0 ** min(row.attempts, 6), 60.0)
                    results.retry.append((row.id, wait, f"network: {exc.message}"))
                    return
                results.delivered.append(row.id)

    async def _record(self, results: _Results) -> None:
        async with unit_of_work(self.sessions) as session:
            outbox = OutboxRepository(session)
            await outbox.delivered(results.delivered)
            for row_id, error in results.failed:
                await outbox.failed(row_id, error)
            now = self.clock.now()
            for row_id, wait, error in results.retry:
                await outbox.retry_later(row_id, now + timedelta(seconds=wait), error)
            for chat_id in results.blocked_chats:
                await outbox.drop_pending_for_chat(chat_id, "403 blocked by the user")
                if self.on_blocked is not None:
                    await self.on_blocked(session, chat_id)

    async def _call(self, row: OutboxRecord) -> None:
        call = METHODS.get(row.method)
        if call is None:
            raise BadRequest(f"unknown outbox method {row.method}")
        await call(self.bot, row)
