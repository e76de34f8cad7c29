"""getUpdates -> inbox -> commit -> next offset.

PTB's own Updater confirms updates before handlers run, so a crash loses them. Here the
offset moves past an update only after the update is committed to the inbox; a crash before
that makes Telegram deliver it again, and the inbox ignores the copy (keyed by update_id).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot, Update
from telegram.error import (
    Conflict,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from bot.runtime.ratelimit import retry_seconds
from bot.runtime.waiting import sleep_or_stop
from storage import unit_of_work
from storage.repositories import InboxRepository
from storage.repositories.inbox import NewUpdate

log = logging.getLogger(__name__)

ALLOWED_UPDATES = [
    "message",
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "callback_query",
    "my_chat_member",
]


def _chat_of(update: Update) -> int | None:
    if update.effective_chat is not None:
        return update.effective_chat.id
    return update.effective_user.id if update.effective_user is not None else None


def update_kind(update: Update) -> str:
    for kind in ALLOWED_UPDATES:
        if getattr(update, kind, None) is not None:
            return kind
    return "other"


class DurablePoller:
    def __init__(
        self,
        bot: Bot,
        sessions: async_sessionmaker[AsyncSession],
        *,
        timeout: int,
        on_stored: Callable[[], None],
    ) -> None:
        self.bot = bot
        self.sessions = sessions
        self.timeout = timeout
        self.on_stored = on_stored

    async def run(self, stopping: asyncio.Event) -> None:
        """Poll until `stopping` is set. Only an invalid token ends it on its own; network and
        database trouble make it wait and try again.

        Stopping interrupts a long poll, never a write: whatever was fetched is stored first.
        """
        offset: int | None = None
        backoff = 1.0
        while not stopping.is_set():
            try:
                updates = await self._poll(offset, stopping)
            except InvalidToken:
                raise
            except RetryAfter as exc:
                await sleep_or_stop(retry_seconds(exc), stopping)
                continue
            except TimedOut:
                continue
            except Conflict as exc:
                log.error("another instance is polling with this token: %s", exc.message)
                await sleep_or_stop(backoff, stopping)
                backoff = min(backoff * 2, 30.0)
                continue
            except NetworkError as exc:
                log.warning("getUpdates failed (%s); retrying in %.0fs", exc.message, backoff)
                await sleep_or_stop(backoff, stopping)
                backoff = min(backoff * 2, 30.0)
                continue
            backoff = 1.0
            if not updates:
                continue
            rows = [
                NewUpdate(
                    u.update_id,
                    update_kind(u),
                    _chat_of(u),
                    json.dumps(u.to_dict(), ensure_ascii=False),
                )
                for u in updates
            ]
            try:
                async with unit_of_work(self.sessions) as session:
                    await InboxRepository(session).add_many(rows)
            except (SQLAlchemyError, OSError) as exc:  # asyncpg: ConnectionRefusedError
                # Not stored, so not confirmed: Telegram hands the same updates out again.
                log.warning("could not store updates (%s); retrying in %.0fs", exc, backoff)
                await sleep_or_stop(backoff, stopping)
                backoff = min(backoff * 2, 30.0)
                continue
            self.on_stored()
            # Only now is it safe to confirm them to Telegram (the next call does).
            offset = max(u.update_id for u in updates) + 1

    async def _poll(self, offset: int | None, stopping: asyncio.Event) -> tuple[Update, ...]:
        """One getUpdates; abandoned (nothing returned) if we are asked to stop meanwhile."""
        request = asyncio.ensure_future(
            self.bot.get_updates(
                offset=offset,
                timeout=self.timeout,
                allowed_updates=ALLOWED_UPDATES,
                read_timeout=self.timeout + 10,
            )
        )
        stop = asyncio.ensure_future(stopping.wait())
        await asyncio.wait({request, stop}, return_when=asyncio.FIRST_COMPLETED)
        if not request.done():
            # Safe: what this call would have returned was never confirmed by an offset.
            request.cancel()
            with contextlib.suppress(asyncio.CancelledError, TelegramError):
                await request
            return ()
        stop.cancel()
        return request.result()
